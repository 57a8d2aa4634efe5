"""Compare runs side by side: one base configuration, one setting varied, trained in lock-step.

    comparison = Comparison(RunConfig(dataset="circle", hidden_sizes=(8, 8, 8, 8)), "activation", ["sigmoid", "relu"])
    train(comparison, 500)     # engine.core.loop: every run takes the same 500 steps
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

from engine.core.config import FIELDS, ConfigError, RunConfig, format_value, parse_value
from engine.core.problems import Name, names
from engine.core.trainer import Trainer, make_data
from engine.experiments.seeds import SeedsTrainer

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

    def __init__(self, base: RunConfig, field: str, values: Sequence[Any], n_seeds: int = 1, align: str = "steps") -> None:
        if field not in FIELDS:
            raise ConfigError("compare_unknown_vary", value=field, choices=names(FIELDS))
        if not 2 <= len(values) <= MAX_RUNS:
            raise ConfigError("compare_count", high=MAX_RUNS, name=Name(field), count=len(values))
        if align not in ALIGNS:
            raise ConfigError("one_of", name=Name("align"), choices=names(ALIGNS), value=align)
        self.base, self.field, self.align = base, field, align
        self.values = [parse_value(field, value) for value in values]
        configs = [base.replace(**{field: value}) for value in self.values]
        shared = None if field in DATA_FIELDS or base.images else make_data(base)
        self.runs = [Trainer(config, data=shared) for config in configs]
        if n_seeds > 1 and base.images:
            raise ConfigError("seeds_2d_only")
        self.seed_runs = [SeedsTrainer(run.config, n_seeds, data=run.data) for run in self.runs] if n_seeds > 1 else []

    @property
    def labels(self) -> list[str]:
        """One label per run, e.g. "activation = relu"."""
        return [f"{self.field} = {format_value(self.field, value) or 'none'}" for value in self.values]

    @property
    def step(self) -> int:
        """The steps of the run the others follow (see `_leader`): snapshots fall on its
        multiples of the loop's `Snapshots.every`."""
        leader = self._leader()
        return leader.step if leader is not None else max(run.step for run in self.runs)  # all finished: the furthest

    @property
    def epoch(self) -> float:
        """The furthest any run has got through its data, in epochs (with `align="epochs"`,
        every run is there or less than one of its own steps behind)."""
        return max(run.epoch for run in self.runs)

    @property
    def diverged(self) -> bool:
        """True once every run has diverged."""
        return all(run.diverged for run in self.runs)

    @property
    def finished(self) -> bool:
        """True once every run is finished (diverged, or ended by early stopping): nothing is left to train."""
        return self._leader() is None

    def _leader(self) -> Trainer | None:
        """The run the others follow: by steps the first still training; by epochs the one
        with the most steps per epoch, whose steps are the finest measure of an epoch."""
        training = [run for run in self.runs if not run.finished]
        if self.align == "steps":
            return training[0] if training else None
        return max(training, key=lambda run: run.steps_per_epoch, default=None)

    def train_step(self) -> None:
        """One lock-step: by steps, every run (and its seeds) one mini-batch; by epochs, the
        leader one mini-batch and every other run as many as keep it from passing the leader's
        epoch. A finished run (diverged, or ended by early stopping, its seeds with it) stays where it stopped."""
        seeds_of = dict(zip(map(id, self.seed_runs), self.runs))
        trainers = [trainer for trainer in [*self.runs, *self.seed_runs]
                    if not trainer.finished and not seeds_of.get(id(trainer), trainer).finished]
        if self.align == "steps":
            for trainer in trainers:
                trainer.train_step()
            return
        leader = self._leader()
        leader.train_step()
        for trainer in trainers:
            while trainer is not leader and not trainer.finished and trainer.step < steps_within(trainer, leader.epoch):
                trainer.train_step()

    def steps_for_epochs(self, epochs: int) -> int:
        """Lock-steps that take every run `epochs` more passes over its data: by steps, the first
        run's; by epochs, the leader's."""
        leader = self._leader()
        if leader is None:
            return 0
        if self.align == "steps":
            return epochs * self.runs[0].steps_per_epoch
        return max(0, steps_within(leader, self.epoch + epochs) - leader.step)

    def record(self) -> None:
        """A snapshot of every run at its current step (unless it has one)."""
        for run in [*self.runs, *self.seed_runs]:
            run.record()

    def reset(self) -> None:
        for run in [*self.runs, *self.seed_runs]:
            run.reset()
