"""The optimizer race page, driven by Streamlit's AppTest (no browser)."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from engine.core.optimizers import OPTIMIZERS
from engine.experiments.race import SURFACES


@pytest.fixture
def open_race(open_page):
    """The app opened at /race (with `query` in the URL), as a browser opening a link does."""
    return lambda query=None, lang="en": open_page("race", query, lang)


def racing(at: AppTest) -> list[str]:
    """The optimizers ticked in the sidebar."""
    return [name for name in OPTIMIZERS if at.checkbox(key=f"race.on.{name}").value]


def loss_chart_lines(at: AppTest) -> list[str]:
    chart = next(c for c in at.get("plotly_chart") if c.key == "race.loss")
    return [trace["name"] for trace in json.loads(chart.proto.spec)["data"]]


def test_race_opens_with_all_eight_optimizers_on_the_narrow_valley(open_race):
    at = open_race()
    assert at.selectbox(key="race.surface").value == "ill_conditioned"
    assert {chart.key for chart in at.get("plotly_chart")} >= {"race.plot", "race.loss"}
    assert at.session_state["race.shown"] == 0
    assert racing(at) == list(OPTIMIZERS)
    assert "lang" in at.query_params and not {"surface", "opt"} & set(at.query_params)  # the default race: a short link


def test_the_race_speaks_korean_and_tells_each_surfaces_story(open_race):
    at = open_race({"surface": "saddle"}, lang="ko")
    assert at.title[0].value == "옵티마이저 경주 (optimizer race)"
    assert at.caption[0].value.startswith("출발점은 안장점 (saddle point)으로")
    assert at.selectbox(key="race.surface").options[2] == "안장점 (saddle point)"
    assert "모멘텀 (Momentum)" in loss_chart_lines(at)
    assert at.button(key="race.all").label == "모든 스텝 보기"


def test_play_draws_the_race_step_by_step_until_the_end(open_race):
    at = open_race()
    at.button(key="race.play").click().run()
    first = at.session_state["race.shown"]
    at.run()
    assert 0 < first < at.session_state["race.shown"]
    at.button(key="race.all").click().run()
    assert at.session_state["race.shown"] == at.session_state["race.steps"]
    assert not at.session_state["race.playing"]


def test_choosing_a_surface_takes_its_start_and_learning_rates_and_the_link_follows(open_race):
    at = open_race()
    at.selectbox(key="race.surface").set_value("rosenbrock").run()
    surface = SURFACES["rosenbrock"]
    assert (at.number_input(key="race.x").value, at.number_input(key="race.y").value) == surface.start
    assert at.number_input(key="race.lr.adam").value == surface.rates["adam"]
    assert not at.exception
    assert at.query_params["surface"] == "rosenbrock"
    at.number_input(key="race.x").set_value(0.5).run()
    at.checkbox(key="race.on.nadam").uncheck().run()
    assert (at.query_params["x"], at.query_params["y"]) == ("0.5", "1")
    assert at.query_params["opt"] == "sgd,momentum,nesterov,adagrad,rmsprop,adadelta,adam"


def test_a_link_opens_the_race_it_names(open_race):
    at = open_race({"surface": "rosenbrock", "opt": "sgd,adam"})
    assert at.selectbox(key="race.surface").value == "rosenbrock"
    assert racing(at) == ["sgd", "adam"]
    assert at.number_input(key="race.lr.sgd").value == SURFACES["rosenbrock"].rates["sgd"]
    assert loss_chart_lines(at) == ["SGD", "Adam"]
    assert at.warning.len == 0


def test_a_link_with_its_own_start_steps_and_rate(open_race):
    at = open_race({"surface": "beale", "x": "-2", "y": "2.5", "steps": "120", "opt": "adam", "lr_adam": "0.05"})
    assert (at.number_input(key="race.x").value, at.number_input(key="race.y").value) == (-2.0, 2.5)
    assert at.slider(key="race.steps").value == 120
    assert at.number_input(key="race.lr.adam").value == 0.05
    assert any(caption.value == "Step 0 of 120" for caption in at.caption)


def test_bad_link_values_give_warnings_and_a_race_that_runs(open_race):
    at = open_race({"surface": "volcano", "steps": "5", "opt": "sgd,teleport"}, lang="ko")
    shown = [warning.value for warning in at.warning]
    assert len(shown) == 3 and all(warning.startswith("링크 (link):") for warning in shown)
    assert "volcano" in shown[0] and "steps" in shown[1] and "teleport" in shown[2]
    assert racing(at) == ["sgd"] and at.slider(key="race.steps").value == SURFACES["ill_conditioned"].steps
    assert at.query_params["opt"] == "sgd"


def test_settings_survive_a_visit_to_another_page(open_race):
    at = open_race({"surface": "himmelblau", "opt": "sgd,adam", "steps": "200"})
    at.switch_page("views/compare.py").run()
    at.switch_page("views/race.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="race.surface").value == "himmelblau"
    assert racing(at) == ["sgd", "adam"] and at.slider(key="race.steps").value == 200


def test_unticking_every_optimizer_asks_for_one(open_race):
    at = open_race()
    for name in OPTIMIZERS:
        at.checkbox(key=f"race.on.{name}").uncheck()
    at.run()
    assert any("at least one optimizer" in info.value for info in at.info)
