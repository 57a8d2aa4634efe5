"""The 2D page in Streamlit's light and dark themes (Streamlit follows the browser's colour
scheme): the live view's chart titles, drawn on its canvases, must read against what is
behind them, at WCAG's 4.5:1 for text, and its status cells must be panels of the page, not
white boxes on a dark one. Also when the theme changes under a paused page.

The titles are measured on the canvas's own pixels as the student sees them: a screenshot of
each canvas (transparent where nothing is drawn, so the page's background shows through),
cropped to the title's corner of the chart.

The MNIST lab's drawing pad follows the theme too (paper and ink), while the digit Python gets
stays the same.

And the marks of an early stop on the live view's curves, drawn from a message's `stop`
(live_frame.py), checked on live_view.js alone in a blank page as test_browser_surface.py does.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page

from engine import RunConfig, Trainer
from engine.core.loop import Snapshots, train
from playground.components.live_frame import live_frame
from tests.browser.live_harness import open_harness
from tests.browser.test_draw_digit_browser import APP as DRAW_APP
from tests.browser.test_draw_digit_browser import PAD_INK, draw, received
from tests.serve import running_app

WAIT = 90_000  # ms; a shared classroom machine can be slow to start a session
LINK = "/playground?dataset=xor&hidden_sizes=4,4&activation=tanh&lang=en"
CHARTS = ("loss", "accuracy", "gradtime", "gradbars")  # each has a title in its top-left corner
TITLE_ROWS = 26  # CSS pixels: the title's row, above the plot box (live_view.js chartBox: top at 30)
TITLE_SHARE = 0.45  # of the width, from the left: the title, not the legend on the right of its row
MIN_TITLE_PIXELS = 30  # pixels at full contrast: a title's strokes, not a stray pixel


def luminance(rgb: tuple[int, ...]) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""
    def linear(v: int) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG 2's contrast ratio, 1 (same) to 21 (black on white)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def title_contrast(page: Page, chart: str) -> tuple[float, int, tuple[int, ...]]:
    """The contrast of chart `chart`'s title with its background (the commonest colour of the
    title's corner), how many pixels reach 4.5:1 there, and that background."""
    canvas = page.locator(f"canvas.{chart}")
    image = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
    corner = np.asarray(image.crop((0, 0, round(image.width * TITLE_SHARE), TITLE_ROWS))).reshape(-1, 3)
    colours, counts = np.unique(corner, axis=0, return_counts=True)
    background = tuple(int(v) for v in colours[counts.argmax()])
    ratios = [contrast(tuple(colour), background) for colour in colours]
    strong = sum(int(count) for ratio, count in zip(ratios, counts) if ratio >= 4.5)
    return max(ratios), strong, background


def css_rgb(value: str) -> tuple[int, ...]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 1)' -> (1, 2, 3)."""
    return tuple(round(float(part)) for part in value[value.index("(") + 1 : -1].split(",")[:3])


def status_colours(page: Page) -> dict[str, tuple[int, ...]]:
    """The page's background, a status cell's background and its figure's text colour."""
    colours = page.evaluate("""() => {
      const app = document.querySelector(".stApp");
      const cell = [...document.querySelectorAll("[data-testid=stBidiComponentIsolated]")]
        .map((host) => host.shadowRoot && host.shadowRoot.querySelector(".status .cell"))
        .find(Boolean);
      return { page: getComputedStyle(app).backgroundColor, cell: getComputedStyle(cell).backgroundColor,
               figure: getComputedStyle(cell.querySelector(".v")).color };
    }""")
    return {name: css_rgb(value) for name, value in colours.items()}


def assert_readable(page: Page, scheme: str) -> dict[str, float]:
    """Every chart title reads at 4.5:1 or more, on the page's own background; the status
    cells are panels of that background with readable figures. Returns the titles' ratios."""
    page_background = status_colours(page)["page"]
    dark = luminance(page_background) < 0.2
    assert dark == (scheme == "dark"), (scheme, page_background)  # Streamlit followed the browser
    ratios = {}
    for chart in CHARTS:
        ratio, strong, background = title_contrast(page, chart)
        assert contrast(background, page_background) < 1.1, (chart, background, page_background)
        assert ratio >= 4.5 and strong >= MIN_TITLE_PIXELS, (scheme, chart, round(ratio, 2), strong)
        ratios[chart] = round(float(ratio), 2)
    colours = status_colours(page)
    assert contrast(colours["figure"], colours["cell"]) >= 4.5, (scheme, colours)
    assert contrast(colours["cell"], colours["page"]) < 1.5, (scheme, colours)  # a panel, not a white box
    return ratios


@pytest.fixture
def open_in(browser: Browser) -> Iterator:
    """`open_in(url, scheme)`: a fresh page at `url` in a browser set to the light or dark colour scheme."""
    contexts = []

    def open_in(url: str, scheme: str) -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("window.__playgroundStep === 0", timeout=WAIT)  # the live view's first paint
        return page

    yield open_in
    for context in contexts:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chart_titles_read_in_the_browsers_theme(app_url, open_in, scheme):
    page = open_in(app_url + LINK, scheme)
    ratios = assert_readable(page, scheme)
    print(scheme, ratios)


