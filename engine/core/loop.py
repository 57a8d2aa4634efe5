"""The training loop: the one place where any run trains, whoever asks (a page's tick or
button, the command line, a lesson's check, a test).

    train(trainer, 500)                                   # 500 steps; a snapshot every 10 and at the end
    train(trainer, 10**6, Budget(seconds=0.03))           # what fits in 30 ms: a live page's tick
    train(trainer, n, snapshots=Snapshots(every=None))    # no snapshots on the way: a check reads the end

What trains is a `Run`: one network (`engine.core.trainer.Trainer`), many seeds of one as a
batched model (`engine.experiments.seeds.SeedsTrainer`) or runs in lock-step
(`engine.experiments.compare.Comparison`). Each says what one step is; this loop says how
many steps run and when a snapshot is taken: the one rule for both.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Run(Protocol):
    @property
    def step(self) -> int:
        """Steps taken so far (snapshots fall on multiples of `Snapshots.every` of it)."""

    @property
    def finished(self) -> bool:
        """True once the run trains no further (its loss became NaN or infinite, or early stopping ended it)."""

    def train_step(self) -> None:
        """One mini-batch: forward, loss, backward, update."""

    def record(self) -> None:
        """A snapshot (losses, accuracies, gradients) of the current step, unless it has one."""


@dataclass(frozen=True)
class Budget:
    """How long one call may train, on `clock` (wall time unless a caller passes another,
    e.g. `time.thread_time` to count only this thread's CPU). The first step always runs."""

    seconds: float = math.inf
    clock: Callable[[], float] = time.perf_counter


@dataclass(frozen=True)
class Snapshots:
    """When to take a snapshot: every `every` steps of the run (None: never on the way), and,
    with `at_end`, of the step the call stops at, so what is shown is never stale."""

    every: int | None = 10
    at_end: bool = True


UNBOUNDED = Budget()
EVERY_10 = Snapshots()


def train(run: Run, steps: int, budget: Budget = UNBOUNDED, snapshots: Snapshots = EVERY_10) -> int:
    """Train `run` up to `steps` steps, stopping early when `budget` is spent or the run
    is finished (diverged, or ended by early stopping); returns the steps taken."""
    deadline = budget.clock() + budget.seconds
    done = 0
    while done < steps and not run.finished:
        if done > 0 and budget.clock() >= deadline:
            break
        run.train_step()
        done += 1
        if snapshots.every and run.step % snapshots.every == 0:
            run.record()
    if snapshots.at_end:
        run.record()
    return done
