"""The live view component: canvases painted in the browser from the messages of
`playground.components.live_frame.live_message`, each carrying several snapshots of the run
that the browser plays back smoothly until the next message arrives.

A custom component (Streamlit components v2: inline HTML/JS, no iframe) because each
Plotly chart redrawn per tick caps a page near 9 frames/s (see ../shared/LIVE.md). Streamlit
sends a component's code with every message, so the code it is given is a small loader: the
drawing code itself (`playground/static/live_view.js`, ~50 kB) is served once as a static file
(`server.enableStaticServing`) and cached by the browser under its content's hash.
The canvas draws in the language and at the scale the messages carry (larger in presenter
mode), in the colours of `playground.palette`, its text, greys and background following the
page's theme, light or dark (Streamlit's --st-* CSS variables on the component's host, read by
the script; Streamlit calls the component again when the theme changes, and it repaints).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from playground.components.live_frame import Frame

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
  <div class="tools"><button class="save" type="button"></button></div>
</div>
"""

SCRIPT = _HERE.parent / "static" / "live_view.js"


def _loader() -> str:
    """The component's code: it imports the drawing code from the app's static files (under
    the server's base path, versioned by content) once, then hands it each message, in order."""
    version = hashlib.sha256(SCRIPT.read_bytes()).hexdigest()[:12]
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    path = f"/{base}/app/static/live_view.js" if base else "/app/static/live_view.js"
    return f"""
let view = null;
export default function (component) {{
  view = view || import(new URL("{path}?v={version}", window.location.origin).href);
  view.then((module) => module.default(component));
}}
"""


_component = st.components.v2.component(
    "playground.components.live_view",
    html=_HTML,
    css=(_HERE / "live_view.css").read_text(),
    js=_loader(),
)


def live_view(frame: Frame, key: str, on_click: Callable[[], None] | None = None) -> None:
    """Send the browser one message (from `live_message`) to play back. With `on_click` the plane
    takes clicks (a crosshair cursor): each sends its point on the plane as the `click` trigger,
    {"x1": ..., "x2": ...}, and calls `on_click`, which reads it from `st.session_state[key]`."""
    if on_click is None:
        _component(key=key, data=frame.to_bytes(), height="content")
        return
    drawing = Frame({**frame.header, "draw": True}, frame.blobs)
    _component(key=key, data=drawing.to_bytes(), height="content", on_click_change=on_click)
