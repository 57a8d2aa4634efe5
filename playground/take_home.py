"""Take it home: a run as files a student keeps, and back.

    take_home.panel("playground", {"": take_home.Run(session.trainer)}, busy=session.busy, lock=session.lock,
                    load=_continue)

The panel (a collapsed expander below a page's live view) offers the code (a standalone PyTorch
script that trains the run again, engine.export.script), the settings (JSON, with every live
change), the weights (safetensors), the history (CSV) and, for a run on points uploaded as a CSV
file, those points (CSV, which the script reads); and, where the page gives a `load`, an upload
of saved settings and weights to go on from (checked by engine.export.run_files: nothing is
unpickled).

A class shares the server, so the panel costs nothing until it is asked: its contents run only
while it is open (the expander reruns the page when it opens or closes), the code is built only
while "Show the code" is on, and each file is built when its button is clicked (a download
button's callable `data`, which Streamlit runs on the click). It is drawn outside the live
fragment, so a playing page's ticks never rerun it. A playing run's files would be out of date
by the time they arrive: the panel asks to pause first.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
import streamlit as st

from engine.core.own_data import points_csv
from engine.core.problems import EngineError
from engine.core.trainer import Trainer
from engine.export.run_files import (
    MAX_SETTINGS_BYTES,
    MAX_WEIGHTS_BYTES,
    RunSettings,
    file_stem,
    history_csv,
    read_settings,
    settings_json,
    weights_bytes,
)
from engine.export.script import START_WEIGHTS, script_for
from playground import viewer
from playground.i18n import t
from playground.problems import say

# A page's way to go on from an uploaded run: take the settings (into its widgets and a new run)
# and load the weights; raises EngineError (ConfigError, MnistError) or Refused saying why it cannot.
Load = Callable[[RunSettings, bytes], None]


class Refused(Exception):
    """A page cannot go on from an uploaded run; the message, in the page's language, says why."""


@dataclass(frozen=True)
class Run:
    """A run the panel offers: its trainer, and for a run on points uploaded as a CSV file (which
    its config does not hold) those points, x (n, 2) and their targets, offered beside the script."""

    trainer: Trainer
    points: tuple[np.ndarray, np.ndarray] | None = None


LOG = logging.getLogger(__name__)
MEGABYTE = 1024 * 1024
CODE_HEIGHT = 560  # pixels: the script (a few hundred lines) scrolls inside the panel


def _key(page: str, name: str) -> str:
    return f"takehome.{page}.{name}"


def panel(page: str, runs: Mapping[str, Run], *, busy: bool, lock: AbstractContextManager | None = None,
          load: Load | None = None, images: bool = False, image_hint: str = "") -> None:
    """The "Take it home" expander of `page`: the code and files of one of `runs` (by label; with
    more than one the student picks; with none the page has no run to offer), and with `load` the
    upload of a saved run (a 2D run, or an MNIST one with `images`). `lock` is held while a trainer
    is read (a shared trainer thread may train it); `busy` says the run is playing, and its files
    would be stale."""
    box = st.expander(t("takehome.title"), icon=":material/download:", key=_key(page, "open"), on_change="rerun")
    if not box.open:
        return
    lock = lock or nullcontext()
    with box:
        st.caption(t("takehome.intro"))
        if busy:
            st.info(t("takehome.stop_first" if images else "takehome.pause_first"), icon=":material/pause:")
        elif runs:
            label = next(iter(runs))
            if len(runs) > 1:
                label = st.columns([1, 2])[0].selectbox(t("takehome.which_run"), list(runs), key=_key(page, "run"))
            _code_and_files(page, runs[label], lock, image_hint)
        if load is not None:
            _upload(page, load, images)


