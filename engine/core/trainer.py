"""The trainer: one network on one dataset, and what one training step is.

    trainer = Trainer(RunConfig(dataset="xor", hidden_sizes=(4,)))
    train(trainer, 500)                # engine.core.loop: the one training loop
    trainer.evaluate().test_acc
    trainer.history.test_loss          # one entry per snapshot
    decision_grid(trainer.network, trainer.data.bounds)   # engine.core.probes: what a boundary plot needs

The output head follows the data's task (`trainer.task`, see engine.core.heads). 2D points
reach the network as the config's input features; the data and the plots keep the raw points.

A step whose loss is NaN or infinite marks the run as diverged, with a plain message;
it never raises, and the loop trains it no further.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from engine.core.config import FIELDS, RunConfig
from engine.core.datasets import Dataset, image_dataset, input_features, make_dataset
from engine.core.heads import head_for
from engine.core.models import build_model
from engine.core.optimizers import make_optimizer
from engine.core.probes import Network, grad_norms, shared_tensor

# Offset between the seed of the weights/dropout and that of the batch order, so the two
# random streams differ while both follow the run's one seed.
_SHUFFLE_SEED_OFFSET = 1_000_003
# Training sets up to this size are re-evaluated whole at each snapshot (exact, and cheap
# for 2D points); larger ones (MNIST) report the running mean over the steps since the
# last snapshot instead, as training loops usually do.
FULL_EVAL_LIMIT = 5_000


def make_data(config: RunConfig) -> Dataset:
    """The dataset a config describes."""
    if config.images:
        return image_dataset(config.dataset, config.train_size)
    return make_dataset(config.dataset, n_points=config.n_points, noise=config.noise, test_fraction=config.test_fraction,
                        seed=config.seed, input_scale=config.input_scale, standardize=config.standardize)


def network_inputs(config: RunConfig, x: np.ndarray) -> np.ndarray:
    """What the network is fed for examples `x`: images as they are, 2D points (n, 2) as
    the config's input features (n, len(features))."""
    return x if config.images else input_features(x, config.features)


@dataclass(frozen=True)
class Metrics:
    """Whole-set losses and accuracies, measured in evaluation mode (no dropout).
    Accuracies are NaN for a regression."""

    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float


@dataclass
class History:
    """What a run has recorded. `batch_loss` has one entry per step (the loss of that
    step's mini-batch); the other lists have one entry per snapshot."""

    steps: list[int] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)  # per snapshot: input layer first
    batch_loss: list[float] = field(default_factory=list)


