"""Fixtures shared by every layer's tests. Browser fixtures (app server, Chromium) are in tests/browser/conftest.py."""

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from playground.pages import HOME, PAGES

# The app runs one torch thread per process; so do the tests. On a busy 2-core machine torch's
# default of two threads makes each tiny training step many times slower.
torch.set_num_threads(1)

APP = Path(__file__).resolve().parents[1] / "playground" / "app.py"
# A bound on one script run, so a hung page fails instead of blocking the suite; a busy machine can be slow.
APP_TIMEOUT = 120


OpenPage = Callable[..., AppTest]


@pytest.fixture
def open_page() -> OpenPage:
    """`open_page(page_id, query=None, lang=None)`: the app opened at that page of playground.pages.PAGES, as a
    browser opening a link with `query` does; `lang` (if given) is the language the student already chose.
    The page has run once without an exception."""

    def open_page(page_id: str = HOME, query: Mapping[str, str] | None = None, lang: str | None = None) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT)
        if lang is not None:
            at.session_state["lang"] = lang
        for name, value in (query or {}).items():
            at.query_params[name] = value
        if page_id != HOME:
            at.switch_page(PAGES[page_id].script)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests first: they are the longest files, so under pytest-xdist both workers start on them and the
    # short files fill in after (an order only; no test depends on another file's).
    items.sort(key=lambda item: item.path.parent.name != "browser")
