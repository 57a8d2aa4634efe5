"""The 2D page in a real Chromium: press Play and see the charts paint, in English and
Korean, at presenter size, for two classes, three classes and a regression."""

import time

import pytest
from playwright.sync_api import Page, expect

from playground.viewer import PRESENT_SCALE

# Painted (non-transparent) pixels in a canvas, counted in the page.
INK = """canvas => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
  return inked / (pixels.length / 4);
}"""
# Share of a canvas's pixels in each class colour's hue (orange, blue, green; tinted or full).
HUES = """canvas => {
  const p = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = [0, 0, 0];
  for (let i = 0; i < p.length; i += 4) {
    const [r, g, b] = [p[i], p[i + 1], p[i + 2]];
    if (r > b + 40 && r >= g) counts[0]++;
    else if (b > r + 40 && b > g + 10) counts[1]++;
    else if (g > r + 30 && g > b + 8) counts[2]++;
  }
  return counts.map((n) => n / (p.length / 4));
}"""
WAIT = 90_000  # ms; a shared classroom machine can be slow to start a session


@pytest.fixture
def app(app_url, open_tab):
    """The app's URL and a way to open a fresh tab, for one test."""
    return app_url, open_tab


def open_page(app, query: str, width: int = 1400, height: int = 1000) -> Page:
    url, open_tab = app
    page = open_tab(f"{url}/playground?{query}", width, height)
    page.wait_for_function("window.__playgroundStep === 0", timeout=WAIT)
    return page


def play_until(page: Page, step: int) -> None:
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"window.__playgroundStep > {step}", timeout=WAIT)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=WAIT)


@pytest.fixture(scope="module")
def page(app_url, open_module_tab):
    """One page that the module's first tests share, in order: play, pause, learn XOR."""
    page = open_page((app_url, open_module_tab), "dataset=xor&hidden_sizes=4,4&activation=tanh&learning_rate=0.03&lang=en")
    yield page
    page.close()


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
    assert page.locator("canvas.loss").get_attribute("aria-label") == "Loss curves"
    assert no_exception_box(page)


def test_pause_stops_training(page):
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=WAIT)
    time.sleep(0.5)
    step = page.evaluate("window.__playgroundStep")
    time.sleep(1.0)
    assert page.evaluate("window.__playgroundStep") == step
    assert no_exception_box(page)


def test_xor_is_learned_in_the_browser(page):
    play_until(page, 1500)
    accuracy = page.locator(".status .cell").filter(has_text="Test accuracy").locator(".v").inner_text()
    assert float(accuracy.rstrip("%")) >= 95
    assert no_exception_box(page)


def test_korean_page_labels_the_live_view_in_korean_with_a_hangul_font(app):
    page = open_page(app, "dataset=xor&lang=ko")
    labels = page.locator(".status .k").all_inner_texts()
    assert labels[:2] == ["스텝 (step)", "에폭 (epoch)"] and "테스트 정확도 (test accuracy)" in labels
    assert page.locator("canvas.loss").get_attribute("aria-label") == "손실 곡선 (loss curves)"
    assert page.locator("canvas.gradtime").get_attribute("aria-label") == "시간에 따른 기울기 흐름 (gradient flow)"
    # Chromium has a font with these glyphs, so the canvas titles paint as Hangul, not boxes.
    assert page.evaluate("document.fonts.check('15px NanumGothic', '손실 기울기 흐름')")
    assert page.evaluate("window.__playgroundTask") == "binary"
    assert no_exception_box(page)
    page.close()


def test_three_classes_train_and_paint_three_coloured_regions(app):
    page = open_page(app, "dataset=three_blobs&hidden_sizes=8&lang=en")
    play_until(page, 300)
    assert page.evaluate("window.__playgroundTask") == "multiclass"
    orange, blue, green = page.locator("canvas.boundary").evaluate(HUES)
    assert min(orange, blue, green) > 0.05, (orange, blue, green)  # each class owns a region of the plane
    assert len(page.locator(".status .cell").all()) == 6
    accuracy = page.locator(".status .cell").filter(has_text="Test accuracy").locator(".v").inner_text()
    assert float(accuracy.rstrip("%")) >= 90
    assert page.locator("canvas.network").evaluate(INK) > 0.01
    assert no_exception_box(page)
    page.close()


