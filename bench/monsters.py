"""Does one student's monster link hurt the class? A normal 2D session's steps/s alone and beside two.

Starts the app on a free port (the server pinned to core 0, Chromium to core 1, as in
bench/ui_fps.py), presses Play on a normal 2D page (2-8-8-8-1 tanh net, Adam, batch 10, as
ui_fps) and counts its training steps/s over `--seconds`. Then, in a second Chromium, one
browser context each (two other students), it opens the two links of issue 12 and clicks what
they ask for:
  - Compare, 4 runs x 16 seeds of a 10x64 network on 5,000 points, then "+1 epoch";
  - the MNIST lab, the largest CNN with ten 512-wide layers on 60,000 images in one full
    batch, then Train;
looks at their pages for `--settle` seconds, and counts the normal session's steps/s again.
Printed: both figures and their ratio (issue 12's target: the normal session keeps >= 50% of its
steps/s alone), the CPU of the server and of each Chromium and how busy each core was in each
phase, and whatever the monster pages showed (a warning that the link was clamped, an error, a
queue position, progress): the normal session is measured whatever they do.

In class the monsters' browsers run on other laptops; here they share core 1 with the normal
session's, so their Chromium runs at niceness 19 (`--monster-niceness`): it gets what the normal
one leaves. The server's address space is limited (`--server-memory-gb`, default 8): a link that
asks for tens of GB then fails inside the server instead of waking the kernel's OOM killer on a
machine others share. A server that dies is reported, and so is a page that never offers its button.

    .venv/bin/python -m bench.monsters [--seconds 30] [--settle 10] [--query "..."] [--server-memory-gb 8]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

# Run as a module from the project's folder (`python -m bench.monsters`), so `tests` and `bench` import.
from bench.memory import LOAD_TIMEOUT_MS, TRAIN_LABEL, button, process_tree, with_english
from bench.ui_fps import DEFAULT_QUERY, cpu_seconds
from tests.serve import CHROMIUM, CHROMIUM_ARGS, running_app

TARGET_SHARE = 0.5  # issue 12: beside two monster links, a normal session keeps >= 50% of its steps/s
WARM_UP_SECONDS = 3.0
# How often the monster pages are looked at between measurements.
LOOK_SECONDS = 2.0
SHOWN_CHARS = 240  # a message is cut to this many characters in the report
VIEWPORT = {"width": 1400, "height": 1000}

# Each shown element as (kind, text): an alert's kind is its type (warning, error, info, success).
SHOWN_JS = """() => Array.from(
  document.querySelectorAll('[data-testid="stAlert"], [data-testid="stException"], [data-testid="stToast"],'
                            + ' [data-testid="stProgress"], [data-testid="stCaptionContainer"]'),
  el => {
    const id = el.dataset.testid, alert = el.querySelector('[data-testid^="stAlertContent"]');
    const kind = alert ? alert.dataset.testid.slice('stAlertContent'.length).toLowerCase()
      : {stException: 'exception', stToast: 'toast', stProgress: 'progress', stCaptionContainer: 'caption'}[id];
    return [kind, el.innerText.trim().replace(/\\s+/g, ' ')];
  }).filter(([kind, text]) => text)"""
RUNNING_JS = """() => document.querySelector('[data-testid="stStatusWidget"]') !== null"""


@dataclass
class Monster:
    """A link a student could paste, the button they then click, and what the page showed."""

    name: str
    path: str
    query: str
    button: object  # the button's English label (str) or a pattern of it
    page: object = None
    clicked_at: float | None = None
    # (kind, text with its numbers as #) -> [seconds after the click or None, kind, first text, last text]
    seen: dict[tuple[str, str], list] = field(default_factory=dict)
    intro: set[str] = field(default_factory=set)  # captions the page showed at load: its intro, not news
    looks: int = 0
    running_looks: int = 0  # looks at which Streamlit's status said the page's script was running

    def look(self, now: float, loading: bool = False) -> None:
        """Remember what the page shows now; a text that only changes its numbers is one line."""
        try:
            shown, running = self.page.evaluate(SHOWN_JS), self.page.evaluate(RUNNING_JS)
        except Exception as error:  # a crashed or closed page is itself something it showed
            shown, running = [("browser", f"could not read the page: {error}".splitlines()[0])], False
        since = now - self.clicked_at if self.clicked_at is not None else None
        self.looks += 1
        self.running_looks += running
        for kind, text in shown:
            if kind == "caption" and (loading or text in self.intro):
                self.intro.add(text)
                continue
            key = (kind, re.sub(r"\d[\d,.]*", "#", text))
            if key in self.seen:
                self.seen[key][3] = text
            else:
                self.seen[key] = [since, kind, text, text]


MONSTERS = (
    Monster("Compare, 4 runs x 16 seeds of 10x64 on 5,000 points, then +1 epoch",
            "/compare", "vary=batch_size&values=1|full|2|3&seeds=16&n_points=5000&test_fraction=0.1"
            "&hidden_sizes=64,64,64,64,64,64,64,64,64,64", "+1 epoch"),
    Monster("MNIST lab, CNN 64,64,64 x2 convs + 10x512 on 60,000 images in one batch, then Train",
            "/mnist", "model=cnn&conv_channels=64,64,64&convs_per_block=2"
            "&hidden_sizes=512,512,512,512,512,512,512,512,512,512&train_size=60000&batch_size=full",
            TRAIN_LABEL),
)


# --- CPU ------------------------------------------------------------------------------------------

def core_times() -> dict[str, tuple[int, int]]:
    """Each core's (busy, total) clock ticks so far, from /proc/stat."""
    times = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if re.fullmatch(r"cpu\d+", name):
            ticks = [int(v) for v in values[:8]]
            times[name] = (sum(ticks) - ticks[3] - ticks[4], sum(ticks))  # idle and iowait are not busy
    return times


