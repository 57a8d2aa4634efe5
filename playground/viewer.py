"""What every page shares: the language and presenter mode, both also in the URL.

Presenter mode is for a projector: the sidebar and secondary controls are hidden, text,
lines and markers are larger, and Play / Pause / Step / Reset, the lesson's question and
the main charts stay. Pages ask `presenting()` to decide what to leave out.

Figures never read the session: a page hands them `current()`, a `Viewer` (the language and
the drawing scale), and they draw for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from engine.core.problems import Name, Problem, names
from playground import urls
from playground.i18n import DEFAULT_LANGUAGE, LANGUAGES, STATE_KEY, current_language, language_from, t

PRESENT_KEY = "present.on"
RECONNECTED_KEY = "app.reconnected"
# Root font size in presenter mode: Streamlit sizes its text in rem, so this scales it all.
PRESENT_FONT_PX = 22
# Plotly and canvas figures scale their fonts, lines and markers by this in presenter mode.
PRESENT_SCALE = 1.45
# What `present=` in a link may say: on or off (anything else warns, and presenter mode stays off).
PRESENT_VALUES = {"1": True, "true": True, "on": True, "yes": True, "0": False, "false": False, "off": False, "no": False,
                  "": False}

_PRESENT_CSS = f"""
<style>
html {{ font-size: {PRESENT_FONT_PX}px; }}
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
button[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"] {{ display: none !important; }}
div[data-testid="stMainBlockContainer"] {{ padding-top: 1.2rem; max-width: 100%; }}
</style>
"""


@dataclass(frozen=True)
class Viewer:
    """Who a figure is drawn for: its texts' language, and how much larger it draws its fonts,
    lines and markers (`PRESENT_SCALE` in presenter mode, else 1)."""

    lang: str = DEFAULT_LANGUAGE
    scale: float = 1.0


def current() -> Viewer:
    """This session's viewer: its language and presenter-mode scale."""
    return Viewer(current_language(), scale())


def choose_language() -> str:
    """The session's language: the link's `lang`, else the browser's, else English.
    The switch in the sidebar changes it; the URL always carries it."""
    state = st.session_state
    if STATE_KEY not in state or state[STATE_KEY] not in LANGUAGES:
        state[STATE_KEY] = language_from(st.query_params.get("lang"), st.context.locale)
    return state[STATE_KEY]


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def scale() -> float:
    """How much larger figures draw for this session (1 unless presenting)."""
    return PRESENT_SCALE if presenting() else 1.0


def _set_presenting(on: bool) -> None:
    st.session_state[PRESENT_KEY] = on


def choose_presenting() -> bool:
    state = st.session_state
    if PRESENT_KEY not in state:
        state[PRESENT_KEY] = PRESENT_VALUES.get(st.query_params.get("present", "0").strip().lower(), False)
    return state[PRESENT_KEY]


def reconnected() -> bool:
    """True in a session the browser opened to go on with one this server does not have: the server
    (or, behind `serve-class`, its replica) was restarted, or the browser was moved to another replica.

    A browser reconnecting names the session it had (Streamlit's frontend sends its id as the third
    entry of the websocket's Sec-WebSocket-Protocol, after "streamlit" and its XSRF token); a server
    that still has it reconnects the browser to it, any other starts a new one, this. A page opened
    or reloaded names none. Decided once, at the session's first run."""
    state = st.session_state
    if RECONNECTED_KEY not in state:
        previous = previous_session(st.context.headers.get("Sec-WebSocket-Protocol"))
        context = get_script_run_ctx()
        state[RECONNECTED_KEY] = previous is not None and context is not None and previous != context.session_id
    return bool(state[RECONNECTED_KEY])


def previous_session(protocols: str | None) -> str | None:
    """The session id a browser's websocket handshake names (its Sec-WebSocket-Protocol's third
    entry), or None when it names none (a page opened or reloaded)."""
    entries = [entry.strip() for entry in (protocols or "").split(",")]
    return entries[2] if len(entries) >= 3 and entries[2] else None


def _dismiss_reconnected() -> None:
    st.session_state[RECONNECTED_KEY] = False


def say_if_reconnected() -> None:
    """After a reconnection to a server that had lost this page's session: say that the settings
    came back from the link but the training progress did not, until the student closes it."""
    if reconnected():
        box = st.container(border=True, key="app.reconnected_box")
        box.warning(t("app.reconnected"), icon=":material/sync_problem:")
        box.button(t("app.reconnected_ok"), key="app.reconnected_ok", on_click=_dismiss_reconnected)


def link_problems() -> list[Problem]:
    """What of the URL's `lang` and `present` the app could not use, and what it uses instead.
    `app_controls` then writes both back, so each is said once."""
    problems = []
    lang, present = st.query_params.get("lang"), st.query_params.get("present")
    if lang is not None and lang not in LANGUAGES:
        problems.append(Problem("link_choice", {"key": Name("lang"), "value": lang, "choices": names(LANGUAGES),
                                                "used": Name(current_language())}))
    if present is not None and present.strip().lower() not in PRESENT_VALUES:
        problems.append(Problem("link_choice", {"key": Name("present"), "value": present, "choices": names(("1", "0")),
                                                "used": Name("1" if presenting() else "0")}))
    return problems


def app_controls() -> None:
    """The language switch and presenter switch (sidebar), or in presenter mode a small exit
    button at the top of the page; then the URL takes both."""
    if presenting():
        st.markdown(_PRESENT_CSS, unsafe_allow_html=True)
        _, right = st.columns([6, 1])
        right.button(t("app.exit_presenter"), key="present.exit", icon=":material/close_fullscreen:", width="stretch",
                     on_click=_set_presenting, args=(False,))
    else:
        with st.sidebar:
            st.segmented_control(t("app.language"), list(LANGUAGES), key=STATE_KEY, format_func=LANGUAGES.get,
                                 selection_mode="single", width="stretch")
            st.button(t("app.presenter"), key="present.enter", icon=":material/co_present:", width="stretch",
                      on_click=_set_presenting, args=(True,), help=t("app.presenter_help"))
    if st.session_state.get(STATE_KEY) not in LANGUAGES:  # a segmented control can be cleared: keep a language
        st.session_state[STATE_KEY] = language_from(None, st.context.locale)
    say_if_reconnected()
    urls.show_link_warnings(link_problems())
    urls.set_app_param("lang", st.session_state[STATE_KEY])
    urls.set_app_param("present", "1" if presenting() else None)
