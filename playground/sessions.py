"""Each page's run in one browser session: plain Python (no Streamlit), so it can be tested
directly; a page keeps one in its session's state, so sessions never share a run.

- `RunSession`: the 2D page's run: the trainer, whether it is playing, and what changed.
- `MnistSession`: an MNIST run, trained in time slices so the page stays responsive and can
  show progress, with a snapshot (the whole 10,000-image test set) at each epoch's end.
"""

from __future__ import annotations

import time

import numpy as np

from engine.core.config import FIELDS, RunConfig
from engine.core.loop import Budget, Snapshots, train
from engine.core.probes import class_probabilities
from engine.core.trainer import Trainer
from playground.i18n import t
from playground.labels import FIELDS as FIELD_LABELS

# A live page ticks every FRAME_SECONDS and trains for at most TRAIN_BUDGET_SECONDS of each
# tick: training is tied to time, so its speed does not fall with the frame rate.
FRAME_SECONDS = 0.05
TRAIN_BUDGET_SECONDS = 0.03
# Steps per frame the speed control offers; None trains for the whole budget.
SPEEDS: dict[str, int | None] = {"1 step": 1, "10 steps": 10, "100 steps": 100, "max": None}
MAX_STEPS_PER_TICK = 1_000_000  # a live tick that only its time budget ends ("max" speed, Compare)


class RunSession:
    def __init__(self, config: RunConfig) -> None:
        self.playing = False
        self.notice = ""
        self._start(config)

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
        else:
            self._start(config)
            self.notice = t("playground.restarted", changed=", ".join(changed))

    def tick(self, speed: str) -> int:
        """Train for one frame at the given speed; returns the steps taken."""
        steps = SPEEDS[speed]
        return train(self.trainer, steps or MAX_STEPS_PER_TICK, Budget(TRAIN_BUDGET_SECONDS),
                     Snapshots(every=min(10, steps or 10)))

    def step(self, steps: int = 1) -> None:
        self.playing = False
        train(self.trainer, steps)

    def reset(self) -> None:
        self.playing = False
        self.notice = ""
        self.trainer.reset()
        self.trainer.record()


# Each tick of the live fragment trains this long, then redraws progress and curves.
TICK_SECONDS = 0.5
TRAIN_SECONDS_PER_TICK = 0.4


class MnistSession:
    def __init__(self, config: RunConfig) -> None:
        self.trainer = Trainer(config)
        self.training = False
        self.target_epochs = 1
        self.train_seconds = 0.0
        self._predictions: tuple[int, np.ndarray] | None = None

    @property
    def config(self) -> RunConfig:
        return self.trainer.config

    def start(self, epochs: int) -> None:
        """Train `epochs` more epochs (from where the run is)."""
        self.target_epochs = int(round(self.trainer.epoch)) + epochs
        self.training = True

    def stop(self) -> None:
        self.training = False
        if self.trainer.step > 0:
            self.trainer.record()

    def tick(self, seconds: float = TRAIN_SECONDS_PER_TICK) -> None:
        """Train for about `seconds`, never past an epoch's end or the target; snapshot each
        finished epoch; stop at the target or on divergence."""
        trainer = self.trainer
        remaining = self.target_epochs * trainer.steps_per_epoch - trainer.step
        to_epoch_end = trainer.steps_per_epoch - trainer.step % trainer.steps_per_epoch
        started = time.perf_counter()
        # A snapshot evaluates all 10,000 test images: one at each epoch's end, none per tick.
        train(trainer, min(remaining, to_epoch_end), Budget(seconds),
              Snapshots(every=trainer.steps_per_epoch, at_end=False))
        self.train_seconds += time.perf_counter() - started
        if trainer.step >= self.target_epochs * trainer.steps_per_epoch or trainer.diverged:
            self.stop()

    @property
    def images_per_second(self) -> float:
        return self.trainer.examples_seen / self.train_seconds if self.train_seconds else 0.0

    @property
    def seconds_left(self) -> float:
        """Estimated training time to the target, from the speed so far."""
        speed = self.images_per_second
        todo = self.target_epochs * len(self.trainer.data.y_train) - self.trainer.examples_seen
        return todo / speed if speed else float("nan")

    def test_probabilities(self) -> np.ndarray:
        """Class probabilities for the 10,000 test images, computed once per step reached."""
        if self._predictions is None or self._predictions[0] != self.trainer.step:
            self._predictions = (self.trainer.step, class_probabilities(self.trainer.network, self.trainer.data.x_test))
        return self._predictions[1]
