"""live_view.js alone in a blank Chromium page (no Streamlit): its HTML and CSS in a shadow root as
Streamlit mounts them, the module's `exports` on `window.live` with `root` and `bytes` (base64 to
bytes), served by the page's own route handler, never the network."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Page

from playground.components.live_view import _HTML

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "playground" / "static" / "live_view.js"
STYLE = ROOT / "playground" / "components" / "live_view.css"
ORIGIN = "http://live-view.test"


def open_harness(page: Page, exports: Sequence[str] = ()) -> Page:
    """Load live_view.js into `page` with its default export `render` and the named `exports`."""
    named = f", {{ {', '.join(exports)} }}" if exports else ""
    html = f"""<!doctype html><meta charset="utf-8"><body style="margin:0;width:1300px">
<div id="host"></div>
<script type="module">
  import render{named} from "./live_view.js";
  const root = document.getElementById("host").attachShadow({{ mode: "open" }});
  root.innerHTML = `<style>${{await (await fetch("./live_view.css")).text()}}</style>{_HTML}`;
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  window.live = {{ render, {"".join(f"{name}, " for name in exports)}root, bytes }};
</script>"""
    files = {"/": ("text/html", html), "/live_view.js": ("text/javascript", SCRIPT.read_text()),
             "/live_view.css": ("text/css", STYLE.read_text())}

    def serve(route) -> None:
        content_type, body = files[route.request.url.removeprefix(ORIGIN)]
        route.fulfill(content_type=content_type, body=body)

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.wait_for_function("window.live !== undefined", timeout=60_000)  # a bound on a busy machine
    return page