def _code_and_files(page: str, run: Run, lock: AbstractContextManager, image_hint: str) -> None:
    """The run's files, each built when its button is clicked, and its code when asked."""
    trainer = run.trainer
    with lock:
        stem, weights_from = file_stem(trainer), trainer.weights_from
    if weights_from is not None:
        st.success(t("takehome.continuing", steps=weights_from), icon=":material/upload:")

    def locked(build: Callable[[Trainer], str | bytes]) -> Callable[[], str | bytes]:
        def built() -> str | bytes:
            with lock:
                return build(trainer)
        return built

    # Without the step: a script downloaded later still finds the points file saved earlier.
    points_name = f"{trainer.config.dataset}-points.csv" if run.points is not None else None

    def script(trainer: Trainer) -> str:
        return script_for(trainer, points_csv_name=points_name)

    files = [("script", script, "run.py", "text/x-python", ":material/code:"),
             ("settings", settings_json, f"{stem}-settings.json", "application/json", ":material/tune:"),
             ("weights", weights_bytes, f"{stem}.safetensors", "application/octet-stream", ":material/neurology:"),
             ("history", history_csv, f"{stem}-history.csv", "text/csv", ":material/show_chart:")]
    if run.points is not None:
        x, y = run.points
        files.append(("points", lambda _: points_csv(x, y), points_name, "text/csv", ":material/scatter_plot:"))
    for column, (what, build, name, mime, icon) in zip(st.columns(len(files)), files):
        column.download_button(t(f"takehome.{what}"), locked(build), file_name=name, mime=mime, icon=icon,
                               on_click="ignore", key=_key(page, f"download.{what}"), width="stretch")
    notes = [t("takehome.script_note"), t("takehome.script_note_points") if points_name else "",
             t("takehome.script_note_start", file=START_WEIGHTS) if weights_from is not None else "", image_hint]
    st.caption(" ".join(note for note in notes if note))
    if st.toggle(t("takehome.show_code"), key=_key(page, "show_code"), help=t("takehome.show_code_help")):
        # Presenter mode's larger text would push long lines out of sight: they wrap there.
        st.code(locked(script)(), language="python", height=CODE_HEIGHT, wrap_lines=viewer.presenting())


def _megabytes(limit: int) -> int:
    return max(1, math.ceil(limit / MEGABYTE))


def _upload(page: str, load: Load, images: bool) -> None:
    """Two uploaders (settings, weights) and a button that takes them; a problem is said in the
    page's language below the button, and the uploaders empty once a run was taken."""
    st.divider()
    st.markdown(f"**{t('takehome.upload_title')}**")
    st.caption(t("takehome.upload_intro"))
    generation = st.session_state.get(_key(page, "uploads"), 0)  # a new one empties the uploaders
    settings_key, weights_key = _key(page, f"settings_file.{generation}"), _key(page, f"weights_file.{generation}")
    left, right = st.columns(2)
    settings_file = left.file_uploader(t("takehome.settings_file"), type=["json"], key=settings_key,
                                       max_upload_size=_megabytes(MAX_SETTINGS_BYTES))
    weights_file = right.file_uploader(t("takehome.weights_file"), type=["safetensors"], key=weights_key,
                                       max_upload_size=_megabytes(MAX_WEIGHTS_BYTES))
    st.button(t("takehome.continue"), key=_key(page, "continue"), icon=":material/play_circle:",
              disabled=settings_file is None or weights_file is None, on_click=_take,
              args=(page, load, images, settings_key, weights_key))
    problem = st.session_state.pop(_key(page, "problem"), None)
    if problem:
        st.error(problem, icon=":material/error:")


def _take(page: str, load: Load, images: bool, settings_key: str, weights_key: str) -> None:
    """The Continue button: check the uploads, then hand them to the page (before it reruns)."""
    state = st.session_state
    settings_file, weights_file = state.get(settings_key), state.get(weights_key)
    problem = None
    if settings_file is None or weights_file is None:
        problem = t("takehome.need_both")
    elif settings_file.size > MAX_SETTINGS_BYTES or weights_file.size > MAX_WEIGHTS_BYTES:
        big, limit = ((settings_file, MAX_SETTINGS_BYTES) if settings_file.size > MAX_SETTINGS_BYTES
                      else (weights_file, MAX_WEIGHTS_BYTES))
        problem = t("takehome.too_big", name=say(big.name), size=big.size, limit=limit)
    else:
        try:
            settings = read_settings(settings_file.getvalue())
            if settings.config.images != images:
                problem = t("takehome.for_mnist" if settings.config.images else "takehome.for_2d")
            else:
                load(settings, weights_file.getvalue())
        except EngineError as error:
            problem = t("takehome.cannot_load", error=say(error))
        except Refused as refused:
            problem = str(refused)
        except Exception:  # a file no check foresaw: said plainly on the page, the details in the server's console
            LOG.exception("an uploaded run could not be loaded")
            problem = t("takehome.cannot_load", error=t("takehome.unforeseen"))
    if problem:
        state[_key(page, "problem")] = problem
    else:
        state[_key(page, "uploads")] = state.get(_key(page, "uploads"), 0) + 1
