"""App processes serving a class: N students on the 2D page, every one of them playing.

By default one app process: starts it (`tests.serve.running_app(pinned=True)`: the server on
core 0, this process and Chromium on core 1), warms it up with one throwaway session that plays
for a second, then N students arrive together (their sessions open within `ARRIVAL_SECONDS`),
press Play one after another over `PLAY_SPREAD_SECONDS`, and keep playing; a quarter of them
change the learning rate twice while playing. After `SETTLE_SECONDS` more, every figure below is
measured over `--seconds`; then `PAUSERS` students press Pause.

The class is not 30 copies of one link: datasets, seeds and two network shapes are mixed
(`class_links`), so whatever the server shares between students, it must share across them.

Each student is a Streamlit session spoken to over Streamlit's own websocket protocol
(`/_stcore/stream`, `BackMsg` / `ForwardMsg` protobufs), as the browser's frontend does it
(`Student`, all in one asyncio event loop, no browser per student):
  - it opens the session with `rerun_script` carrying the link's query string and the page's
    URL path as `page_name` (no page hash yet), then sends, on every rerun, the page hash the
    `navigation` message named, the current query string (`page_info_changed`), the states of
    all the widgets drawn (each widget's value from its delta, as the frontend registers it),
    the hashes of the messages it has cached, and a browser context (locale, timezone);
  - a `ForwardMsg` with `ref_hash` is taken from its cache, kept as the frontend keeps it;
  - `auto_rerun` (interval, fragment id) starts a timer that asks for the fragment's rerun
    (`rerun_script` with `fragment_id` and `is_auto_rerun`) every interval, whether or not the
    last one was answered (the browser's `setInterval`); `stop_auto_rerun`, and every whole
    script run's `new_session`, stop such timers;
  - a button press is a rerun with the button's widget id set as a trigger (`trigger_value`);
    a learning-rate change sets the select_slider's state (its options' labels, as strings) and
    reruns the script.
The live view is the components-v2 element keyed "playground.live": its `data` is a uint32
header length, a JSON header, then arrays. A header with `snapshots` (each with `step` and `t`,
the server's time.time() when it was taken) and `playing` is read as such; an older header with
`status.step` is one snapshot taken on arrival.

One real Chromium (Playwright, on core 1; --no-browser leaves it out) opens bench/ui_fps.py's
link beside the class, so the server holds N + 1 sessions, and plays: it counts painted frames
(`window.__playgroundFrames`), shows a step (`__playgroundStep`) and, if the page sets it, the
server time of the snapshot on screen (`__playgroundShownT`); its steps/s count in the class's.

Per student, over the window: distinct snapshots received per second, training steps per
second (the newest step's increase), lag (arrival - `t` of the newest snapshot in a message;
one clock, one machine; only of messages that play), live-view messages per second, websocket
payload bytes per second, script runs completed per second (and cut short: FINISHED_EARLY_FOR_RERUN),
rerun requests sent per second; from its
arrival: first live view (opening -> first live-view message) and first step (Play pressed ->
first message with a step > 0); per action: Play and Pause answered (pressed -> the toolbar
shows the other button), the learning rate applied (changed -> the slider comes back with it);
Pause stopped (pressed -> a message with `playing` false; in the old format, a whole run that
no longer starts the fragment's timer). Per class: the server's cores (/proc/<pid>/stat), its
RSS (VmRSS, sampled every `RSS_EVERY_SECONDS` from the class's arrival), this process's own
CPU, which must stay well below a core or the figures are the simulator's, and the whole
machine's busy cores (/proc/stat): above the server's, the simulator's and Chromium's, other
work on the machine is competing with the server.

Each N runs on a fresh server; unless --skip-before, again with PLAYGROUND_SHARED_TRAINER=0
(every session training in its own ticks). Targets are printed beside the figures.

With `--replicas 1,2`, each N instead runs once per replica count R, on a fresh
`playground.serve_class.ClassServer` (R app processes behind one nginx on a free local port,
as `nn-playground serve-class` serves a class), all in the same run, and the class's steps/s
with R replicas over those with the first R listed is printed (target: 2 replicas give
>= `SPEEDUP_TARGET` x one replica's at `SPEEDUP_TARGET_STUDENTS` students, on 2 cores). Nothing is
pinned there: the replicas, nginx, this process (and Chromium, without --no-browser) share every
core of the machine, so the simulator's own cores count against the replicas'
(`--pin-replicas`: replica i on core i, in turn; nginx and the simulator still on any). Each
student then behaves like a browser behind nginx: it first GETs the page (`/playground?<link>`)
through nginx and keeps the cookies the answer sets (`playground_replica=<i>`: which replica nginx
chose, in turn for a first visit), then opens the websocket with them in its `Cookie` header, so
nginx sends it to the same replica (the handshake's answer names the replica that took it; a
student it moved is reported). Every replica is warmed up by a throwaway session of its own (its
cookie set beforehand). Per class, beside the figures above: how the students spread over the
replicas (per cookie value: students, their steps/s, the replica's cores and RSS), nginx's cores
(master and worker), the server's cores as the replicas' and nginx's together, the total RSS of
the replicas, and the machine's speed through the window (`python_speed`, an indication: this
virtual machine's cores change speed, by up to 2x within seconds, with nothing else running in it,
and one class against the same class measured a minute later differs by as much; `--rounds K`
measures every R K times in turn and gives the ratio of the medians too).

Before the classes, one replica's memory (`replica_memory`, alone with `--memory`): its RSS once
started, once a 2D page has played (the app, torch and the shared trainer loaded) and once the
MNIST lab is open (which loads MNIST, once per process), so a replica costs "base + MNIST" MB and
R replicas R times that.

    .venv/bin/python -m bench.classroom [--students 1,10,30,60] [--seconds 30] [--skip-before] [--no-browser]
    .venv/bin/python -m bench.classroom --students 30,60 --replicas 1,2 [--rounds 3] [--pin-replicas] \\
        --seconds 20 --skip-before --no-browser
    .venv/bin/python -m bench.classroom --memory   # one replica's memory only: started, 2D page, MNIST lab
    BENCH_DETAIL=1 .venv/bin/python -m bench.classroom ...   # also one line per student, slowest first
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import struct
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

# Run as a module from the project's folder (`python -m bench.classroom`), so `tests` imports.
from bench.memory import process_tree
from bench.ui_fps import DEFAULT_QUERY, cpu_seconds
from playground.serve_class import COOKIE, ClassServer, free_port
from tests.serve import CHROMIUM, CHROMIUM_ARGS, running_app

PAGE = "playground"  # the 2D page's URL path
MNIST_PAGE = "mnist"  # the MNIST lab's: its first run loads MNIST (once per app process)
LIVE_KEY = "playground.live"  # the live view's element key
WATCHDOG_KEY = "playground.watchdog"  # the page's watchdog (playground/components/watchdog.py), emulated here
RATE_KEY = "cfg.learning_rate"  # the sidebar's learning-rate select_slider
PLAY, PAUSE = "Play", "Pause"  # the toolbar button's labels (English: the context's locale is en-US)

# The class's timeline, in seconds from its arrival.
ARRIVAL_SECONDS = 1.0  # every session opens within this
PLAY_SPREAD_SECONDS = 10.0  # Play presses, one after another, from ARRIVAL_SECONDS on
SETTLE_SECONDS = 3.0  # after the last Play, before the measurement window
PAUSE_WAIT_SECONDS = 10.0  # after the window, how long the students who pause wait for it to take
PAUSERS = 5  # students who press Pause after the window
CONNECT_TIMEOUT_SECONDS = 15.0  # the frontend's websocket timeout before it tries again
RECONNECT_SECONDS = 1.0  # and its pause before trying again after a refused connection
WARM_UP_SECONDS = 60.0  # a bound on the throwaway session's first step (imports, first runs)
WARM_PLAY_SECONDS = 1.0
RSS_EVERY_SECONDS = 2.0

# Replicas behind nginx (--replicas, --memory).
SPEEDUP_TARGET = 1.4  # issue 14: the class's steps/s with 2 replicas over 1 replica's (2 cores), at least
SPEEDUP_TARGET_STUDENTS = 60  # at this class size
# This machine is a virtual one whose cores' speed changes, by up to 2x within seconds, with nothing
# else running in it (its host's other guests), which no busy-cores figure shows. Behind nginx, this
# process times a fixed piece of Python every SPEED_PROBE_EVERY_SECONDS (about 5 ms of CPU each): an
# indication only (it reads about 10% higher while both cores are busy), not a figure to divide by.
SPEED_PROBE_EVERY_SECONDS = 2.0
SPEED_PROBE_LOOPS = 100_000
PAGE_LOAD_SECONDS = 60.0  # a bound on a page's first whole run in the memory measurement, not a speed target
MEMORY_SETTLE_SECONDS = 2.0  # after a page's first run, before its replica's RSS is read

# The class's links: a mix of datasets and seeds, two network shapes (a third of the class on the
# second), so that students share as little as a real class would; a quarter change the learning rate.
DATASETS = ("circle", "xor", "gaussians", "spirals", "moons")
SHAPES = ({"hidden_sizes": "8,8,8", "activation": "tanh"}, {"hidden_sizes": "6,6", "activation": "relu"})
NEW_RATES = ("0.003", "0.03")  # labels of the learning-rate slider's options

ENV_BEFORE = {"PLAYGROUND_SHARED_TRAINER": "0"}  # the shared batched trainer off: each session trains in its own ticks

# What a browser on a student's laptop says about itself in every rerun request.
CONTEXT = ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US", is_embedded=False, color_scheme="light")

FINISHED = ForwardMsg.ScriptFinishedStatus
RUN_ENDS = (FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


@dataclass(frozen=True)
class Link:
    query: str
    changes_rate: bool = False


def class_links(n: int) -> list[Link]:
    """N students' links: datasets and seeds mixed, every third student on the 6-6 ReLU net, the
    others on 8-8-8 tanh, all Adam at batch 10; every fourth changes the learning rate while playing."""
    links = []
    for i in range(n):
        shape = SHAPES[1] if i % 3 == 2 else SHAPES[0]
        query = {"dataset": DATASETS[i % len(DATASETS)], **shape, "optimizer": "adam", "batch_size": "10",
                 "seed": str(i + 1)}
        links.append(Link(urlencode(query, safe=","), changes_rate=i % 4 == 1))
    return links


# ---------------------------------------------------------------- the live view's messages

@dataclass(frozen=True)
class LiveMessage:
    snapshots: list[tuple[int, float | None]]  # (step, server time taken, None in the old format), oldest first
    playing: bool | None  # None in the old format


def read_live_message(data: bytes) -> LiveMessage:
    """The snapshots in one live-view message: the new format's `snapshots` list, or the old
    format's `status.step` as one snapshot whose time is unknown."""
    (length,) = struct.unpack_from("<I", data)
    header = json.loads(data[4:4 + length])
    if "snapshots" in header:
        return LiveMessage([(s["step"], s.get("t")) for s in header["snapshots"]], header.get("playing"))
    return LiveMessage([(header["status"]["step"], None)], None)


