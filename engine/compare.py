"""Compare runs side by side: one base configuration, one setting varied, trained in lock-step.

    comparison = Comparison(RunConfig(dataset="circle", hidden_sizes=(8, 8, 8, 8)), "activation", ["sigmoid", "relu"])
    comparison.train(500)      # every run takes the same 500 steps
    comparison.runs[1].evaluate()

Every run starts from the same seed and, unless the varied setting changes the data,
trains on the very same data object, so the only difference is the varied setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.config import FIELDS, ConfigError, RunConfig, format_value, parse_value
from engine.seeds import SeedsTrainer
from engine.trainer import Trainer, make_data

# Settings that change the data: varying one of these gives each run its own data.
DATA_FIELDS = frozenset({"dataset", "n_points", "noise", "test_fraction", "input_scale", "standardize", "seed",
                         "train_size"})
MAX_RUNS = 4


class Comparison:
    """`runs` are the single runs (boundaries, gradients); with `n_seeds` > 1 each also has
    a batched `SeedsTrainer` in `seed_runs` (seeds seed..seed+K-1, the first being the
    single run itself), trained in the same lock-step, so every curve can show its spread."""

    def __init__(self, base: RunConfig, field: str, values: Sequence[Any], record_every: int = 10,
                 n_seeds: int = 1) -> None:
        if field not in FIELDS:
            raise ConfigError(f"unknown setting {field!r}; choose one of: {', '.join(FIELDS)}")
        if not 2 <= len(values) <= MAX_RUNS:
            raise ConfigError(f"compare 2 to {MAX_RUNS} values of {field}, got {len(values)}")
        self.base, self.field = base, field
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

    def train(self, steps: int) -> None:
        """Every run trains `steps` more mini-batches (a diverged run stays where it stopped)."""
        for run in [*self.runs, *self.seed_runs]:
            run.train(steps)

    def train_for(self, seconds: float) -> int:
        """Train all runs in lock-step for about `seconds` in total; returns the steps each took."""
        leader = next((run for run in self.runs if not run.diverged), self.runs[0])
        steps = leader.train_for(seconds / (len(self.runs) + len(self.seed_runs)))
        for run in [*self.runs, *self.seed_runs]:
            if run is not leader:
                run.train(steps)
        return steps

    def record(self) -> None:
        """A snapshot of every run at the current step (if it has none yet)."""
        for run in [*self.runs, *self.seed_runs]:
            if run.history.steps[-1:] != [run.step]:
                run.record()

    def reset(self) -> None:
        for run in [*self.runs, *self.seed_runs]:
            run.reset()
