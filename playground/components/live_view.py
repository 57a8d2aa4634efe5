"""The live view component: canvases painted in the browser from one frame per tick.

A custom component (Streamlit components v2: inline HTML/JS, no iframe) because each
Plotly chart redrawn per tick caps a page near 9 frames/s (see ../shared/LIVE.md).
The canvas draws in the session's language and, in presenter mode, larger.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from playground import viewer
from playground.components.live_frame import Frame, live_texts
from playground.i18n import current_language

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


def live_view(frame: Frame, key: str, lang: str | None = None, scale: float | None = None) -> None:
    """Paint one frame (from `playground.components.live_frame.live_frame`) in `lang` at `scale`; by
    default the session's language and presenter-mode scale replace the frame's own."""
    frame = frame.for_viewer(live_texts(lang or current_language()), viewer.scale() if scale is None else scale)
    _component(key=key, data=frame.to_bytes(), height="content")
