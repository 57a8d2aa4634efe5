"""The class's shared trainer: one thread per app process trains every playing 2D run.

When 30 students press Play on the same lesson, their pages no longer train in their own
ticks. Each playing `RunSession` (playground.sessions) joins `CLASSROOM`, and its thread
trains them all, round after round; the pages' ticks only send what it recorded (a few
snapshots per message, played back by the browser). Within a round:
- runs with one network shape and settings (engine.core.cohort.batch_key) train as one
  batched model (a Cohort), each with its own data, seed, learning rate and optimizer state;
  a run whose settings nobody shares trains alone, with its own optimizer;
- every group trains the same number of steps, so each student gets about the same speed,
  unless a group is costly (a much larger network): it then takes no more than its share of
  the round (its students' share of the class, or of the groups, whichever is larger);
- a run trains only as far as its page asked (Play at a speed, or a button's steps) and only
  while its page keeps asking (`LEASE_SECONDS`): a closed tab stops costing anything.

Rounds are timed in this thread's CPU time, and the thread yields between groups, so the
pages' own reruns (Streamlit's script threads, in the same process) keep their turns.

`SHARED` is False when the server starts with PLAYGROUND_SHARED_TRAINER=0: each page then
trains in its own ticks (what bench/classroom.py measures as "before").

How often a playing page reruns (`rerun_interval`) follows the load too: alone, 5 times a
second; with a class, less often, each message then carrying more snapshots, so that the
class's reruns take about `RERUN_SHARE` of a core.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from engine.core.cohort import Cohort, batch_key

if TYPE_CHECKING:
    from playground.sessions import RunSession

SHARED = os.environ.get("PLAYGROUND_SHARED_TRAINER", "1") != "0"
# CPU seconds one round of training takes over all groups.
ROUND_SECONDS = 0.03
# A run is trained only while its page reran this recently.
LEASE_SECONDS = 10.0
# Snapshots taken per second of each playing run: a student alone, and in a class.
SNAPSHOTS_ALONE = 20.0
SNAPSHOTS_CLASS = 12.0
CLASS_SIZE = 4  # more playing runs than this: a class
SNAPSHOTS_PAINTED = 3.0  # a network too large to send as weights: the server paints each snapshot
# Bytes of weights a second each page may be sent (a school's Wi-Fi); larger networks get fewer snapshots.
BYTES_PER_SECOND = 50_000
# The share of a core the class's reruns may take, how long one costs beside what a page
# measures (Streamlit's own work, ../shared/LIVE.md), and the intervals a page reruns at.
RERUN_SHARE = 0.4
RERUN_OVERHEAD = 0.005
RERUN_INTERVALS = (0.2, 0.3, 0.5, 0.75, 1.0)
HISTORY_EVERY = 10  # steps between a run's recorded points on its curves, as engine.core.loop.EVERY_10

log = logging.getLogger(__name__)


class Classroom:
    """The playing runs of this process and the thread that trains them. Thread-safe."""

    def __init__(self, threaded: bool = True) -> None:
        self.threaded = threaded  # False: nothing trains but `train_round` (tests)
        self._runs: dict[int, tuple[weakref.ref, float]] = {}  # id -> (run, when its page last reran)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._cost: dict[object, float] = {}  # seconds of CPU per step of a group, by its key
        self._owed: dict[object, float] = {}  # fractions of steps a group is owed from earlier rounds
        self.rerun_cost = 0.002  # seconds of CPU a playing page's rerun takes (running mean)
        self.size = 0  # runs playing at the last round (or count)

    # What pages call (their script threads).

    def ask(self, run: RunSession) -> None:
        """`run`'s page reran and wants training (it plays, or a button asked for steps)."""
        with self._lock:
            self._runs[id(run)] = (weakref.ref(run), time.monotonic())
            if self.threaded and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._loop, name="classroom", daemon=True)
                self._thread.start()
        self._wake.set()

    def leave(self, run: RunSession) -> None:
        with self._lock:
            self._runs.pop(id(run), None)

    def playing(self) -> int:
        """Runs whose pages asked for training within the lease."""
        self.size = len(self._leased())
        return self.size

    def snapshot_rate(self, bytes_per_snapshot: int, painted_here: bool = False) -> float:
        """Snapshots a second for each playing run, by the class's size (at the last count) and the
        snapshot's bytes (fewer for a network painted on the server: each costs a pass over the plane)."""
        rate = SNAPSHOTS_ALONE if self.size <= CLASS_SIZE else SNAPSHOTS_CLASS
        return min(SNAPSHOTS_PAINTED if painted_here else rate, BYTES_PER_SECOND / max(1, bytes_per_snapshot))

    def rerun_spent(self, seconds: float) -> None:
        self.rerun_cost = 0.9 * self.rerun_cost + 0.1 * seconds

    def rerun_interval(self) -> float:
        """How often a playing page reruns: the shortest of `RERUN_INTERVALS` at which all the
        playing pages' reruns take about `RERUN_SHARE` of a core."""
        needed = self.playing() * (self.rerun_cost + RERUN_OVERHEAD) / RERUN_SHARE
        return next((i for i in RERUN_INTERVALS if i >= needed), RERUN_INTERVALS[-1])

    # The thread.

    def _leased(self) -> list[RunSession]:
        now = time.monotonic()
        with self._lock:
            self._runs = {key: (ref, seen) for key, (ref, seen) in self._runs.items()
                          if ref() is not None and now - seen <= 3 * LEASE_SECONDS}
            return [run for ref, seen in self._runs.values() if (run := ref()) is not None and now - seen <= LEASE_SECONDS]

    def _loop(self) -> None:
        torch.set_num_threads(1)  # (per thread) the networks are small, and the other core serves the pages
        while True:
            try:
                if not self.train_round():
                    self._wake.wait(0.5)
                    self._wake.clear()
            except Exception:  # a bug must not stop the class's training: log it, go on
                log.exception("the classroom's training round failed")
                time.sleep(0.1)

    def train_round(self) -> bool:
        """One round over the runs that want steps now; False when there was nothing to train."""
        leased = self._leased()
        self.size = len(leased)
        runs = [run for run in leased if run.steps_wanted() > 0]
        if not runs:
            return False
        groups: dict[object, list[RunSession]] = {}
        for run in runs:
            groups.setdefault(_group_key(run), []).append(run)
        plan = round_steps({key: self._cost.get(key, 0.001) for key in groups}, {key: len(g) for key, g in groups.items()})
        self._owed = {key: self._owed.get(key, 0.0) + steps for key, steps in plan.items()}
        for key, group in groups.items():
            if self._owed[key] >= 1:
                steps = int(self._owed[key])
                self._owed[key] -= steps
                self._train_group(key, group, steps)
                time.sleep(0)  # let the pages' script threads in
        return True

    def _train_group(self, key: object, group: Sequence[RunSession], steps: int) -> None:
        """Up to `steps` steps of each run in `group` (as many as it wants), together; a run
        whose page holds its lock right now sits this round out."""
        locked = [run for run in group if run.lock.acquire(blocking=False)]
        try:  # (a page may have changed its run's settings since the groups were made)
            plan = {run: min(steps, run.steps_wanted()) for run in locked if _group_key(run) == key}
            while plan := {run: n for run, n in plan.items() if n > 0 and not run.trainer.diverged}:
                together = list(plan)
                done, seconds = self._train_together(together, min(plan.values()))
                if done:
                    cost = seconds / done
                    self._cost[key] = cost if key not in self._cost else 0.8 * self._cost[key] + 0.2 * cost
                for run in together:
                    run.trained(done)
                    plan[run] -= done
                if not done:
                    break
        finally:
            for run in locked:
                run.lock.release()

    @staticmethod
    def _train_together(runs: list[RunSession], steps: int) -> tuple[int, float]:
        """`steps` steps of every run (fewer if one diverges), recording their curves every
        `HISTORY_EVERY` steps, and snapshots when due: at a recorded step (no evaluation of its
        own) or at the last step. Returns the steps taken and the CPU seconds they took (not
        counting the cohort's opening and closing, a cost per round rather than per step)."""
        trainers = [run.trainer for run in runs]
        clock = time.thread_time
        if len(runs) == 1:
            trainer, run = trainers[0], runs[0]
            started = clock()
            for done in range(1, steps + 1):
                trainer.train_step()
                if trainer.step % HISTORY_EVERY == 0:
                    trainer.record()
                if trainer.diverged or (run.capture_due() and (trainer.recorded or done == steps)):
                    run.capture()
                if trainer.diverged:
                    break
            return done, clock() - started
        with Cohort(trainers) as cohort:
            started = clock()
            for done in range(1, steps + 1):
                cohort.train_step()
                diverged = False
                for k, (run, trainer) in enumerate(zip(runs, trainers)):
                    on_grid = trainer.step % HISTORY_EVERY == 0
                    due = trainer.diverged or (run.capture_due() and (on_grid or done == steps))
                    if on_grid or due:
                        cohort.sync(k)
                        trainer.record()
                    if due:
                        run.capture()
                    diverged = diverged or trainer.diverged
                if diverged:
                    break
            return done, clock() - started


def round_steps(costs: dict[object, float], sizes: dict[object, int], seconds: float = ROUND_SECONDS) -> dict[object, float]:
    """Steps each group trains in a round of about `seconds`, from its cost (seconds a step) and
    size (runs): the same for every group, except that no group takes more than its share of the
    round (its runs' share of all runs, or one group's share, whichever is larger), so one costly
    network does not slow the class down. Fractions of a step are owed to the next rounds."""
    total = sum(sizes.values())
    shares = {key: max(sizes[key] / total, 1 / len(costs)) for key in costs}
    capped: dict[object, float] = {}
    while True:
        free = [key for key in costs if key not in capped]
        steps = (seconds - sum(capped.values())) / sum(costs[key] for key in free) if free else 0.0
        over = [key for key in free if steps * costs[key] > shares[key] * seconds]
        if not over:
            break
        capped.update({key: shares[key] * seconds for key in over})
    return {key: capped[key] / costs[key] if key in capped else steps for key in costs}


def _group_key(run: RunSession) -> object:
    """Runs with equal keys train together: their batch_key, or their own when they cannot batch."""
    key = batch_key(run.trainer)
    return key if key is not None else ("alone", id(run))


CLASSROOM = Classroom()
