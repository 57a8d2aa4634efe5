"""The MNIST lab in a real Chromium: train on a small subset, see the confusion matrix,
draw a digit and get the network's answer; open a shared link and see the address bar follow."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_draw_digit_browser import draw


@pytest.fixture
def app(app_url, open_tab):
    """The app's URL and a way to open a fresh tab, for one test."""
    return app_url, open_tab


def open_lab(app, query: str = "") -> Page:
    url, open_tab = app
    page = open_tab(f"{url}/mnist{query}", 1400, 1100)
    page.get_by_text("MNIST lab: from one layer to a CNN").wait_for(timeout=60_000)
    return page


@pytest.fixture(scope="module")
def page(app_url, open_module_tab):
    """One lab that the module's first tests share, in order: train, then draw."""
    page = open_lab((app_url, open_module_tab))
    yield page
    page.close()


def no_exception_box(page: Page) -> bool:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()
    return True


def test_training_on_a_small_subset_shows_the_confusion_matrix(page):
    page.get_by_text("1,000", exact=True).click()
    page.get_by_role("button", name="Train 1 epoch").click()
    expect(page.get_by_text("on 10,000 test images")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Confusion matrix (10,000 test images)")).to_be_visible(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() >= 4  # loss, accuracy, gradients, confusion matrix
    assert no_exception_box(page)


def test_a_digit_drawn_with_the_mouse_gets_a_prediction(page):
    page.get_by_role("tab", name="Draw a digit").click()
    pad = page.locator("canvas.pad")
    pad.wait_for(timeout=30_000)
    pad.scroll_into_view_if_needed()
    draw(page, pad, [(0.5, 0.15), (0.5, 0.5), (0.5, 0.85)])  # a "1"
    expect(page.get_by_text("The network says")).to_be_visible(timeout=30_000)
    assert no_exception_box(page)


def address(page: Page) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlparse(page.url).query).items()}


def test_a_shared_link_opens_with_its_settings_and_the_address_bar_follows_changes(app):
    page = open_lab(app, "?lang=en&model=cnn&epochs=2&conv_channels=4,8")
    expect(page.get_by_role("button", name="Train 2 epochs")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("textbox", name="Conv blocks (channels)")).to_have_value("4,8")
    page.get_by_text("1,000", exact=True).click()
    expect(page).to_have_url(re.compile(r"train_size=1000"), timeout=30_000)
    query = address(page)
    assert query["conv_channels"] == "4,8" and query["epochs"] == "2" and query["lang"] == "en"
    assert no_exception_box(page)
    page.close()
