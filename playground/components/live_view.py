"""The live view component: canvases painted in the browser from one frame per tick.

A custom component (Streamlit components v2: inline HTML/JS, no iframe) because each
Plotly chart redrawn per tick caps a page near 9 frames/s (see ../shared/LIVE.md).
The canvas draws in its `Viewer`'s language and at its scale (larger in presenter mode),
in the colours of `playground.palette` that each frame carries.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from playground.components.live_frame import Frame, live_texts
from playground.viewer import Viewer

_HERE = Path(__file__).parent

_HTML = """
<div class="live">
  <div class="status"></div>
  <div class="top">
    <canvas class="boundary" role="img"></canvas>
    <div class="curves">
      <canvas class="loss" role="img"></canvas>
      <canvas class="accuracy" role="img"></canvas>
    </div>
  </div>
  <div class="gradients">
    <canvas class="gradtime" role="img"></canvas>
    <canvas class="gradbars" role="img"></canvas>
  </div>
  <canvas class="network" role="img"></canvas>
</div>
"""

_component = st.components.v2.component(
    "playground.components.live_view",
    html=_HTML,
    css=(_HERE / "live_view.css").read_text(),
    js=(_HERE / "live_view.js").read_text(),
)


def live_view(frame: Frame, key: str, view: Viewer) -> None:
    """Paint one frame (from `playground.components.live_frame.live_frame`) for `view`: its
    language and drawing scale (pages pass `viewer.current()`) replace the frame's own."""
    frame = frame.for_viewer(live_texts(view.lang), view.scale)
    _component(key=key, data=frame.to_bytes(), height="content")
