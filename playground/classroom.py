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

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from engine.core.cohort import Cohort, batch_key
from engine.core.cost import step_work

if TYPE_CHECKING:
    from playground.sessions import RunSession

SHARED = os.environ.get("PLAYGROUND_SHARED_TRAINER", "1") != "0"
# CPU seconds one round of training takes over all groups.
ROUND_SECONDS = 0.08
# A run is trained only while its page reran this recently (it reruns at least once a second
# while playing; a closed or hidden tab stops costing the class within seconds).
LEASE_SECONDS = 3.0
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
RERUN_HYSTERESIS = 0.7
HISTORY_EVERY = 10  # steps between a run's recorded points on its curves, as engine.core.loop.EVERY_10
# A group may take up to this many times its runs' share of a round (see `round_steps`).
SHARE_SLACK = 2.0
# Multiply-adds a second assumed of a group not measured yet (engine.core.cost counts a step's fixed overhead).
GUESS_WORK_RATE = 1e10
MAX_KEYS_KEPT = 200  # measured costs kept of groups no longer playing
# What a round found: the thread sleeps until a page asks (idle), or a moment (waiting: slow speeds).
TRAINED, WAITING, IDLE = "trained", "waiting", "idle"
IDLE_SECONDS, WAIT_SECONDS = 0.5, 0.01
STOP_SECONDS = 2.0

log = logging.getLogger(__name__)


class Classroom:
    """The playing runs of this process and the thread that trains them. Thread-safe."""

    def __init__(self, threaded: bool = True) -> None:
        self.threaded = threaded  # False: nothing trains but `train_round` (tests)
        self._runs: dict[int, tuple[weakref.ref, float]] = {}  # id -> (run, when its page last reran)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._cost: dict[object, float] = {}  # seconds of CPU per step of a group, by its key
        self._owed: dict[object, float] = {}  # fractions of steps a group is owed from earlier rounds
        self.rerun_cost = 0.002  # seconds of CPU a playing page's rerun takes (running mean)
        self.size = 0  # runs playing at the last round (or count)
        self._interval = RERUN_INTERVALS[0]

    # What pages call (their script threads).

    def ask(self, run: RunSession) -> None:
        """`run`'s page reran and wants training (it plays, or a button asked for steps)."""
        with self._lock:
            self._runs[id(run)] = (weakref.ref(run), time.monotonic())
            if self.threaded and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._loop, name="classroom", daemon=True)
                self._thread.start()
                atexit.register(self.stop)
        self._wake.set()

    def stop(self) -> None:
        """End the thread after its round (the server is stopping: a thread stopped inside
        torch at the interpreter's exit would abort the process)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(STOP_SECONDS)

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
        playing pages' reruns take about `RERUN_SHARE` of a core. It moves up as soon as needed,
        and down only once clearly (by `RERUN_HYSTERESIS`) below the shorter interval, so that
        it does not flap (a page takes a new interval with a whole rerun)."""
        needed = self.playing() * (self.rerun_cost + RERUN_OVERHEAD) / RERUN_SHARE

        def fitting(seconds: float) -> float:
            return next((i for i in RERUN_INTERVALS if i >= seconds), RERUN_INTERVALS[-1])

        if fitting(needed) > self._interval:
            self._interval = fitting(needed)
        else:
            self._interval = min(self._interval, fitting(needed / RERUN_HYSTERESIS))
        return self._interval

    # The thread.

    def _leased(self) -> list[RunSession]:
        now = time.monotonic()
        with self._lock:
            self._runs = {key: (ref, seen) for key, (ref, seen) in self._runs.items()
                          if ref() is not None and now - seen <= 3 * LEASE_SECONDS}
            return [run for ref, seen in self._runs.values() if (run := ref()) is not None and now - seen <= LEASE_SECONDS]

    def _loop(self) -> None:
        torch.set_num_threads(1)  # (per thread) the networks are small, and the other core serves the pages
        while not self._stopping:
            try:
                state = self.train_round()
            except Exception:  # a bug must not stop the class's training: log it, go on
                log.exception("the classroom's training round failed")
                state = WAITING
            if state == IDLE:
                self._wake.wait(IDLE_SECONDS)
                self._wake.clear()
            elif state == WAITING:
                time.sleep(WAIT_SECONDS)

    def train_round(self) -> str:
        """One round over the runs that want steps now: TRAINED, WAITING (runs are busy but none
        could train now: slow speeds, or their pages hold their locks) or IDLE (nobody plays)."""
        leased = [run for run in self._leased() if run.busy]
        self.size = len(leased)
        runs = [run for run in leased if run.steps_wanted() > 0]
        if not runs:
            return WAITING if leased else IDLE
        groups: dict[object, list[RunSession]] = {}
        for run in runs:
            groups.setdefault(_group_key(run), []).append(run)
        if len(self._cost) > MAX_KEYS_KEPT:
            self._cost = {key: cost for key, cost in self._cost.items() if key in groups}
        costs = {key: self._cost.get(key) or _cost_guess(group) for key, group in groups.items()}
        plan = round_steps(costs, {key: len(group) for key, group in groups.items()})
        self._owed = {key: self._owed.get(key, 0.0) + steps for key, steps in plan.items()}
        trained = False
        for key, group in groups.items():
            if self._owed[key] >= 1:
                steps = int(self._owed[key])
                self._owed[key] -= steps
                trained = self._train_group(key, group, steps) or trained
                time.sleep(0)  # let the pages' script threads in
        return TRAINED if trained else WAITING

    def _train_group(self, key: object, group: Sequence[RunSession], steps: int) -> bool:
        """Up to `steps` steps of each run in `group` (as many as it wants), together: in
        segments of runs whose next mini-batches are alike, never longer than a round of CPU. A
        run whose page holds its lock right now sits this round out. True if anything trained."""
        locked = [run for run in group if run.lock.acquire(blocking=False)]
        started = {run: run.trainer.step for run in locked}
        deadline = time.thread_time() + ROUND_SECONDS
        try:  # (a page may have changed its run's settings since the groups were made)
            left = {run: min(steps, run.steps_wanted()) for run in locked if _group_key(run) == key}
            while time.thread_time() < deadline:
                left = {run: n - (run.trainer.step - started[run]) for run, n in left.items()}
                left = {run: n for run, n in left.items() if n > 0 and not run.trainer.finished}
                if not left:
                    break
                alike: dict[int, list[RunSession]] = {}  # by the size of their next mini-batch
                for run in left:
                    alike.setdefault(run.trainer.upcoming_batches()[0], []).append(run)
                for together in alike.values():
                    n = min(min(left[run] for run in together), *(run.trainer.upcoming_batches()[1] for run in together))
                    done, seconds = self._train_together(together, n, deadline)
                    if done:
                        cost = seconds / done
                        self._cost[key] = 0.8 * self._cost[key] + 0.2 * cost if self._cost.get(key) else cost
        except Exception:  # one group's failure costs only that group's round
            log.exception("training a group of %d runs failed", len(locked))
        finally:
            for run in locked:
                run.trained(run.trainer.step - started[run])
                run.lock.release()
        return any(run.trainer.step > started[run] for run in locked)

    @staticmethod
    def _train_together(runs: list[RunSession], steps: int, deadline: float) -> tuple[int, float]:
        """Up to `steps` steps of every run as one batched model (one run alone too, so that a
        run takes the same steps whoever else plays), stopping when a run is finished or at `deadline`
        (this thread's CPU clock); recording each run's curves every `HISTORY_EVERY` steps, and
        taking its snapshots when due at a recorded step, or when overdue between them (with
        the figures of the last recorded step: a snapshot costs no evaluation of its own).
        Returns the steps taken and their CPU seconds (without the cohort's opening and closing)."""
        trainers = [run.trainer for run in runs]
        clock = time.thread_time
        done = 0
        with Cohort(trainers) as cohort:
            started = clock()
            while done < steps:
                cohort.train_step()
                done += 1
                finished = False
                for k, (run, trainer) in enumerate(zip(runs, trainers)):
                    on_grid = trainer.step % HISTORY_EVERY == 0 or trainer.diverged
                    due = trainer.diverged or (on_grid and run.capture_due()) or run.capture_due(overdue=True)
                    if on_grid or due:
                        cohort.sync(k)
                    if on_grid:
                        trainer.record()  # which may end the run (early stopping): the browser sees that step too
                    if due or trainer.stopped_at == trainer.step:
                        run.capture(measure=on_grid)
                    finished = finished or trainer.finished
                if finished or clock() >= deadline:
                    break
            return done, clock() - started


