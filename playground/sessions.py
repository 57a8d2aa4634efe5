"""Each page's run in one browser session: plain Python (no Streamlit), so it can be tested
directly; a page keeps one in its session's state, so sessions never share a run.

- `RunSession`: the 2D page's run: the trainer, whether it is playing, and what changed.
- `Job`: steps a button asked for ("+1 epoch"), trained a slice at a time by the page's ticks,
  so no click trains past a tick's budget and Pause stops it at once.
- `MnistSession`: an MNIST run, trained in time slices so the page stays responsive and can
  show progress, with a snapshot (the whole 10,000-image test set, itself measured in slices)
  at each epoch's end; it takes turns with the other sessions' MNIST runs (`scheduler.MNIST_QUEUE`).

Budgets count this thread's CPU time (`cpu_budget`), not the wall clock: on a busy server a
tick still trains its share, and never more than its share.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from engine.core.config import FIELDS, RunConfig
from engine.core.cost import evaluation_work, step_work
from engine.core.loop import EVERY_10, Budget, Run, Snapshots, train
from engine.core.trainer import Metrics, Trainer
from playground import scheduler
from playground.i18n import t
from playground.labels import FIELDS as FIELD_LABELS
from playground.scheduler import Queue

# A live page ticks every FRAME_SECONDS and trains for at most TRAIN_BUDGET_SECONDS of each
# tick: training is tied to time, so its speed does not fall with the frame rate.
FRAME_SECONDS = 0.05
TRAIN_BUDGET_SECONDS = 0.03
# Steps per frame the speed control offers; None trains for the whole budget.
SPEEDS: dict[str, int | None] = {"1 step": 1, "10 steps": 10, "100 steps": 100, "max": None}
MAX_STEPS_PER_TICK = 1_000_000  # a live tick that only its time budget ends ("max" speed, Compare)


def cpu_budget(seconds: float) -> Budget:
    """A budget of `seconds` of this thread's CPU time (each session runs in its own thread)."""
    return Budget(seconds, time.thread_time)


@dataclass
class Job:
    """`total` steps a button asked for, trained across ticks (`done` so far)."""

    total: int
    done: int = 0

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def run(self, run: Run, seconds: float, snapshots: Snapshots = EVERY_10) -> bool:
        """Train `run` towards the total for at most `seconds` of CPU; True once finished
        (or once the run has diverged and can train no further)."""
        self.done += train(run, self.total - self.done, cpu_budget(seconds), snapshots)
        return self.done >= self.total or run.diverged


class RunSession:
    def __init__(self, config: RunConfig) -> None:
        self.playing = False
        self.job: Job | None = None  # steps a button asked for, trained by the ticks
        self.notice = ""
        self._start(config)

    @property
    def busy(self) -> bool:
        """True while the page must keep ticking: playing, or training what a button asked for."""
        return self.playing or self.job is not None

    def _start(self, config: RunConfig) -> None:
        self.trainer = Trainer(config)
        self.trainer.record()  # the page always shows a snapshot of the step it is at, step 0 included

    @property
    def config(self) -> RunConfig:
        return self.trainer.config

    def update(self, config: RunConfig) -> None:
        """Take the page's settings: live ones apply to the running network, any other
        change starts a new run (and `notice` says which settings caused it)."""
        if config == self.config:
            return
        changed = [FIELD_LABELS[name] for name in FIELDS if getattr(config, name) != getattr(self.config, name)]
        # A diverged network cannot recover, so even a live setting starts it again.
        if not self.trainer.diverged and self.trainer.apply_live(config):
            self.notice = t("playground.applied_live", changed=", ".join(changed))
            self.job = None  # "+1 epoch" was counted in the old batch size's steps
        else:
            self._start(config)
            self.job = None
            self.notice = t("playground.restarted", changed=", ".join(changed))

    def tick(self, speed: str) -> int:
        """Train for one frame: a button's job first (as fast as the budget allows), else
        at the given speed while playing; returns the steps taken."""
        before = self.trainer.step
        if self.busy:
            scheduler.ACTIVITY.tick(self)
        if self.job is not None:
            if self.job.run(self.trainer, TRAIN_BUDGET_SECONDS):
                self.job = None
        elif self.playing:
            steps = SPEEDS[speed]
            train(self.trainer, steps or MAX_STEPS_PER_TICK, cpu_budget(TRAIN_BUDGET_SECONDS),
                  Snapshots(every=min(10, steps or 10)))
        return self.trainer.step - before

    def step(self, steps: int = 1) -> None:
        """One step now; more (an epoch) become a job the next ticks train."""
        self.playing = False
        if steps == 1:
            self.job = None
            train(self.trainer, 1)
        else:
            self.job = Job(steps)

    def pause(self) -> None:
        self.playing = False
        self.job = None

    def reset(self) -> None:
        self.pause()
        self.notice = ""
        self.trainer.reset()
        self.trainer.record()


# Each tick of the live fragment trains this much CPU time, then redraws progress and curves:
# at most 60% of a core, so the server's other sessions keep theirs.
TICK_SECONDS = 0.5
TRAIN_SECONDS_PER_TICK = 0.3
# Multiply-adds a second an MNIST job is expected to train before one has been measured.
DEFAULT_WORK_RATE = 1e10


