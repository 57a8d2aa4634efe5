"""Backprop by hand, driven by Streamlit's AppTest (no browser): step through the course's example."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from engine.experiments.backprop import COURSE_EXAMPLE, STEP_IDS, backprop_pass, number
from playground import i18n
from playground.viewer import Viewer
from playground.views import backprop as backprop_page

COURSE = backprop_pass(COURSE_EXAMPLE)


@pytest.fixture
def open_backprop(open_page):
    """Backprop by hand, opened by a student who chose `lang`."""
    return lambda lang="en": open_page("backprop", lang=lang)


def click(at: AppTest, name: str) -> AppTest:
    at.button(key=f"backprop.{name}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest):
    (steps,) = at.dataframe  # the table of steps is the page's only one
    return steps.value


def diagram_texts(at: AppTest) -> list[str]:
    (chart,) = [chart for chart in at.get("plotly_chart") if chart.key == "backprop.diagram"]
    return [annotation["text"] for annotation in json.loads(chart.proto.spec)["layout"]["annotations"]]


def test_the_page_opens_on_the_courses_numbers_before_the_first_step(open_backprop):
    at = open_backprop()
    assert at.title[0].value == "Backprop by hand"
    assert {name: at.number_input(key=f"backprop.{name}").value for name in backprop_page.FIELDS} == {
        "x1": 1.0, "x2": 0.5, "w1": 0.9, "w2": 0.3, "target": 1.0, "learning_rate": 0.5}
    assert any("Next" in info.value for info in at.info)
    assert not at.dataframe
    assert at.button(key="backprop.back").disabled and at.button(key="backprop.again").disabled
    assert "z = ?" in diagram_texts(at) and "w₁ = 0.9" in diagram_texts(at)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_stepping_forward_shows_every_number_of_the_course(open_backprop, lang):
    at = open_backprop(lang)
    for shown, step in enumerate(COURSE.steps, start=1):
        click(at, "next")
        rows = table(at)
        assert len(rows) == shown
        assert rows.iloc[-1].tolist() == [i18n.t(f"backprop.step.{step.id}", lang), step.formula, step.substituted,
                                          number(step.value)]
        assert at.subheader[0].value == i18n.t("backprop.current", lang, number=shown, total=len(STEP_IDS),
                                               name=i18n.t(f"backprop.step.{step.id}", lang))
    values = table(at).iloc[:, -1].tolist()
    assert values[:2] == ["1.05", "0.7408"]  # z and a, as the course has them
    assert values[3:] == ["−0.2592", "0.192", "−0.0498", "−0.0498", "−0.0249", "0.9249", "0.3124"]
    assert at.button(key="backprop.next").disabled
    assert at.success[0].value == i18n.t("backprop.loss_fell", lang, before="0.0336", after="0.0321")


def test_the_diagram_shows_values_forward_and_gradients_backward_as_they_come(open_backprop):
    at = open_backprop()
    click(at, "next")
    assert "<b>z = 1.05</b>" in diagram_texts(at)  # the step just taken stands out
    click(at, "next")
    assert {"z = 1.05", "<b>a = 0.7408</b>", "∂L/∂a = ?"} <= set(diagram_texts(at))
    click(at, "all")
    texts = set(diagram_texts(at))
    assert {"a = 0.7408", "∂L/∂a = −0.2592", "∂a/∂z = 0.192", "∂L/∂w₁ = −0.0498", "<b>w₂: 0.3 → 0.3124</b>"} <= texts
    assert not any(text.endswith("= ?") for text in texts)


def test_back_undoes_one_step_and_reset_starts_over(open_backprop):
    at = open_backprop()
    for _ in range(4):
        click(at, "next")
    click(at, "back")
    assert len(table(at)) == 3 and at.session_state["backprop.shown"] == 3
    click(at, "reset")
    assert at.session_state["backprop.shown"] == 0 and not at.dataframe


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_training_again_starts_from_the_new_weights_and_the_loss_falls(open_backprop, lang):
    at = open_backprop(lang)
    click(at, "all")
    click(at, "again")
    assert at.session_state["backprop.shown"] == 0
    assert i18n.t("backprop.progress", lang, pass_number=2, number=0, total=10) in [c.value for c in at.caption]
    click(at, "next")
    assert table(at).iloc[0, 2] == "0.9249 · 1.0 + 0.3124 · 0.5"
    click(at, "all")
    click(at, "again")
    click(at, "all")
    losses = [float(text.replace("−", "-")) for text in json_losses(at)]
    assert len(losses) == 4 and all(later < earlier for earlier, later in zip(losses, losses[1:]))


def json_losses(at: AppTest) -> list[str]:
    (chart,) = [chart for chart in at.get("plotly_chart") if chart.key == "backprop.losses"]
    return json.loads(chart.proto.spec)["data"][0]["text"]


def test_changing_a_number_recomputes_and_starts_the_pass_over(open_backprop):
    at = open_backprop()
    click(at, "all")
    at.number_input(key="backprop.w2").set_value(-0.3).run()
    assert at.session_state["backprop.shown"] == 0
    click(at, "next")
    assert table(at).iloc[0, 2] == "0.9 · 1.0 + (−0.3) · 0.5" and table(at).iloc[0, 3] == "0.75"
    click(at, "course")
    click(at, "next")
    assert table(at).iloc[0, 3] == "1.05"


@pytest.mark.parametrize(("lang", "field", "value"), [
    ("en", "learning_rate", 0.0), ("en", "target", 1.5), ("ko", "learning_rate", 0.0),
])
def test_bad_numbers_show_an_error_not_a_traceback(open_backprop, lang, field, value):
    at = open_backprop(lang)
    at.number_input(key=f"backprop.{field}").set_value(value).run()
    assert not at.exception
    assert len(at.error) == 1
    assert at.error[0].value.startswith(i18n.t("backprop.bad_numbers", lang, error="")) and field in at.error[0].value
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_step_has_a_name_and_a_reason_in_both_languages(lang):
    for step_id in STEP_IDS:
        assert i18n.catalog(lang)[f"backprop.step.{step_id}"] and i18n.catalog(lang)[f"backprop.why.{step_id}"]


def test_the_diagram_is_readable_on_a_projector():
    for shown in (0, 5, len(STEP_IDS)):
        figure = backprop_page.network_figure(COURSE, shown, view=Viewer("en", 1.0))
        assert min(annotation.font.size for annotation in figure.layout.annotations if annotation.text) >= 16


def test_leaving_the_page_and_coming_back_keeps_the_students_numbers_and_step():
    at = AppTest.from_file(str(Path(__file__).with_name("backprop_app.py")), default_timeout=120)
    at.run()
    at.number_input(key="backprop.w1").set_value(0.5).run()
    click(at, "next")
    at.switch_page("../../playground/views/race.py").run()
    assert not at.exception and "backprop.w1" not in at.session_state  # on another page, Streamlit dropped the input
    at.switch_page("../../playground/views/backprop.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="backprop.w1").value == 0.5 and at.session_state["backprop.shown"] == 1
    assert table(at).iloc[0, 2] == "0.5 · 1.0 + 0.3 · 0.5"
