"""Your own data on the 2D page: points drawn by clicking on the plane, or a CSV file.

The drawing (the board) is kept in session state under the config's own key, `cfg.own_points`,
in its compact text form (engine.core.own_data): a link's drawing loads like any setting. The run
takes it once it has `MIN_OWN_POINTS`; with fewer there is nothing to train, and the page shows
the board alone (`ready` is False). The board's letter is the task the sidebar's picker shows.

An uploaded CSV file replaces the drawing while it is in the uploader and can be read: the run
then takes the file's points (`Upload`, read once per file and task) and its config only the
task's letter, so its link does not pretend to carry the data (the page says so, `not_linkable`).
A file that cannot be used changes nothing but the sidebar's message saying why.

Clicks add points only where the plane shows them as drawn: own data, no file, input scale 1 and
no standardisation (`drawable`). The live view sends a click as its `click` trigger ({x1, x2}
on the plane); `take_click` adds the point and asks the whole page to run again (the live view
is in a fragment, the sidebar and the address bar are not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from engine.core.config import RunConfig
from engine.core.datasets import BINARY, MAX_POINTS, OWN, REGRESSION, TASKS, task_of
from engine.core.own_data import (
    LETTERS,
    MAX_OWN_POINTS,
    MIN_OWN_POINTS,
    TASK_LETTERS,
    decode_points,
    encode_points,
    own_point_count,
    read_points_csv,
)
from engine.core.problems import ConfigError
from playground.i18n import current_language, t
from playground.problems import say

BOARD = "cfg.own_points"  # the drawing: the config field's widget key (controls.key("own_points"))
TASK, CLASS, VALUE, UPLOAD = "own.task", "own.class", "own.value", "own.csv"
READ = "own.csv_read"  # the uploaded file as read: ((file id, task), Upload or the message why not)
CLICKED = "own.clicked"  # a click added a point: the whole page runs again
FULL = "own.full"  # a click found the board full
LIVE_KEY = "playground.live"  # the live view's key: its `click` trigger is read from session state
MAX_CSV_BYTES = 400_000  # 5,000 rows of three full-precision numbers take about 300 kB


@dataclass(frozen=True, eq=False)
class Upload:
    """An uploaded CSV file's points, as read for a task; `file_id` tells one upload from another."""

    name: str
    file_id: str
    x: np.ndarray
    y: np.ndarray
    n_classes: int


def board() -> str:
    """The drawing's text form, with its task's letter even when empty ("b": two classes, none drawn)."""
    text = st.session_state.get(BOARD) or ""
    return text if text[:1] in LETTERS else TASK_LETTERS[BINARY]


def board_points() -> tuple[np.ndarray, np.ndarray, int]:
    """The drawn points: x (n, 2), targets, and the classes (0: values)."""
    try:
        return decode_points(board())
    except ConfigError:  # (a link's broken drawing never reaches the config; the board then starts empty)
        st.session_state[BOARD] = TASK_LETTERS[BINARY]
        return decode_points(TASK_LETTERS[BINARY])


def task() -> str:
    """The board's task: "binary", "multiclass" or "regression"."""
    return task_of(LETTERS[board()[:1]])


def config_points(dataset: str) -> str:
    """What of the board the run's config takes: nothing on another dataset, the task alone while a
    file is used or fewer than `MIN_OWN_POINTS` are drawn, else the whole drawing. (A file that
    cannot be used changes nothing: the sidebar says why.)"""
    if dataset != OWN:
        return ""
    text = board()
    if isinstance(upload(), Upload) or own_point_count(text) < MIN_OWN_POINTS:
        return "" if text[:1] == TASK_LETTERS[BINARY] else text[:1]  # (two classes go without saying)
    return text


def upload() -> Upload | str | None:
    """The uploaded file's points for the board's task (read once per file and task), the message
    saying why it cannot be used, or None when no file is uploaded."""
    file = st.session_state.get(UPLOAD)
    if file is None:
        return None
    wanted, lang = (file.file_id, task()), current_language()
    kept = st.session_state.get(READ)
    # The same points in any language (a new object would restart the run); a message is said in the page's.
    if kept is not None and kept[0] == wanted and (isinstance(kept[2], Upload) or kept[1] == lang):
        return kept[2]
    st.session_state[READ] = (wanted, lang, _read(file))
    return st.session_state[READ][2]


