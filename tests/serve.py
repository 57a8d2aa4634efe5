"""Start the app on a free local port, for browser tests and benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# Headless Chromium on a machine with no outside network (see ../shared/tools/look.py).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(prefix: Sequence[str] = ()) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yield the app's base URL and its server process; `prefix` wraps the command (e.g. taskset)."""
    port = free_port()
    server = subprocess.Popen(
        [*prefix, sys.executable, "-m", "streamlit", "run", "playground/app.py", "--server.port", str(port),
         "--server.headless", "true"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        else:
            raise RuntimeError("the app did not start within 60 s")
        yield url, server
    finally:
        server.terminate()
        server.wait(10)