# ---------------------------------------------------------------- widget states, as the frontend keeps them

def _strings(values: Sequence[str]) -> WidgetState:
    state = WidgetState()
    state.string_array_value.data.extend(values)
    return state


def drawn_state(kind: str, element: Any) -> WidgetState | None:
    """The state the frontend registers for a widget when it draws it (its value set by the
    script, else its default); None for buttons (triggers) and elements it keeps no state for."""
    state: WidgetState | None = None
    given = getattr(element, "set_value", False)
    if kind == "checkbox":
        state = WidgetState(bool_value=element.value if given else element.default)
    elif kind == "slider" and element.type == Slider.SELECT_SLIDER:
        state = _strings(element.raw_value if given else [element.options[int(i)] for i in element.default])
    elif kind == "slider":
        state = WidgetState()
        state.double_array_value.data.extend(element.value if given else element.default)
    elif kind == "selectbox":
        if given:
            state = WidgetState(string_value=element.raw_value)
        elif element.HasField("default"):
            state = WidgetState(string_value=element.options[element.default])
    elif kind == "multiselect":
        state = _strings(element.raw_values if given else [element.options[int(i)] for i in element.default])
    elif kind == "button_group":
        state = _strings(element.raw_values if given else [element.options[i].content for i in element.default])
    elif kind == "number_input" and element.HasField("value" if given else "default"):  # else empty: no state
        number = element.value if given else element.default
        integer = element.data_type == NumberInput.INT
        state = WidgetState(int_value=int(number)) if integer else WidgetState(double_value=number)
    if state is not None:
        state.id = element.id
    return state


# ---------------------------------------------------------------- one student over the protocol

@dataclass
class Action:
    """Something a student did, when, and when the page answered (None: never)."""

    kind: str  # "play", "pause", "rate"
    at: float
    answered: float | None = None
    value: str = ""  # the learning rate chosen

    @property
    def seconds(self) -> float | None:
        return None if self.answered is None else self.answered - self.at


@dataclass
class View:
    """One live-view message as it arrived."""

    arrival: float
    step: int  # the newest snapshot's
    lag: float | None  # arrival - the newest snapshot's server time (new format)
    steps: tuple[int, ...]  # every snapshot's


@dataclass
class Tally:
    """What one student saw, timed with time.time() (the server's snapshot times use the same clock)."""

    opened: float | None = None
    first_view: float | None = None
    first_step: float | None = None  # after Play
    views: list[View] = field(default_factory=list)
    received: list[tuple[float, int]] = field(default_factory=list)  # arrival, websocket payload bytes
    runs: list[float] = field(default_factory=list)  # script runs (whole or fragment) finished
    interrupted: list[float] = field(default_factory=list)  # runs that ended early for a rerun
    requests: list[float] = field(default_factory=list)  # rerun requests sent
    connect_failures: int = 0  # websocket handshakes (and, behind nginx, page requests) that timed out or failed
    replica: str = ""  # behind nginx: the replica its cookie names (`playground_replica`), "" without one
    rerouted: int = 0  # behind nginx: websockets answered by another replica than the page's GET
    actions: list[Action] = field(default_factory=list)
    pause_stopped: float | None = None  # the pause's `playing` false (or the fragment's timer gone)
    most_hashes: int = 0  # the most cached-message hashes one rerun request carried
    errors: list[str] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)  # runs and timers, for BENCH_DETAIL

    def action(self, kind: str) -> Action | None:
        return next((a for a in reversed(self.actions) if a.kind == kind), None)


@dataclass
class _Cached:
    msg: ForwardMsg
    run_count: int
    fragment_id: str