def test_regression_trains_and_shows_loss_only(app):
    page = open_page(app, "dataset=plane&hidden_sizes=8&lang=en")
    play_until(page, 200)
    assert page.evaluate("window.__playgroundTask") == "regression"
    status = page.locator(".status").inner_text()
    assert page.locator(".status .k").all_inner_texts() == ["Step", "Epoch", "Train loss", "Test loss"]
    assert "NaN" not in status and "%" not in status and "accuracy" not in status
    assert not page.locator("canvas.accuracy").is_visible()
    orange, blue, _ = page.locator("canvas.boundary").evaluate(HUES)
    assert orange > 0.05 and blue > 0.05  # the tilted plane: low values on one side, high on the other
    assert page.locator("canvas.loss").evaluate(INK) > 0.01
    assert no_exception_box(page)
    page.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_presenter_mode_draws_larger_and_fits_the_screen(app, width, height):
    page = open_page(app, "dataset=xor&present=1&lang=en", width, height)
    value_size = page.locator(".status .v").first.evaluate("v => parseFloat(getComputedStyle(v).fontSize)")
    assert value_size == pytest.approx(24 * PRESENT_SCALE, abs=0.1)
    assert page.locator("canvas.gradtime").evaluate("c => c.clientHeight") == pytest.approx(230 * PRESENT_SCALE, abs=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off the side
    for chart in ("boundary", "loss", "accuracy", "gradtime", "gradbars", "network"):
        box = page.locator(f"canvas.{chart}").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, chart
    assert no_exception_box(page)
    page.close()


def test_a_playing_page_whose_live_view_goes_quiet_reruns_itself_and_plays_on(app):
    """The watchdog (playground/components/watchdog.py): with the live view's messages made to look
    stopped, the page asks for a whole rerun after its stall time, and goes on playing."""
    page = open_page(app, "dataset=circle&lang=en")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("window.__playgroundStep > 10", timeout=WAIT)
    page.evaluate("Object.defineProperty(window, '__playgroundMessageAt', {get: () => 0, set: () => {}})")
    page.wait_for_function("window.__playgroundWatchdogAsked >= 1", timeout=WAIT)
    step = page.evaluate("window.__playgroundStep")
    page.wait_for_function(f"window.__playgroundStep > {step}", timeout=WAIT)  # still playing after the rerun
    assert page.get_by_role("button", name="Pause").is_visible() and no_exception_box(page)
    page.close()


def test_space_plays_and_pauses_and_the_right_arrow_steps_but_not_while_typing(app):
    page = open_page(app, "dataset=xor&hidden_sizes=4&activation=tanh&lang=en")
    page.get_by_role("heading", name="2D playground").click()  # the page has the focus, no field
    page.keyboard.press("ArrowRight")
    page.wait_for_function("window.__playgroundStep === 1", timeout=WAIT)
    page.keyboard.press("Space")
    page.get_by_role("button", name="Pause").wait_for(timeout=WAIT)
    page.wait_for_function("window.__playgroundStep > 20", timeout=WAIT)
    page.keyboard.press("Space")
    page.get_by_role("button", name="Play").wait_for(timeout=WAIT)
    time.sleep(0.5)
    step = page.evaluate("window.__playgroundStep")
    # In a field, Space and the arrow are the field's: nothing plays or steps.
    field = page.get_by_role("spinbutton", name="Hidden layers")
    field.click()
    field.press("Space")
    field.press("ArrowRight")
    time.sleep(1.5)
    assert page.evaluate("window.__playgroundStep") == step
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert no_exception_box(page)