class Trainer:
    """Trains one network on one dataset, step by step, recording as it goes.

    `data` defaults to the dataset the config describes; pass a `Dataset` to train the
    same way on other data (e.g. more than two classes); its `n_classes` picks the head.
    """

    # Settings a running network can take without starting again (see `apply_live`).
    LIVE_FIELDS = frozenset({"learning_rate", "weight_decay", "batch_size"})

    def __init__(self, config: RunConfig, data: Dataset | None = None) -> None:
        self.config = config
        self.data = data or make_data(config)
        self.head = head_for(self.data.task)
        self._x_train, self._x_test = (shared_tensor(network_inputs(config, x)) for x in (self.data.x_train, self.data.x_test))
        self._y_train, self._y_test = shared_tensor(self.data.y_train), shared_tensor(self.data.y_test)
        self.exact_train_metrics = len(self._y_train) <= FULL_EVAL_LIMIT
        if self.exact_train_metrics:  # one forward pass evaluates both sets; a copy only small data can afford
            self._x_all = torch.cat([self._x_train, self._x_test])
        self._t_train = self.head.targets(self._y_train)
        self._t_test = self.head.targets(self._y_test)
        self._set_batch_size(config)
        self.reset()

    @property
    def task(self) -> str:
        """The task, "binary", "multiclass" or "regression": what `decision_grid` returns and whether
        accuracies mean anything (they are NaN for a regression)."""
        return self.data.task

    @property
    def n_outputs(self) -> int:
        """Outputs of the last layer: 1 for binary and regression, N for N classes."""
        return self.head.n_outputs(self.data.n_classes)

    @property
    def n_inputs(self) -> int:
        """Inputs of the first layer: one per input feature for 2D points, 784 for an image."""
        return int(np.prod(self._x_train.shape[1:]))

    def _set_batch_size(self, config: RunConfig) -> None:
        n_train = len(self.data.y_train)
        self.batch_size = n_train if config.full_batch else min(int(config.batch_size), n_train)
        self.steps_per_epoch = math.ceil(n_train / self.batch_size)

    def apply_live(self, config: RunConfig) -> bool:
        """Take a new config without restarting if it differs only in `LIVE_FIELDS`
        (learning rate, L2 weight decay, batch size); returns False, changing nothing,
        if any other setting differs and the run must start again."""
        changed = {name for name in FIELDS if getattr(config, name) != getattr(self.config, name)}
        if not changed <= self.LIVE_FIELDS:
            return False
        for group in self.optimizer.param_groups:
            group["lr"] = config.learning_rate
            group["weight_decay"] = config.weight_decay
        self.config = config
        self._set_batch_size(config)
        return True

    def reset(self) -> None:
        """Back to step 0: fresh weights (same seed, same weights), empty history."""
        c = self.config
        self.model = build_model(c, tuple(self._x_train.shape[1:]), self.n_outputs)
        self.optimizer = make_optimizer(c.optimizer, self.model.parameters(), c.learning_rate, c.weight_decay)
        self.history = History()
        self.step = 0
        self.examples_seen = 0
        self._running = torch.zeros(3)  # since the last snapshot: summed loss, correct, examples
        self.diverged = False
        self.message = ""
        self._shuffle = torch.Generator().manual_seed(c.seed + _SHUFFLE_SEED_OFFSET)
        self._order = torch.arange(len(self._y_train))
        self._cursor = len(self._order)  # forces a shuffle on the first step

    @property
    def epoch(self) -> float:
        """Passes over the training set so far (fractional within an epoch)."""
        return self.examples_seen / len(self._y_train)

    def _next_batch(self) -> tuple[Tensor, Tensor]:
        if self.batch_size == len(self._order):
            return self._x_train, self._t_train
        if self._cursor >= len(self._order):
            self._order = torch.randperm(len(self._order), generator=self._shuffle)
            self._cursor = 0
        index = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += self.batch_size
        return self._x_train[index], self._t_train[index]

    def train_step(self) -> None:
        """One mini-batch: forward, loss, backward, update."""
        x, target = self._next_batch()
        logits = self.model(x)
        loss = self.head.loss(logits, target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.step += 1
        self.examples_seen += len(x)
        value = loss.item()
        self.history.batch_loss.append(value)
        if not math.isfinite(value):
            self._mark_diverged(value)
        if not self.exact_train_metrics:
            with torch.no_grad():
                correct = self.head.accuracy(logits, target) * len(x)
                self._running += torch.stack([loss.detach() * len(x), correct, torch.tensor(len(x))])

    def _mark_diverged(self, loss: float) -> None:
        self.diverged = True
        what = "NaN" if math.isnan(loss) else "infinite"
        lr = self.config.learning_rate
        self.message = (
            f"Training diverged at step {self.step}: the loss became {what}. "
            f"The learning rate {lr:g} is too high for {self.config.optimizer}; "
            f"try about {lr / 10:g}."
        )

    @property
    def network(self) -> Network:
        """The model with its head and input features, for the probes (engine.core.probes)."""
        return Network(self.model, self.head, None if self.config.images else self.config.features)

    @torch.inference_mode()
    def evaluate(self) -> Metrics:
        """Loss and accuracy on the whole test set and on the training set, without
        dropout; for a large training set, the running mean since the last snapshot."""
        def loss_and_accuracy(logits: Tensor, targets: Tensor) -> list[Tensor]:
            return [self.head.loss(logits, targets), self.head.accuracy(logits, targets)]

        if self.exact_train_metrics:
            logits = self.network.logits(self._x_all)
            n_train = len(self._y_train)
            train = loss_and_accuracy(logits[:n_train], self._t_train)
            test = loss_and_accuracy(logits[n_train:], self._t_test)
        else:
            test = loss_and_accuracy(self.network.logits(self._x_test), self._t_test)
            total_loss, correct, seen = self._running
            train = [total_loss / seen, correct / seen] if seen > 0 else test
        figures = torch.stack([train[0], test[0], train[1], test[1]])
        return Metrics(*figures.tolist())

    def record(self) -> None:
        """Append a snapshot of the current step to the history, unless it has one. A
        whole-set loss that is not finite marks the run as diverged too: a squared error can
        overflow on the whole set one step before it does on a mini-batch."""
        if self.history.steps[-1:] == [self.step]:
            return
        metrics = self.evaluate()
        self._running.zero_()
        h = self.history
        h.steps.append(self.step)
        h.epochs.append(self.epoch)
        h.train_loss.append(metrics.train_loss)
        h.test_loss.append(metrics.test_loss)
        h.train_acc.append(metrics.train_acc)
        h.test_acc.append(metrics.test_acc)
        h.grad_norms.append(grad_norms(self.model).tolist())
        bad = [loss for loss in (metrics.train_loss, metrics.test_loss) if not math.isfinite(loss)]
        if bad and not self.diverged:
            self._mark_diverged(bad[0])
