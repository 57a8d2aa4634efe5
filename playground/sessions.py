"""Each page's run in one browser session: plain Python (no Streamlit), so it can be tested
directly; a page keeps one in its session's state, so sessions never share a run.

- `RunSession`: the 2D page's run: the trainer, whether it is playing, and what changed; the
  class's shared trainer (playground.classroom) trains it, and its page sends the browser the
  snapshots taken since its last message.
- `Job`: steps a button asked for ("+1 epoch"), trained a slice at a time (by the shared trainer's
  rounds, or by the page's ticks when that is off), so no click trains past a slice and Pause
  stops it at once.
- `MnistSession`: an MNIST run, trained in time slices so the page stays responsive and can
  show progress, with a snapshot (the whole 10,000-image test set, itself measured in slices)
  at each epoch's end; it takes turns with the other sessions' MNIST runs (`scheduler.MNIST_QUEUE`).

Budgets count this thread's CPU time (`cpu_budget`), not the wall clock: on a busy server a
tick still trains its share, and never more than its share.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.core.cohort import Cohort
from engine.core.config import FIELDS, RunConfig
from engine.core.cost import evaluation_work, step_work
from engine.core.datasets import Dataset, own_dataset
from engine.core.loop import EVERY_10, Budget, Run, Snapshots, train
from engine.core.trainer import Metrics, Trainer
from engine.export.run_files import load_weights
from playground import classroom, scheduler
from playground.components.live_frame import Frame, Sent, Snapshot, live_message, snapshot, snapshot_bytes
from playground.i18n import t
from playground.labels import FIELDS as FIELD_LABELS
from playground.scheduler import Queue

if TYPE_CHECKING:
    from playground.own_data import Upload

# A live page ticks every FRAME_SECONDS and trains for at most TRAIN_BUDGET_SECONDS of each
# tick: training is tied to time, so its speed does not fall with the frame rate.
FRAME_SECONDS = 0.05
TRAIN_BUDGET_SECONDS = 0.03
# Steps per frame the speed control offers; None trains for the whole budget.
SPEEDS: dict[str, int | None] = {"1 step": 1, "10 steps": 10, "100 steps": 100, "max": None}
MAX_STEPS_PER_TICK = 1_000_000  # a live tick that only its time budget ends ("max" speed, Compare)
# A speed's steps not taken (the server was busy) are kept for at most this many frames.
ALLOWANCE_FRAMES = 10
# Snapshots a run keeps for its next message (a page that stops asking keeps no more).
MAX_SNAPSHOTS_KEPT = 40


def run_data(config: RunConfig, upload: Upload | None = None) -> Dataset | None:
    """The data of a 2D run on an uploaded file's points (at most MAX_POINTS), which its config does not
    hold; None for any other run (the trainer makes its data from the config: generated, or drawn)."""
    if upload is None:
        return None
    return own_dataset(upload.x, upload.y, upload.n_classes, test_fraction=config.test_fraction, seed=config.seed,
                       input_scale=config.input_scale, standardize=config.standardize)


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
        (or once the run is finished: diverged, or ended by early stopping)."""
        self.done += train(run, self.total - self.done, cpu_budget(seconds), snapshots)
        return self.done >= self.total or run.finished


