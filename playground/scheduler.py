"""The server's share of work between sessions: plain Python, one per app process.

A class of 30 shares one small server, and one app process is about one core. Light live
runs (the 2D page, Compare) each train a bounded slice of CPU time per tick, so they share
by themselves. Heavy jobs (an MNIST training: seconds to minutes of a core) take turns:
`MNIST_QUEUE` lets one run at a time in this process and keeps the others waiting in the
order they asked, with their place and expected start, so every student gets through.

    MNIST_QUEUE.join(session, seconds=40)   # a Train click: expected CPU seconds of the job
    MNIST_QUEUE.turn(session)               # each tick: True when it is this session's turn
    MNIST_QUEUE.place(session)              # (0, 0.0) running; (2, 75.0) two ahead, ~75 s to wait
    MNIST_QUEUE.leave(session)              # finished, stopped, reset

A session that stops ticking (its tab closed, its browser gone) loses its place after
`LEASE_SECONDS`, and one that is garbage-collected at once: nobody waits for a closed tab.

`ACTIVITY` knows which sessions are playing or training now (each says so on every tick).
A heavy page (an MNIST training, a comparison whose drawing is costly) takes the whole core
when it is alone, and at most `HEAVY_SHARE` of it while other students are active, so that a
student on the 2D page keeps most of their speed beside it.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

# The running job is dropped when not heard from for this long (its tab ticks every half
# second; a hidden tab is throttled by the browser, to once a minute after five minutes), so
# nobody waits behind a closed or forgotten tab; a waiting one keeps its place for WAIT_LEASE_SECONDS.
LEASE_SECONDS = 15.0
WAIT_LEASE_SECONDS = 300.0
# A session that ticked this recently is active.
ACTIVE_SECONDS = 2.0
# The share of a core a heavy page takes while others are active.
HEAVY_SHARE = 0.2
MAX_SEEN = 200  # sessions `Activity` remembers before it forgets the quiet ones


@dataclass
class _Entry:
    owner: weakref.ref
    seconds: float  # expected CPU seconds still to run
    seen: float  # clock of its last tick


class Queue:
    """Jobs in the order they joined; the first runs, the others wait. Thread-safe: each
    browser session's script runs in its own thread."""

    def __init__(self, lease_seconds: float = LEASE_SECONDS, wait_lease_seconds: float = WAIT_LEASE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.lease_seconds, self.wait_lease_seconds = lease_seconds, wait_lease_seconds
        self.clock = clock
        self._entries: list[_Entry] = []
        self._lock = threading.Lock()

    def _drop_gone(self) -> None:
        now = self.clock()
        self._entries = [e for i, e in enumerate(self._entries) if e.owner() is not None
                         and now - e.seen <= (self.lease_seconds if i == 0 else self.wait_lease_seconds)]

    def _index(self, owner: object) -> int | None:
        return next((i for i, e in enumerate(self._entries) if e.owner() is owner), None)

    def join(self, owner: object, seconds: float) -> None:
        """Queue `owner`'s job (expected to take `seconds` of CPU); a job already queued keeps its place."""
        with self._lock:
            self._drop_gone()
            index = self._index(owner)
            if index is None:
                self._entries.append(_Entry(weakref.ref(owner), seconds, self.clock()))
            else:
                self._entries[index].seconds = seconds

    def leave(self, owner: object) -> None:
        with self._lock:
            self._entries = [e for e in self._entries if e.owner() is not owner and e.owner() is not None]

    def turn(self, owner: object, seconds_left: float | None = None) -> bool:
        """`owner` ticks (keeping its place, and saying how long it still expects to run):
        True if its job is the one to run now. A job dropped for not ticking joins again at the back."""
        with self._lock:
            self._drop_gone()
            index = self._index(owner)
            if index is None:
                self._entries.append(_Entry(weakref.ref(owner), seconds_left or 0.0, self.clock()))
                index = len(self._entries) - 1
            entry = self._entries[index]
            entry.seen = self.clock()
            if seconds_left is not None:
                entry.seconds = seconds_left
            return index == 0

    def place(self, owner: object) -> tuple[int, float]:
        """(jobs ahead of `owner`'s, expected seconds until it starts); (0, 0.0) when running,
        (-1, 0.0) when not queued."""
        with self._lock:
            self._drop_gone()
            index = self._index(owner)
            if index is None:
                return -1, 0.0
            return index, sum(e.seconds for e in self._entries[:index])

    def __len__(self) -> int:
        with self._lock:
            self._drop_gone()
            return len(self._entries)


class Activity:
    """The sessions that ticked in the last `ACTIVE_SECONDS`. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._seen: dict[int, tuple[weakref.ref, float]] = {}
        self._lock = threading.Lock()

    def tick(self, owner: object) -> None:
        """`owner` (a session's run) is playing or training now."""
        with self._lock:
            now = self.clock()
            if len(self._seen) > MAX_SEEN:  # those gone or long quiet (others() prunes them too)
                self._seen = {key: (ref, seen) for key, (ref, seen) in self._seen.items()
                              if ref() is not None and now - seen <= ACTIVE_SECONDS}
            self._seen[id(owner)] = (weakref.ref(owner), now)

    def others(self, owner: object) -> int:
        """Active sessions besides `owner`."""
        with self._lock:
            now = self.clock()
            self._seen = {key: (ref, seen) for key, (ref, seen) in self._seen.items()
                          if ref() is not None and now - seen <= ACTIVE_SECONDS}
            return sum(1 for ref, _ in self._seen.values() if ref() is not owner)

    def share(self, owner: object) -> float:
        """The share of a core a heavy page of `owner` may take now: all of it alone, else `HEAVY_SHARE`."""
        return 1.0 if self.others(owner) == 0 else HEAVY_SHARE


@dataclass
class Pace:
    """How often a live page ticks so that, training and drawing, it takes only its share of a
    core (`Activity.share`): never more often than every `least` seconds, less often when its
    ticks cost more. `spent` takes each tick's CPU seconds (a running mean, `cpu`)."""

    least: float
    cpu: float = 0.0

    def interval(self, owner: object) -> float:
        return max(self.least, self.cpu / ACTIVITY.share(owner))

    def spent(self, seconds: float) -> None:
        self.cpu = seconds if not self.cpu else 0.7 * self.cpu + 0.3 * seconds


MNIST_QUEUE = Queue()
ACTIVITY = Activity()