def test_a_paused_page_repaints_in_the_new_theme(app_url, open_in):
    # The computer turns to its dark scheme at dusk: Streamlit follows, and the live view, paused
    # (no new message will come), repaints its charts in the dark theme's colours.
    page = open_in(app_url + LINK, "light")
    assert_readable(page, "light")
    frames = page.evaluate("window.__playgroundFrames || 0")
    page.emulate_media(color_scheme="dark")
    page.wait_for_function(f"(window.__playgroundFrames || 0) > {frames}", timeout=WAIT)
    assert_readable(page, "dark")


# The pad's colours: its ink in the middle of the pad (where the test draws), its paper and ink by CSS.
PAD_COLOURS = """canvas => {
  const [r, g, b, a] = canvas.getContext("2d").getImageData(canvas.width / 2, canvas.height / 2, 1, 1).data;
  const style = getComputedStyle(canvas);
  return { stroke: [r, g, b, a], paper: style.backgroundColor, ink: style.color };
}"""


def test_the_drawing_pad_takes_the_themes_colours_and_python_gets_the_same_digit(browser):
    stroke = [(0.5, 0.2), (0.5, 0.8)]
    with running_app(DRAW_APP) as (url, _):
        context = browser.new_context(viewport={"width": 900, "height": 900}, color_scheme="light")
        try:
            page = context.new_page()
            page.goto(url)
            pad = page.locator("canvas.pad")
            pad.wait_for(timeout=60_000)
            draw(page, pad, stroke)
            light = received(page, pad)
            ink = pad.evaluate(PAD_INK)
            colours = pad.evaluate(PAD_COLOURS)
            assert contrast(css_rgb(colours["ink"]), css_rgb(colours["paper"])) >= 4.5
            assert luminance(colours["stroke"]) < 0.2 and colours["stroke"][3] == 255  # dark ink on light paper

            page.emulate_media(color_scheme="dark")  # the drawing stays, in the dark theme's ink
            page.wait_for_function(f"canvas => ({PAD_COLOURS})(canvas).stroke[0] > 128", arg=pad.element_handle(),
                                   timeout=WAIT)
            colours = pad.evaluate(PAD_COLOURS)
            assert contrast(css_rgb(colours["ink"]), css_rgb(colours["paper"])) >= 4.5
            assert luminance(css_rgb(colours["paper"])) < 0.2  # a dark pad, framed, not a black hole
            assert pad.evaluate(PAD_INK) == ink  # every pixel's coverage kept: what Python reads

            page.get_by_role("button", name="Clear").click()
            page.wait_for_function(f"canvas => ({PAD_INK})(canvas) === 0", arg=pad.element_handle(), timeout=WAIT)
            draw(page, pad, stroke)
            assert received(page, pad) == light  # the same stroke is the same digit in either theme
        finally:
            context.close()


# live_view.js alone in a blank page (no Streamlit, so no theme: the palette's own colours).
# A chart's pixels, as a PNG (its transparency kept).
PIXELS = "chart => live.root.querySelector(`canvas.${chart}`).toDataURL('image/png')"
PLOT_LEFT, PLOT_RIGHT = 58, 12  # live_view.js chartBox: the plot box's margins, in CSS pixels (scale 1)


@pytest.fixture(scope="module")
def harness(open_module_tab) -> Iterator[Page]:
    page = open_harness(open_module_tab(width=1300, height=1400))
    yield page
    page.close()


def painted(page: Page, trainer: Trainer, **header) -> dict[str, np.ndarray]:
    """The loss and accuracy charts after a message of `trainer`'s step, with `header` added."""
    frame = live_frame(trainer)
    frame.header.update(header)
    page.evaluate("p => live.render({ data: live.bytes(p), parentElement: live.root })",
                  base64.b64encode(frame.to_bytes()).decode())
    charts = {}
    for chart in ("loss", "accuracy"):
        png = base64.b64decode(page.evaluate(PIXELS, chart).removeprefix("data:image/png;base64,"))
        charts[chart] = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
    return charts


def test_an_early_stop_is_marked_on_the_curves(harness):
    trainer = Trainer(RunConfig(dataset="xor", hidden_sizes=(4,), learning_rate=0.03))
    train(trainer, 300, snapshots=Snapshots(every=10))
    steps = trainer.history.steps
    stop, best = trainer.step, steps[len(steps) // 2]  # stopped now; its test loss was lowest halfway
    before = painted(harness, trainer)  # a message from a server that sends no `stop`
    assert all(np.array_equal(before[chart], image) for chart, image in painted(harness, trainer, stop=None).items())
    marked = painted(harness, trainer, stop={"step": stop, "best_step": best})
    changes = {chart: np.any(marked[chart] != before[chart], axis=2) for chart in marked}
    for chart, changed in changes.items():
        height, width = changed.shape
        line = width - PLOT_RIGHT  # the last step is the plot's right edge
        column = int(changed.sum(axis=0).argmax())
        assert abs(column - line) <= 2, (chart, column, line)  # a vertical line at the stop...
        assert 0.3 * height < changed[:, column].sum() < 0.8 * height, chart  # ...dashed
        label = changed[:, line - 120 : line - 4]  # its label, just left of it
        assert label.sum() > 50, chart
    # a ring on the test loss where it was lowest, on the loss chart only
    x = round(PLOT_LEFT + (best - steps[0]) / (stop - steps[0]) * (width - PLOT_RIGHT - PLOT_LEFT))
    assert changes["loss"][:, x - 9 : x + 10].sum() > 40 and changes["accuracy"][:, x - 9 : x + 10].sum() < 20
