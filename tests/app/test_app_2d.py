"""The 2D page, driven by Streamlit's AppTest (no browser).

Most tests train in the page's own ticks (the shared trainer off), so that each run of the
page trains what it trains there; the last ones play with the class's shared trainer."""

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from playground import classroom
from playground.views.playground import STALL_SECONDS, STATE
from tests.app.frames_util import unpack


@pytest.fixture
def open_2d(open_page, monkeypatch):
    """The 2D page, opened from a link with `query` (if any), training in its own ticks."""
    monkeypatch.setattr(classroom, "SHARED", False)
    return lambda query=None: open_page("playground", query)


def shown(at: AppTest) -> dict:
    """The live view's latest message header, as the browser receives it."""
    (component,) = [c for c in at.get("bidi_component") if c.proto.id.endswith("playground.live")]
    header, _ = unpack(component.proto.bytes)
    return header


def newest(at: AppTest) -> dict:
    """The newest snapshot of the run the page sent."""
    return shown(at)["snapshots"][-1]


def click(at: AppTest, key: str) -> None:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_page_renders_the_live_view_at_step_zero(open_2d):
    at = open_2d()
    (watch,) = [c for c in at.get("bidi_component") if c.proto.id.endswith("playground.watchdog")]
    assert json.loads(watch.proto.json) == {"playing": False, "stall": STALL_SECONDS}  # watching only while playing
    status = newest(at)
    assert status["step"] == 0 and status["train_loss"] > 0
    assert at.button(key="play") and at.button(key="step") and at.button(key="reset")


def test_step_advances_the_counter_and_changes_the_loss(open_2d):
    at = open_2d()
    before = newest(at)
    click(at, "step")
    after = newest(at)
    assert after["step"] == 1 and after["train_loss"] != before["train_loss"]
    click(at, "epoch")
    assert newest(at)["step"] == 1 + 10  # 100 training points, batch 10


def test_play_trains_on_each_tick_until_pause(open_2d):
    at = open_2d()
    click(at, "play")
    first = newest(at)["step"]
    at.run()  # AppTest runs the fragment once per run: one tick
    assert newest(at)["step"] > first > 0
    click(at, "pause")
    paused = newest(at)["step"]
    at.run()
    assert newest(at)["step"] == paused


def test_changing_the_dataset_restarts_the_run_and_says_so(open_2d):
    at = open_2d()
    click(at, "epoch")
    at.selectbox(key="cfg.dataset").set_value("circle").run()
    assert newest(at)["step"] == 0
    assert any("Dataset" in info.value and "restarted" in info.value for info in at.info)
    assert at.query_params["dataset"] == "circle"


def test_learning_rate_applies_live_without_restarting(open_2d):
    at = open_2d()
    click(at, "epoch")
    at.select_slider(key="cfg.learning_rate").set_value(0.1).run()
    assert newest(at)["step"] == 10
    assert any("applied live" in info.value for info in at.info)


def test_changing_the_optimizer_takes_its_default_learning_rate(open_2d):
    at = open_2d()
    at.selectbox(key="cfg.optimizer").set_value("sgd").run()
    assert at.select_slider(key="cfg.learning_rate").value == 0.1


def test_a_diverging_run_shows_the_banner_and_disables_play(open_2d):
    at = open_2d({"hidden_sizes": "8,8,8", "activation": "linear", "optimizer": "sgd", "learning_rate": "50"})
    click(at, "epoch")
    assert newest(at)["diverged"] is True
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
    assert newest(first)["step"] == 10 and newest(second)["step"] == 0


@pytest.fixture
def open_shared(open_page, monkeypatch):
    """The 2D page with the class's shared trainer (its own, for this test)."""
    monkeypatch.setattr(classroom, "SHARED", True)
    monkeypatch.setattr(classroom, "CLASSROOM", classroom.Classroom())
    return lambda query=None: open_page("playground", query)


def wait_for_step(at: AppTest, above: int, seconds: float = 60) -> dict:
    """Rerun the page (as its ticks do) until its newest snapshot is past step `above`."""
    deadline = time.monotonic() + seconds
    while newest(at)["step"] <= above:
        assert time.monotonic() < deadline, f"still at step {newest(at)['step']}"
        time.sleep(0.05)
        at.run()
    return shown(at)


def test_with_the_shared_trainer_play_trains_in_the_background_and_messages_carry_snapshots(open_shared):
    at = open_shared()
    click(at, "play")
    header = wait_for_step(at, 50)
    assert header["playing"] is True and header["interval"] == classroom.RERUN_INTERVALS[0]
    steps = [s["step"] for s in header["snapshots"]]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    click(at, "pause")
    paused = newest(at)
    assert shown(at)["playing"] is False
    time.sleep(0.3)
    at.run()
    assert newest(at)["step"] == paused["step"]  # nothing trains once paused


def test_with_the_shared_trainer_an_epoch_button_trains_exactly_an_epoch(open_shared):
    at = open_shared()
    click(at, "epoch")
    wait_for_step(at, 9)
    at.run()
    assert newest(at)["step"] == 10 and not shown(at)["playing"]


OVERFITS = {"dataset": "circle", "n_points": "40", "noise": "0.5", "hidden_sizes": "32,32"}  # 20 noisy training points


def test_early_stopping_from_the_sidebar_stops_the_run_says_where_and_marks_the_curves(open_2d):
    at = open_2d(OVERFITS)
    at.number_input(key="cfg.early_stopping").set_value(20).run()
    assert at.query_params["early_stopping"] == "20"  # the link carries it
    for _ in range(100):  # an epoch is 2 steps: train until the run stops itself
        if at.button(key="epoch").disabled:
            break
        click(at, "epoch")
    trainer = at.session_state[STATE].trainer
    stop = shown(at)["stop"]
    assert stop is not None and stop["step"] - stop["best_step"] >= 40  # 20 epochs of 2 steps
    assert at.button(key="play").disabled and at.button(key="step").disabled
    (note,) = [info.value for info in at.info if "Early stopping" in info.value]
    assert f"stopped at step {stop['step']}" in note and f"at step {stop['best_step']}" in note
    assert trainer.stopped_at == stop["step"] and trainer.step == stop["step"]
    click(at, "reset")
    assert shown(at)["stop"] is None and not at.button(key="play").disabled