class Student:
    """One browser session on the 2D page, spoken to as Streamlit's frontend does (see the module's docstring)."""

    def __init__(self, base_url: str, link: Link, page: str = PAGE, visit: bool = False,
                 cookies: Mapping[str, str] | None = None) -> None:
        """`visit`: behind nginx, GET the page (keeping the cookies its answer sets) before the
        websocket, which then carries them; `cookies`: the browser's cookies before that (a
        `playground_replica` set here picks the replica)."""
        self.ws_url = base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self.page = page
        self.page_url = f"{base_url}/{page}?{link.query}"
        self.link = link
        self.visit = visit
        self.cookies: dict[str, str] = dict(cookies or {})
        self.query_string = link.query
        self.page_hash = ""  # unknown until the server names the page
        self.widgets: dict[str, WidgetState] = {}  # widget id -> state, as the frontend's widget manager
        self.buttons: dict[str, str] = {}  # label -> widget id, of the buttons on screen
        self.rate_options: list[str] = []
        self.tally = Tally(replica=self.cookies.get(COOKIE, ""))
        self._ws: Any = None
        self._receiver: asyncio.Task | None = None
        self._watcher: asyncio.Task | None = None
        self._watchdog: dict[str, Any] = {}  # the watchdog component's data: playing, stall
        self._watchdog_drawn = 0.0  # when a whole run last drew it
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}  # fragment id -> (interval, timer)
        self._head: bytes | None = None  # the serialised request's part that changes only with the page's state
        # The frontend's message cache: hash -> message; aged by script runs (`maxCachedMessageAge`).
        self._cache: dict[str, _Cached] = {}
        self._run_count = 0
        self._max_cache_age = 2
        self._new_session_since_send = False
        # The whole run being received: its widgets and buttons, its start, whether it started the fragment's timer.
        self._run_widgets: set[str] = set()
        self._run_buttons: dict[str, str] = {}
        self._run_started = 0.0
        self._run_auto_rerun = False
        self._new_format = False

    # ----- talking

    async def open(self, deadline: float) -> bool:
        """Connect (trying again after each `CONNECT_TIMEOUT_SECONDS`, as the frontend does, until
        `deadline`) and ask for the page's first run; False if no connection was made."""
        self.tally.opened = time.time()
        if self.visit and not await self._visit(deadline):
            return False
        while self._ws is None:
            try:
                self._ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                                    ping_interval=None, open_timeout=CONNECT_TIMEOUT_SECONDS,
                                                    additional_headers=self._cookie_header())
            except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
                self.tally.connect_failures += 1
                if time.time() > deadline:
                    self.tally.errors.append(f"could not connect: {error}")
                    return False
                await asyncio.sleep(RECONNECT_SECONDS)
        page_replica = self.tally.replica
        self._take_cookies(self._ws.response.headers.get_all("Set-Cookie"))  # nginx names the replica that answered
        if self.visit and self.tally.replica != page_replica:
            self.tally.rerouted += 1
            self.tally.events.append((time.time(), f"websocket on replica {self.tally.replica}, page on {page_replica}"))
        self._receiver = asyncio.create_task(self._receive())
        self._watcher = asyncio.create_task(self._watch())
        await self._rerun()
        return True

    async def _visit(self, deadline: float) -> bool:
        """What a browser does before the websocket: GET the page (through nginx) and keep the
        cookies the answer sets; in a thread, so the class's event loop goes on meanwhile. Tried
        again after `RECONNECT_SECONDS` until `deadline`; False if no answer came."""
        while True:
            try:
                set_cookies = await asyncio.to_thread(http_get, self.page_url, self._cookie_header(),
                                                      CONNECT_TIMEOUT_SECONDS)
            except OSError as error:  # refused, timed out, or an HTTP error status
                self.tally.connect_failures += 1
                if time.time() > deadline:
                    self.tally.errors.append(f"could not load the page: {error}")
                    return False
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            self._take_cookies(set_cookies)
            return True

    def _cookie_header(self) -> dict[str, str] | None:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else None

    def _take_cookies(self, set_cookies: Sequence[str]) -> None:
        """Keep what `Set-Cookie` headers set (their name=value; the attributes do not matter here)."""
        for header in set_cookies:
            name, _, value = header.split(";", 1)[0].strip().partition("=")
            if name:
                self.cookies[name] = value
        self.tally.replica = self.cookies.get(COOKIE, "")

    async def _watch(self) -> None:
        """What the page's watchdog script does in a browser: while the page plays, a whole rerun
        after `stall` seconds without a live-view message (counted from the last whole run too)."""
        asked = 0.0
        while True:
            await asyncio.sleep(1.0)
            if not self._watchdog.get("playing"):
                continue
            now, stall = time.time(), self._watchdog["stall"]
            quiet = now - max(self.tally.views[-1].arrival if self.tally.views else 0.0, self._watchdog_drawn)
            if quiet > stall and now - asked > stall:
                asked = now
                self.tally.events.append((now, "watchdog: a whole rerun"))
                await self._rerun()

    async def close(self) -> None:
        for _, timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._watcher is not None:
            self._watcher.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._receiver is not None:
            self._receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._receiver

    def _build_head(self) -> bytes:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash
        if not self.page_hash:
            state.page_name = self.page
        state.widget_states.widgets.extend(self.widgets.values())
        state.context_info.CopyFrom(CONTEXT)
        state.context_info.url = self.page_url
        return msg.SerializeToString()

    async def _rerun(self, fragment_id: str = "", auto: bool = False, trigger: str = "") -> None:
        """Ask for a rerun as the frontend does: every widget's state (and a pressed button's
        trigger), the page, the query string and the cached messages' hashes."""
        if self._ws is None:
            return
        if self._head is None:
            self._head = self._build_head()
        # Protobuf merges repeated occurrences of an embedded message, so the cached head and this
        # tail parse as one ClientState (its widget list the head's plus the trigger).
        tail = BackMsg()
        state = tail.rerun_script
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.cached_message_hashes.extend(self._cache)
        if trigger:
            state.widget_states.widgets.add(id=trigger, trigger_value=True)
        self.tally.most_hashes = max(self.tally.most_hashes, len(self._cache))
        self._new_session_since_send = False
        self.tally.requests.append(time.time())
        with contextlib.suppress(websockets.ConnectionClosed):
            await self._ws.send(self._head + tail.SerializeToString())

    async def _tick(self, fragment_id: str, interval: float) -> None:
        """The browser's setInterval: a fragment rerun every `interval`, answered or not (a late timer skips)."""
        loop = asyncio.get_running_loop()
        next_at = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            await self._rerun(fragment_id, auto=True)
            next_at = max(next_at + interval, loop.time())

    def _stop_timers(self, fragment_ids: Sequence[str] | None = None) -> None:
        for fragment_id in list(self._timers) if fragment_ids is None else fragment_ids:
            interval_timer = self._timers.pop(fragment_id, None)
            if interval_timer is not None:
                interval_timer[1].cancel()

    # ----- a student's actions

    async def _button(self, label: str, deadline: float) -> str | None:
        while label not in self.buttons:
            if time.time() > deadline:
                return None
            await asyncio.sleep(0.05)
        return self.buttons[label]

    async def press(self, label: str, deadline: float) -> bool:
        """Press the toolbar's `label` button once it is drawn (waiting until `deadline`)."""
        widget_id = await self._button(label, deadline)
        if widget_id is None:
            self.tally.errors.append(f"no {label} button by the deadline")
            return False
        self.tally.actions.append(Action(label.lower(), time.time()))
        await self._rerun(trigger=widget_id)
        return True

    async def change_rate(self) -> None:
        """Move the learning-rate slider to another option (the whole script reruns, as in the browser)."""
        rate_id = next((i for i in self.widgets if i.endswith(RATE_KEY)), None)
        if rate_id is None:
            self.tally.errors.append("no learning-rate slider")
            return
        current = list(self.widgets[rate_id].string_array_value.data)
        value = next((v for v in NEW_RATES if [v] != current and v in self.rate_options), "")
        if not value:
            return
        self.widgets[rate_id] = _strings([value])
        self.widgets[rate_id].id = rate_id
        self._head = None
        self.tally.actions.append(Action("rate", time.time(), value=value))
        await self._rerun()

    async def wait_paused(self, seconds: float) -> None:
        deadline = time.time() + seconds
        while self.tally.pause_stopped is None and time.time() < deadline:
            await asyncio.sleep(0.05)

    # ----- listening

    async def _receive(self) -> None:
        try:
            async for data in self._ws:
                arrival = time.time()
                self.tally.received.append((arrival, len(data)))
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._apply(msg, arrival)
        except websockets.ConnectionClosed:
            pass

    def _apply(self, msg: ForwardMsg, arrival: float) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                self.tally.errors.append(f"cache miss {msg.ref_hash}")
                return
            cached.run_count = self._run_count
            msg, kind = cached.msg, cached.msg.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash not in self._cache:
            self._cache[msg.hash] = _Cached(msg, self._run_count, msg.delta.fragment_id)

        if kind in ("new_session", "auto_rerun", "stop_auto_rerun", "script_finished"):
            detail = {"new_session": lambda: f"fragments={list(msg.metadata.run.fragment_ids)}",
                      "auto_rerun": lambda: f"{msg.auto_rerun.fragment_id[:8]} every {msg.auto_rerun.interval}",
                      "stop_auto_rerun": lambda: str(list(msg.stop_auto_rerun.fragment_ids)),
                      "script_finished": lambda: str(msg.script_finished)}[kind]()
            self.tally.events.append((arrival, f"{kind} {detail}"))
        if kind == "new_session":
            self._new_session_since_send = True
            self._max_cache_age = msg.new_session.config.max_cached_message_age
            if not self.page_hash:
                self.page_hash = msg.new_session.page_script_hash
                self._head = None
            if not msg.metadata.run.fragment_ids:  # a whole run: the frontend drops every auto-rerun timer
                self._stop_timers()
                self._run_widgets, self._run_buttons = set(), {}
                self._run_started, self._run_auto_rerun = arrival, False
        elif kind == "navigation":  # a multipage app names the page being shown
            if msg.navigation.page_script_hash != self.page_hash:
                self.page_hash, self._head = msg.navigation.page_script_hash, None
        elif kind == "page_info_changed":
            self.query_string, self._head = msg.page_info_changed.query_string, None
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element, arrival)
        elif kind == "auto_rerun":
            self._run_auto_rerun = True
            fragment_id, interval = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
            if self._timers.get(fragment_id, (None,))[0] != interval:
                self._stop_timers([fragment_id])
                self._timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))
        elif kind == "stop_auto_rerun":
            self._stop_timers(list(msg.stop_auto_rerun.fragment_ids))
        elif kind == "script_finished":
            self._finished(msg, arrival)
        elif kind == "page_not_found":
            self.tally.errors.append(f"page not found: {msg.page_not_found.page_name!r}")

    def _element(self, element: Any, arrival: float) -> None:
        kind = element.WhichOneof("type")
        widget = getattr(element, kind)
        if kind == "bidi_component" and widget.id.endswith(LIVE_KEY):
            self._live_view(widget.bytes, arrival)
            return
        if kind == "bidi_component" and widget.id.endswith(WATCHDOG_KEY):
            self._watchdog, self._watchdog_drawn = json.loads(widget.json), arrival
            return
        if kind == "exception":
            self.tally.errors.append(f"exception: {widget.type} {widget.message}")
            return
        widget_id = getattr(widget, "id", "")
        if not widget_id.startswith("$$ID"):
            return
        self._run_widgets.add(widget_id)
        if kind == "button":
            self.buttons[widget.label] = self._run_buttons[widget.label] = widget_id
            self._answer({PAUSE: "play", PLAY: "pause"}.get(widget.label, ""), arrival)
        state = drawn_state(kind, widget)
        if state is not None and (widget_id not in self.widgets or widget.set_value):
            if self.widgets.get(widget_id) != state:
                self.widgets[widget_id], self._head = state, None
        if widget_id.endswith(RATE_KEY):
            self.rate_options = list(widget.options)
            rate = self.tally.action("rate")
            if rate is not None and rate.answered is None and list(widget.raw_value) == [rate.value]:
                rate.answered = arrival

    def _answer(self, kind: str, arrival: float) -> None:
        action = self.tally.action(kind) if kind else None
        if action is not None and action.answered is None:
            action.answered = arrival

    def _live_view(self, data: bytes, arrival: float) -> None:
        message = read_live_message(data)
        step, taken = message.snapshots[-1]
        # A paused page's newest snapshot can be minutes old: lag is a playing page's.
        lag = None if taken is None or message.playing is False else arrival - taken
        self.tally.views.append(View(arrival, step, lag, tuple(s for s, _ in message.snapshots)))
        if self.tally.first_view is None:
            self.tally.first_view = arrival
        if self.tally.first_step is None and step > 0 and self.tally.action("play") is not None:
            self.tally.first_step = arrival
        if message.playing is not None:
            self._new_format = True
            pause = self.tally.action("pause")
            if pause is not None and self.tally.pause_stopped is None and not message.playing:
                self.tally.pause_stopped = arrival

    def _finished(self, msg: ForwardMsg, arrival: float) -> None:
        status, fragment_ids = msg.script_finished, list(msg.metadata.run.fragment_ids)
        if status in RUN_ENDS:
            self.tally.runs.append(arrival)
        elif status == FINISHED.FINISHED_EARLY_FOR_RERUN:
            self.tally.interrupted.append(arrival)
        if status == FINISHED.FINISHED_SUCCESSFULLY and not fragment_ids:
            # The frontend forgets the widgets a whole run did not draw (until then, the last run's stay on screen).
            self.widgets = {i: s for i, s in self.widgets.items() if i in self._run_widgets}
            self.buttons = dict(self._run_buttons)
            self._head = None
            # Old format: Pause has taken when a whole run started after it leaves the fragment's timer off.
            pause = self.tally.action("pause")
            if (not self._new_format and pause is not None and self.tally.pause_stopped is None
                    and self._run_started > pause.at and not self._run_auto_rerun):
                self.tally.pause_stopped = arrival
        # The frontend ages its cache once per finished run (only if a new_session came since its last request).
        if status != FINISHED.FINISHED_EARLY_FOR_RERUN and self._new_session_since_send:
            self._run_count += 1
            for key, cached in list(self._cache.items()):
                if fragment_ids and cached.fragment_id not in fragment_ids:
                    continue
                if self._run_count - cached.run_count > self._max_cache_age:
                    del self._cache[key]


