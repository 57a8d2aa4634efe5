"""The 2D playground page: build a network, press Play, watch it learn."""

from __future__ import annotations

import time

import streamlit as st

from engine.core.config import RunConfig
from engine.core.own_data import own_classes, own_point_count
from engine.course.links import playground_config
from engine.export.run_files import RunSettings
from playground import controls, lesson_panel, own_data, take_home, urls, viewer
from playground.classroom import CLASSROOM
from playground.components.live_frame import BOARD_RUN, board_frame, live_texts
from playground.components.live_view import live_view
from playground.components.watchdog import watchdog
from playground.i18n import t
from playground.problems import say
from playground.sessions import SPEEDS, RunSession

PAGE = "playground"
STATE = "playground.session"
PACED = "playground.paced"  # when the page last reran to take a new interval
REPACE_SECONDS = 3.0  # at most that often
# A playing page that received no message for this long (or this many intervals) reruns (components/watchdog.py).
STALL_SECONDS, STALL_INTERVALS = 10.0, 8


def _speed_label(speed: str) -> str:
    return {"1 step": t("playground.speed_1"), "10 steps": t("playground.speed_10"), "100 steps": t("playground.speed_100"),
            "max": t("playground.speed_max")}[speed]


def _session() -> RunSession:
    """This browser session's run; the first visit (or a lesson) takes its settings from the URL."""
    if urls.load_requested(PAGE) or STATE not in st.session_state:  # (the request is always taken)
        config, warnings = playground_config(urls.page_query())
        controls.load_config(config)
        # A board with too few points to train on has no run yet: the session starts on the default data.
        first = config if own_data.ready(config) else config.replace(dataset=RunConfig().dataset, own_points="")
        st.session_state[STATE] = RunSession(first)
        urls.loaded(PAGE, config, warnings)
    return st.session_state[STATE]


def _file_points(config: RunConfig) -> own_data.Upload | None:
    """The points of the sidebar's CSV file, for an uploaded run that trained on such a file (its
    settings hold only the task); None for any other run. Refused when the sidebar does not fit."""
    if config.dataset != own_data.OWN:
        return None
    read = own_data.upload()
    if own_point_count(config.own_points):  # drawn points: the settings hold them, and a file would replace them
        if read is not None:
            raise take_home.Refused(t("takehome.drawn_not_file"))
        return None
    if not isinstance(read, own_data.Upload) or read.n_classes != own_classes(config.own_points):
        raise take_home.Refused(t("takehome.needs_points_file"))
    return read


def _continue(settings: RunSettings, weights: bytes) -> None:
    """Go on from an uploaded run (take_home's Continue, before the page reruns): a new run of its
    settings from its weights, and the settings into the sidebar."""
    config = settings.final_config
    session = RunSession(config, upload=_file_points(config))
    session.start_from(weights, (settings.weights_from or 0) + settings.steps)
    st.session_state[STATE].pause()
    controls.load_config(config)
    st.session_state[STATE] = session


def _toolbar(session: RunSession, board: bool = False) -> tuple[str, bool, bool]:
    """The buttons and view switches (with `board`, own data too few to train on: no run to play)."""
    presenting = viewer.presenting()
    widths = [2.3, 1.6, 1.6, 1.6, 1.3] if presenting else [1.9, 1.55, 1.4, 1.6, 1.6, 1.9]  # Play: its label and key
    play, step, epoch, reset, *rest = st.columns(widths, vertical_alignment="bottom")
    if session.busy:
        play.button(t("playground.pause"), key="pause", icon=":material/pause:", type="primary", width="stretch",
                    on_click=session.pause, shortcut=controls.PLAY_KEY)
    else:
        play.button(t("playground.play"), key="play", icon=":material/play_arrow:", type="primary", width="stretch",
                    on_click=session.play, disabled=session.trainer.finished or board, shortcut=controls.PLAY_KEY)
    step.button(t("playground.step"), key="step", width="stretch", on_click=session.step,
                disabled=session.trainer.finished or board, help=t("playground.step_help"), shortcut=controls.STEP_KEY)
    epoch.button(t("playground.epoch"), key="epoch", width="stretch", disabled=session.trainer.finished or board,
                 on_click=lambda: session.step(session.trainer.steps_per_epoch), help=t("playground.epoch_help"))
    reset.button(t("playground.reset"), key="reset", icon=":material/restart_alt:", width="stretch", on_click=session.reset,
                 disabled=board, help=t("playground.reset_help" if session.trainer.weights_from is None
                                        else "playground.reset_help_uploaded"))
    if presenting:  # secondary controls stay as the student or teacher left them
        return (st.session_state.get("playground.speed", "max"), st.session_state.get("playground.show_test", True),
                st.session_state.get("playground.log_loss", False))
    speed, view = rest
    chosen_speed = speed.select_slider(t("playground.speed"), list(SPEEDS), key="speed", format_func=_speed_label,
                                       value=st.session_state.get("playground.speed", "max"))
    state = st.session_state
    with view:
        show_test = st.toggle(t("playground.show_test"), value=state.get("playground.show_test", True), key="show_test")
        log_loss = st.toggle(t("playground.log_loss"), value=state.get("playground.log_loss", False), key="log_loss")
    state.update({"playground.speed": chosen_speed, "playground.show_test": show_test, "playground.log_loss": log_loss})
    return chosen_speed, show_test, log_loss


