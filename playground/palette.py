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

# Series in order: layers of a network (gradient charts), then curves of the live view.
SERIES = (BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, VERMILION, YELLOW, BLACK)
TRAIN, TEST = BLUE, ORANGE
CLASSES = (ORANGE, BLUE, GREEN, PURPLE)  # class 0, 1, 2, ...
RUNS = (BLUE, ORANGE, GREEN, PURPLE)  # the compared runs A, B, C, D
OPTIMIZERS = {"sgd": BLACK, "momentum": ORANGE, "nesterov": VERMILION, "adagrad": SKY_BLUE,
              "rmsprop": GREEN, "adadelta": PURPLE, "adam": BLUE,
              "nadam": "#9467BD"}  # Okabe-Ito has only eight colours: nadam borrows Plotly's violet
OTHER = "#333333"  # anything not listed above

# Greys: text, axes and the marks drawn over coloured backgrounds.
INK = "#1f2430"  # titles and labels
MUTED = "#4b5563"  # tick labels and axis titles
GRID = "#d9dce3"  # grid lines
AXIS = "#6b7280"  # axis lines, frames, "no data yet" notes
DARK = "#111827"  # the decision boundary, start and minimum markers, regression test rims (Plotly)
NODE = "#374151"  # input neurons, neuron frames, the live view's regression test points' rims
LIGHT_RIM = "#9ca3af"  # regression training points' rims
EMPTY = "#e5e7eb"  # a hidden neuron drawn without a thumbnail
WHITE = "#ffffff"

# Colour scales over a plane: white where the network is undecided.
BOUNDARY_SCALE = [[0.0, "#f5c97a"], [0.5, WHITE], [1.0, "#7fb3d9"]]  # P(class 1): pale orange to pale blue
VALUE_SCALE = [[0.0, ORANGE], [0.5, WHITE], [1.0, BLUE]]  # a regression's value: orange low, blue high
PLANE_TINT = 0.55  # the live view's plane: how far from white towards a class colour where the net is sure

# The backprop diagram: forward values, backward gradients, updated weights, steps not yet shown,
# and the step just taken (also the table's highlighted row).
FORWARD = "#1f5fa8"
BACKWARD = "#c0392b"
UPDATE = "#1e8449"
HIDDEN = "#b0b0b0"
HIGHLIGHT = "#fff1a8"
DIAGRAM_RIM = "#444"  # the neurons' circles
DIAGRAM_INPUT = "#f4f6fa"  # inside an input's circle
DIAGRAM_NODE = "#e8eef8"  # inside Σ, σ and L
DIAGRAM_SYMBOL = "#222"  # Σ, σ, L


def for_browser() -> dict[str, Any]:
    """What live_view.js colours with, as JSON-ready values (hex strings; the script turns
    the ones it mixes into RGB itself). Sent in every frame's header."""
    return {
        "orange": ORANGE, "blue": BLUE, "classes": list(CLASSES), "series": list(SERIES),
        "train": TRAIN, "test": TEST,
        "ink": INK, "muted": MUTED, "grid": GRID, "axis": AXIS, "dark": DARK, "node": NODE,
        "light_rim": LIGHT_RIM, "empty": EMPTY, "tint": PLANE_TINT,
    }
