"""The Compare page, driven by Streamlit's AppTest (no browser)."""

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "playground" / "app.py")


def open_compare(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    at.switch_page("views/compare.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def comparison(at: AppTest):
    return at.session_state["compare.comparison"]


def test_compare_opens_with_sigmoid_against_relu_and_every_chart():
    at = open_compare()
    assert comparison(at).labels == ["activation = sigmoid", "activation = relu"]
    keys = {chart.key for chart in at.get("plotly_chart")}
    assert {"compare.boundary.activation = sigmoid", "compare.boundary.activation = relu", "compare.loss",
            "compare.gradients.activation = sigmoid", "compare.gradients.activation = relu"} <= keys


def test_step_and_epoch_move_every_run_together():
    at = open_compare()
    at.button(key="compare.step").click().run()
    at.button(key="compare.epoch").click().run()
    assert [run.step for run in comparison(at).runs] == [11, 11]
    at.button(key="compare.reset").click().run()
    assert [run.step for run in comparison(at).runs] == [0, 0]


def test_play_trains_all_runs_in_lock_step_on_each_tick():
    at = open_compare()
    at.button(key="compare.play").click().run()
    at.run()
    steps = [run.step for run in comparison(at).runs]
    assert steps[0] > 0 and len(set(steps)) == 1


def test_choosing_what_to_vary_rebuilds_the_runs():
    at = open_compare()
    at.selectbox(key="compare.field").set_value("optimizer").run()
    at.multiselect(key="compare.values").set_value(["sgd", "momentum", "adam"]).run()
    assert [run.config.optimizer for run in comparison(at).runs] == ["sgd", "momentum", "adam"]
    assert not at.exception


def test_one_value_is_not_a_comparison_and_says_so():
    at = open_compare()
    at.multiselect(key="compare.values").set_value(["relu"]).run()
    assert any("2 to 4" in error.value for error in at.error)


def test_base_settings_come_from_the_sidebar_and_the_link():
    at = open_compare({"dataset": "spirals", "hidden_sizes": "8,8"})
    assert all(run.config.dataset == "spirals" and run.config.hidden_sizes == (8, 8) for run in comparison(at).runs)


def test_several_seeds_per_run_show_their_spread():
    at = open_compare()
    at.select_slider(key="compare.seeds").set_value(8).run()
    at.button(key="compare.epoch").click().run()
    assert [s.n_seeds for s in comparison(at).seed_runs] == [8, 8]
    assert [s.step for s in comparison(at).seed_runs] == [10, 10]
    assert not at.exception
    assert "compare.seeds_band" in {chart.key for chart in at.get("plotly_chart")}


def test_varying_a_setting_offers_the_base_value_even_when_unusual():
    at = open_compare({"hidden_sizes": "5,3"})
    at.selectbox(key="compare.field").set_value("hidden_sizes").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [run.config.hidden_sizes for run in comparison(at).runs] == [(5, 3), ()]
