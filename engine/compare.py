"""Compare runs side by side: one base configuration, one setting varied, trained in lock-step.

    comparison = Comparison(RunConfig(dataset="circle", hidden_sizes=(8, 8, 8, 8)), "activation", ["sigmoid", "relu"])
    comparison.train(500)      # every run takes the same 500 steps
    comparison.runs[1].evaluate()

Every run starts from the same seed and, unless the varied setting changes the data,
trains on the very same data object, so the only difference is the varied setting.

Lock-step means the same number of steps by default (`align="steps"`). To compare batch
sizes fairly, keep them together by epochs instead (`align="epochs"`): every run then makes
the same number of passes over its training data, so a batch-10 run on 100 points takes ten
steps for each step of a batch-100 run. By steps, full-batch gradient descent looks best
(each of its steps is a whole epoch); by epochs, the cheap noisy mini-batch steps win.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine.config import FIELDS, ConfigError, RunConfig, format_value, parse_value
from engine.seeds import SeedsTrainer
from engine.trainer import Trainer, make_data

# Settings that change the data: varying one of these gives each run its own data.
DATA_FIELDS = frozenset({"dataset", "n_points", "noise", "test_fraction", "input_scale", "standardize", "seed",
                         "train_size"})
MAX_RUNS = 4
# What keeps the runs together: the same number of steps, or the same number of epochs.
ALIGNS = ("steps", "epochs")
# A float product such as 0.1 * 100 may come out just under 10: round it up, not down.
_EPOCH_TOLERANCE = 1e-6


def epochs_after(run: Trainer | SeedsTrainer, steps: int) -> float:
    """Passes over the run's training data after `steps` mini-batches (each epoch's last
    batch takes what is left, as the trainers do)."""
    whole, rest = divmod(steps, run.steps_per_epoch)
    return whole + rest * run.batch_size / len(run.data.y_train)


def steps_within(run: Trainer | SeedsTrainer, epochs: float) -> int:
    """The most steps the run can take without passing `epochs` epochs."""
    n_train = len(run.data.y_train)
    whole, rest = divmod(math.floor(epochs * n_train + _EPOCH_TOLERANCE), n_train)
    return whole * run.steps_per_epoch + rest // run.batch_size


def snapshot_epochs(run: Trainer | SeedsTrainer) -> list[float]:
    """The epoch of each snapshot in the run's history (to plot against epochs)."""
    return [epochs_after(run, step) for step in run.history.steps]


class Comparison:
    """`runs` are the single runs (boundaries, gradients); with `n_seeds` > 1 each also has
    a batched `SeedsTrainer` in `seed_runs` (seeds seed..seed+K-1, the first being the
    single run itself), trained in the same lock-step, so every curve can show its spread.

    `align` is what the lock-step keeps equal: "steps" (every run takes the same steps) or
    "epochs" (every run makes the same passes over its data; a run with bigger batches
    takes fewer steps, and never gets ahead of the others)."""

    def __init__(self, base: RunConfig, field: str, values: Sequence[Any], record_every: int = 10,
                 n_seeds: int = 1, align: str = "steps") -> None:
        if field not in FIELDS:
            raise ConfigError(f"unknown setting {field!r}; choose one of: {', '.join(FIELDS)}")
        if not 2 <= len(values) <= MAX_RUNS:
            raise ConfigError(f"compare 2 to {MAX_RUNS} values of {field}, got {len(values)}")
        if align not in ALIGNS:
            raise ConfigError(f"align must be one of: {', '.join(ALIGNS)}; got {align!r}")
        self.base, self.field, self.align = base, field, align
        self.values = [parse_value(field, value) for value in values]
        configs = [base.replace(**{field: value}) for value in self.values]
        shared = None if field in DATA_FIELDS or base.images else make_data(base)
        self.runs = [Trainer(config, data=shared, record_every=record_every) for config in configs]
        if n_seeds > 1 and base.images:
            raise ConfigError("many seeds at once is for 2D data")
        self.seed_runs = ([SeedsTrainer(run.config, n_seeds, data=run.data, record_every=record_every) for run in self.runs]
                          if n_seeds > 1 else [])

    @property
    def labels(self) -> list[str]:
        """One label per run, e.g. "activation = relu"."""
        return [f"{self.field} = {format_value(self.field, value) or 'none'}" for value in self.values]

    @property
    def step(self) -> int:
        return self.runs[0].step

    @property
    def epoch(self) -> float:
        """The furthest any run has got through its data, in epochs (with `align="epochs"`,
        every run is there or less than one of its own steps behind)."""
        return max(run.epoch for run in self.runs)

    def _leader(self) -> Trainer | None:
        """The run the others follow: by steps the first still training; by epochs the one
        with the most steps per epoch, whose steps are the finest measure of an epoch."""
        training = [run for run in self.runs if not run.diverged]
        if self.align == "steps":
            return training[0] if training else self.runs[0]
        return max(training, key=lambda run: run.steps_per_epoch, default=None)

    def _catch_up(self, epochs: float) -> None:
        """By epochs: every run (and its seeds) trains up to `epochs` passes over its data."""
        for run, seeds in zip(self.runs, self.seed_runs or [None] * len(self.runs)):
            for trainer in (run, seeds):
                if trainer is not None:
                    trainer.train(max(0, steps_within(trainer, epochs) - trainer.step))

    def train(self, steps: int) -> None:
        """Every run trains `steps` more mini-batches (a diverged run stays where it stopped);
        by epochs, the run with the smallest batches does, and the others follow it."""
        if self.align == "steps":
            for run in [*self.runs, *self.seed_runs]:
                run.train(steps)
            return
        leader = self._leader()
        if leader is not None:
            leader.train(steps)
            self._catch_up(leader.epoch)

    def train_epochs(self, epochs: int) -> None:
        """Every run trains `epochs` more passes: by steps, the first run's steps for that many
        epochs; by epochs, each run its own."""
        if self.align == "steps":
            self.train(epochs * self.runs[0].steps_per_epoch)
        else:
            self._catch_up(self.epoch + epochs)

    def train_for(self, seconds: float) -> int:
        """Train all runs in lock-step for about `seconds` in total; returns the steps the
        leading run took."""
        leader = self._leader()
        if leader is None:
            return 0
        trainers = [*self.runs, *self.seed_runs]
        if self.align == "steps":
            steps = leader.train_for(seconds / len(trainers))
            for run in trainers:
                if run is not leader:
                    run.train(steps)
            return steps
        # By epochs each run's share of the time is its share of the steps an epoch takes.
        share = leader.steps_per_epoch / sum(run.steps_per_epoch for run in trainers)
        steps = leader.train_for(seconds * share)
        self._catch_up(leader.epoch)
        return steps

    def record(self) -> None:
        """A snapshot of every run at the current step (if it has none yet)."""
        for run in [*self.runs, *self.seed_runs]:
            if run.history.steps[-1:] != [run.step]:
                run.record()

    def reset(self) -> None:
        for run in [*self.runs, *self.seed_runs]:
            run.reset()