class BrowserProcesses:
    """The processes of one Chromium that Playwright launched, found as the ones it added to this process's tree."""

    def __init__(self, launch) -> None:
        before = set(process_tree(os.getpid()))
        self.browser = launch()
        self.roots = set(process_tree(os.getpid())) - before

    def pids(self) -> set[int]:
        return {pid for root in self.roots if Path(f"/proc/{root}").exists() for pid in process_tree(root)}

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            try:
                total += cpu_seconds(pid)
            except OSError:  # ended meanwhile
                pass
        return total

    def renice(self, niceness: int) -> None:
        """Every thread of the browser at `niceness` (Chromium sets its renderers' own, so this is done again at each look)."""
        for pid in self.pids():
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    os.setpriority(os.PRIO_PROCESS, int(task.name), niceness)
                except OSError:
                    pass


@dataclass
class Phase:
    """The normal session's figures over one measurement window."""

    seconds: float  # the window as measured (a look at a busy monster page can lengthen it)
    steps_per_s: float
    frames_per_s: float
    server_cores: float  # server CPU seconds per second
    browser_cores: dict[str, float]  # each Chromium's CPU seconds per second ("normal", "monsters")
    core_busy: dict[str, float]  # share of each core busy (anything on the machine)


def watch(monsters: list[Monster], seconds: float, browsers: dict[str, BrowserProcesses], niceness: int) -> None:
    """Look at the monster pages for `seconds` (not while measuring: a look waits for their busy renderer)."""
    end = time.perf_counter() + seconds
    while True:
        if niceness and "monsters" in browsers:
            browsers["monsters"].renice(niceness)
        for monster in monsters:
            monster.look(time.perf_counter())
        if (left := end - time.perf_counter()) <= 0:
            return
        time.sleep(min(left, LOOK_SECONDS))


def measure(normal, server, seconds: float, browsers: dict[str, BrowserProcesses], niceness: int) -> Phase:
    """The normal session's steps/s and frames/s over `seconds`."""
    if niceness and "monsters" in browsers:
        browsers["monsters"].renice(niceness)
    read = "[window.__playgroundStep, window.__playgroundFrames]"
    steps0, frames0 = normal.evaluate(read)
    browsers0 = {name: browser.cpu_seconds() for name, browser in browsers.items()}
    cores0, cpu0, t0 = core_times(), cpu_seconds(server.pid), time.perf_counter()
    time.sleep(seconds)
    steps1, frames1 = normal.evaluate(read)
    cores1, t1 = core_times(), time.perf_counter()
    browser_cores = {name: (browser.cpu_seconds() - browsers0[name]) / (t1 - t0) for name, browser in browsers.items()}
    cpu1 = cpu_seconds(server.pid) if server.poll() is None else cpu0  # a dead server's CPU is gone
    elapsed = t1 - t0
    busy = {name: (cores1[name][0] - b0) / max(cores1[name][1] - n0, 1) for name, (b0, n0) in cores0.items()}
    return Phase(elapsed, (steps1 - steps0) / elapsed, (frames1 - frames0) / elapsed, (cpu1 - cpu0) / elapsed,
                 browser_cores, busy)


# --- the run ----------------------------------------------------------------------------------------

def label(wanted: str | re.Pattern) -> str:
    return wanted if isinstance(wanted, str) else wanted.pattern


def open_monster(browser, url: str, monster: Monster) -> None:
    """Open the monster's link in a browser context of its own and click its button, if the page offers it."""
    link = f"{monster.path}?{with_english(monster.query)}"
    print(f"  {monster.name}\n    {link}")
    monster.page = browser.new_context(viewport=VIEWPORT).new_page()
    started = time.perf_counter()
    monster.page.goto(f"{url}{link}")
    wanted = button(monster.page, monster.button).first
    while not wanted.count():  # until the button shows, or the page stops, having said why it has none
        drawn = monster.page.locator('[data-testid="stMain"]').count() > 0
        if time.perf_counter() - started > LOAD_TIMEOUT_MS / 1000 or (
                drawn and not monster.page.evaluate(RUNNING_JS)
                and any(kind in ("error", "exception") for kind, _ in monster.page.evaluate(SHOWN_JS))):
            print(f"    no {label(monster.button)!r} button after {time.perf_counter() - started:.1f} s")
            monster.look(time.perf_counter(), loading=True)
            return
        time.sleep(0.5)
    loaded = time.perf_counter() - started
    monster.look(time.perf_counter(), loading=True)  # what the link brought (a warning that it was clamped, say)
    if not wanted.is_enabled():
        print(f"    drawn in {loaded:.1f} s; its {label(monster.button)!r} button is disabled, not clicked")
        return
    clicked = wanted.inner_text().strip()
    wanted.click()
    monster.clicked_at = time.perf_counter()
    print(f"    drawn in {loaded:.1f} s, clicked {clicked!r}")


