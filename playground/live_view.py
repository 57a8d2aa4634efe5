"""The live view component: canvases painted in the browser from one frame per tick.

A custom component (Streamlit components v2: inline HTML/JS, no iframe) because each
Plotly chart redrawn per tick caps a page near 9 frames/s (see ../shared/LIVE.md).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from playground.frames import Frame

_HERE = Path(__file__).parent

_HTML = """
<div class="live">
  <div class="status"></div>
  <div class="top">
    <canvas class="boundary" role="img" aria-label="Decision boundary"></canvas>
    <div class="curves">
      <canvas class="loss" role="img" aria-label="Loss curves"></canvas>
      <canvas class="accuracy" role="img" aria-label="Accuracy curves"></canvas>
    </div>
  </div>
  <div class="gradients">
    <canvas class="gradtime" role="img" aria-label="Gradient flow over time"></canvas>
    <canvas class="gradbars" role="img" aria-label="Gradient per layer"></canvas>
  </div>
  <canvas class="network" role="img" aria-label="Network diagram"></canvas>
</div>
"""

_component = st.components.v2.component(
    "playground.live_view",
    html=_HTML,
    css=(_HERE / "live_view.css").read_text(),
    js=(_HERE / "live_view.js").read_text(),
)


def live_view(frame: Frame, key: str) -> None:
    """Paint one frame (from `playground.frames.live_frame`)."""
    _component(key=key, data=frame.to_bytes(), height="content")
