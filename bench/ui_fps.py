"""Frames per second painted by the 2D page while it plays, and training steps per second.

Starts the app on a free port (the server pinned to core 0), drives Debian's Chromium
with Playwright (pinned to core 1, as if the browser ran on a student's laptop), opens the
2D page with a 2-8-8-8-1 tanh net (Adam, batch 10), presses Play and, after a warm-up,
counts over a measurement window:
  - painted frames/s, counted in the browser (requestAnimationFrame after each paint),
  - training steps/s, from the step counter the page shows,
  - the server's CPU milliseconds per frame (what decides how many students a server holds).
Reference figures measured the same way on the same machine in ../shared/LIVE.md: TensorFlow
Playground ~19 frames/s and ~470 steps/s on this net; our target is 20 frames/s and 1,000 steps/s.

    .venv/bin/python -m bench.ui_fps [--seconds 10] [--query "hidden_sizes=8,8,8"]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

# The app is started the way the browser tests start it; run as a module from the project's folder
# (`python -m bench.ui_fps`), so `tests` imports.
from tests.serve import CHROMIUM, CHROMIUM_ARGS, running_app

DEFAULT_QUERY = "dataset=circle&hidden_sizes=8,8,8&activation=tanh&optimizer=adam&batch_size=10"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(seconds: float, query: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with running_app(pinned=True) as (url, server):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/playground?{query}")
            page.get_by_role("button", name="Play").click()
            page.wait_for_function("window.__playgroundStep > 0", timeout=30_000)
            time.sleep(3)  # warm-up
            read = "[window.__playgroundFrames, window.__playgroundStep, window.__playgroundDrawMs]"
            frames0, steps0, draw0 = page.evaluate(read)
            cpu0, t0 = cpu_seconds(server.pid), time.perf_counter()
            time.sleep(seconds)
            frames1, steps1, draw1 = page.evaluate(read)
            cpu1, t1 = cpu_seconds(server.pid), time.perf_counter()
            browser.close()
    elapsed, frames = t1 - t0, frames1 - frames0
    return {"frames_per_s": frames / elapsed, "steps_per_s": (steps1 - steps0) / elapsed,
            "server_cpu_ms_per_frame": 1000 * (cpu1 - cpu0) / max(frames, 1),
            "draw_ms_per_frame": (draw1 - draw0) / max(frames, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--query", default=DEFAULT_QUERY)
    args = parser.parse_args()
    result = measure(args.seconds, args.query)
    print(f"2D page, {args.query}, measured over {args.seconds:.0f} s after a 3 s warm-up")
    print(f"painted frames/s        {result['frames_per_s']:7.1f}   (target >= 20; TensorFlow Playground ~19)")
    print(f"training steps/s        {result['steps_per_s']:7.0f}   (target >= 1000; TensorFlow Playground ~470)")
    print(f"server CPU ms per frame {result['server_cpu_ms_per_frame']:7.1f}")
    print(f"browser drawing ms/frame{result['draw_ms_per_frame']:7.1f}   (our JavaScript only, not the browser's painting)")


if __name__ == "__main__":
    main()
