"""One app server and one Chromium for the browser tests of a run (of each pytest-xdist worker: `make test`
runs with `--dist loadfile`, so a file's tests, and a page a module's tests share, stay in one worker); each
test opens its own browser context (its own cookies, so its own Streamlit session), closed when it ends."""

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.serve import CHROMIUM, CHROMIUM_ARGS, running_app


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """The base URL of playground/app.py, served for the whole run."""
    with running_app() as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, launched once for the whole run."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


OpenTab = Callable[..., Page]


def contexts(browser: Browser) -> tuple[OpenTab, list[BrowserContext]]:
    """A function opening a page (at `url`, if given) in a new browser context of `width` x `height`, and the
    list of the contexts it opened (for the caller to close)."""
    opened: list[BrowserContext] = []

    def open_tab(url: str | None = None, width: int = 1400, height: int = 1000) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        opened.append(context)
        page = context.new_page()
        if url is not None:
            page.goto(url)
        return page

    return open_tab, opened


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[OpenTab]:
    """`open_tab(url=None, width=1400, height=1000)`: a fresh page at `url`, in its own context, closed after the test."""
    open_tab, opened = contexts(browser)
    yield open_tab
    for context in opened:
        context.close()


@pytest.fixture(scope="module")
def open_module_tab(browser: Browser) -> Iterator[OpenTab]:
    """As `open_tab`, for a page that a module's tests share in order (closed after the module)."""
    open_tab, opened = contexts(browser)
    yield open_tab
    for context in opened:
        context.close()
