"""The 2D page, driven by Streamlit's AppTest (no browser)."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.frames_util import unpack


@pytest.fixture
def open_2d(open_page):
    """The 2D page, opened from a link with `query` (if any)."""
    return lambda query=None: open_page("playground", query)


def shown(at: AppTest) -> dict:
    """The live view's current frame header, as the browser receives it."""
    (component,) = at.get("bidi_component")
    header, _ = unpack(component.proto.bytes)
    return header


def click(at: AppTest, key: str) -> None:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_page_renders_the_live_view_at_step_zero(open_2d):
    at = open_2d()
    status = shown(at)["status"]
    assert status["step"] == 0 and status["train_loss"] > 0
    assert at.button(key="play") and at.button(key="step") and at.button(key="reset")


def test_step_advances_the_counter_and_changes_the_loss(open_2d):
    at = open_2d()
    before = shown(at)["status"]
    click(at, "step")
    after = shown(at)["status"]
    assert after["step"] == 1 and after["train_loss"] != before["train_loss"]
    click(at, "epoch")
    assert shown(at)["status"]["step"] == 1 + 10  # 100 training points, batch 10


def test_play_trains_on_each_tick_until_pause(open_2d):
    at = open_2d()
    click(at, "play")
    first = shown(at)["status"]["step"]
    at.run()  # AppTest runs the fragment once per run: one tick
    assert shown(at)["status"]["step"] > first > 0
    click(at, "pause")
    paused = shown(at)["status"]["step"]
    at.run()
    assert shown(at)["status"]["step"] == paused


def test_changing_the_dataset_restarts_the_run_and_says_so(open_2d):
    at = open_2d()
    click(at, "epoch")
    at.selectbox(key="cfg.dataset").set_value("circle").run()
    assert shown(at)["status"]["step"] == 0
    assert any("Dataset" in info.value and "restarted" in info.value for info in at.info)
    assert at.query_params["dataset"] == "circle"


def test_learning_rate_applies_live_without_restarting(open_2d):
    at = open_2d()
    click(at, "epoch")
    at.select_slider(key="cfg.learning_rate").set_value(0.1).run()
    assert shown(at)["status"]["step"] == 10
    assert any("applied live" in info.value for info in at.info)


def test_changing_the_optimizer_takes_its_default_learning_rate(open_2d):
    at = open_2d()
    at.selectbox(key="cfg.optimizer").set_value("sgd").run()
    assert at.select_slider(key="cfg.learning_rate").value == 0.1


def test_a_diverging_run_shows_the_banner_and_disables_play(open_2d):
    at = open_2d({"hidden_sizes": "8,8,8", "activation": "linear", "optimizer": "sgd", "learning_rate": "50"})
    click(at, "epoch")
    assert shown(at)["status"]["diverged"] is True
    assert any("diverged" in error.value and "learning rate" in error.value for error in at.error)
    assert at.button(key="play").disabled


def test_query_parameters_restore_the_configuration(open_2d):
    at = open_2d({"dataset": "spirals", "hidden_sizes": "8,6,4", "activation": "relu", "optimizer": "momentum",
                    "learning_rate": "0.03", "batch_size": "full", "seed": "7", "standardize": "1"})
    assert at.selectbox(key="cfg.dataset").value == "spirals"
    assert at.number_input(key="cfg.layers").value == 3
    assert [at.number_input(key=f"cfg.width.{i}").value for i in range(3)] == [8, 6, 4]
    assert at.selectbox(key="cfg.activation").value == "relu"
    assert at.select_slider(key="cfg.learning_rate").value == 0.03
    assert at.select_slider(key="cfg.batch_size").value == "full"
    assert at.number_input(key="cfg.seed").value == 7 and at.toggle(key="cfg.standardize").value is True
    assert shown(at)["network"]["hidden"] == [8, 6, 4]
    assert not at.warning


@pytest.mark.parametrize("query, mentions", [({"activation": "swish"}, "swish"), ({"learning_rate": "-1"}, "learning_rate"),
                                             ({"hidden_sizes": "4,banana"}, "hidden_sizes"), ({"zoom": "3"}, "zoom")])
def test_bad_link_values_open_with_defaults_and_a_warning(open_2d, query, mentions):
    at = open_2d({"dataset": "moons", **query})
    assert at.selectbox(key="cfg.dataset").value == "moons"
    assert any(mentions in warning.value for warning in at.warning)


def test_the_address_follows_the_settings(open_2d):
    at = open_2d()
    at.number_input(key="cfg.layers").set_value(3).run()
    assert at.query_params["hidden_sizes"] == "4,4,4"
    at.number_input(key="cfg.layers").set_value(0).run()
    assert at.query_params["hidden_sizes"] == ""
    assert shown(at)["network"]["shown"] == [2, 1]


def test_sessions_do_not_share_a_run(open_2d):
    first, second = open_2d(), open_2d()
    click(first, "epoch")
    second.run()
    assert shown(first)["status"]["step"] == 10 and shown(second)["status"]["step"] == 0