def round_steps(costs: dict[object, float], sizes: dict[object, int], seconds: float = ROUND_SECONDS) -> dict[object, float]:
    """Steps each group trains in a round of about `seconds`, from its cost (seconds a step) and
    size (runs): the same for every group, except that no group takes more than `SHARE_SLACK`
    times its runs' share of the class, so that a costly network, or settings nobody shares (no
    batching), cannot slow the class down. Fractions of a step are owed to the next rounds."""
    total = sum(sizes.values())
    shares = {key: min(1.0, SHARE_SLACK * sizes[key] / total) for key in costs}
    capped: dict[object, float] = {}
    while True:
        free = [key for key in costs if key not in capped]
        steps = (seconds - sum(capped.values())) / sum(costs[key] for key in free) if free else 0.0
        over = [key for key in free if steps * costs[key] > shares[key] * seconds]
        if not over:
            break
        capped.update({key: shares[key] * seconds for key in over})
    return {key: capped[key] / costs[key] if key in capped else steps for key in costs}


def _cost_guess(group: Sequence[RunSession]) -> float:
    """Seconds a step of a group not measured yet may take: the cost model's work at a low rate
    (an overestimate, so a new group's first round is short; then it is measured)."""
    return sum(step_work(run.trainer.config) for run in group) / GUESS_WORK_RATE


def _group_key(run: RunSession) -> object:
    """Runs with equal keys train together: their batch_key, or their own when they cannot batch."""
    key = batch_key(run.trainer)
    return key if key is not None else ("alone", id(run))


CLASSROOM = Classroom()