class MnistSession:
    """An MNIST run trained by the page's ticks, when the queue says it is this session's turn:
    training up to each epoch's end, then the test set in parts, then a snapshot."""

    work_rate = DEFAULT_WORK_RATE  # measured by the jobs that ran in this process (class-wide)

    def __init__(self, config: RunConfig, queue: Queue | None = None) -> None:
        self.trainer = Trainer(config)
        self.queue = queue if queue is not None else scheduler.MNIST_QUEUE
        self.training = False
        self.target_step = 0  # the step the current Train click trains to
        self.train_seconds = 0.0
        self._evaluation: Generator[float, None, Metrics] | None = None
        self.evaluated = 0.0  # share of the test set measured, while `evaluating`

    @property
    def config(self) -> RunConfig:
        return self.trainer.config

    @property
    def target_epochs(self) -> int:
        """The epoch the current Train click trains to (rounded up), for the progress text."""
        return math.ceil(self.target_step / self.trainer.steps_per_epoch - 1e-9)

    @property
    def evaluating(self) -> bool:
        """True while the test set is being measured (after an epoch, or after Stop)."""
        return self._evaluation is not None

    @property
    def busy(self) -> bool:
        """True while the page must keep ticking: training, waiting its turn, or measuring."""
        return self.training or self.evaluating

    def start(self, epochs: int) -> None:
        """Train `epochs` more epochs (from where the run is), when it is this session's turn."""
        self.target_step = self.trainer.step + epochs * self.trainer.steps_per_epoch
        self.training = True
        self.queue.join(self, self.seconds_left_expected())

    def stop(self) -> None:
        """Stop training; the step reached is measured on the test set (in slices) unless it was."""
        self.training = False
        trainer = self.trainer
        if trainer.step > 0 and not trainer.recorded and not self.evaluating:
            self._evaluation = trainer.evaluation()
        if not self.evaluating:
            self.queue.leave(self)

    def close(self) -> None:
        """Give up the run (Reset, new settings): nothing more to train or measure."""
        self.training, self._evaluation = False, None
        self.queue.leave(self)

    def tick(self, seconds: float = TRAIN_SECONDS_PER_TICK) -> None:
        """Train (or measure) for about `seconds` of CPU if it is this session's turn, never
        past an epoch's end or the target; snapshot each finished epoch; stop at the target
        or on divergence."""
        if not self.busy:
            return
        scheduler.ACTIVITY.tick(self)
        if not self.queue.turn(self, self.seconds_left_expected()):
            return
        # Beside other active students, a training takes a smaller share of the core.
        seconds = min(seconds, scheduler.ACTIVITY.share(self) * TICK_SECONDS)
        trainer, clock = self.trainer, time.thread_time
        started = clock()
        deadline = started + seconds
        while self.busy:  # at least one step (or part of the test set) per tick, as in `train`
            if self._evaluation is not None:
                self._measure(deadline)
            else:
                to_epoch_end = trainer.steps_per_epoch - trainer.step % trainer.steps_per_epoch
                before, cpu = trainer.step, clock()
                train(trainer, min(self.target_step - trainer.step, to_epoch_end), cpu_budget(deadline - cpu),
                      Snapshots(every=None, at_end=False))
                self._learn_rate((trainer.step - before) * step_work(trainer.config), clock() - cpu)
                if trainer.diverged:
                    self.training = False
                elif trainer.step % trainer.steps_per_epoch == 0 or trainer.step >= self.target_step:
                    self._evaluation = trainer.evaluation()  # the epoch's end: measure the test set
            if clock() >= deadline:
                break
        self.train_seconds += clock() - started
        if not self.busy:
            self.queue.leave(self)

    def _measure(self, deadline: float) -> None:
        """Measure the next parts of the test set until `deadline`; at the end, take the snapshot."""
        trainer, clock = self.trainer, time.thread_time
        assert self._evaluation is not None
        try:
            self.evaluated = next(self._evaluation)
            while clock() < deadline or self.evaluated >= 1.0:  # the last part done: take the snapshot now
                self.evaluated = next(self._evaluation)
        except StopIteration as done:
            self._evaluation, self.evaluated = None, 0.0
            trainer.record(done.value)
            if trainer.step >= self.target_step or trainer.diverged:
                self.training = False

    @classmethod
    def _learn_rate(cls, work: float, seconds: float) -> None:
        """Keep the process's figure of multiply-adds a second (what expected waits are made of)."""
        if seconds > 0.05:
            cls.work_rate = 0.8 * cls.work_rate + 0.2 * work / seconds

    def seconds_left_expected(self) -> float:
        """CPU seconds this session's job still needs: the steps and test passes left, at the speed measured so far."""
        trainer = self.trainer
        if not self.busy:
            return 0.0
        steps_left = max(0, self.target_step - trainer.step) if self.training else 0
        epochs_left = math.ceil(steps_left / trainer.steps_per_epoch) + (1 if self.evaluating else 0)
        work = steps_left * step_work(trainer.config) + epochs_left * evaluation_work(trainer.config)
        return work / self.work_rate

    @property
    def images_per_second(self) -> float:
        return self.trainer.examples_seen / self.train_seconds if self.train_seconds else 0.0

    @property
    def seconds_left(self) -> float:
        """Estimated training time to the target, from the speed so far."""
        speed = self.images_per_second
        todo = (self.target_step - self.trainer.step) * self.trainer.batch_size
        return todo / speed if speed else float("nan")

    def test_probabilities(self) -> np.ndarray | None:
        """Class probabilities for the 10,000 test images at the current step (None until the
        step has been measured: the end of each epoch, and after Stop)."""
        kept = self.trainer.test_probabilities
        return kept[1] if kept is not None and kept[0] == self.trainer.step else None
