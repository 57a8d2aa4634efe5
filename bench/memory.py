"""The server's memory while one session plays for N minutes: does it stay flat?

Starts the app on a free port (the server pinned to core 0, Chromium to core 1, as in
bench/ui_fps.py), opens one page in Debian's Chromium with Playwright and keeps it training:
  - `--page playground` (default): the 2D page, Play at max speed (the speed it starts at);
  - `--page compare`: Compare's Play;
  - `--page mnist`: the MNIST lab's Train with `--epochs` epochs, pressed again whenever a
    training ends, so the run trains for the whole time.
Every `--every` seconds it prints the time since the click, the server's resident memory
(VmRSS from /proc, the server's child processes included) and how far the run has trained
(the 2D page's step counter, Compare's "Step N", the MNIST lab's epochs). At the end: the
growth from minute 1 to the end, against the target of issue 12 (with one session playing at
max speed, the server's RSS grows <= 5 MB from minute 1 to minute 10).

    .venv/bin/python -m bench.memory [--page playground|compare|mnist] [--minutes 10] [--every 30]
                                     [--query "..."] [--epochs 5]
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run as a module from the project's folder (`python -m bench.memory`), so `tests` and `bench` import.
from bench.ui_fps import DEFAULT_QUERY
from tests.serve import CHROMIUM, CHROMIUM_ARGS, running_app

TARGET_MB = 5.0  # issue 12: RSS growth from minute 1 to minute 10 with one session playing
TARGET_FROM_S, TARGET_TO_S = 60.0, 600.0
POLL_SECONDS = 2.0  # how often a finished MNIST training is noticed and started again
LOAD_TIMEOUT_MS = 120_000  # a bound on a page's first draw on a busy machine, not a speed target
MESSAGES = '[data-testid="stAlert"], [data-testid="stException"], [data-testid="stToast"]'  # what a page says


# --- the server process, from /proc -------------------------------------------------------------

def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (those still alive)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(child) for child in children.read_text().split()]
            except OSError:  # a thread or process that ended meanwhile
                pass
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants, in MB (VmRSS, kB in /proc/<pid>/status)."""
    total_kb = 0
    for each in process_tree(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total_kb += int(match.group(1)) if match else 0
    return total_kb / 1024


# --- what a page shows ----------------------------------------------------------------------------

def shown_texts(page, selector: str) -> list[str]:
    """The texts of the elements `selector` finds, in page order (empty ones left out)."""
    return page.evaluate("(selector) => Array.from(document.querySelectorAll(selector), el => el.innerText.trim())"
                         ".filter(text => text)", selector)


def with_english(query: str) -> str:
    """The query with `lang=en`, so buttons and messages are found by their English labels."""
    return query if re.search(r"(^|&)lang=", query) else f"lang=en&{query}" if query else "lang=en"


def button(page, label: str | re.Pattern):
    return page.get_by_role("button", name=label)


@dataclass(frozen=True)
class Driver:
    """How the benchmark keeps one page training and reads how far it got."""

    path: str
    default_query: str
    unit: str  # what `progress` counts
    start_button: Callable  # (page) -> the Locator of the button that starts training
    progress: Callable  # (page) -> float | None
    keep_going: Callable = lambda page: False  # (page) -> True if it had to start training again


def _progress_2d(page) -> float | None:
    return page.evaluate("window.__playgroundStep ?? null")


def _progress_compare(page) -> float | None:
    """Compare's caption: "Step 1,234" (runs kept together by steps) or "Epoch 1.25" (by epochs)."""
    for text in shown_texts(page, '[data-testid="stCaptionContainer"]'):
        match = re.fullmatch(r"(?:Step|Epoch) ([\d,.]+)", text)
        if match:
            return float(match.group(1).replace(",", ""))
    return None


TRAIN_LABEL = re.compile(r"^Train \d+ epochs?$")  # the MNIST lab's "Train 1 epoch" / "Train 5 epochs"


def train_button(page):
    return button(page, TRAIN_LABEL)


def _progress_mnist(page) -> float | None:
    """Epochs trained, from "Epoch 2 of 5: 40% · ..." while training or "Trained 5.00 epochs ..." after."""
    for text in shown_texts(page, '[data-testid="stProgress"], [data-testid="stAlert"]'):
        if match := re.search(r"Epoch (\d+) of \d+: (\d+)%", text):
            return int(match.group(1)) - 1 + int(match.group(2)) / 100
        if match := re.search(r"Trained ([\d.]+) epochs", text):
            return float(match.group(1))
    return None


def _keep_mnist_going(page) -> bool:
    train = train_button(page)
    if train.count() and train.is_enabled():
        train.click()
        return True
    return False


DRIVERS = {
    "playground": Driver("/playground", DEFAULT_QUERY, "steps", lambda page: button(page, "Play"), _progress_2d),
    "compare": Driver("/compare", "", "lock-steps", lambda page: button(page, "Play"), _progress_compare),
    # A small MLP with small batches: many steps per second, so a history that grows per step shows.
    "mnist": Driver("/mnist", "model=mlp&hidden_sizes=32&train_size=60000&batch_size=16", "epochs",
                    train_button, _progress_mnist, _keep_mnist_going),
}


# --- the run ----------------------------------------------------------------------------------------

def sample_times(minutes: float, every: float) -> list[float]:
    """Seconds after the click at which to sample: every `every` s, minute 1 (the target's start) and the end."""
    end = minutes * 60
    times = {round(k * every, 3) for k in range(1, int(end // every) + 1)} | {end}
    if end > TARGET_FROM_S:
        times.add(TARGET_FROM_S)
    return sorted(times)


def run(name: str, query: str, minutes: float, every: float, epochs: int) -> list[tuple[float, float, float | None]]:
    """Play page `name` for `minutes`, printing each sample as it is taken; returns (seconds, RSS MB, progress)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    driver = DRIVERS[name]
    if name == "mnist" and not re.search(r"(^|&)epochs=", query):
        query = f"{query}&epochs={epochs}"
    query = with_english(query)
    samples: list[tuple[float, float, float | None]] = []
    with running_app(pinned=True) as (url, server):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}{driver.path}?{query}")
            print(f"{driver.path}?{query}")
            start = driver.start_button(page)
            try:
                start.wait_for(timeout=LOAD_TIMEOUT_MS)
            except PlaywrightTimeout:
                print("the page never offered its button; it shows:", *shown_texts(page, MESSAGES) or ["nothing"],
                      sep="\n  ")
                return samples
            print(f"server RSS with the page drawn, before the click: {rss_mb(server.pid):.1f} MB")
            start.click()
            started = time.perf_counter()
            print(f"{'elapsed':>8} {'RSS MB':>9} {'growth':>8} {driver.unit:>12}")
            restarts = 0
            for at in sample_times(minutes, every):
                while (left := at - (time.perf_counter() - started)) > 0:
                    time.sleep(min(left, POLL_SECONDS))
                    if server.poll() is None and driver.keep_going(page):
                        restarts += 1
                if server.poll() is not None:
                    print(f"the server exited (code {server.returncode}) after {at:.0f} s")
                    break
                rss, progress = rss_mb(server.pid), driver.progress(page)
                samples.append((at, rss, progress))
                shown = "?" if progress is None else f"{progress:,.2f}" if driver.unit == "epochs" else f"{progress:,.0f}"
                print(f"{int(at // 60):>5}:{int(at % 60):02d} {rss:9.1f} {rss - samples[0][1]:+8.1f} {shown:>12}",
                      flush=True)
            if restarts:
                print(f"(Train pressed again {restarts} times when a training ended)")
            for text in shown_texts(page, '[data-testid="stException"]'):
                print("ERROR ON THE PAGE:", text[:300])
            browser.close()
    return samples


def report_growth(samples: list[tuple[float, float, float | None]], minutes: float) -> None:
    if len(samples) < 2:
        print("too few samples to say how memory grew")
        return
    first = next(((at, rss) for at, rss, _ in samples if at >= TARGET_FROM_S and at < samples[-1][0]), samples[0][:2])
    (t0, rss0), (t1, rss1) = first, samples[-1][:2]
    growth, per_minute = rss1 - rss0, (rss1 - rss0) / ((t1 - t0) / 60)
    print(f"RSS growth from {t0 / 60:.1f} min to {t1 / 60:.1f} min: {growth:+.1f} MB ({per_minute:+.2f} MB per minute)")
    if t0 == TARGET_FROM_S and t1 >= TARGET_TO_S:
        verdict = "within" if growth <= TARGET_MB else "NOT within"
        print(f"{verdict} the target (<= {TARGET_MB:g} MB from minute 1 to minute 10)")
    else:
        to_ten = per_minute * (TARGET_TO_S - TARGET_FROM_S) / 60
        verdict = "within" if to_ten <= TARGET_MB else "NOT within"
        print(f"a {minutes:g}-minute run; at this rate minute 1 to minute 10 would grow {to_ten:+.1f} MB: "
              f"{verdict} the target (<= {TARGET_MB:g} MB), by extrapolation (run --minutes 10 to measure it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page", choices=list(DRIVERS), default="playground")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--query", default=None, help="the page's link query (default: one per page)")
    parser.add_argument("--epochs", type=int, default=5, help="MNIST lab: epochs per press of Train")
    args = parser.parse_args()
    if not (args.minutes > 0 and args.every > 0 and math.isfinite(args.minutes)):
        parser.error("--minutes and --every must be positive")
    query = DRIVERS[args.page].default_query if args.query is None else args.query
    samples = run(args.page, query, args.minutes, args.every, args.epochs)
    report_growth(samples, args.minutes)


if __name__ == "__main__":
    main()
