"""A lesson on the page it opened: its question first, the answer once the run has shown it.

The Lessons page opens a page with `lesson=<id>` in the URL; `urls.loaded` makes it the
active lesson when the page loads its settings from the URL, and the page calls `show` where
the lesson belongs, passing how far its run has got. Nothing is graded or stored beyond the session.
"""

from __future__ import annotations

import streamlit as st

from engine.course.lessons import LESSONS, Lesson
from playground import urls, viewer
from playground.i18n import t, text
from playground.pages import PAGES

ACTIVE = urls.ACTIVE_LESSON
LETTERS = "ABCD"


def app_query(lesson_id: str | None) -> dict[str, str]:
    """The app's own URL parameters to carry into a page opened from here."""
    query = {"lang": st.session_state.get("lang", "en")}
    if viewer.presenting():
        query["present"] = "1"
    if lesson_id:
        query["lesson"] = lesson_id
    return query


def open_page(page: str, query: dict[str, str], lesson_id: str | None) -> None:
    """Go to `page` and make it load `query` (also when the student has been there before)."""
    urls.request_load(page)
    st.switch_page(PAGES[page].script, query_params={**query, **app_query(lesson_id)})


def active(page: str) -> Lesson | None:
    lesson = LESSONS.get(st.session_state.get(ACTIVE) or "")
    return lesson if lesson and lesson.page == page else None


def _close() -> None:
    st.session_state[ACTIVE] = None
    urls.set_app_param("lesson", None)


def show(page: str, progress: int) -> None:
    """The active lesson's card: title, what to look at, the question, and the answer once
    `progress` (steps, or epochs on the MNIST lab) has reached the lesson's point."""
    lesson = active(page)
    if lesson is None:
        return
    key = lesson.id
    with st.container(border=True, key=f"lesson_panel_{key}"):
        title, close = st.columns([5, 1.6], vertical_alignment="center")
        title.markdown(f"**{t('lessons.idea', n=lesson.idea)} · {t(f'lessons.{key}.title')}**")
        close.button(t("lessons.close"), key="lesson.close", icon=":material/close:", on_click=_close, width="stretch")
        if not viewer.presenting():
            st.markdown(t(f"lessons.{key}.body"))
            st.markdown(t("lessons.look_at", text=t(f"lessons.{key}.look")))
        choices = text(f"lessons.{key}.choices")
        # Options are letters (not indices: AppTest cannot set a falsy 0), shown as the choices' texts.
        letters = list(LETTERS[:len(choices)])
        letter = st.radio(t("lessons.question", text=t(f"lessons.{key}.question")), letters, index=None,
                          format_func=lambda a: choices[LETTERS.index(a)], key=urls.lesson_choice_key(key), horizontal=True)
        choice = None if letter is None else LETTERS.index(letter)
        if choice is None:
            st.caption(t("lessons.pick_first"))
        elif progress < lesson.reveal_after:
            unit = "lessons.wait_epochs" if page == "mnist" else "lessons.wait_steps"
            st.caption(t(unit, n=lesson.reveal_after))
        else:
            verdict = t("lessons.right") if choice == lesson.answer else t("lessons.not_quite", answer=choices[lesson.answer])
            (st.success if choice == lesson.answer else st.warning)(f"**{verdict}** {t(f'lessons.{key}.why')}")
        if lesson.try_query is not None and not viewer.presenting():
            if st.button(t("lessons.try_next", text=t(f"lessons.{key}.try_next")), key="lesson.try",
                         icon=":material/arrow_forward:"):
                open_page(page, dict(lesson.try_query), key)
