"""The optimizer race: SGD, Momentum, NAG, Adagrad, RMSProp, AdaDelta, Adam and Nadam on
classic loss surfaces, drawn step by step."""

from __future__ import annotations

import math

import streamlit as st

from engine.optimizers import OPTIMIZERS
from engine.race import SURFACES, race, surface_grid
from playground import figures, labels

TICK_SECONDS = 0.15
FRAMES = 30  # an animation shows the whole race in about this many frames (Plotly redraws cost ~0.3 s)


@st.cache_data(show_spinner=False)
def _grid(surface: str) -> tuple:
    return surface_grid(surface, 100)


@st.cache_data(show_spinner="Racing (long races take a few seconds)...", max_entries=64)
def _race(surface: str, rates: tuple[tuple[str, float], ...], start: tuple[float, float], steps: int) -> dict:
    return race(surface, dict(rates), start, steps)


def _reset_for(surface: str) -> None:
    chosen = SURFACES[surface]
    st.session_state.update({"race.x": float(chosen.start[0]), "race.y": float(chosen.start[1]), "race.steps": chosen.steps,
                             "race.shown": 0, "race.playing": False})
    for name in OPTIMIZERS:
        st.session_state[f"race.on.{name}"] = name in chosen.rates
        st.session_state[f"race.lr.{name}"] = float(chosen.rates.get(name, OPTIMIZERS[name].default_lr))


def page() -> None:
    state = st.session_state
    if "race.surface" not in state:
        state["race.surface"] = "ill_conditioned"
        _reset_for("ill_conditioned")
    with st.sidebar:
        surface_name = st.selectbox("Loss surface", list(SURFACES), key="race.surface",
                                    format_func=lambda name: SURFACES[name].title,
                                    on_change=lambda: _reset_for(state["race.surface"]))
        surface = SURFACES[surface_name]
        st.caption("Start point (or click on the plot)")
        (x_low, x_high), (y_low, y_high) = surface.bounds
        left, right = st.columns(2)
        left.number_input("x", x_low, x_high, step=0.1, key="race.x", format="%.2f")
        right.number_input("y", y_low, y_high, step=0.1, key="race.y", format="%.2f")
        st.slider("Steps", 10, 1000, step=10, key="race.steps")
        st.subheader("Optimizers and learning rates")
        for name in OPTIMIZERS:
            on, rate = st.columns([1.2, 1])
            on.checkbox(labels.OPTIMIZERS[name], key=f"race.on.{name}")
            rate.number_input("lr", 1e-5, 100.0, key=f"race.lr.{name}", format="%.4g", label_visibility="collapsed",
                              disabled=not state[f"race.on.{name}"])
        st.button("Back to this surface's defaults", on_click=lambda: _reset_for(surface_name))

    st.title("Optimizer race")
    st.caption(surface.story)
    rates = tuple((name, float(state[f"race.lr.{name}"])) for name in OPTIMIZERS if state[f"race.on.{name}"])
    if not rates:
        st.info("Tick at least one optimizer in the sidebar.")
        return
    try:
        trajectories = _race(surface_name, rates, (float(state["race.x"]), float(state["race.y"])), int(state["race.steps"]))
    except ValueError as error:
        st.error(f"This race cannot run: {error}")
        return
    steps = int(state["race.steps"])
    playing = state.get("race.playing", False)
    play, show_all, restart, _ = st.columns([1, 1, 1, 3])
    play.button("Pause" if playing else "Play", key="race.play", type="primary", width="stretch",
                icon=":material/pause:" if playing else ":material/play_arrow:",
                on_click=lambda: state.update({"race.playing": not playing,
                                               "race.shown": 0 if state["race.shown"] >= steps else state["race.shown"]}))
    show_all.button("Show all steps", key="race.all", width="stretch",
                    on_click=lambda: state.update({"race.shown": steps, "race.playing": False}))
    restart.button("Restart", key="race.restart", icon=":material/restart_alt:", width="stretch",
                   on_click=lambda: state.update({"race.shown": 0, "race.playing": False}))
    diverged = [labels.OPTIMIZERS[name] for name, t in trajectories.items() if t.diverged]
    if diverged:
        st.warning(f"Blew up (learning rate too large here): {', '.join(diverged)}. Their paths stop where they left.")

    @st.fragment(run_every=TICK_SECONDS if playing else None)
    def live() -> None:
        if state.get("race.playing"):
            state["race.shown"] = min(steps, state["race.shown"] + max(1, math.ceil(steps / FRAMES)))
            if state["race.shown"] >= steps:
                state["race.playing"] = False
                st.rerun()
        shown = state["race.shown"]
        st.caption(f"Step {shown} of {steps}")
        left, right = st.columns([3, 2])
        with left:
            event = st.plotly_chart(
                figures.race_figure(_grid(surface_name), trajectories, shown, surface.minima, labels.OPTIMIZERS,
                                    surface.log_contours),
                width="stretch", key="race.plot", on_select="rerun", selection_mode="points")
        right.plotly_chart(figures.race_loss_figure(trajectories, shown, labels.OPTIMIZERS), width="stretch",
                           key="race.loss")
        picked = (event.selection.points if event and event.selection else [])
        if picked and (picked[0]["x"], picked[0]["y"]) != state.get("race.picked"):
            state["race.picked"] = (picked[0]["x"], picked[0]["y"])
            state.update({"race.x": float(picked[0]["x"]), "race.y": float(picked[0]["y"]), "race.shown": 0,
                          "race.playing": True})
            st.rerun()

    live()
