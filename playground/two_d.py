"""The 2D playground page: build a network, press Play, watch it learn."""

from __future__ import annotations

import streamlit as st

from engine.config import RunConfig
from playground import controls
from playground.frames import live_frame
from playground.live_view import live_view
from playground.session import FRAME_SECONDS, SPEEDS, RunSession

STATE = "two_d.session"


def _session() -> RunSession:
    """This browser session's run; the first visit takes its settings from the URL."""
    if STATE not in st.session_state:
        config, warnings = RunConfig.from_query(st.query_params.to_dict())
        controls.load_config(config)
        st.session_state[STATE] = RunSession(config)
        st.session_state["two_d.link_warnings"] = warnings
    return st.session_state[STATE]


def _toolbar(session: RunSession) -> tuple[str, bool, bool]:
    play, step, epoch, reset, speed, view = st.columns([1.1, 1, 1, 1, 2.2, 2.2], vertical_alignment="bottom")
    if session.playing:
        play.button("Pause", key="pause", icon=":material/pause:", type="primary", width="stretch",
                    on_click=lambda: setattr(session, "playing", False))
    else:
        play.button("Play", key="play", icon=":material/play_arrow:", type="primary", width="stretch",
                    on_click=lambda: setattr(session, "playing", True), disabled=session.trainer.diverged)
    step.button("Step", key="step", width="stretch", on_click=session.step, disabled=session.trainer.diverged,
                help="Train on one mini-batch.")
    epoch.button("+1 epoch", key="epoch", width="stretch", disabled=session.trainer.diverged,
                 on_click=lambda: session.step(session.trainer.steps_per_epoch), help="One pass over the training points.")
    reset.button("Reset", key="reset", icon=":material/restart_alt:", width="stretch", on_click=session.reset,
                 help="Back to step 0 with the same starting weights.")
    chosen_speed = speed.select_slider("Speed (steps per frame)", list(SPEEDS), value="max", key="speed")
    with view:
        show_test = st.toggle("Show test points", value=True, key="show_test")
        log_loss = st.toggle("Log-scale loss", value=False, key="log_loss")
    return chosen_speed, show_test, log_loss


def page() -> None:
    session = _session()
    config = controls.sidebar()
    if config is not None:
        if config != session.config:
            st.session_state["two_d.link_warnings"] = []  # the student has moved on from the link
            session.update(config)
        if config.to_query() != st.query_params.to_dict():
            st.query_params.from_dict(config.to_query())  # the address bar always links to this run

    st.title("2D playground")
    st.caption("Pick a dataset and a network in the sidebar, press Play and watch it learn. Learning rate, L2 weight "
               "decay and batch size apply live; any other change restarts the run. The address bar always holds a "
               "link to these exact settings.")
    for warning in st.session_state["two_d.link_warnings"]:
        st.warning(f"Link: {warning}")

    speed, show_test, log_loss = _toolbar(session)
    if session.trainer.diverged:
        st.error(f"**The run diverged.** {session.trainer.message} Lower the learning rate in the sidebar and the "
                 "run starts again; an adaptive optimizer such as Adam, or standardised inputs, also help.")
    elif session.notice:
        st.info(session.notice)

    @st.fragment(run_every=FRAME_SECONDS if session.playing else None)
    def live() -> None:
        if session.playing:
            session.tick(speed)
            if session.trainer.diverged:
                session.playing = False
                st.rerun()
        live_view(live_frame(session.trainer, show_test=show_test, log_loss=log_loss), key="two_d.live")

    live()
