"""One student's MNIST run: trained in time slices so the page stays responsive and
can show progress, with a snapshot (the whole 10,000-image test set) at each epoch's end.

Plain Python (no Streamlit), kept in each browser session's state.
"""

from __future__ import annotations

import time

import numpy as np

from engine.config import RunConfig
from engine.trainer import Trainer

# Each tick of the live fragment trains this long, then redraws progress and curves.
TICK_SECONDS = 0.5
TRAIN_SECONDS_PER_TICK = 0.4


class MnistSession:
    def __init__(self, config: RunConfig) -> None:
        self.trainer = Trainer(config)
        self.trainer.record_every = 10**9  # snapshots are taken at epoch ends, below
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
        self._snapshot()

    def tick(self, seconds: float = TRAIN_SECONDS_PER_TICK) -> None:
        """Train for about `seconds`, never past an epoch's end or the target; snapshot each
        finished epoch; stop at the target or on divergence."""
        trainer = self.trainer
        remaining = self.target_epochs * trainer.steps_per_epoch - trainer.step
        to_epoch_end = trainer.steps_per_epoch - trainer.step % trainer.steps_per_epoch
        started = time.perf_counter()
        trainer.train_for(seconds, max_steps=min(remaining, to_epoch_end))
        self.train_seconds += time.perf_counter() - started
        if trainer.step % trainer.steps_per_epoch == 0:
            self._snapshot()
        if trainer.step >= self.target_epochs * trainer.steps_per_epoch or trainer.diverged:
            self.stop()

    def _snapshot(self) -> None:
        if self.trainer.step > 0 and self.trainer.history.steps[-1:] != [self.trainer.step]:
            self.trainer.record()

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
            self._predictions = (self.trainer.step, self.trainer.test_predictions())
        return self._predictions[1]