def _read(file: UploadedFile) -> Upload | str:
    name = file.name
    if file.size > MAX_CSV_BYTES:
        return t("own.csv_too_big", kb=round(file.size / 1000), high=MAX_CSV_BYTES // 1000)
    try:
        text = file.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        return t("own.csv_not_text")
    try:
        x, y = read_points_csv(text, task())
    except ConfigError as error:
        return t("own.csv_problem", name=say(name), error=say(error))
    return Upload(name, file.file_id, x, y, LETTERS[board()[:1]])


def ready(config: RunConfig) -> bool:
    """True if `config` has data to train on: generated, drawn (at least `MIN_OWN_POINTS`) or uploaded."""
    if config.dataset != OWN:
        return True
    return isinstance(upload(), Upload) or own_point_count(config.own_points) >= MIN_OWN_POINTS


def drawable(config: RunConfig) -> bool:
    """True if a click on the plane adds a point: own data drawn (no file in use), shown as drawn."""
    return (config.dataset == OWN and not isinstance(upload(), Upload) and config.input_scale == 1.0
            and not config.standardize)


def _take_task() -> None:
    st.session_state[BOARD] = TASK_LETTERS[st.session_state[TASK]]  # a new task: a clean board
    st.session_state.pop(CLASS, None)


def _clear() -> None:
    st.session_state[BOARD] = board()[:1]


def panel() -> None:
    """The sidebar's own-data widgets (own data chosen): the task, what a click adds, Clear, the
    count, and a CSV file uploader (with its problem, if it cannot be used)."""
    state = st.session_state
    state[BOARD] = board()  # (with its task's letter, even empty)
    state[TASK] = task()  # the board's task (a link's, or the last chosen)
    # (format functions as snapshots of this run's words: AppTest calls them again outside the run)
    st.radio(t("own.task"), list(TASKS), key=TASK, on_change=_take_task, horizontal=True,
             format_func={name: t(f"own.task_{name}") for name in TASKS}.get, help=t("own.task_help"))
    x, _, n_classes = board_points()
    if n_classes:
        if state.get(CLASS, 0) >= n_classes:
            state[CLASS] = 0
        st.radio(t("own.class"), list(range(n_classes)), key=CLASS, horizontal=True,
                 format_func={n: t(f"own.class_{n}") for n in range(n_classes)}.get)
    else:
        st.slider(t("own.value"), -1.0, 1.0, 0.5, step=0.1, key=VALUE, help=t("own.value_help"))
    st.caption(t("own.count", count=len(x), high=MAX_OWN_POINTS))
    st.button(t("own.clear"), key="own.clear", icon=":material/delete_sweep:", on_click=_clear, disabled=not len(x),
              help=t("own.clear_help"), width="stretch")
    if state.pop(FULL, False):
        st.warning(t("own.full", high=MAX_OWN_POINTS))
    st.file_uploader(t("own.csv"), type=["csv"], key=UPLOAD, max_upload_size=MAX_CSV_BYTES // 1_000_000 or 1,
                     help=t("own.csv_help", rows=f"{MAX_POINTS:,}", kb=MAX_CSV_BYTES // 1000))
    read = upload()
    if isinstance(read, str):
        st.error(read)
    elif read is not None:
        st.caption(t("own.csv_loaded", count=f"{len(read.y):,}", name=say(read.name)))


def add_point(x1: float, x2: float) -> bool:
    """Add a point at (x1, x2), clamped to the square, of the class or value the sidebar chose;
    False if the board is full."""
    x, y, n_classes = board_points()
    if len(x) >= MAX_OWN_POINTS:
        st.session_state[FULL] = True
        return False
    target = st.session_state.get(VALUE, 0.5) if n_classes == 0 else min(st.session_state.get(CLASS, 0), n_classes - 1)
    point = np.clip([[x1, x2]], -1.0, 1.0)
    st.session_state[BOARD] = encode_points(np.concatenate([x, point]), np.append(y, target), task_of(n_classes))
    return True


def take_click() -> None:
    """The live view's `click` callback: add the point clicked (numbers only, anything else ignored)."""
    click = (st.session_state.get(LIVE_KEY) or {}).get("click")
    try:
        x1, x2 = float(click["x1"]), float(click["x2"])
    except (TypeError, KeyError, ValueError):
        return
    if np.isfinite([x1, x2]).all():
        add_point(x1, x2)
        st.session_state[CLICKED] = True


def clicked() -> bool:
    """True once after a click added a point (or found the board full): the page must run again whole."""
    return bool(st.session_state.pop(CLICKED, False))


def hint(config: RunConfig) -> None:
    """What the page says above the plane of a run on own data: how to draw, how many points a run
    needs, why clicks add nothing (a file, scaled inputs), that a file's run has no link."""
    if config.dataset != OWN:
        return
    read = upload()
    if isinstance(read, Upload):
        st.info(t("own.not_linkable"), icon=":material/link_off:")
        st.caption(t("own.csv_not_drawn"))
        return
    if not drawable(config):
        st.caption(t("own.no_drawing_scaled"))
    elif own_point_count(config.own_points) >= MIN_OWN_POINTS:
        st.caption(t("own.hint_draw_value" if task() == REGRESSION else "own.hint_draw"))
    if not ready(config) and drawable(config):  # (not drawable: the caption above says why clicks add nothing)
        st.info(t("own.hint_more", low=MIN_OWN_POINTS), icon=":material/touch_app:")