def run(query: str, seconds: float, settle: float, memory_gb: float, niceness: int) -> tuple[Phase, Phase | None, list]:
    from playwright.sync_api import sync_playwright

    prefix = ["prlimit", f"--as={int(memory_gb * 2**30)}"] if memory_gb > 0 else []
    monsters = [Monster(m.name, m.path, m.query, m.button) for m in MONSTERS]
    with running_app(prefix=prefix, pinned=True) as (url, server):
        with sync_playwright() as p:
            launch = lambda: p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            browsers = {"normal": BrowserProcesses(launch)}
            normal = browsers["normal"].browser.new_page(viewport=VIEWPORT)
            normal.goto(f"{url}/playground?{with_english(query)}")
            button(normal, "Play").click(timeout=LOAD_TIMEOUT_MS)
            normal.wait_for_function("window.__playgroundStep > 0", timeout=LOAD_TIMEOUT_MS)
            time.sleep(WARM_UP_SECONDS)
            alone = measure(normal, server, seconds, browsers, niceness)
            print_phase("alone", alone)
            print("opening the monster links in a second Chromium, a browser context each"
                  + (f" (its threads at niceness {niceness}):" if niceness else ":"))
            browsers["monsters"] = BrowserProcesses(launch)
            for monster in monsters:
                open_monster(browsers["monsters"].browser, url, monster)
            watch(monsters, settle, browsers, niceness)  # the clicks take effect
            beside = None
            if server.poll() is None:
                beside = measure(normal, server, seconds, browsers, niceness)
                print_phase("beside the monsters", beside)
            if server.poll() is not None:
                print(f"THE SERVER EXITED (code {server.returncode}): every session on it is gone")
            watch(monsters, 0, browsers, niceness)
            for each in browsers.values():
                each.browser.close()
    return alone, beside, monsters


def print_phase(title: str, phase: Phase) -> None:
    browsers = ", ".join(f"{name} {cores:4.2f}" for name, cores in phase.browser_cores.items())
    busy = ", ".join(f"{name} {share:4.0%}" for name, share in phase.core_busy.items())
    title = f"{title} ({phase.seconds:.0f} s)"
    print(f"{title:<26} {phase.steps_per_s:6.0f} steps/s {phase.frames_per_s:5.1f} frames/s | CPU in cores: "
          f"server {phase.server_cores:4.2f}, Chromium {browsers} | busy (whole machine): {busy}", flush=True)


def report(alone: Phase, beside: Phase | None, monsters: list[Monster]) -> None:
    if beside is not None:
        share = beside.steps_per_s / alone.steps_per_s if alone.steps_per_s else float("nan")
        verdict = "within" if share >= TARGET_SHARE else "NOT within"
        print(f"the normal session keeps {share:.0%} of its steps/s alone "
              f"({alone.steps_per_s:.0f} -> {beside.steps_per_s:.0f}): {verdict} the target (>= {TARGET_SHARE:.0%})")
    print("what the monster pages showed (seconds after the click; a text whose numbers changed shows first -> last):")
    for monster in monsters:
        print(f"  {monster.name}")
        if monster.looks:
            print(f"    its script was running (Streamlit's status) at {monster.running_looks} of {monster.looks} looks")
        for since, kind, first, last in monster.seen.values():
            when = "at load" if since is None else f"{since:+6.1f} s"
            text = first[:SHOWN_CHARS] + (f"  ->  {last[:SHOWN_CHARS]}" if last != first else "")
            print(f"    {when} [{kind}] {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="each measurement window")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds after the monsters' clicks before measuring, looking at their pages")
    parser.add_argument("--query", default=DEFAULT_QUERY, help="the normal session's 2D page query")
    parser.add_argument("--server-memory-gb", type=float, default=8.0,
                        help="the server's address-space limit (prlimit --as); 0 for none")
    parser.add_argument("--monster-niceness", type=int, default=19,
                        help="the monsters' Chromium shares core 1 with the normal one at this niceness; 0 leaves it alone")
    args = parser.parse_args()
    print(f"normal session: /playground?{with_english(args.query)}")
    alone, beside, monsters = run(args.query, args.seconds, args.settle, args.server_memory_gb, args.monster_niceness)
    report(alone, beside, monsters)


if __name__ == "__main__":
    main()
