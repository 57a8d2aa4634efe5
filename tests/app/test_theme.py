"""Colours that must read in Streamlit's light and dark themes (the browser's colour scheme
picks one): the live view's greys, mixed in the browser from the theme's text and background
colours by palette.THEME_SHARES, a highlighted table row, and the MNIST lab's tiled filters
and feature maps, whose gaps take the page's background."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from playground import figures, palette

# Streamlit 1.67's built-in themes as a component sees them (--st-text-color, --st-background-color),
# read in Chromium with the light and the dark colour scheme (tests/browser/test_browser_theme.py).
THEMES = {"light": ("#2F2D2B", "#FFFFFF"), "dark": ("#EDEBE8", "#171614")}
TEXT = 4.5  # WCAG 2's contrast for text


def rgb(colour: str) -> np.ndarray:
    """'#rrggbb' or 'rgba(r, g, b, a)' -> [r, g, b, a] floats (a in [0, 1])."""
    if colour.startswith("#"):
        return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)] + [1.0])
    return np.array([float(part) for part in colour[colour.index("(") + 1 : -1].split(",")])


def over(colour: str, background: str) -> np.ndarray:
    """`colour`, maybe translucent, as seen over the opaque `background`: [r, g, b]."""
    top, bottom = rgb(colour), rgb(background)
    return top[:3] * top[3] + bottom[:3] * (1 - top[3])


def luminance(colour: np.ndarray) -> float:
    channel = np.asarray(colour[:3], dtype=float) / 255
    linear = np.where(channel <= 0.03928, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def grey(theme: str, name: str) -> np.ndarray:
    """A grey of the live view in `theme`, as live_view.js mixes it: the text laid over the background."""
    text, background = (rgb(c)[:3] for c in THEMES[theme])
    return np.round(background + (text - background) * palette.THEME_SHARES[name])


@pytest.mark.parametrize("theme", THEMES)
def test_tick_labels_and_notes_of_the_live_view_read_in_either_theme(theme):
    background = rgb(THEMES[theme][1])
    for name in ("muted", "axis", "node"):  # tick labels and axis titles, "press Play" notes, input neurons
        assert contrast(grey(theme, name), background) >= TEXT, (theme, name)
    assert contrast(rgb(THEMES[theme][0]), background) >= TEXT  # titles: the theme's text colour itself


@pytest.mark.parametrize("theme", THEMES)
def test_grid_lines_stay_faint_and_empty_neurons_pale_in_either_theme(theme):
    background = rgb(THEMES[theme][1])
    assert contrast(grey(theme, "grid"), background) < 1.6
    assert contrast(grey(theme, "empty"), background) < 1.6
    # each grey keeps its place between the background and the text, in either theme
    order = [contrast(grey(theme, name), background) for name in ("empty", "grid", "light_rim", "axis", "muted")]
    assert order == sorted(order)


def test_the_browser_gets_the_shares_and_a_fallback_for_a_page_without_a_theme():
    colours = palette.for_browser()
    assert colours["shares"] == palette.THEME_SHARES
    assert all(0 < share <= 1 for share in colours["shares"].values())
    assert colours["paper"] == palette.WHITE and colours["black"] in colours["series"]
    assert 0 < colours["tint_dark"] < colours["tint"] < 1  # a dark plane stays darker than the points on it
    for name in ("ink", "muted", "grid", "axis", "node", "light_rim", "empty"):
        assert colours[name].startswith("#") and len(colours[name]) == 7, name


@pytest.mark.parametrize("theme", THEMES)
def test_a_highlighted_row_reads_under_the_themes_own_text(theme):
    text, background = THEMES[theme]
    assert contrast(rgb(text), over(palette.HIGHLIGHT, background)) >= TEXT
    assert contrast(over(palette.HIGHLIGHT, background), rgb(background)) > 1.1  # and still stands out


def test_tiled_filters_keep_their_pixels_with_transparent_gaps_and_grey_frames():
    images = np.random.default_rng(0).random((5, 3, 4)).astype(np.float32)
    sheet = figures.tile(images, columns=3, gap=2, scale=2)
    assert sheet.shape == (2 * 6 + 4 + 2, 3 * 8 + 2 * 4 + 2, 4)  # 2 rows, 3 columns, gaps of 4, frame of 1
    frame = rgb(palette.TILE_FRAME)[:3] / 255
    for i, image in enumerate(images):
        r, c = divmod(i, 3)
        top, left = 1 + r * 10, 1 + c * 12
        inside = sheet[top : top + 6, left : left + 8]
        assert np.array_equal(inside[..., 0], np.kron(image, np.ones((2, 2)))), i  # each pixel, enlarged
        assert np.all(inside[..., 3] == 1)
        ring = np.concatenate([sheet[top - 1, left - 1 : left + 9], sheet[top + 6, left - 1 : left + 9],
                               sheet[top : top + 6, left - 1], sheet[top : top + 6, left + 8]])
        assert np.allclose(ring[:, :3], frame) and np.all(ring[:, 3] == 1), i
    assert np.all(sheet[1:7, 10:12, 3] == 0)  # between two tiles: the page shows through
    assert np.all(sheet[11:, 25:, 3] == 0)  # where a sixth image would go: nothing


def test_a_tiled_sheet_travels_as_a_png_that_keeps_its_transparency():
    sheet = figures.tile(np.full((2, 3, 3), 0.25, dtype=np.float32), columns=2, gap=2, scale=3)
    uri = figures.png_data_uri(sheet)
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.removeprefix("data:image/png;base64,")))))
    assert image.shape == sheet.shape and image.dtype == np.uint8
    assert np.array_equal(image, np.round(sheet * 255).astype(np.uint8))
    grey = np.asarray(Image.open(io.BytesIO(base64.b64decode(figures.png_data_uri(np.eye(4))[22:]))))
    assert grey.shape == (4, 4) and grey[0, 0] == 255 and grey[0, 1] == 0  # a grey image stays grey


def test_black_marks_of_plotly_figures_are_streamlits_theme_text_placeholder():
    # st.plotly_chart replaces this colour in the browser by its theme's near-black or near-white:
    # an upgrade of Streamlit that renames it would leave SGD's path black on a dark page.
    from streamlit.elements.lib.streamlit_plotly_theme import GRAY_90

    assert palette.THEME_TEXT == GRAY_90
    assert palette.OPTIMIZERS["sgd"] == palette.THEME_TEXT and palette.BLACK not in palette.SERIES
    assert palette.for_browser()["black"] == palette.THEME_TEXT  # the live view draws it in the theme's text colour
