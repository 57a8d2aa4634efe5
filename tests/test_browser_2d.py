"""The 2D page in a real Chromium: press Play and see the charts paint."""

import time

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.serve import CHROMIUM, CHROMIUM_ARGS, running_app

# Painted (non-transparent) pixels in a canvas, counted in the page.
INK = """canvas => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
  return inked / (pixels.length / 4);
}"""


@pytest.fixture(scope="module")
def page():
    with running_app() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/?dataset=xor&hidden_sizes=4,4&activation=tanh&learning_rate=0.03")
        page.wait_for_function("window.__playgroundStep === 0", timeout=60_000)
        yield page
        browser.close()


def no_exception_box(page: Page) -> bool:
    return page.locator('[data-testid="stException"]').count() == 0


def test_play_trains_and_paints_boundary_loss_and_gradient_charts(page):
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("window.__playgroundStep > 100", timeout=60_000)
    frames = page.evaluate("window.__playgroundFrames")
    time.sleep(1)
    assert page.evaluate("window.__playgroundFrames") > frames  # still painting while it plays
    assert page.locator("canvas.boundary").evaluate(INK) > 0.5  # the heatmap fills the plane
    for chart in ("loss", "accuracy", "gradtime", "gradbars", "network"):
        assert page.locator(f"canvas.{chart}").evaluate(INK) > 0.01, chart
    assert int(page.locator(".status .v").first.inner_text().replace(",", "")) > 100
    assert no_exception_box(page)


def test_pause_stops_training(page):
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=10_000)
    time.sleep(0.5)
    step = page.evaluate("window.__playgroundStep")
    time.sleep(1.0)
    assert page.evaluate("window.__playgroundStep") == step
    assert no_exception_box(page)


def test_xor_is_learned_in_the_browser(page):
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("window.__playgroundStep > 1500", timeout=60_000)
    page.get_by_role("button", name="Pause").click()
    accuracy = page.locator(".status .cell").filter(has_text="Test accuracy").locator(".v").inner_text()
    assert float(accuracy.rstrip("%")) >= 95
    assert no_exception_box(page)
