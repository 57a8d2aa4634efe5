"""The one colour palette of every figure: the Plotly figures (`playground.figures`, the
backprop page's diagram) and the live view's canvases, which receive it in each frame's
header (`for_browser`, read by static/live_view.js).

Why Okabe-Ito (Okabe & Ito, "Color Universal Design", 2002): its eight colours stay
distinct for viewers with any common colour-vision deficiency (red-green or blue-yellow),
and in greyscale print, so no figure depends on telling red from green. About one man in
twelve sees colours that way: a classroom of thirty often has one. Two classes are always
orange (0) and blue (1), train is blue and test orange, and each layer, run or optimizer
keeps its colour across every page.

Plain data, no Streamlit: any module can import it, and tests can check it.
"""

from __future__ import annotations

from typing import Any

# Okabe-Ito, in its usual order.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"  # "bluish green"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILION = "#D55E00"
PURPLE = "#CC79A7"  # "reddish purple"

# Black on a light page, near-white on a dark one: Streamlit's placeholder for its charts' text
# grey, which st.plotly_chart (its default theme="streamlit") replaces in the browser with its
# gray90 on a light theme and its gray10 on a dark one, again when the theme changes
# (streamlit/elements/lib/streamlit_plotly_theme.py GRAY_90; tests/app/test_theme.py checks
# it). Where Okabe-Ito's black would be drawn straight on the page (the eighth series, SGD, the
# race's start and minimum) it is this instead, so it does not vanish on a dark page; the live
# view draws it in the theme's text colour (`for_browser`'s "black").
THEME_TEXT = "#000037"

# Series in order: layers of a network (gradient charts), then curves of the live view.
SERIES = (BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, VERMILION, YELLOW, THEME_TEXT)
TRAIN, TEST = BLUE, ORANGE
CLASSES = (ORANGE, BLUE, GREEN, PURPLE)  # class 0, 1, 2, ...
RUNS = (BLUE, ORANGE, GREEN, PURPLE)  # the compared runs A, B, C, D
OPTIMIZERS = {"sgd": THEME_TEXT, "momentum": ORANGE, "nesterov": VERMILION, "adagrad": SKY_BLUE,
              "rmsprop": GREEN, "adadelta": PURPLE, "adam": BLUE,
              "nadam": "#9467BD"}  # Okabe-Ito has only eight colours: nadam borrows Plotly's violet
OTHER = "#333333"  # anything not listed above

# Greys: text, axes and the marks drawn over coloured backgrounds. The live view paints with
# them only where the page names no theme; otherwise with THEME_SHARES below.
INK = "#1f2430"  # titles and labels
MUTED = "#4b5563"  # tick labels and axis titles
GRID = "#d9dce3"  # grid lines
AXIS = "#6b7280"  # axis lines, frames, "no data yet" notes
DARK = "#111827"  # the decision boundary and regression test rims on the pale planes of Plotly figures
NODE = "#374151"  # input neurons, neuron frames, the live view's regression test points' rims
LIGHT_RIM = "#9ca3af"  # regression training points' rims
EMPTY = "#e5e7eb"  # a hidden neuron drawn without a thumbnail
WHITE = "#ffffff"

# The live view follows the page's theme (Streamlit's light or dark, the browser's choice by
# default, or a custom one): it writes in the theme's text colour, and where the palette says
# white (the plane where the network is undecided, the rims of points) it uses the theme's
# background. Each grey is the text colour laid over the background at this share (0: the
# background, 1: the text), so it keeps its role in any theme: tick labels (muted) and notes
# (axis) stay above 4.5:1 against the background in Streamlit's light and dark themes
# (tests/app/test_theme.py), grid lines stay faint. The decision boundary is the text colour.
THEME_SHARES = {"muted": 0.8, "axis": 0.7, "grid": 0.16, "node": 0.85, "light_rim": 0.42, "empty": 0.12}

# Colour scales over a plane: white where the network is undecided.
BOUNDARY_SCALE = [[0.0, "#f5c97a"], [0.5, WHITE], [1.0, "#7fb3d9"]]  # P(class 1): pale orange to pale blue
VALUE_SCALE = [[0.0, ORANGE], [0.5, WHITE], [1.0, BLUE]]  # a regression's value: orange low, blue high
PLANE_TINT = 0.55  # the live view's plane: how far from white towards a class colour where the net is sure
# The same on a dark theme's background: less far, so the plane stays darker than the points on it
# (full class colours) and they keep standing out, as they do on the pale plane of a light theme.
PLANE_TINT_DARK = 0.35

# The backprop diagram: forward values, backward gradients, updated weights, steps not yet shown,
# and the step just taken (also the table's highlighted row).
FORWARD = "#1f5fa8"
BACKWARD = "#c0392b"
UPDATE = "#1e8449"
HIDDEN = "#b0b0b0"
# Translucent, so it reads under either theme's text: #fff1a6 under dark text on white, a dark
# olive under light text on a dark theme (a table's highlighted row takes the theme's text colour).
HIGHLIGHT = "rgba(255, 214, 0, 0.35)"
DIAGRAM_RIM = "#444"  # the neurons' circles
DIAGRAM_INPUT = "#f4f6fa"  # inside an input's circle
DIAGRAM_NODE = "#e8eef8"  # inside Σ, σ and L
DIAGRAM_SYMBOL = "#222"  # Σ, σ, L

# The frame of each filter or feature map tiled on the MNIST page (figures.tile): a mid grey,
# seen against white (3.9:1) and against a dark theme's background (4.6:1 on Streamlit's).
TILE_FRAME = "#808080"


def for_browser() -> dict[str, Any]:
    """What live_view.js colours with, as JSON-ready values (hex strings; the script turns
    the ones it mixes into RGB itself). Sent in every full message's header. The greys and
    `paper` are for a page without a theme; with one, the script mixes its own by `shares`,
    and `black` (THEME_TEXT) in `series` stands for the theme's text colour."""
    return {
        "orange": ORANGE, "blue": BLUE, "classes": list(CLASSES), "series": list(SERIES),
        "train": TRAIN, "test": TEST, "black": THEME_TEXT,
        "ink": INK, "muted": MUTED, "grid": GRID, "axis": AXIS, "dark": DARK, "node": NODE,
        "light_rim": LIGHT_RIM, "empty": EMPTY, "paper": WHITE, "shares": dict(THEME_SHARES), "tint": PLANE_TINT,
        "tint_dark": PLANE_TINT_DARK,
    }
