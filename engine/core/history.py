"""What a run records, in bounded memory however long it plays.

A live page can train a run for an hour at hundreds of steps a second: one number per step
kept forever would grow without end (a class of 30 students, a gigabyte an hour). So:

- `LossSeries` keeps the per-step mini-batch loss in at most `capacity` points: when full,
  neighbouring points are averaged in pairs and each point covers twice as many steps.
  The curve still spans the whole run, at a resolution that falls as it grows.
- `thin(history, capacity)` halves a history's snapshots (every other one, the newest always
  kept) once there are more than `capacity`, so snapshots stay dense near the present and
  sparse in the past; `History.steps` says which step each one is.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Points a loss series keeps (between this and half of it once it has thinned), and
# snapshots a history keeps (between this and twice it once it has thinned).
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


def thin(history: Any, capacity: int | None = None) -> None:
    """Once `history` (a dataclass whose list fields hold one entry per snapshot, `steps`
    among them) has more than `capacity` snapshots, keep every other one and the newest."""
    n = len(history.steps)
    if n <= (SNAPSHOT_CAPACITY if capacity is None else capacity):
        return
    keep = [*range(0, n - 1, 2), n - 1]
    for f in dataclasses.fields(history):
        values = getattr(history, f.name)
        if isinstance(values, list) and len(values) == n:
            setattr(history, f.name, [values[i] for i in keep])


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