# ---------------------------------------------------------------- the one real browser

@dataclass
class BrowserReading:
    frames: int
    step: int
    shown_t: float | None
    now: float


def _ms_until(deadline: float) -> float:
    """Playwright's timeout (ms) to wait until `deadline`, at least a second."""
    return max(1000.0, 1000 * (deadline - time.time()))


class BrowserStudent:
    """Chromium on the default link, playing; read from the page's counters (see bench/ui_fps.py)."""

    READ = ("[window.__playgroundFrames ?? 0, window.__playgroundStep ?? 0, window.__playgroundShownT ?? null,"
            " Date.now() / 1000]")

    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}/{PAGE}?{DEFAULT_QUERY}"
        self.page: Any = None
        self.error = ""

    async def open(self, playwright: Any, deadline: float) -> None:
        try:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            await page.goto(self.url, timeout=_ms_until(deadline))
            self.page = page  # read only once loaded
        except Exception as error:  # a browser that cannot load the page is reported, the class goes on
            self.error = f"Chromium did not open the page: {error}"

    async def play(self, deadline: float) -> None:
        if self.page is None:
            return
        try:
            await self.page.get_by_role("button", name=PLAY).click(timeout=_ms_until(deadline))
        except Exception as error:
            self.error = f"Chromium could not press Play: {error}"

    async def read(self) -> BrowserReading | None:
        if self.page is None:
            return None
        try:
            frames, step, shown_t, now = await self.page.evaluate(self.READ)
        except Exception as error:
            self.error = f"Chromium could not be read: {error}"
            return None
        return BrowserReading(int(frames), int(step), shown_t, now)


# ---------------------------------------------------------------- one class

@dataclass(frozen=True)
class Servers:
    """The processes serving the class: one app server, or (`--replicas`) the replicas and nginx."""

    apps: tuple[int, ...]  # each app process's pid (replica i at i - 1)
    nginx: int | None = None  # nginx's master (its worker is a child); None: the students reach the app directly

    @property
    def proxied(self) -> bool:
        return self.nginx is not None


@dataclass
class ClassRun:
    students: list[Student]
    window: tuple[float, float]
    server_cores: float  # the app processes' and nginx's together
    simulator_cores: float
    machine_cores: float  # every process's, this one's, the server's and Chromium's included
    rss_mb: list[float]  # the app processes' together, per sample
    browser: list[BrowserReading | None]  # at the window's start, during it, at its end
    browser_error: str = ""
    app_cores: list[float] = field(default_factory=list)  # each app process's
    app_rss_mb: list[list[float]] = field(default_factory=list)  # each app process's samples
    nginx_cores: float | None = None  # None: no nginx
    speed: list[tuple[float, float]] = field(default_factory=list)  # behind nginx: (when, `python_speed()`)


