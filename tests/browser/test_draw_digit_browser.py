"""The drawing pad in a real Chromium: draw a digit with the mouse and see Python receive it.

The test app (tests/browser/draw_digit_app.py) writes one line about what Python got, e.g.
"drawing: ink=173.6 row=0.49 col=0.30 box=20x3 middle=11.00": the ink, where it sits on
the pad (shares of its height and width), the MNIST-ready image's bounding box and the ink
in that image's middle 5x5 pixels.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Locator, Page

from tests.serve import running_app

APP = "tests/browser/draw_digit_app.py"
STATUS = re.compile(
    r"drawing: ink=(?P<ink>[\d.]+) row=(?P<row>[\d.]+) col=(?P<col>[\d.]+) "
    r"box=(?P<height>\d+)x(?P<width>\d+) middle=(?P<middle>[\d.]+)"
)
# The ink on the pad as Python should receive it: the canvas's alpha averaged over 56x56
# blocks, in [0, 1], summed. Equal to the app's "ink=" once the last drawing has arrived.
PAD_INK = """canvas => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let alpha = 0;
  for (let i = 3; i < pixels.length; i += 4) alpha += pixels[i];
  return alpha / 255 / (canvas.width * canvas.height / (56 * 56));
}"""


@pytest.fixture(scope="module")
def browser_errors() -> list[str]:
    """Uncaught errors and console errors in the page, e.g. from the pad's JS."""
    return []


@pytest.fixture(scope="module")
def page(browser_errors, open_module_tab) -> Iterator[Page]:
    """The drawing-pad test app (its own server: it is not a page of the app), in the run's Chromium."""
    with running_app(APP) as (url, _):
        page = open_module_tab(width=900, height=900)
        page.on("pageerror", lambda error: browser_errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and browser_errors.append(message.text))
        page.goto(url)
        page.locator("canvas.pad").wait_for(timeout=60_000)  # in the component's open shadow root
        yield page
        page.close()


@pytest.fixture()
def pad(page: Page) -> Locator:
    """The pad, cleared, with the app showing that nothing is drawn."""
    page.get_by_role("button", name="Clear").click()
    wait_for_status(page, lambda status: status == "none")
    return page.locator("canvas.pad")


def draw(page: Page, pad: Locator, points: list[tuple[float, float]], lift: bool = True) -> None:
    """Draw one stroke through `points`, given as (across, down) shares of the pad."""
    box = pad.bounding_box()
    at = [(box["x"] + a * box["width"], box["y"] + d * box["height"]) for a, d in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y, steps=4)
    if lift:
        page.mouse.up()


def status_text(page: Page) -> str:
    text = page.locator('[data-testid="stMarkdown"]').filter(has_text="drawing:").first.inner_text()
    return text.removeprefix("drawing:").strip()


def wait_for_status(page: Page, done: Callable[[object], bool], timeout: float = 20) -> dict[str, float] | str:
    """Poll the app's line until `done` accepts it; return it parsed (or "none")."""
    deadline = time.monotonic() + timeout
    while True:
        text = status_text(page)
        match = STATUS.search(f"drawing: {text}")
        status = {k: float(v) for k, v in match.groupdict().items()} if match else text
        if done(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def received(page: Page, pad: Locator) -> dict[str, float]:
    """Wait until Python has the drawing now on the pad, and return the app's line about it."""
    ink = pad.evaluate(PAD_INK)
    status = wait_for_status(page, lambda s: isinstance(s, dict) and abs(s["ink"] - ink) < 1)
    assert isinstance(status, dict) and abs(status["ink"] - ink) < 1, (status, ink)
    return status


def no_exception_box(page: Page) -> bool:
    return page.locator('[data-testid="stException"]').count() == 0


@pytest.fixture(autouse=True)
def no_browser_errors(browser_errors) -> Iterator[None]:
    yield
    assert browser_errors == []


def test_a_one_drawn_left_of_centre_reaches_python_as_a_tall_thin_digit(page, pad):
    draw(page, pad, [(0.3, 0.2), (0.3, 0.8)])
    status = received(page, pad)
    assert abs(status["col"] - 0.3) < 0.03 and abs(status["row"] - 0.5) < 0.03  # where it was drawn
    assert status["height"] == 20 and status["width"] <= 4  # scaled like MNIST: longer side 20 px
    assert status["middle"] > 3  # ...and moved to the middle of the 28x28 image
    assert pad.evaluate(PAD_INK) > 50  # the stroke stays on the pad after the rerun
    assert no_exception_box(page)


def test_a_zero_reaches_python_as_a_ring_with_an_empty_middle(page, pad):
    loop = [(0.5 + 0.22 * math.sin(t / 24 * 2 * math.pi), 0.5 - 0.32 * math.cos(t / 24 * 2 * math.pi)) for t in range(26)]
    draw(page, pad, loop)
    status = received(page, pad)
    assert abs(status["col"] - 0.5) < 0.05 and abs(status["row"] - 0.5) < 0.05
    assert status["height"] == 20 and status["width"] >= 12
    assert status["middle"] < 0.5  # the hole of the 0
    assert no_exception_box(page)


def test_the_prediction_follows_the_pen_before_it_lifts(page, pad):
    draw(page, pad, [(0.5, 0.2), (0.5, 0.5)], lift=False)
    status = wait_for_status(page, lambda s: isinstance(s, dict))
    page.mouse.up()
    assert isinstance(status, dict) and status["ink"] > 0, status
    received(page, pad)


def test_clear_wipes_the_pad_and_the_drawing(page, pad):
    draw(page, pad, [(0.4, 0.3), (0.6, 0.7)])
    received(page, pad)
    page.get_by_role("button", name="Clear").click()
    assert wait_for_status(page, lambda s: s == "none") == "none"
    assert pad.evaluate(PAD_INK) == 0
    assert no_exception_box(page)


def test_the_drawing_comes_back_on_a_remounted_pad(page, pad):
    draw(page, pad, [(0.5, 0.2), (0.5, 0.8)])
    before = received(page, pad)
    pad.evaluate("canvas => { canvas.dataset.first = 'yes'; }")
    page.get_by_text("Pad in a column").click()  # a new pad, further up the page tree
    page.locator("canvas.pad[data-first]").wait_for(state="detached", timeout=20_000)
    assert pad.evaluate(PAD_INK) > 0.8 * before["ink"]  # repainted from the drawing Python kept
    assert wait_for_status(page, lambda s: s == before) == before
    page.get_by_text("Pad in a column").click()
    assert no_exception_box(page)
