"""What a run records, in bounded memory however long it plays.

A live page can train a run for an hour at hundreds of steps a second: one number per step
kept forever would grow without end (a class of 30 students, a gigabyte an hour). So:

- `LossSeries` keeps the per-step mini-batch loss in at most `capacity` points: when full,
  neighbouring points are averaged in pairs and each point covers twice as many steps.
  The curve still spans the whole run, at a resolution that falls as it grows.
- Snapshots are kept on a grid: those whose step is a multiple of `spacing`, and the newest.
  Once more than `capacity` are on the grid, `thin` doubles the spacing (keeping every other
  one), and `make_room` drops the newest before the next is added unless it is on the grid; so
  a long run keeps between a half and all of `capacity` snapshots, evenly spread over the whole
  run. `History.steps` says which step each one is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Points a loss series keeps (between half of this and this once it has thinned), and
# snapshots a history keeps (the same, plus the newest).
SERIES_CAPACITY = 4096
SNAPSHOT_CAPACITY = 1024


class LossSeries:
    """One value per step (a float, or an array: one per seed), averaged in buckets of
    `stride` steps once there are more than `capacity` of them."""

    def __init__(self, capacity: int | None = None) -> None:
        capacity = SERIES_CAPACITY if capacity is None else capacity
        if capacity < 2 or capacity % 2:
            raise ValueError(f"capacity must be an even number >= 2, got {capacity}")
        self.capacity = capacity
        self.stride = 1  # steps per full point
        self._points: list[Any] = []  # the mean of each full bucket of `stride` steps
        self._open: Any = None  # the sum of the bucket being filled
        self._open_count = 0
        self.count = 0  # steps recorded

    def append(self, value: Any) -> None:
        self.count += 1
        self._open = value if self._open_count == 0 else self._open + value
        self._open_count += 1
        if self._open_count == self.stride:
            self._points.append(self._open / self.stride if self.stride > 1 else self._open)
            self._open, self._open_count = None, 0
            if len(self._points) >= self.capacity:
                pairs = self._points
                self._points = [(a + b) / 2 for a, b in zip(pairs[0::2], pairs[1::2])]
                self.stride *= 2

    def values(self) -> np.ndarray:
        """The points, oldest first (a bucket still filling gives its mean so far)."""
        points = [*self._points, *([self._open / self._open_count] if self._open_count else [])]
        return np.asarray(points, dtype=float)

    def steps(self) -> np.ndarray:
        """The last step each point covers (1-based: the first step is 1)."""
        full = (np.arange(len(self._points)) + 1) * self.stride
        return np.append(full, self.count) if self._open_count else full

    def __len__(self) -> int:
        return len(self._points) + (1 if self._open_count else 0)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.values())


def _keep(history: Any, keep: list[int]) -> None:
    """Keep the snapshots at indices `keep` in every per-snapshot list of `history`."""
    n = len(history.steps)
    for f in dataclasses.fields(history):
        values = getattr(history, f.name)
        if isinstance(values, list) and len(values) == n:
            setattr(history, f.name, [values[i] for i in keep])


def make_room(history: Any) -> None:
    """Before a new snapshot: drop the newest one unless it is on the grid (it was kept only as the newest)."""
    n = len(history.steps)
    if n > 1 and history.steps[-1] % history.spacing:
        for f in dataclasses.fields(history):
            values = getattr(history, f.name)
            if isinstance(values, list) and len(values) == n:
                del values[-1]


def thin(history: Any, capacity: int | None = None) -> None:
    """Once more than `capacity` of `history`'s snapshots (a dataclass whose list fields hold one
    entry per snapshot, `steps` among them, and whose `spacing` is its grid) are on the grid,
    double the grid's spacing until no more are; the newest is always kept."""
    capacity = SNAPSHOT_CAPACITY if capacity is None else capacity
    steps = history.steps
    if len(steps) - 1 <= capacity:  # (then no more than `capacity` can be on the grid)
        return
    while sum(1 for step in steps[:-1] if step % history.spacing == 0) > capacity:
        history.spacing *= 2
    keep = [i for i, step in enumerate(steps[:-1]) if step % history.spacing == 0]
    if len(keep) < len(steps) - 1:
        _keep(history, [*keep, len(steps) - 1])


@dataclass
class History:
    """What a run has recorded: `batch_loss`, the loss of each step's mini-batch (bounded,
    see `LossSeries`); the other lists one entry per snapshot (bounded, see `thin`)."""

    steps: list[int] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)  # per snapshot: input layer first
    batch_loss: LossSeries = field(default_factory=LossSeries)
    spacing: int = 1  # snapshots are kept at steps that are multiples of this (and the newest), see `thin`
