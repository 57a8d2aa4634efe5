"""The optimizer race page, driven by Streamlit's AppTest (no browser)."""

from streamlit.testing.v1 import AppTest

from engine.race import SURFACES
from tests.conftest import ROOT

APP = str(ROOT / "playground" / "app.py")


def open_race() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/race.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_race_opens_with_all_eight_optimizers_on_the_narrow_valley():
    at = open_race()
    assert at.selectbox(key="race.surface").value == "ill_conditioned"
    assert {chart.key for chart in at.get("plotly_chart")} >= {"race.plot", "race.loss"}
    assert at.session_state["race.shown"] == 0


def test_play_draws_the_race_step_by_step_until_the_end():
    at = open_race()
    at.button(key="race.play").click().run()
    first = at.session_state["race.shown"]
    at.run()
    assert 0 < first < at.session_state["race.shown"]
    at.button(key="race.all").click().run()
    assert at.session_state["race.shown"] == at.session_state["race.steps"]
    assert not at.session_state["race.playing"]


def test_choosing_a_surface_takes_its_start_and_learning_rates():
    at = open_race()
    at.selectbox(key="race.surface").set_value("rosenbrock").run()
    surface = SURFACES["rosenbrock"]
    assert (at.number_input(key="race.x").value, at.number_input(key="race.y").value) == surface.start
    assert at.number_input(key="race.lr.adam").value == surface.rates["adam"]
    assert not at.exception


def test_unticking_every_optimizer_asks_for_one():
    at = open_race()
    for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "nadam"):
        at.checkbox(key=f"race.on.{name}").uncheck()
    at.run()
    assert any("at least one optimizer" in info.value for info in at.info)
