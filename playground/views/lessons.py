"""The home page: one card per idea of the course, each opening its page set up."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from engine.course.lessons import LESSONS
from engine.course.links import no_settings
from playground import lesson_panel, urls, viewer
from playground.i18n import t
from playground.pages import PAGES

COLUMNS = 3
PAGE = "lessons"


def _link_warnings() -> None:
    """This page has no settings: a link's keys (and a `lesson`, which belongs on its own page)
    are said once and taken out of the address bar."""
    urls.show_link_warnings([*no_settings(urls.page_query()), *urls.lesson_problems(PAGE)])
    urls.set_page_query({})


def page() -> None:
    st.title(t("lessons.title"))
    _link_warnings()
    if not viewer.presenting():
        st.caption(t("lessons.intro"))
    lessons = list(LESSONS.values())
    for row in range(0, len(lessons), COLUMNS):
        for column, lesson in zip(st.columns(COLUMNS), lessons[row:row + COLUMNS]):
            with column.container(border=True, height="stretch", key=f"lesson_card_{lesson.id}"):
                st.caption(f"{t('lessons.idea', n=lesson.idea)} · {t('lessons.on_page', page=t(PAGES[lesson.page].title_key))}")
                st.markdown(f"#### {t(f'lessons.{lesson.id}.title')}")
                st.markdown(t(f"lessons.{lesson.id}.summary"))
                open_column, link_column = st.columns([1, 1], vertical_alignment="center")
                if open_column.button(t("lessons.open"), key=f"lesson.open.{lesson.id}", type="primary",
                                      icon=PAGES[lesson.page].icon, width="stretch"):
                    lesson_panel.open_page(lesson.page, dict(lesson.query), lesson.id)
                query = urlencode({**lesson.query, **lesson_panel.app_query(lesson.id)})
                link_column.markdown(f":material/link: [{t('lessons.link')}](./{lesson.page}?{query})",
                                     help=t("lessons.link_help"))


if __name__ == "__main__":  # Streamlit runs this file as the page
    page()
