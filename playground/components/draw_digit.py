"""The drawing pad: the student draws a digit and gets it back as an image to classify.

A custom component (Streamlit components v2: inline HTML/JS, no iframe). The browser
draws the strokes itself, so drawing is smooth however slow the server is, and sends
Python a small greyscale image while the pen moves and when it lifts.

Why 56x56 and not 28x28: the digit still has to be cropped and scaled to 20 pixels the
way MNIST's were (`engine.core.digits.to_mnist`). A digit drawn on two thirds of the pad is
about 37 pixels tall at 56x56, so that step shrinks it and leaves soft, MNIST-like edges;
at 28x28 it would be 19 pixels tall and smaller digits would have to be blown up, blocky.
It is still only 3,136 numbers per message.

The pad's own texts (the Clear button, the label a screen reader reads) come from
`texts/<lang>/mnist.toml` with each run, so they follow the session's language.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import streamlit as st

from playground.i18n import t

GRID = 56  # the drawing comes back as GRID x GRID grey levels; must match GRID in draw_digit.js
PAD_SIZE = 280  # the pad's side in CSS pixels: 10x MNIST's 28, big enough for a mouse

_HTML = f"""
<div class="draw-digit">
  <canvas class="pad" width="{PAD_SIZE}" height="{PAD_SIZE}" role="img"></canvas>
  <button type="button" class="clear"></button>
</div>
"""

# The pad is paper in the page's theme (Streamlit sets --st-* on the component's host): its
# secondary background, framed, the ink in its text colour (draw_digit.js reads `color`), dark
# on light or light on dark. Only the ink's coverage goes to Python, so the image the network
# gets is white on black, as MNIST's, in either theme.
_CSS = f"""
.draw-digit {{ display: inline-flex; flex-direction: column; gap: 8px; align-items: flex-start; }}
canvas.pad {{
  width: {PAD_SIZE}px; height: {PAD_SIZE}px; display: block;
  background: var(--st-secondary-background-color, #f0f2f6); color: var(--st-text-color, #31333f);
  box-shadow: 0 0 0 1px var(--st-border-color, #d0d0d0);  /* a frame that takes no room from the pad */
  border-radius: var(--st-base-radius, 8px); cursor: crosshair;
  touch-action: none;  /* a finger on the pad draws instead of scrolling the page */
}}
button.clear {{
  font-family: var(--st-font, sans-serif); font-size: 14px; padding: 4px 14px; cursor: pointer;
  color: inherit; background: transparent; border: 1px solid var(--st-border-color, #d0d0d0);
  border-radius: var(--st-base-radius, 8px);
}}
button.clear:hover {{ border-color: var(--st-primary-color, #ff4b4b); color: var(--st-primary-color, #ff4b4b); }}
"""

_component = st.components.v2.component(
    "playground.components.draw_digit",
    html=_HTML,
    css=_CSS,
    js=(Path(__file__).parent / "draw_digit.js").read_text(),
)


def draw_digit(key: str) -> np.ndarray | None:
    """Show the drawing pad; return the drawing as a GRID x GRID float32 image in [0, 1]
    (white ink = 1 on black = 0, the way MNIST stores digits), or None if nothing is drawn.

    The drawing is component state, so it survives reruns until the student presses Clear.
    Pass the result through `engine.core.digits.to_mnist` before giving it to an MNIST network.
    """
    previous = _drawing_bytes(st.session_state.get(key))
    # The drawing goes back to the browser only so a pad that was remounted (blank) can repaint
    # the drawing Python still holds; a pad that is already showing it ignores it. Base64 keeps
    # it small inside the JSON that also carries the pad's texts.
    data = {"drawing": base64.b64encode(previous).decode() if previous else "",
            "clear": t("mnist.draw.clear"), "label": t("mnist.draw.pad")}
    result = _component(key=key, data=data, width="content", on_drawing_change=lambda: None)
    grey = _drawing_bytes(result)
    if grey is None:
        return None
    return (np.frombuffer(grey, dtype=np.uint8).reshape(GRID, GRID) / 255.0).astype(np.float32)


def _drawing_bytes(state: object) -> bytes | None:
    """The drawing in a component state ({"drawing": [GRID * GRID ints]}) as bytes, or None if
    there is no drawing or it has no ink."""
    drawing = state.get("drawing") if hasattr(state, "get") else None
    if not isinstance(drawing, list) or len(drawing) != GRID * GRID:
        return None
    grey = np.clip(np.asarray(drawing, dtype=np.int64), 0, 255).astype(np.uint8)
    return grey.tobytes() if grey.any() else None
