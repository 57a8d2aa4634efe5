"""The trainer: one network on one dataset, and what one training step is.

    trainer = Trainer(RunConfig(dataset="xor", hidden_sizes=(4,)))
    train(trainer, 500)                # engine.core.loop: the one training loop
    trainer.evaluate().test_acc
    trainer.history.test_loss          # one entry per snapshot
    decision_grid(trainer.network, trainer.data.bounds)   # engine.core.probes: what a boundary plot needs

The output head follows the data's task (`trainer.task`, see engine.core.heads). 2D points
reach the network as the config's input features; the data and the plots keep the raw points.

A step whose loss is NaN or infinite marks the run as diverged, with a plain message;
it never raises, and the loop trains it no further. With `early_stopping` set, a snapshot
that finds no new low of the test loss for that many epochs ends the run too (`stopped_at`,
`best`); either way the run is `finished`.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from engine.core.config import FIELDS, RunConfig
from engine.core.cost import forward_work
from engine.core.datasets import OWN, REGRESSION, Dataset, image_dataset, input_features, make_dataset
from engine.core.heads import head_for
from engine.core.history import History, make_room, thin
from engine.core.models import build_model
from engine.core.optimizers import make_optimizer, one_cycle
from engine.core.own_data import points_dataset
from engine.core.probes import EVAL_BATCH, Network, grad_norms, shared_tensor
from engine.core.problems import Name, Problem

# Offset between the seed of the weights/dropout and that of the batch order, so the two
# random streams differ while both follow the run's one seed.
SHUFFLE_SEED_OFFSET = 1_000_003
# Training sets up to this size are re-evaluated whole at each snapshot (exact, and cheap
# for 2D points); larger ones (MNIST) report the running mean over the steps since the
# last snapshot instead, as training loops usually do.
FULL_EVAL_LIMIT = 5_000
# Multiply-adds per part of a large evaluation (about 50 ms on one core): the parts bound the
# memory a big CNN's activations take, and a live page evaluates one part per slice of time.
EVAL_PART_WORK = 10**9
# Steps between the snapshots early stopping looks at on 2D points (engine.core.loop's EVERY_10,
# playground.classroom's HISTORY_EVERY: where every page records).
WATCH_EVERY = 10
# Live changes and mid-epoch snapshots a run keeps for its exported script (each is one click).
MAX_KEPT = 1_000
# `upcoming_batches` when every batch has the same size.
ALIKE_FOREVER = 10**9


def make_data(config: RunConfig) -> Dataset:
    """The dataset a config describes (own data: its drawn points; uploaded points come as `data`)."""
    if config.dataset == OWN:
        return points_dataset(config)
    if config.images:
        return image_dataset(config.dataset, config.train_size)
    return make_dataset(config.dataset, n_points=config.n_points, noise=config.noise, test_fraction=config.test_fraction,
                        seed=config.seed, input_scale=config.input_scale, standardize=config.standardize)


def network_inputs(config: RunConfig, x: np.ndarray) -> np.ndarray:
    """What the network is fed for examples `x`: images as they are, 2D points (n, 2) as
    the config's input features (n, len(features))."""
    return x if config.images else input_features(x, config.features)


def scheduled_rate(config: RunConfig, epoch: float) -> float:
    """The learning rate of a run of `config` `epoch` epochs in (passes over its training set, so a
    live change of the batch size keeps its place in the cycle): its `learning_rate`, or with
    `one_cycle` set that peak times the one-cycle schedule over `one_cycle` epochs."""
    if not config.one_cycle:
        return config.learning_rate
    return config.learning_rate * one_cycle(epoch / config.one_cycle)


@dataclass(frozen=True)
class Best:
    """The lowest test loss of a run so far, and the step and epoch it was measured at."""

    test_loss: float
    step: int
    epoch: float


@dataclass(frozen=True)
class Change:
    """Live settings a run took while training (`Trainer.apply_live`): the new values, by field
    name, taken after `step` steps, before the next one. A run's changes replay it exactly
    (engine.export.script)."""

    step: int
    settings: dict[str, Any]


