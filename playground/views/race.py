"""The optimizer race: SGD, Momentum, NAG, Adagrad, RMSProp, AdaDelta, Adam and Nadam on
classic loss surfaces, drawn step by step.

The page's settings are one `RaceLink` (surface, start point, steps, the racing optimizers
and their learning rates); the address bar always holds it, and the first visit (or a
lesson) takes it from there.
"""

from __future__ import annotations

import math

import streamlit as st

from engine.core.config import ConfigError
from engine.core.optimizers import OPTIMIZERS
from engine.course.links import MAX_RACE_STEPS, MAX_RATE, MIN_RACE_STEPS, MIN_RATE, RaceLink
from engine.experiments.race import SURFACES, race, surface_grid
from playground import figures, labels, lesson_panel, urls, viewer
from playground.i18n import t
from playground.problems import say

PAGE = "race"
SAVED = "race.link"  # the settings, kept while the student is on another page
TICK_SECONDS = 0.15
FRAMES = 30  # an animation shows the whole race in about this many frames (Plotly redraws cost ~0.3 s)


@st.cache_data(show_spinner=False)
def _grid(surface: str) -> tuple:
    return surface_grid(surface, 100)


@st.cache_data(show_spinner=False, max_entries=64)
def _race(surface: str, rates: tuple[tuple[str, float], ...], start: tuple[float, float], steps: int) -> dict:
    return race(surface, dict(rates), start, steps)


def _surface_title(name: str) -> str:
    return t(f"race.surface.{name}.title")


def _load(link: RaceLink) -> None:
    """Put the link into the widgets (before they are drawn), back at step 0."""
    state = st.session_state
    state.update({"race.surface": link.surface, "race.x": link.start[0], "race.y": link.start[1],
                  "race.steps": link.steps, "race.shown": 0, "race.playing": False, SAVED: link})
    own = SURFACES[link.surface].rates
    for name in OPTIMIZERS:
        state[f"race.on.{name}"] = name in link.rates
        state[f"race.lr.{name}"] = float(link.rates.get(name, own.get(name, OPTIMIZERS[name].default_lr)))


def _load_settings() -> None:
    """On the first visit, or when a lesson asks, take the settings from the URL; back from
    another page, restore them."""
    state = st.session_state
    if urls.load_requested(PAGE) or SAVED not in state:
        link, warnings = RaceLink.from_query(urls.page_query())
        _load(link)
        urls.loaded(PAGE, link, warnings)
    elif "race.surface" not in state:
        _load(state[SAVED])


def _link() -> RaceLink | None:
    """The widgets' settings (None, after saying why, if they make no race)."""
    state = st.session_state
    rates = {name: float(state[f"race.lr.{name}"]) for name in OPTIMIZERS if state[f"race.on.{name}"]}
    if not rates:
        st.info(t("race.pick_one"))
        return None
    try:
        return RaceLink(state["race.surface"], (float(state["race.x"]), float(state["race.y"])), int(state["race.steps"]),
                        rates)
    except ConfigError as error:
        st.error(t("race.cannot_run", error=say(error)))
        return None


def _start_at(x: float, y: float) -> None:
    """Race again from a clicked point (kept on the map)."""
    (x_low, x_high), (y_low, y_high) = SURFACES[st.session_state["race.surface"]].bounds
    st.session_state.update({"race.x": min(max(float(x), x_low), x_high), "race.y": min(max(float(y), y_low), y_high),
                             "race.shown": 0, "race.playing": True})