def http_get(url: str, headers: Mapping[str, str] | None, timeout: float) -> list[str]:
    """GET `url` as a browser loads a page (reading the whole answer) and return its `Set-Cookie` headers.
    Blocking: call it in a thread. No proxy from the environment: the class is on this machine."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    with _DIRECT.open(request, timeout=timeout) as answer:
        answer.read()
        return answer.headers.get_all("Set-Cookie") or []


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def machine_busy_seconds() -> float:
    """CPU seconds all cores of the machine have been busy (/proc/stat): other work on it shows here."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mb(pid: int) -> float:
    """RSS of `pid` and of its descendants (OSError if `pid` has ended)."""
    total = rss_mb(pid)
    for each in process_tree(pid)[1:]:
        with contextlib.suppress(OSError):  # ended meanwhile
            total += rss_mb(each)
    return total


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and of its descendants alive now (nginx's worker, any child of a replica)."""
    total = 0.0
    for each in process_tree(pid):
        with contextlib.suppress(OSError):
            total += cpu_seconds(each)
    return total


def server_cpu_seconds(servers: Servers) -> tuple[list[float], float]:
    """Each app process's CPU seconds (with its children's), and nginx's (0 without nginx)."""
    return [tree_cpu_seconds(pid) for pid in servers.apps], tree_cpu_seconds(servers.nginx) if servers.nginx else 0.0


async def sample_rss(pids: Sequence[int], into: list[list[float]]) -> None:
    """Every `RSS_EVERY_SECONDS`, each app process's RSS (with its children's)."""
    while True:
        with contextlib.suppress(OSError):
            into.append([tree_rss_mb(pid) for pid in pids])
        await asyncio.sleep(RSS_EVERY_SECONDS)


async def warm_up(base_url: str, cookies: Mapping[str, str] | None = None) -> None:
    """One throwaway session opens the page and plays for a second (imports, first runs, torch's first
    steps), then pauses, so that nothing of it is still training when the class arrives. `cookies`:
    behind nginx (the page requested first), with these cookies (`{COOKIE: "<i>"}`: on replica i)."""
    student = Student(base_url, Link(DEFAULT_QUERY), visit=cookies is not None, cookies=cookies)
    deadline = time.time() + WARM_UP_SECONDS
    if await student.open(deadline) and await student.press(PLAY, deadline):
        while student.tally.first_step is None and time.time() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(WARM_PLAY_SECONDS)
        if await student.press(PAUSE, deadline):
            await student.wait_paused(PAUSE_WAIT_SECONDS)
    await student.close()
    if student.tally.first_step is None:
        where = f" on replica {student.tally.replica}" if student.tally.replica else ""
        print(f"  warning: the warm-up session{where} saw no step > 0 "
              f"({'; '.join(student.tally.errors) or 'no error'})")


async def sleep_until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.time()))


async def attend(student: Student, arrive: float, play: float, rate_changes: Sequence[float], pause: float | None,
                 end: float) -> None:
    """One student's lesson: arrive, press Play, maybe change the learning rate, maybe pause."""
    await sleep_until(arrive)
    if not await student.open(deadline=end):
        return
    await sleep_until(play)
    if not await student.press(PLAY, end):
        return
    for moment in rate_changes:
        await sleep_until(moment)
        await student.change_rate()
    if pause is not None:
        await sleep_until(pause)
        if await student.press(PAUSE, pause + PAUSE_WAIT_SECONDS):
            await student.wait_paused(PAUSE_WAIT_SECONDS)


def python_speed() -> float:
    """Millions of iterations of a simple Python loop per CPU second of this thread, now: the
    machine's speed (the host taking a core away shows as CPU time that did less)."""
    started, total = time.thread_time(), 0
    for i in range(SPEED_PROBE_LOOPS):
        total += i
    return SPEED_PROBE_LOOPS / max(time.thread_time() - started, 1e-6) / 1e6


async def sample_speed(into: list[tuple[float, float]]) -> None:
    while True:
        into.append((time.time(), python_speed()))
        await asyncio.sleep(SPEED_PROBE_EVERY_SECONDS)


