"""Take it home in a real Chromium: the live view saved as one PNG (made in the browser), and a
run's files downloaded from the panel as a student gets them."""

import json

import pytest
from PIL import Image
from playwright.sync_api import Page
from safetensors.torch import load as read_tensors

WAIT = 90_000  # ms; a shared classroom machine can be slow to start a session


@pytest.fixture
def page(app_url, open_tab) -> Page:
    """The 2D page on XOR, one step trained, paused."""
    page = open_tab(f"{app_url}/playground?dataset=xor&lang=en", 1400, 1000)
    page.wait_for_function("window.__playgroundStep === 0", timeout=WAIT)
    page.get_by_role("button", name="Step").click()
    page.wait_for_function("window.__playgroundStep === 1", timeout=WAIT)
    return page


def test_save_image_downloads_the_whole_live_view_as_one_png(page):
    with page.expect_download(timeout=WAIT) as download:
        page.get_by_role("button", name="Save image").click()
    assert download.value.suggested_filename == "playground-step1.png"
    image = Image.open(download.value.path()).convert("RGB")
    view = page.locator(".live").bounding_box()
    ratio = page.evaluate("window.devicePixelRatio")
    assert abs(image.width - (view["width"] + 2 * 12) * ratio) <= 2  # with a margin of 12 px
    assert image.height > 0.8 * view["height"] * ratio  # status, plane, curves, gradients and network
    background = page.locator(".live").evaluate("live => getComputedStyle(live).getPropertyValue('--st-background-color')")
    corner = "#{:02x}{:02x}{:02x}".format(*image.getpixel((image.width - 2, image.height - 2)))
    assert corner == background.strip().lower()  # painted on the page's background, not transparent
    colours = len(image.resize((200, 200)).getcolors(200 * 200))
    assert colours > 200  # the plane's shades, the curves, the network: not an empty picture


def test_the_panel_downloads_the_runs_settings_and_weights(page):
    page.get_by_text("Take it home").click()
    page.get_by_role("button", name="Weights (safetensors)").wait_for(timeout=WAIT)
    with page.expect_download(timeout=WAIT) as download:
        page.get_by_role("button", name="Settings (JSON)").click()
    assert download.value.suggested_filename == "xor-mlp-step1-settings.json"
    settings = json.loads(open(download.value.path()).read())
    assert settings["steps"] == 1 and settings["config"]["dataset"] == "xor"
    with page.expect_download(timeout=WAIT) as download:
        page.get_by_role("button", name="Weights (safetensors)").click()
    tensors = read_tensors(open(download.value.path(), "rb").read())
    assert {name for name in tensors if name.endswith("weight")}  # the network's layers, by their names
    assert all(tensor.dtype.is_floating_point for tensor in tensors.values())
