"""A tiny app around the drawing pad, for tests/test_draw_digit_browser.py.

It reports what Python received in one line the browser test can read: the ink in the
drawing, where it sits on the pad (as shares of the pad's height and width), and the
MNIST-ready image's bounding box and the ink in its middle (empty for a "0").
"""

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

from engine.core.digits import centre_of_mass, to_mnist
from playground.components.draw_digit import draw_digit

# Moving the pad into a column mounts a new pad in the page: the drawing must come back on it.
if st.toggle("Pad in a column", key="in_column"):
    with st.columns(2)[0]:
        drawing = draw_digit(key="digit")
else:
    drawing = draw_digit(key="digit")
if drawing is None:
    st.write("drawing: none")
else:
    mnist = to_mnist(drawing)
    row, col = centre_of_mass(drawing)
    rows, cols = mnist.any(axis=1).nonzero()[0], mnist.any(axis=0).nonzero()[0]
    st.write(
        f"drawing: ink={drawing.sum():.1f} row={row / drawing.shape[0]:.2f} col={col / drawing.shape[1]:.2f} "
        f"box={np.ptp(rows) + 1}x{np.ptp(cols) + 1} middle={mnist[12:17, 12:17].sum():.2f}"
    )
    # Inline as a data URI: a media-file URL can expire before the browser fetches it when the
    # pad reruns the app every 150 ms, which logs a 404 in the console.
    png = io.BytesIO()
    Image.fromarray((mnist * 255).round().astype(np.uint8)).save(png, format="PNG")
    st.image(f"data:image/png;base64,{base64.b64encode(png.getvalue()).decode()}",
             caption="What an MNIST network sees (28x28)", width=140)