async def run_class(base_url: str, servers: Servers, n: int, seconds: float, with_browser: bool) -> ClassRun:
    if servers.proxied:  # every replica, each by a session of its own, at once
        await asyncio.gather(*(warm_up(base_url, {COOKIE: str(i)}) for i in range(1, len(servers.apps) + 1)))
    else:
        await warm_up(base_url)
    rng = random.Random(n)
    students = [Student(base_url, link, visit=servers.proxied) for link in class_links(n)]
    start = time.time()
    t0 = start + ARRIVAL_SECONDS + PLAY_SPREAD_SECONDS + SETTLE_SECONDS
    t1 = t0 + seconds
    pausers = set(range(0, n, max(1, n // PAUSERS))[:PAUSERS])
    plans = []
    for i, student in enumerate(students):
        rates = sorted(rng.uniform(t0 + 0.1 * seconds, t1 - 0.1 * seconds) for _ in range(2)) if student.link.changes_rate else []
        play = start + ARRIVAL_SECONDS + PLAY_SPREAD_SECONDS * i / max(n, 1)
        plans.append(attend(student, start + rng.uniform(0, ARRIVAL_SECONDS), play, rates, t1 if i in pausers else None, t1))

    rss: list[list[float]] = []  # per sample, each app process's
    rss_task = asyncio.create_task(sample_rss(servers.apps, rss))
    speed: list[tuple[float, float]] = []
    speed_task = asyncio.create_task(sample_speed(speed)) if servers.proxied else None
    browser_readings: list[BrowserReading | None] = []
    browser_error = ""
    async with contextlib.AsyncExitStack() as stack:
        browser = None
        if with_browser:
            from playwright.async_api import async_playwright

            playwright = await stack.enter_async_context(async_playwright())
            browser = BrowserStudent(base_url)
            plans.append(_browser_lesson(browser, playwright, start + ARRIVAL_SECONDS, t1))
        lessons = asyncio.gather(*plans)

        await sleep_until(t0)
        (apps0, nginx0), sim0, all0, started = (server_cpu_seconds(servers), time.process_time(),
                                                machine_busy_seconds(), time.time())
        browser_readings.append(await browser.read() if browser else None)
        while time.time() < t1 - 1:  # the browser's lag, sampled through the window
            await asyncio.sleep(min(2.0, t1 - time.time()))
            if browser and time.time() < t1:
                browser_readings.append(await browser.read())
        await sleep_until(t1)
        (apps1, nginx1), sim1, all1, ended = (server_cpu_seconds(servers), time.process_time(),
                                              machine_busy_seconds(), time.time())
        browser_readings.append(await browser.read() if browser else None)
        await lessons
        browser_error = browser.error if browser else ""
        rss_task.cancel()
        if speed_task is not None:
            speed_task.cancel()
        await asyncio.gather(*(s.close() for s in students))
    elapsed = ended - started
    app_cores = [(b - a) / elapsed for a, b in zip(apps0, apps1)]
    nginx_cores = (nginx1 - nginx0) / elapsed
    return ClassRun(students, (t0, t1), sum(app_cores) + nginx_cores, (sim1 - sim0) / elapsed, (all1 - all0) / elapsed,
                    [sum(sample) for sample in rss], browser_readings, browser_error, app_cores,
                    [[sample[i] for sample in rss] for i in range(len(servers.apps))],
                    nginx_cores if servers.proxied else None, speed)


async def _browser_lesson(browser: BrowserStudent, playwright: Any, play: float, end: float) -> None:
    await browser.open(playwright, end)
    await sleep_until(play)
    await browser.play(end)


# ---------------------------------------------------------------- one replica's memory

@dataclass(frozen=True)
class ReplicaMemory:
    """One replica's RSS in MB (its process tree), alone behind nginx."""

    started: float  # answering its health check: Streamlit only (the app's modules load with a first session)
    played: float  # after a 2D page played for a second and paused: the app, torch, the shared trainer
    mnist: float  # with the MNIST lab open too: MNIST loaded (once per process, shared by its sessions)
    nginx: float  # nginx's master and worker
    mnist_error: str = ""  # why the MNIST lab's first run did not finish, if it did not

    @property
    def mnist_extra(self) -> float:
        return self.mnist - self.played


async def open_page(base_url: str, page: str, query: str = "") -> Student:
    """A session on `page` through nginx, once its first whole run has finished (or `PAGE_LOAD_SECONDS` passed)."""
    student = Student(base_url, Link(query), page=page, visit=True)
    deadline = time.time() + PAGE_LOAD_SECONDS
    if await student.open(deadline):
        while not student.tally.runs and not student.tally.errors and time.time() < deadline:
            await asyncio.sleep(0.1)
    return student


async def _replica_memory(base_url: str, replica: int, nginx: int) -> ReplicaMemory:
    await asyncio.sleep(MEMORY_SETTLE_SECONDS)
    started = tree_rss_mb(replica)
    await warm_up(base_url, {})
    await asyncio.sleep(MEMORY_SETTLE_SECONDS)
    played = tree_rss_mb(replica)
    lab = await open_page(base_url, MNIST_PAGE)
    await asyncio.sleep(MEMORY_SETTLE_SECONDS)
    mnist, nginx_mb = tree_rss_mb(replica), tree_rss_mb(nginx)
    await lab.close()
    error = "" if lab.tally.runs else "; ".join(lab.tally.errors) or f"no finished run in {PAGE_LOAD_SECONDS:.0f} s"
    return ReplicaMemory(started, played, mnist, nginx_mb, error)


def replica_memory() -> ReplicaMemory:
    """One replica behind nginx (`ClassServer(1)`): its RSS started, with a 2D page played, with the MNIST lab open."""
    port = free_port()
    with ClassServer(1, port, "127.0.0.1", restart=False, say=say_to_stderr) as server:
        return asyncio.run(_replica_memory(f"http://127.0.0.1:{port}", server.members[0].process.pid, server.nginx.pid))


def memory_report(m: ReplicaMemory, replica_counts: Sequence[int]) -> str:
    totals = ", ".join(f"{r} replica{'s' if r > 1 else ''} {r * m.mnist:,.0f} MB" for r in replica_counts)
    lines = [f"one replica's RSS: started {m.started:.0f} MB, a 2D page played {m.played:.0f} MB, the MNIST lab "
             f"open {m.mnist:.0f} MB (MNIST {m.mnist_extra:+.0f} MB); nginx {m.nginx:.0f} MB",
             f"           per replica: base {m.played:.0f} + MNIST {m.mnist_extra:.0f} = {m.mnist:.0f} MB; "
             f"{totals} (+ nginx {m.nginx:.0f} MB; before any class's sessions)"]
    if m.mnist_error:
        lines.append(f"           WARNING: the MNIST lab did not finish its first run: {m.mnist_error}")
    return "\n".join(lines)


def say_to_stderr(line: str) -> None:
    """A replica's console lines (ClassServer's `say`): on stderr, apart from the figures."""
    print(line, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- figures

@dataclass(frozen=True)
class StudentFigures:
    views_per_s: float  # live-view messages
    snapshots_per_s: float
    steps_per_s: float
    lags: list[float]
    bytes_per_s: float
    runs_per_s: float
    interrupted_per_s: float
    first_view: float | None
    first_step: float | None


def student_figures(tally: Tally, t0: float, t1: float) -> StudentFigures:
    seconds = t1 - t0
    inside = [v for v in tally.views if t0 <= v.arrival <= t1]
    before = [v.step for v in tally.views if v.arrival < t0]
    start_step = before[-1] if before else (inside[0].step if inside else 0)
    end_step = inside[-1].step if inside else start_step
    play = tally.action("play")
    return StudentFigures(
        views_per_s=len(inside) / seconds,
        snapshots_per_s=len({s for v in inside for s in v.steps}) / seconds,
        steps_per_s=(end_step - start_step) / seconds,
        lags=[v.lag for v in inside if v.lag is not None],
        bytes_per_s=sum(n for a, n in tally.received if t0 <= a <= t1) / seconds,
        runs_per_s=sum(1 for a in tally.runs if t0 <= a <= t1) / seconds,
        interrupted_per_s=sum(1 for a in tally.interrupted if t0 <= a <= t1) / seconds,
        first_view=None if tally.first_view is None or tally.opened is None else tally.first_view - tally.opened,
        first_step=None if tally.first_step is None or play is None else tally.first_step - play.at,
    )


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _max(values: Sequence[float]) -> float | None:
    return max(values) if values else None


def _min(values: Sequence[float]) -> float | None:
    return min(values) if values else None


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "n/a" if value is None else format(value, spec)


def summarise(run: ClassRun) -> dict[str, Any]:
    """The class's figures by name (None where nothing was measured)."""
    t0, t1 = run.window
    figures = [student_figures(s.tally, t0, t1) for s in run.students]
    if os.environ.get("BENCH_DETAIL"):
        for s, f in sorted(zip(run.students, figures), key=lambda pair: pair[1].steps_per_s):
            print(f"    {f.steps_per_s:7.0f} steps/s {f.snapshots_per_s:5.1f} snaps/s {f.views_per_s:4.1f} views/s "
                  f"lag max {_fmt(max(f.lags, default=None), '.2f')} s "
                  f"rate={s.link.changes_rate} {s.link.query} {'; '.join(s.tally.errors)}")
            if not f.views_per_s:  # what its runs and timers did
                last_view = s.tally.views[-1].arrival if s.tally.views else 0.0
                for at, event in s.tally.events[-40:]:
                    print(f"        {at - t0:+7.2f} s {event}{'  (after its last view)' if at > last_view else ''}")
    actions = [a for s in run.students for a in s.tally.actions]
    lags = [lag for f in figures for lag in f.lags]
    median_lags = [statistics.median(f.lags) for f in figures if f.lags]

    def latencies(kind: str) -> list[float | None]:
        return [a.seconds for a in actions if a.kind == kind]

    buttons = latencies("play") + latencies("pause")
    pauses = [s.tally.pause_stopped - s.tally.action("pause").at for s in run.students
              if s.tally.action("pause") is not None and s.tally.pause_stopped is not None]
    paused = [s for s in run.students if s.tally.action("pause") is not None]
    steps = [f.steps_per_s for f in figures]
    out: dict[str, Any] = {
        "snapshots_median": _median([f.snapshots_per_s for f in figures]),
        "snapshots_min": _min([f.snapshots_per_s for f in figures]),
        "steps_median": _median(steps),
        "steps_min": _min(steps),
        "class_steps": sum(steps),
        "lag_median": _median(median_lags),
        "lag_max": _max(lags),
        "first_view_median": _median([f.first_view for f in figures if f.first_view is not None]),
        "first_view_max": _max([f.first_view for f in figures if f.first_view is not None]),
        "first_step_median": _median([f.first_step for f in figures if f.first_step is not None]),
        "first_step_max": _max([f.first_step for f in figures if f.first_step is not None]),
        "server_cores": run.server_cores,
        "rss": run.rss_mb,
        "kb_per_s_median": _median([f.bytes_per_s / 1000 for f in figures]),
        "views_median": _median([f.views_per_s for f in figures]),
        "runs_median": _median([f.runs_per_s for f in figures]),
        "interrupted_median": _median([f.interrupted_per_s for f in figures]),
        "requests_median": _median([sum(1 for a in s.tally.requests if t0 <= a <= t1) / (t1 - t0) for s in run.students]),
        "buttons_median": _median([b for b in buttons if b is not None]),
        "buttons_max": _max([b for b in buttons if b is not None]),
        "buttons_unanswered": sum(1 for b in buttons if b is None),
        "rate_max": _max([r for r in latencies("rate") if r is not None]),
        "pause_max": _max(pauses),
        "pause_missing": len(paused) - len(pauses),
        "pausers": len(paused),
        "simulator_cores": run.simulator_cores,
        "machine_cores": run.machine_cores,
        "most_hashes": max((s.tally.most_hashes for s in run.students), default=0),
        "connect_failures": sum(s.tally.connect_failures for s in run.students),
        "slow_connects": sum(1 for s in run.students if s.tally.connect_failures),
        "no_view": sum(1 for f in figures if f.first_view is None),
        "no_step": sum(1 for s, f in zip(run.students, figures) if f.first_view is not None and s.tally.first_step is None),
        "errors": [e for s in run.students for e in s.tally.errors],
    }
    out.update(_browser_figures(run))
    if out["class_steps"] is not None and out.get("browser_steps") is not None:
        out["class_steps"] += out["browser_steps"]
    if run.nginx_cores is not None:
        out.update(_replica_figures(run, figures))
    return out


def _replica_figures(run: ClassRun, figures: Sequence[StudentFigures]) -> dict[str, Any]:
    """Behind nginx: each replica's students (by the cookie each student ended with), their steps/s,
    the replica's cores and RSS; nginx's cores. (Chromium's cookie is not read: it is in no replica's count.)"""
    t0, t1 = run.window
    names = [str(i) for i in range(1, len(run.app_cores) + 1)]
    steps: dict[str, list[float]] = {}
    for student, f in zip(run.students, figures):
        steps.setdefault(student.tally.replica, []).append(f.steps_per_s)
    replicas = [{"name": name, "students": len(steps.get(name, [])), "steps": sum(steps.get(name, [])),
                 "cores": run.app_cores[i], "rss_max": _max(run.app_rss_mb[i])} for i, name in enumerate(names)]
    return {"replicas": replicas, "spread": Counter(s.tally.replica or "none" for s in run.students),
            "unrouted": sum(len(v) for k, v in steps.items() if k not in names),
            "rerouted": sum(1 for s in run.students if s.tally.rerouted),
            "nginx_cores": run.nginx_cores, "rss_total_max": _max(run.rss_mb),
            "speed_median": _median([v for at, v in run.speed if t0 <= at <= t1]),
            "speed_min": _min([v for at, v in run.speed if t0 <= at <= t1]),
            "speed_max": _max([v for at, v in run.speed if t0 <= at <= t1])}


def _browser_figures(run: ClassRun) -> dict[str, Any]:
    readings = [r for r in run.browser if r is not None]  # from the first reading the page answered
    first, last = (readings[0], readings[-1]) if readings else (None, None)
    if first is None or last is None or last.now - first.now < 1:
        return {"browser_fps": None, "browser_steps": None, "browser_step": None, "browser_lag": None,
                "browser_error": run.browser_error}
    seconds = last.now - first.now
    lags = [r.now - r.shown_t for r in readings if r.shown_t is not None]
    return {"browser_fps": (last.frames - first.frames) / seconds, "browser_steps": (last.step - first.step) / seconds,
            "browser_step": last.step, "browser_lag": _median(lags), "browser_error": run.browser_error}


# Targets from ../shared/LIVE.md and the class brief: (name, figure, test, bound, how the bound reads).
Target = tuple[str, Callable[[dict[str, Any]], float | None], str, float]
TARGETS: dict[int, list[Target]] = {
    1: [("painted frames/s (Chromium)", lambda f: f["browser_fps"], ">=", 20),
        ("steps/s (median student)", lambda f: f["steps_median"], ">=", 1000)],
    30: [("snapshots/s (median student)", lambda f: f["snapshots_median"], ">=", 10),
         ("steps/s (median student)", lambda f: f["steps_median"], ">=", 100),
         ("slowest student's steps/s / median", lambda f: _ratio(f["steps_min"], f["steps_median"]), ">=", 0.5),
         ("class steps/s", lambda f: f["class_steps"], ">=", 3000),
         ("lag, s (max)", lambda f: f["lag_max"], "<=", 1.5),
         ("Pause, s (max)", lambda f: f["pause_max"], "<=", 1.0),
         ("first live view, s (max)", lambda f: f["first_view_max"], "<=", 10),
         ("first step after Play, s (max)", lambda f: f["first_step_max"], "<=", 10),
         ("server RSS, MB (max)", lambda f: _max(f["rss"]), "<=", 1536),
         ("kB/s per student (median)", lambda f: f["kb_per_s_median"], "<=", 100)],
    60: [("snapshots/s (slowest student)", lambda f: f["snapshots_min"], ">=", 2),
         ("steps/s (slowest student)", lambda f: f["steps_min"], ">=", 20),
         ("buttons, s (max)", lambda f: f["buttons_max"], "<=", 1.0)],
}


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def report(n: int, label: str, f: Mapping[str, Any]) -> str:
    rss = f["rss"]
    rss_text = (f"start {rss[0]:.0f} min {min(rss):.0f} max {max(rss):.0f} end {rss[-1]:.0f} MB" if rss else "n/a")
    lines = [
        f"N={n:<3} {label:6} snapshots/s med {_fmt(f['snapshots_median'])} min {_fmt(f['snapshots_min'])} | "
        f"steps/s med {_fmt(f['steps_median'], '.0f')} min {_fmt(f['steps_min'], '.0f')} class {_fmt(f['class_steps'], '.0f')} | "
        f"lag med {_fmt(f['lag_median'], '.2f')} max {_fmt(f['lag_max'], '.2f')} s | "
        f"first view med {_fmt(f['first_view_median'])} max {_fmt(f['first_view_max'])} s, "
        f"first step med {_fmt(f['first_step_median'])} max {_fmt(f['first_step_max'])} s",
        f"           server {f['server_cores']:.2f} cores, RSS {rss_text} | "
        f"per student {_fmt(f['kb_per_s_median'], '.0f')} kB/s, "
        f"{_fmt(f['views_median'])} messages/s, {_fmt(f['runs_median'])} runs/s "
        f"(+{_fmt(f['interrupted_median'])} cut short; {_fmt(f['requests_median'])} requests/s) | "
        f"buttons med {_fmt(f['buttons_median'], '.2f')} max {_fmt(f['buttons_max'], '.2f')} s"
        f"{f' ({n_} unanswered)' if (n_ := f['buttons_unanswered']) else ''}, "
        f"Pause max {_fmt(f['pause_max'], '.2f')} s ({f['pausers'] - f['pause_missing']}/{f['pausers']} stopped), "
        f"rate applied max {_fmt(f['rate_max'], '.2f')} s | "
        f"Chromium {_fmt(f['browser_fps'])} frames/s, {_fmt(f['browser_steps'], '.0f')} steps/s, "
        f"step {_fmt(f['browser_step'], 'd')}, lag {_fmt(f['browser_lag'], '.2f')} s | "
        f"simulator {f['simulator_cores']:.2f} cores, machine {f['machine_cores']:.2f} cores busy",
    ]
    if "replicas" in f:
        pinned = "each on a core of its own" if f.get("pinned") else "not pinned"
        lines.append(
            f"           replicas ({pinned}: they, nginx and the simulator share the machine's {machine_cores()} cores): "
            + " | ".join(f"{r['name']}: {r['students']} students, {r['steps']:,.0f} steps/s, {r['cores']:.2f} cores, "
                         f"RSS max {_fmt(r['rss_max'], '.0f')} MB" for r in f["replicas"])
            + f" | nginx {f['nginx_cores']:.2f} cores | server (replicas + nginx) {f['server_cores']:.2f} cores, "
              f"RSS total max {_fmt(f['rss_total_max'], ',.0f')} MB | machine speed (M Python loops/CPU s) "
              f"med {_fmt(f['speed_median'])} min {_fmt(f['speed_min'])} max {_fmt(f['speed_max'])}")
    for name, figure, test, bound in TARGETS.get(n, []):
        value = figure(f)
        met = value is not None and (value >= bound if test == ">=" else value <= bound)
        lines.append(f"           target {name} {test} {bound:g}: {_fmt(value, '.2f')}  {'ok' if met else 'MISSED'}")
    return "\n".join(lines)


def problems(n: int, f: Mapping[str, Any]) -> list[str]:
    """What makes the figures doubtful: students who never saw the page, a busy simulator, server errors."""
    out = []
    if f["no_view"]:
        out.append(f"ERROR: {f['no_view']} of {n} students never got a live frame "
                   "(a protocol mistake, or the server never answered)")
    if f["no_step"]:
        out.append(f"ERROR: {f['no_step']} of {n} students never saw a step > 0 after pressing Play")
    if f["simulator_cores"] > 0.5:
        out.append(f"WARNING: the simulator used {f['simulator_cores']:.2f} cores: the figures may be the simulator's")
    if f["browser_error"]:
        out.append(f"WARNING: {f['browser_error'].splitlines()[0]}")
    if f["connect_failures"]:
        out.append(f"WARNING: {f['slow_connects']} of {n} students' websocket handshakes failed or took over "
                   f"{CONNECT_TIMEOUT_SECONDS:.0f} s ({f['connect_failures']} times; each tried again, as the frontend does)")
    if f["most_hashes"] > 50:
        out.append(f"note: a student's rerun request carried up to {f['most_hashes']} cached-message hashes")
    if f.get("unrouted"):
        spread = ", ".join(f"{k}: {v}" for k, v in sorted(f["spread"].items()))
        out.append(f"WARNING: {f['unrouted']} of {n} students have no replica's cookie (cookies: {spread})")
    if f.get("rerouted"):
        out.append(f"WARNING: {f['rerouted']} of {n} students' websockets were answered by another replica than "
                   "their page (a replica down, or the cookie not routing)")
    if f.get("replicas_died"):
        out.append(f"ERROR: replica(s) {f['replicas_died']} ended during the class")
    errors = f["errors"]
    if errors:
        kinds = sorted(set(errors))
        out.append(f"ERROR: {len(errors)} student errors, e.g. {'; '.join(kinds[:3])}")
    return out


def measure(n: int, seconds: float, env: Mapping[str, str] | None, with_browser: bool) -> dict[str, Any]:
    with running_app(pinned=True, env=env) as (url, server):
        run = asyncio.run(run_class(url, Servers((server.pid,)), n, seconds, with_browser))
    return summarise(run)


def measure_replicas(n: int, seconds: float, env: Mapping[str, str] | None, with_browser: bool,
                     replicas: int, pinned: bool = False) -> dict[str, Any]:
    """The class through nginx on a free local port, served by `replicas` app processes: nothing
    pinned, or (`pinned`) replica i's threads on the machine's core i (in turn), nginx and this process on any."""
    port = free_port()
    with ClassServer(replicas, port, "127.0.0.1", env=dict(env or {}), restart=False, say=say_to_stderr) as server:
        cores = sorted(os.sched_getaffinity(0))
        if pinned:
            for member in server.members:
                pin_threads(member.process.pid, {cores[(member.index - 1) % len(cores)]})
        servers = Servers(tuple(m.process.pid for m in server.members), server.nginx.pid)
        run = asyncio.run(run_class(f"http://127.0.0.1:{port}", servers, n, seconds, with_browser))
        died = [m.index for m in server.members if not m.alive()]
    return {**summarise(run), "replicas_died": died, "pinned": pinned}


def pin_threads(pid: int, cores: set[int]) -> None:
    """Every thread of `pid` onto `cores` (the threads it starts later inherit it from theirs)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(task.name), cores)


def speedups(n: int, label: str, by_replicas: Mapping[int, Sequence[Mapping[str, Any]]]) -> list[str]:
    """The class's steps/s with each replica count over the first count's: per round (each round
    measures every count in turn) and, after several rounds, of the rounds' medians; the target is
    judged on the latter."""
    (first, bases), *others = by_replicas.items()
    lines = []
    for r, runs in others:
        for k, (f, base) in enumerate(zip(runs, bases), start=1):
            ratio = _ratio(f["class_steps"], base["class_steps"])
            lines.append(f"N={n:<3} {label:6} class steps/s, {r} replicas / {first}{f' (round {k})' if len(runs) > 1 else ''}: "
                         f"{_fmt(f['class_steps'], ',.0f')} / {_fmt(base['class_steps'], ',.0f')} = {_fmt(ratio, '.2f')} "
                         f"(simulator {f['simulator_cores']:.2f} / "
                         f"{base['simulator_cores']:.2f} cores, machine busy {f['machine_cores']:.2f} / "
                         f"{base['machine_cores']:.2f} cores)")
        ratio = _ratio(_median([f["class_steps"] for f in runs]), _median([f["class_steps"] for f in bases]))
        if len(runs) > 1:
            lines.append(f"N={n:<3} {label:6} class steps/s, {r} replicas / {first}, medians of {len(runs)} rounds: "
                         f"{_fmt(ratio, '.2f')}")
        if (first, r, n) == (1, 2, SPEEDUP_TARGET_STUDENTS):
            met = ratio is not None and ratio >= SPEEDUP_TARGET
            lines.append(f"           target 2 replicas / 1 (class steps/s, {machine_cores()} cores) >= "
                         f"{SPEEDUP_TARGET:g}: {_fmt(ratio, '.2f')}  {'ok' if met else 'MISSED'}")
    return lines


def machine_cores() -> int:
    """The cores this process may run on (what the replicas, nginx and the simulator share)."""
    return len(os.sched_getaffinity(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", default="1,10,30,60", help="class sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=30.0, help="the measurement window")
    parser.add_argument("--skip-before", action="store_true", help="no run with PLAYGROUND_SHARED_TRAINER=0")
    parser.add_argument("--no-browser", action="store_true", help="no Chromium beside the class")
    parser.add_argument("--replicas", default="",
                        help="replica counts, comma-separated (e.g. 1,2): each class through nginx once per count, "
                             "nothing pinned, and the class's steps/s over the first count's")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --replicas: measure every replica count this many times, in turn")
    parser.add_argument("--pin-replicas", action="store_true",
                        help="with --replicas: replica i's threads on core i (in turn); nginx and the simulator on any")
    parser.add_argument("--memory", action="store_true",
                        help="only one replica's memory: started, with a 2D page played, with the MNIST lab open "
                             "(--replicas measures it too, before the classes)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.students.split(",")]
    replica_counts = list(dict.fromkeys(int(r) for r in args.replicas.split(",") if r.strip()))
    if args.memory or replica_counts:
        print(memory_report(replica_memory(), replica_counts or range(1, machine_cores() + 1)), flush=True)
        if not replica_counts:
            return
    print(f"2D page, a class of N protocol students{'' if args.no_browser else ' + 1 Chromium'}, all playing; "
          f"measured over {args.seconds:.0f} s after {ARRIVAL_SECONDS + PLAY_SPREAD_SECONDS + SETTLE_SECONDS:.0f} s "
          "(arrival, Play presses, settling)")
    if replica_counts:
        pinned = "each replica on a core of its own" if args.pin_replicas else "nothing pinned"
        print(f"through nginx, with {' and then '.join(map(str, replica_counts))} replicas"
              f"{f', {args.rounds} rounds' if args.rounds > 1 else ''}; {pinned}: the replicas, nginx and this "
              f"simulator share the machine's {machine_cores()} cores", flush=True)
    for n in sizes:
        for label, env in (("after", None), ("before", ENV_BEFORE))[: 1 if args.skip_before else 2]:
            if not replica_counts:
                figures = measure(n, args.seconds, env, not args.no_browser)
                print(report(n, label, figures))
                for line in problems(n, figures):
                    print(f"           {line}")
                continue
            by_replicas: dict[int, list[dict[str, Any]]] = {r: [] for r in replica_counts}
            for k in range(1, args.rounds + 1):
                for r in replica_counts:
                    figures = measure_replicas(n, args.seconds, env, not args.no_browser, r, args.pin_replicas)
                    by_replicas[r].append(figures)
                    print(report(n, f"{label}, {r} replica{'s' if r > 1 else ''}"
                                    f"{f' (round {k})' if args.rounds > 1 else ''}", figures))
                    for line in problems(n, figures):
                        print(f"           {line}")
                    sys.stdout.flush()
            if len(by_replicas) > 1:
                print("\n".join(speedups(n, label, by_replicas)), flush=True)


if __name__ == "__main__":
    main()
