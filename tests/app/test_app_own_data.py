"""Your own data on the 2D page, driven by Streamlit's AppTest (no browser): a click is the
live view's trigger in a browser (tests/browser/test_browser_own_data.py); here the drawing is
set as a click sets it, through the page's own `own_data.add_point`."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.core.own_data import decode_points, encode_points, points_csv
from playground import classroom, own_data
from tests.app.frames_util import unpack


@pytest.fixture
def open_2d(open_page, monkeypatch):
    monkeypatch.setattr(classroom, "SHARED", False)
    return lambda query=None, lang=None: open_page("playground", query, lang)


def shown(at: AppTest) -> tuple[dict, dict]:
    """The live view's latest message: its header and arrays."""
    (component,) = [c for c in at.get("bidi_component") if c.proto.id.endswith("playground.live")]
    return unpack(component.proto.bytes)


def points_shown(at: AppTest) -> int:
    _, blobs = shown(at)
    return len(blobs["train_y"]) + len(blobs["test_y"])


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("info", "caption", "error", "warning") for e in at.get(kind))


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


THREE = encode_points(np.array([[-0.5, -0.5], [0.5, 0.5], [0.5, -0.5]]), np.array([0, 1, 1]), "binary")


def test_own_data_is_offered_and_an_empty_board_asks_for_two_points_with_play_off(open_2d):
    at = open_2d({"dataset": "own"})
    assert at.selectbox(key="cfg.dataset").value == "own"
    assert "own" in at.selectbox(key="cfg.dataset").options or "Your own data" in at.selectbox(key="cfg.dataset").options
    assert "Add at least 2 points" in texts(at)
    assert at.button(key="play").disabled and at.button(key="step").disabled
    assert not at.get("slider") or all(s.key != "cfg.noise" for s in at.slider)  # no noise on own data
    header, _ = shown(at)
    assert header["run"] == -1 and header["draw"] is True and points_shown(at) == 0
    assert at.radio(key="own.task").value == "binary"


def test_drawn_points_start_a_run_and_travel_in_the_link(open_2d):
    at = open_2d({"dataset": "own"})
    for x1, x2 in ((-0.5, -0.5), (0.5, 0.5)):
        x, y, _ = decode_points(at.session_state[own_data.BOARD])  # what own_data.add_point does on a click
        at.session_state[own_data.BOARD] = encode_points(np.concatenate([x, [[x1, x2]]]), np.append(y, 1), "binary")
    run(at)
    assert not at.button(key="play").disabled and points_shown(at) == 2
    assert at.query_params["own_points"] == at.session_state[own_data.BOARD]
    header, _ = shown(at)
    assert header["run"] >= 1 and header["draw"] is True


def test_a_link_with_drawn_points_opens_them(open_2d):
    at = open_2d({"dataset": "own", "own_points": THREE})
    assert points_shown(at) == 3 and at.query_params["own_points"] == THREE
    assert "Click on the plane" in texts(at)
    at.button(key="own.clear").click()
    run(at)
    assert points_shown(at) == 0 and at.button(key="play").disabled and "own_points" not in at.query_params


def test_three_class_drawing_offers_three_classes(open_2d):
    at = open_2d({"dataset": "own", "own_points": "m"})
    assert at.radio(key="own.task").value == "multiclass"
    assert at.radio(key="own.class").options == ["0 (orange)", "1 (blue)", "2 (green)"]
    at.radio(key="own.task").set_value("regression")
    run(at)
    assert at.slider(key="own.value").value == 0.5 and at.session_state[own_data.BOARD] == "r"


def test_a_csv_file_runs_says_it_has_no_link_and_keeps_the_drawing_out_of_it(open_2d):
    at = open_2d({"dataset": "own", "own_points": THREE})
    x = np.random.default_rng(0).uniform(-2, 2, size=(40, 2))
    csv = points_csv(x, (x[:, 1] > 0).astype(np.int64)).encode()
    at.file_uploader(key="own.csv").set_value(("mine.csv", csv, "text/csv"))
    run(at)
    assert "a link cannot carry it" in texts(at) and "40 points from" in texts(at)
    assert points_shown(at) == 40 and not at.button(key="play").disabled
    assert "own_points" not in at.query_params  # the link does not pretend to hold the data
    header, _ = shown(at)
    assert "draw" not in header  # a file's points are not drawn on


def test_a_csv_file_with_a_bad_row_is_refused_naming_its_line_and_the_drawing_stays(open_2d):
    at = open_2d({"dataset": "own", "own_points": THREE})
    at.file_uploader(key="own.csv").set_value(("mine.csv", b"x1,x2,label\n0,0,1\n0.5,oops,0\n1,1,0\n", "text/csv"))
    run(at)
    (error,) = at.error
    assert "mine.csv" in error.value and "line 3" in error.value and "oops" in error.value
    assert points_shown(at) == 3 and at.query_params["own_points"] == THREE  # the drawing trains on


def test_a_bad_row_is_named_in_korean_too(open_2d):
    at = open_2d({"dataset": "own"}, lang="ko")
    at.file_uploader(key="own.csv").set_value(("mine.csv", b"0,0,1\n0,0,7\n", "text/csv"))
    run(at)
    (error,) = at.error
    assert "2번째 줄" in error.value and "레이블 (label)" in error.value


def test_switching_the_language_keeps_a_csv_runs_progress(open_2d):
    at = open_2d({"dataset": "own"})
    x = np.random.default_rng(1).uniform(-1, 1, size=(30, 2))
    at.file_uploader(key="own.csv").set_value(("mine.csv", points_csv(x, (x[:, 0] > 0).astype(np.int64)).encode(),
                                                "text/csv"))
    run(at)
    at.button(key="step").click()
    run(at)
    session = at.session_state["playground.session"]
    assert session.trainer.step == 1
    at.session_state["lang"] = "ko"
    run(at)
    assert at.session_state["playground.session"].trainer.step == 1  # the same points, not a new run


def test_scaled_inputs_say_why_clicks_add_nothing_and_do_not_ask_for_clicks(open_2d):
    at = open_2d({"dataset": "own", "input_scale": "10"})
    said = texts(at)
    assert "Clicks add points only with input scale 1" in said
    assert "click on the plane" not in said
