"""Start a Streamlit app on a free local port, for the browser tests (tests/browser/conftest.py) and the benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from playground.serve_class import end_process, free_port

ROOT = Path(__file__).resolve().parents[1]
APP = "playground/app.py"
CHROMIUM = "/usr/bin/chromium"
# Headless Chromium on a machine with no outside network (see ../shared/tools/look.py).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
START_SECONDS = 120  # a bound on a hung start, not a speed target: a busy machine can take a while


def stop(server: subprocess.Popen, seconds: float = 10) -> None:
    """End a server, killing it if it does not end on SIGTERM within `seconds` (a script still running)."""
    end_process(server, seconds=seconds)


@contextmanager
def running_app(script: str = APP, prefix: Sequence[str] = (),
                pinned: bool = False, env: Mapping[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yield the base URL and the server process of `script` (relative to the project root) served by Streamlit;
    `prefix` wraps the command (e.g. prlimit). `pinned` (benchmarks, on two cores or more): the server runs on
    core 0, and this process, with the Playwright driver and Chromium it starts, on core 1, as if the browser
    ran on a student's laptop. `env`: extra environment variables for the server, over this process's."""
    pinned = pinned and (os.cpu_count() or 1) > 1
    port = free_port()
    server = subprocess.Popen(
        [*prefix, *(["taskset", "-c", "0"] if pinned else []), sys.executable, "-m", "streamlit", "run", script,
         "--server.port", str(port),
         "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{script} did not start (exit code {server.poll()})") from None
                time.sleep(0.25)
        if pinned:
            os.sched_setaffinity(0, {1})
        yield url, server
    finally:
        stop(server)