class RunSession:
    """The 2D page's run. Trained by the class's shared trainer (`playground.classroom`, the
    default: `shared`) or, when that is off, by the page's own ticks. Either way whoever
    trains it takes `Snapshot`s for the browser (a few a second, `Classroom.snapshot_rate`), which each
    rerun of the page sends (`message`). `lock` is held by whoever touches the run: the
    page's script thread or the shared trainer's thread."""

    def __init__(self, config: RunConfig, shared: bool | None = None, upload: Upload | None = None) -> None:
        self.shared = classroom.SHARED if shared is None else shared
        self.upload = upload  # an uploaded file's points the run trains on (its config has only their task)
        self.lock = threading.RLock()
        self.playing = False
        self.job: Job | None = None  # steps a button asked for, trained by the ticks
        self.notice = ""
        self.speed = "max"
        self.run = 0  # which run the browser is shown: a new one after new settings or Reset
        self.sent = Sent()
        self.snapshots: deque[Snapshot] = deque(maxlen=MAX_SNAPSHOTS_KEPT)
        self._allowance = 0.0  # steps the speed allows now ("1 step" a frame, ...)
        self._allowed_at = time.monotonic()
        self._next_capture = -math.inf
        self._period = 0.0  # seconds between snapshots
        self._start(config)

    @property
    def busy(self) -> bool:
        """True while the page must keep ticking: playing, or training what a button asked for."""
        return self.playing or self.job is not None

    def _start(self, config: RunConfig) -> None:
        self.trainer = Trainer(config, data=run_data(config, self.upload))
        self._restarted()

    def _restarted(self) -> None:
        """A new run to show (new settings, Reset): the browser starts again from its step."""
        self.run += 1
        self.snapshots.clear()
        self.capture()

    @property
    def config(self) -> RunConfig:
        return self.trainer.config

    def start_from(self, weights: bytes, trained_steps: int) -> None:
        """Step 0 again from uploaded weights (checked, engine.export.run_files.load_weights): a new run
        to show, whose first snapshot has those weights."""
        with self.lock:
            load_weights(self.trainer, weights, trained_steps)
            self.job = None
            self._restarted()

    def update(self, config: RunConfig, upload: Upload | None = None) -> None:
        """Take the page's settings (and an uploaded file's points, if the run is on them): live ones
        apply to the running network, any other change starts a new run (and `notice` says which
        settings caused it)."""
        with self.lock:
            if upload is not self.upload:  # another file (or none): new data, a new run
                self.upload = upload
                self._start(config)
                self.job = None
                self.notice = t("playground.restarted", changed=FIELD_LABELS["dataset"])
                return
            if config == self.config:
                return
            changed = [FIELD_LABELS[name] for name in FIELDS if getattr(config, name) != getattr(self.config, name)]
            # A finished network (diverged, or ended by early stopping) trains no more, so even a live setting
            # starts it again.
            if not self.trainer.finished and self.trainer.apply_live(config):
                self.notice = t("playground.applied_live", changed=", ".join(changed))
                self.job = None  # "+1 epoch" was counted in the old batch size's steps
            else:
                self._start(config)
                self.job = None
                self.notice = t("playground.restarted", changed=", ".join(changed))

    # Training: what the shared trainer asks, or the page's own ticks.

    def steps_wanted(self) -> int:
        """Steps this run may train now: a button's steps left, or what its speed allows while
        playing (`SPEEDS` a frame; "max": no limit), none when paused or finished."""
        job = self.job  # (read once: the shared trainer asks without the lock)
        if self.trainer.finished:
            return 0
        if job is not None:
            return job.total - job.done
        if not self.playing:
            return 0
        per_frame = SPEEDS.get(self.speed)
        if per_frame is None:
            return MAX_STEPS_PER_TICK
        now = time.monotonic()
        self._allowance = min(self._allowance + (now - self._allowed_at) * per_frame / FRAME_SECONDS,
                              max(1.0, per_frame * ALLOWANCE_FRAMES))
        self._allowed_at = now
        return int(self._allowance)

    def trained(self, steps: int) -> None:
        """Count `steps` just trained against what was asked; a button's job may be done."""
        self._allowance = max(0.0, self._allowance - steps)
        if self.job is not None:
            self.job.done += steps
            if self.job.done >= self.job.total or self.trainer.finished:
                self.job = None
                self.capture()

    def capture_due(self, overdue: bool = False) -> bool:
        """True when the next snapshot for the browser is due (see `Classroom.snapshot_rate`),
        or with `overdue`, half a period late (the shared trainer takes snapshots at recorded
        steps, which need no evaluation of their own, unless they come too rarely)."""
        return time.monotonic() >= self._next_capture + (0.5 * self._period if overdue else 0.0)

    def capture(self, measure: bool = True) -> None:
        """A snapshot of the current step for the browser: recorded first if it is not, unless
        `measure` is False (see `live_frame.snapshot`: the shared trainer's snapshots between
        recorded steps, which cost no evaluation)."""
        if self.snapshots and self.snapshots[-1].step == self.trainer.step and (self.trainer.recorded or not measure):
            return
        shot = snapshot(self.trainer, measure=measure)
        self.snapshots.append(shot)
        self._period = 1 / classroom.CLASSROOM.snapshot_rate(snapshot_bytes(shot), painted_here=shot.weights is None)
        # The next is due a period after this one was due (taken at a recorded step, a little
        # late, it keeps the rate), but never more than half a period behind now.
        self._next_capture = max(self._next_capture + self._period, time.monotonic() - 0.5 * self._period)

    def tick(self, speed: str) -> int:
        """The page reran while busy: ask the shared trainer for steps, or (not shared) train
        for one frame here: a button's job first (as fast as the budget allows), else at the
        given speed; returns the steps trained here."""
        self.speed = speed
        if not self.busy:
            return 0
        scheduler.ACTIVITY.tick(self)
        if self.shared:
            classroom.CLASSROOM.ask(self)
            return 0
        with self.lock:
            before = self.trainer.step
            if self.job is not None:
                if self.job.run(self.trainer, TRAIN_BUDGET_SECONDS):
                    self.job = None
            elif self.playing:
                steps = SPEEDS[speed]
                train(self.trainer, steps or MAX_STEPS_PER_TICK, cpu_budget(TRAIN_BUDGET_SECONDS),
                      Snapshots(every=min(10, steps or 10)))
            self.capture()
            return self.trainer.step - before

    def interval(self) -> float:
        """Seconds between the page's reruns while busy."""
        return classroom.CLASSROOM.rerun_interval() if self.shared else FRAME_SECONDS

    def message(self, *, interval: float, texts: dict[str, str], scale: float, show_test: bool,
                log_loss: bool) -> Frame:
        """The browser's next message: the snapshots taken since the last one (the newest
        again if none), with the curves since; the next is due in `interval` seconds."""
        with self.lock:
            if not self.busy:
                self.capture()  # paused: the step it is at
            snapshots = list(self.snapshots)
            self.snapshots.clear()
            self.snapshots.append(snapshots[-1])  # kept, so the next message has one even if nothing trains
            if self.sent.run == self.run:
                snapshots = [s for s in snapshots if s.step > self.sent.step] or snapshots[-1:]
            frame = live_message(self.trainer, snapshots, self.sent, run=self.run, playing=self.busy,
                                 interval=interval, show_test=show_test, log_loss=log_loss,
                                 texts=texts, scale=scale)
            return frame

    def play(self) -> None:
        """Play from now on (a speed's allowance starts from nothing, not from when it paused)."""
        with self.lock:
            self.playing = True
            self._allowance, self._allowed_at = 0.0, time.monotonic()

    def step(self, steps: int = 1) -> None:
        """One step now; more (an epoch) become a job the next ticks train. Shared, the step
        is the shared trainer's maths (a run takes the same steps however it was asked)."""
        with self.lock:
            self.playing = False
            if steps > 1:
                self.job = Job(steps)
                return
            self.job = None
            if self.shared and not self.trainer.finished:
                with Cohort([self.trainer]) as one:
                    one.train_step()
            else:
                train(self.trainer, 1, snapshots=Snapshots(every=None, at_end=False))
            self.capture()

    def pause(self) -> None:
        with self.lock:
            self.playing = False
            self.job = None
            self.capture()

    def reset(self) -> None:
        with self.lock:
            self.playing = False
            self.job = None
            self.notice = ""
            self.trainer.reset()
            self._restarted()


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
                if trainer.finished:
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
            if trainer.step >= self.target_step or trainer.finished:
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