def _sidebar() -> None:
    state = st.session_state
    with st.sidebar:
        surface_name = st.selectbox(t("race.surface_label"), list(SURFACES), key="race.surface", format_func=_surface_title,
                                    on_change=lambda: _load(RaceLink(state["race.surface"])))
        st.caption(t("race.start"))
        (x_low, x_high), (y_low, y_high) = SURFACES[surface_name].bounds
        left, right = st.columns(2)
        left.number_input("x", x_low, x_high, step=0.1, key="race.x", format="%.2f")
        right.number_input("y", y_low, y_high, step=0.1, key="race.y", format="%.2f")
        st.slider(t("race.steps"), MIN_RACE_STEPS, MAX_RACE_STEPS, step=10, key="race.steps")
        st.subheader(t("race.optimizers"))
        for name in OPTIMIZERS:
            on, rate = st.columns([1.7, 1])
            on.checkbox(labels.OPTIMIZERS[name], key=f"race.on.{name}")
            rate.number_input(t("race.rate", optimizer=labels.OPTIMIZERS[name]), MIN_RATE, MAX_RATE, key=f"race.lr.{name}",
                              format="%.4g", label_visibility="collapsed", disabled=not state[f"race.on.{name}"])
        st.button(t("race.defaults"), on_click=lambda: _load(RaceLink(surface_name)))


def page() -> None:
    state = st.session_state
    _load_settings()
    _sidebar()
    surface_name = state["race.surface"]
    surface = SURFACES[surface_name]
    if not viewer.presenting():
        st.title(t("race.title"))
    st.caption(t(f"race.surface.{surface_name}.story"))
    link = _link()
    if link is None:
        return
    state[SAVED] = link
    urls.follow(PAGE, link, link.to_query())  # the address bar always links to this race
    try:
        with st.spinner(t("race.racing")):
            trajectories = _race(surface_name, tuple(link.rates.items()), link.start, link.steps)
    except ConfigError as error:
        st.error(t("race.cannot_run", error=say(error)))
        return
    lesson_panel.show(PAGE, progress=state["race.shown"])
    steps = link.steps
    playing = state.get("race.playing", False)
    play, show_all, restart, _ = st.columns([1, 1, 1, 3])
    play.button(t("race.pause") if playing else t("race.play"), key="race.play", type="primary", width="stretch",
                icon=":material/pause:" if playing else ":material/play_arrow:",
                on_click=lambda: state.update({"race.playing": not playing,
                                               "race.shown": 0 if state["race.shown"] >= steps else state["race.shown"]}))
    show_all.button(t("race.show_all"), key="race.all", width="stretch",
                    on_click=lambda: state.update({"race.shown": steps, "race.playing": False}))
    restart.button(t("race.restart"), key="race.restart", icon=":material/restart_alt:", width="stretch",
                   on_click=lambda: state.update({"race.shown": 0, "race.playing": False}))
    diverged = [labels.OPTIMIZERS[name] for name, trajectory in trajectories.items() if trajectory.diverged]
    if diverged:
        st.warning(t("race.diverged", names=", ".join(diverged)))

    @st.fragment(run_every=TICK_SECONDS if playing else None)
    def live() -> None:
        if state.get("race.playing"):
            state["race.shown"] = min(steps, state["race.shown"] + max(1, math.ceil(steps / FRAMES)))
            if state["race.shown"] >= steps:
                state["race.playing"] = False
                st.rerun()
        shown = state["race.shown"]
        st.caption(t("race.progress", shown=shown, steps=steps))
        left, right = st.columns([3, 2])
        with left:
            event = st.plotly_chart(
                figures.race_figure(_grid(surface_name), trajectories, shown, surface.minima, labels.OPTIMIZERS,
                                    surface.log_contours, view=viewer.current()),
                width="stretch", key="race.plot", on_select="rerun", selection_mode="points")
        right.plotly_chart(figures.race_loss_figure(trajectories, shown, labels.OPTIMIZERS, view=viewer.current()),
                           width="stretch", key="race.loss")
        picked = (event.selection.points if event and event.selection else [])
        if picked and (picked[0]["x"], picked[0]["y"]) != state.get("race.picked"):
            state["race.picked"] = (picked[0]["x"], picked[0]["y"])
            _start_at(picked[0]["x"], picked[0]["y"])
            st.rerun()

    live()


if __name__ == "__main__":  # Streamlit runs this file as the page
    page()
