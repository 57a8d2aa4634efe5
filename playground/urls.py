"""The address bar: each page owns its settings' parameters; a few belong to the whole app.

`lang` (ko|en), `present` (presenter mode) and `lesson` (the lesson a page was opened for)
survive every page's rewrite of its own parameters, so a copied link keeps them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import streamlit as st

from engine.core.problems import Name, Problem
from engine.course.lessons import LESSONS
from playground.i18n import t
from playground.problems import say

APP_KEYS = ("lang", "present", "lesson")
ACTIVE_LESSON = "lesson.active"  # the id of the lesson shown on its page (see lesson_panel)


def lesson_choice_key(lesson_id: str) -> str:
    """The session key of the student's answer to a lesson's question (lesson_panel's radio)."""
    return f"lesson.choice.{lesson_id}"


def page_query() -> dict[str, str]:
    """The URL's parameters that belong to the page (the app's own left out)."""
    return {name: value for name, value in st.query_params.to_dict().items() if name not in APP_KEYS}


def set_page_query(values: Mapping[str, str]) -> None:
    """Make the URL hold `values` for the page, keeping the app's own parameters."""
    current = st.query_params.to_dict()
    wanted = {**{name: current[name] for name in APP_KEYS if name in current}, **values}
    if wanted != current:
        st.query_params.from_dict(wanted)


def set_app_param(name: str, value: str | None) -> None:
    """Set (or with None remove) one of the app's own parameters."""
    if value is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def request_load(page: str) -> None:
    """Ask `page` to load its settings from the URL on its next run (the Lessons page does
    this before `st.switch_page(page, query_params=...)`, so a lesson applies even when the
    page already holds a student's settings)."""
    st.session_state[f"urls.load.{page}"] = True


def load_requested(page: str) -> bool:
    """True once after `request_load(page)`."""
    return bool(st.session_state.pop(f"urls.load.{page}", False))


def _loaded_key(page: str) -> str:
    return f"urls.loaded.{page}"


def lesson_problems(page: str) -> list[Problem]:
    """What is wrong with the URL's `lesson` for `page` (not a lesson, or another page's), which
    is then taken out of the URL; nothing when it is one of this page's lessons, or there is none."""
    lesson_id = st.query_params.get("lesson")
    if lesson_id is None:
        return []
    lesson = LESSONS.get(lesson_id)
    if lesson is not None and lesson.page == page:
        return []
    set_app_param("lesson", None)
    if lesson is None:
        return [Problem("lesson_unknown", {"lesson": lesson_id})]
    return [Problem("lesson_other_page", {"lesson": lesson_id, "page": Name(lesson.page)})]


def loaded(page: str, settings: object, warnings: list[Problem]) -> None:
    """Remember what `page` just loaded from the URL, and what of the link could not be used
    (its lesson too, when it is not one of this page's); the URL's lesson (if it is one of this
    page's) becomes the active one, with a fresh question."""
    state = st.session_state
    state[_loaded_key(page)] = (settings, [*warnings, *lesson_problems(page)])
    lesson = LESSONS.get(st.query_params.get("lesson", ""))
    state[ACTIVE_LESSON] = lesson.id if lesson and lesson.page == page else None
    if lesson:
        state.pop(lesson_choice_key(lesson.id), None)


def keep_widget_values(keys: Iterable[str]) -> None:
    """Streamlit forgets a widget's value in any run that does not draw it (another page, a
    hidden widget, presenter mode); writing the values back keeps them as the student left them."""
    state = st.session_state
    for key in keys:
        if key in state:
            state[key] = state[key]


def follow(page: str, settings: object, query: Mapping[str, str]) -> None:
    """Keep the address bar on the page's current settings (`query` is their URL form) and,
    while they are still the ones loaded from a link, say what of that link could not be used."""
    set_page_query(query)
    link, warnings = st.session_state.get(_loaded_key(page), (None, []))
    if settings == link:  # once the student changes something, the link's problems are gone
        show_link_warnings(warnings)


def show_link_warnings(warnings: Iterable[Problem]) -> None:
    """One warning box per problem of a link, said in the session's language (link text as text)."""
    for warning in warnings:
        st.warning(t("app.link_warning", warning=say(warning)))