@dataclass(frozen=True)
class Metrics:
    """Whole-set losses and accuracies, measured in evaluation mode (no dropout).
    Accuracies are NaN for a regression."""

    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float


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
        if not config.images:  # one forward pass evaluates both sets; a copy only small data can afford
            self._x_all = torch.cat([self._x_train, self._x_test])
        self._t_train = self.head.targets(self._y_train)
        self._t_test = self.head.targets(self._y_test)
        self._set_batch_size(config)
        self.eval_batch = max(1, min(EVAL_BATCH, EVAL_PART_WORK // max(1, forward_work(config))))
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
        if changed:
            settings = {name: getattr(config, name) for name in sorted(changed)}
            if self.changes and self.changes[-1].step == self.step:  # several changes between two steps: one
                settings = {**self.changes[-1].settings, **settings}
                self.changes.pop()
            self.changes.append(Change(self.step, settings))
        for group in self.optimizer.param_groups:
            group["lr"] = config.learning_rate
            group["weight_decay"] = config.weight_decay
        self.config = config
        self._set_batch_size(config)
        return True

    def reset(self) -> None:
        """Back to step 0: fresh weights (same seed, same weights), empty history."""
        c = self.config
        self.start_config = c  # the settings at step 0; `changes` says what changed since
        self.changes: list[Change] = []
        self.weights_from: int | None = None  # steps the weights had trained elsewhere, see `start_from`
        # Steps where a snapshot came mid-epoch (the MNIST lab's Stop) while training figures are running means
        # over the steps since the last snapshot: an exported script restarts its means there too.
        self.measured_mid_epoch: list[int] = []
        self.batched = False  # True once it trained in a cohort (engine.core.cohort): equal steps, to rounding
        self.model = build_model(c, tuple(self._x_train.shape[1:]), self.n_outputs)
        self.optimizer = make_optimizer(c.optimizer, self.model.parameters(), c.learning_rate, c.weight_decay)
        self.history = History()
        self.step = 0
        self.examples_seen = 0
        self._running = torch.zeros(3)  # since the last snapshot: summed loss, correct, examples
        self.diverged = False
        self.problem: Problem | None = None  # why the run diverged, see `_mark_diverged`
        self.best: Best | None = None  # the lowest test loss so far (early stopping watches it)
        self.stopped_at: int | None = None  # the step early stopping ended the run at
        self.test_probabilities: tuple[int, np.ndarray] | None = None  # (step, probabilities), see `evaluation`
        self._shuffle = torch.Generator().manual_seed(c.seed + SHUFFLE_SEED_OFFSET)
        self._order = torch.arange(len(self._y_train))
        self._cursor = len(self._order)  # forces a shuffle on the first step

    def start_from(self, state: Mapping[str, Tensor], trained_steps: int) -> None:
        """Step 0 again, but from the weights `state` (a `state_dict` of this run's model, checked
        by the caller, e.g. engine.export.run_files.load_weights) that trained `trained_steps`
        steps elsewhere: a fresh optimizer, an empty history, the batch order from its start."""
        self.reset()
        with torch.no_grad():
            self.model.load_state_dict(state)
        self.weights_from = trained_steps

    @property
    def epoch(self) -> float:
        """Passes over the training set so far (fractional within an epoch)."""
        return self.examples_seen / len(self._y_train)

    def upcoming_batches(self) -> tuple[int, int]:
        """(examples in the next mini-batch, how many batches from it on have as many): an
        epoch's last batch is smaller when the batch size does not divide the training set."""
        n, size = len(self._order), self.batch_size
        if n % size == 0:
            return size, ALIKE_FOREVER
        left = n - self._cursor if self._cursor < n else n
        return (size, left // size) if left >= size else (left, 1)

    def next_batch(self) -> tuple[Tensor, Tensor]:
        """The next mini-batch (inputs, targets) in this run's own shuffled order."""
        if self.batch_size == len(self._order):
            return self._x_train, self._t_train
        if self._cursor >= len(self._order):
            self._order = torch.randperm(len(self._order), generator=self._shuffle)
            self._cursor = 0
        index = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += self.batch_size
        return self._x_train[index], self._t_train[index]

    @property
    def learning_rate(self) -> float:
        """The rate of the next step: the config's, or with a one-cycle schedule its share of that peak."""
        return scheduled_rate(self.config, self.epoch)

    def train_step(self) -> None:
        """One mini-batch: forward, loss, backward, update."""
        if self.config.one_cycle:
            for group in self.optimizer.param_groups:
                group["lr"] = self.learning_rate
        x, target = self.next_batch()
        logits = self.model(x)
        loss = self.head.loss(logits, target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.took_step(loss.item(), len(x))
        if not self.exact_train_metrics:
            with torch.no_grad():
                correct = self.head.accuracy(logits, target) * len(x)
                self._running += torch.stack([loss.detach() * len(x), correct, torch.tensor(len(x))])

    def took_step(self, loss: float, examples: int) -> None:
        """Count a step of `examples` examples whose mini-batch loss was `loss` (it diverged if
        not finite): `train_step`, or engine.core.cohort when it trains this run with others."""
        self.step += 1
        self.examples_seen += examples
        self.history.batch_loss.append(loss)
        if not math.isfinite(loss):
            self._mark_diverged(loss)

    def _mark_diverged(self, loss: float) -> None:
        self.diverged = True
        lr = self.config.learning_rate
        what = Problem("loss_nan" if math.isnan(loss) else "loss_infinite")
        self.problem = Problem("diverged", {"step": self.step, "what": what, "lr": lr,
                                            "optimizer": Name(self.config.optimizer), "suggestion": lr / 10})

    @property
    def stopped_early(self) -> bool:
        """True once early stopping has ended the run (see `record`)."""
        return self.stopped_at is not None

    @property
    def finished(self) -> bool:
        """True once the run trains no further: it diverged, or early stopping ended it."""
        return self.diverged or self.stopped_early

    def _watched(self) -> bool:
        """Whether early stopping looks at this step's snapshot. Only at steps where every way of
        training the run takes one, so the same settings stop at the same step whoever trains them
        and however their ticks fall: on 2D points every `WATCH_EVERY` steps (the pages' and the
        class trainer's grid), on images at each epoch's end (where the lab and the CLI measure)."""
        return self.step % (self.steps_per_epoch if self.config.images else WATCH_EVERY) == 0

    def _watch_test_loss(self, test_loss: float) -> None:
        """Early stopping: keep the lowest test loss, and end the run once `early_stopping`
        epochs have passed without a new low. The untrained network (step 0) does not count, as
        in Keras's EarlyStopping, which first looks after an epoch: on a few noisy points its
        chance-level loss can be the lowest, and the run would stop before it has learnt anything."""
        if self.step == 0 or not self._watched():
            return
        if math.isfinite(test_loss) and (self.best is None or test_loss < self.best.test_loss):
            self.best = Best(test_loss, self.step, self.epoch)
        patience = self.config.early_stopping
        if patience and self.best is not None and not self.finished and self.epoch - self.best.epoch >= patience - 1e-9:
            self.stopped_at = self.step

    @property
    def message(self) -> str:
        """Why the run stopped, in English ("" while it trains); a page says `problem` in its language."""
        return str(self.problem) if self.problem else ""

    @property
    def network(self) -> Network:
        """The model with its head and input features, for the probes (engine.core.probes)."""
        return Network(self.model, self.head, None if self.config.images else self.config.features, self.eval_batch)

    def evaluate(self) -> Metrics:
        """Loss and accuracy on the whole test set and on the training set, without
        dropout; for a large training set, the running mean since the last snapshot."""
        parts = self.evaluation()
        while True:
            try:
                next(parts)
            except StopIteration as done:
                return done.value

    def evaluation(self) -> Generator[float, None, Metrics]:
        """`evaluate` in parts of at most `eval_batch` test examples: yields the share done
        after each part and returns the `Metrics`, so a live page can spread a big test set
        over many slices of time (the run must not train until it is done). The test set's
        class probabilities are kept in `test_probabilities` (classifiers on images)."""
        def loss_and_accuracy(logits: Tensor, targets: Tensor) -> list[Tensor]:
            return [self.head.loss(logits, targets), self.head.accuracy(logits, targets)]

        network = self.network
        if not self.config.images:  # 2D points (small, by the caps): both sets in one pass
            logits = network.logits(self._x_all)
            n_train = len(self._y_train)
            train = loss_and_accuracy(logits[:n_train], self._t_train)
            test = loss_and_accuracy(logits[n_train:], self._t_test)
        else:
            sets = [(self._x_test, self._t_test)] + ([(self._x_train, self._t_train)] if self.exact_train_metrics else [])
            n_total, done, results, probabilities = sum(len(x) for x, _ in sets), 0, [], []
            for x, targets in sets:
                totals = torch.zeros(2)
                for start in range(0, len(x), self.eval_batch):
                    logits = network.logits(x[start : start + self.eval_batch])
                    part = targets[start : start + self.eval_batch]
                    with torch.inference_mode():
                        totals += torch.stack(loss_and_accuracy(logits, part)) * len(part)
                        if x is self._x_test and self.data.task != REGRESSION:
                            probabilities.append(self.head.class_probabilities(logits))
                    done += len(part)
                    yield done / n_total
                results.append(list(totals / len(x)))
            if probabilities:
                self.test_probabilities = (self.step, torch.cat(probabilities).numpy())
            test = results[0]
            total_loss, correct, seen = self._running
            train = results[1] if self.exact_train_metrics else [total_loss / seen, correct / seen] if seen > 0 else test
        figures = torch.stack([train[0], test[0], train[1], test[1]])
        return Metrics(*figures.tolist())

    @property
    def recorded(self) -> bool:
        """True if the history's newest snapshot is of the current step."""
        return self.history.steps[-1:] == [self.step]

    def record(self, metrics: Metrics | None = None) -> None:
        """Append a snapshot of the current step to the history, unless it has one (with
        `metrics` if the caller has evaluated this step already, see `evaluation`). A
        whole-set loss that is not finite marks the run as diverged too: a squared error can
        overflow on the whole set one step before it does on a mini-batch."""
        if self.recorded:
            return
        metrics = metrics or self.evaluate()
        self._running.zero_()
        if not self.exact_train_metrics and self.step % self.steps_per_epoch and len(self.measured_mid_epoch) < MAX_KEPT:
            self.measured_mid_epoch.append(self.step)  # (a Stop): the running figures start again here
        h = self.history
        make_room(h)
        h.steps.append(self.step)
        h.epochs.append(self.epoch)
        h.train_loss.append(metrics.train_loss)
        h.test_loss.append(metrics.test_loss)
        h.train_acc.append(metrics.train_acc)
        h.test_acc.append(metrics.test_acc)
        h.grad_norms.append(grad_norms(self.model).tolist())
        thin(h)
        bad = [loss for loss in (metrics.train_loss, metrics.test_loss) if not math.isfinite(loss)]
        if bad and not self.diverged:
            self._mark_diverged(bad[0])
        self._watch_test_loss(metrics.test_loss)