def _status(session: RunSession) -> None:
    """Why the run stopped, or what the last change of settings did."""
    if session.trainer.diverged:
        st.error(t("playground.diverged", message=say(session.trainer.problem)))
    elif session.trainer.stopped_early:
        st.info(controls.stopped_early(session.trainer), icon=":material/front_hand:")
    elif session.notice and not viewer.presenting():
        st.info(session.notice)


def page() -> None:
    session = _session()
    own_data.clicked()  # (a whole run takes a click's point anyway)
    config = controls.sidebar()
    # Own data with too few points to train on: the board alone, drawn on (see own_data).
    board = config is not None and not own_data.ready(config)
    if board:
        session.pause()
    elif config is not None:
        read = own_data.upload() if config.dataset == own_data.OWN else None
        session.update(config, read if isinstance(read, own_data.Upload) else None)

    if not viewer.presenting():
        st.title(t("playground.title"))
        st.caption(t("playground.caption"))
    if config is not None:
        urls.follow(PAGE, config, config.to_query())  # the address bar always links to this run
    lesson_panel.show(PAGE, progress=session.trainer.step)

    speed, show_test, log_loss = _toolbar(session, board)
    if config is not None:
        own_data.hint(config)
    if not board:  # (a board has no run yet: the hint above says what it needs)
        _status(session)

    # While busy the fragment reruns every `interval` (less often with a class playing: each
    # message then carries more snapshots); a new interval takes a whole rerun to apply.
    interval = session.interval()
    view = viewer.current()
    if time.monotonic() - st.session_state.get(PACED, 0) > REPACE_SECONDS:  # (not a rerun to take a new interval)
        session.sent.resend()  # a whole run of the page may draw the view anew (coming back to the page)

    watchdog(session.busy, stall=max(STALL_SECONDS, STALL_INTERVALS * interval), key="playground.watchdog")

    on_click = own_data.take_click if config is not None and own_data.drawable(config) else None

    @st.fragment(run_every=interval if session.busy else None)
    def live() -> None:
        if own_data.clicked():  # a point was added: the sidebar, the run and the address bar follow
            st.rerun(scope="app")
        started = time.thread_time()
        if session.busy:
            session.tick(speed)
            if session.trainer.finished or not session.busy:  # diverged, stopped early, or a button's epoch is done
                session.pause()
                st.rerun()
            if session.interval() != interval and time.monotonic() - st.session_state.get(PACED, 0) > REPACE_SECONDS:
                st.session_state[PACED] = time.monotonic()
                st.rerun()
        if session.job is not None:
            st.progress(session.job.fraction, text=t("playground.job_progress", done=session.job.done,
                                                     total=session.job.total))
        if board:
            texts = {**live_texts(view.lang), "start": t("own.chart_start", low=own_data.MIN_OWN_POINTS)}
            frame = board_frame(config, *own_data.board_points(), texts=texts, scale=view.scale, show_test=show_test)
            session.sent.run = BOARD_RUN  # the next run's first message is a full one
        else:
            frame = session.message(interval=interval, texts=live_texts(view.lang), scale=view.scale,
                                    show_test=show_test, log_loss=log_loss)
        live_view(frame, key=own_data.LIVE_KEY, on_click=on_click)
        CLASSROOM.rerun_spent(time.thread_time() - started)

    live()
    points = (session.upload.x, session.upload.y) if session.upload is not None else None  # a CSV file's, for the script
    take_home.panel(PAGE, {} if board else {"": take_home.Run(session.trainer, points)}, busy=session.busy,
                    lock=session.lock, load=None if viewer.presenting() else _continue,
                    image_hint=t("takehome.image_hint_live"))


if __name__ == "__main__":  # Streamlit runs this file as the page
    page()
