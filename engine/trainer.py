"""The trainer: one plain loop over mini-batches that a UI can run a few steps at a time.

    trainer = Trainer(RunConfig(dataset="xor", hidden_sizes=(4,)))
    trainer.train(500)                 # or trainer.train_for(0.04) on a live page
    trainer.evaluate().test_acc
    trainer.history.test_loss          # recorded every `record_every` steps
    trainer.decision_grid(100)         # what a boundary plot needs

The output head follows the data's task (`trainer.task`): "binary" (one logit, binary
cross-entropy), "multiclass" (N logits, cross-entropy) or "regression" (one raw output,
mean squared error; accuracies are NaN, since a value is not right or wrong). 2D points
reach the network as the config's input features (`network_inputs`); the data and the
plots keep the raw points.

A step whose loss is NaN or infinite stops training and marks the run as diverged,
with a plain message; it never raises.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from engine.config import FIELDS, RunConfig
from engine.datasets import REGRESSION, Dataset, image_dataset, input_features, make_dataset
from engine.models import build_model, head_for
from engine.optimizers import make_optimizer
from engine.probes import DecisionGrid, grad_norms, grid_points

# Offset between the seed of the weights/dropout and that of the batch order, so the two
# random streams differ while both follow the run's one seed.
_SHUFFLE_SEED_OFFSET = 1_000_003
# Training sets up to this size are re-evaluated whole at each snapshot (exact, and cheap
# for 2D points); larger ones (MNIST) report the running mean over the steps since the
# last snapshot instead, as training loops usually do.
FULL_EVAL_LIMIT = 5_000
# Examples per forward pass when evaluating, so a CNN's activations on 10,000 test
# images never have to fit in memory at once.
EVAL_BATCH = 1_000


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
    step's mini-batch); the other lists have one entry per recorded snapshot."""

    steps: list[int] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)  # per snapshot: input layer first
    _batch_loss: list[float] = field(default_factory=list)
    _pending: list[Tensor] = field(default_factory=list)

    @property
    def batch_loss(self) -> list[float]:
        # Per-step losses are kept as tensors and converted in one go when read:
        # a conversion per step would cost a large share of a tiny network's step.
        if self._pending:
            self._batch_loss.extend(torch.stack(self._pending).tolist())
            self._pending.clear()
        return self._batch_loss


def _shared_tensor(array: np.ndarray) -> Tensor:
    """A tensor on the same memory as `array`. Shared datasets are read-only NumPy
    arrays; torch has no read-only tensors, and the trainer never writes to its data."""
    if array.flags.writeable:
        return torch.from_numpy(array)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "The given NumPy array is not writable"
        return torch.from_numpy(array)


class Trainer:
    """Trains one network on one dataset, step by step, recording as it goes.

    `data` defaults to the dataset the config describes; pass a `Dataset` to train the
    same way on other data (e.g. more than two classes); its `n_classes` picks the head.
    """

    # Settings a running network can take without starting again (see `apply_live`).
    LIVE_FIELDS = frozenset({"learning_rate", "weight_decay", "batch_size"})

    def __init__(self, config: RunConfig, data: Dataset | None = None, record_every: int = 10) -> None:
        self.config = config
        self.record_every = record_every
        self.data = data or make_data(config)
        self.head = head_for(self.data.task)
        self._x_train, self._x_test = (_shared_tensor(network_inputs(config, x)) for x in (self.data.x_train, self.data.x_test))
        self._y_train, self._y_test = _shared_tensor(self.data.y_train), _shared_tensor(self.data.y_test)
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

    def _train_step(self) -> None:
        """One mini-batch: forward, loss, backward, update."""
        x, target = self._next_batch()
        logits = self.model(x)
        loss = self.head.loss(logits, target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.step += 1
        self.examples_seen += len(x)
        self.history._pending.append(loss.detach())
        if not self.exact_train_metrics:
            with torch.no_grad():
                correct = self.head.accuracy(logits, target) * len(x)
                self._running += torch.stack([loss.detach() * len(x), correct, torch.tensor(len(x))])

    def _train(self, steps: int, deadline: float) -> int:
        # Steps run in chunks that end at the next record point; each chunk's losses are
        # checked for NaN/inf in one go (a check per step costs a sync per step).
        done = 0
        while done < steps and not self.diverged and time.perf_counter() < deadline:
            chunk = min(steps - done, self.record_every - self.step % self.record_every)
            ran = 0
            while ran < chunk and (ran == 0 or time.perf_counter() < deadline):
                self._train_step()
                ran += 1
            done += ran
            done -= self._stop_if_diverged(ran)
            if not self.diverged and self.step % self.record_every == 0:
                self.record()
        return done

    def _stop_if_diverged(self, last_steps: int) -> int:
        """If one of the last steps' losses is not finite, end the run at the first such
        step and return how many later steps were undone."""
        pending = self.history._pending
        losses = torch.stack(pending[-last_steps:])
        finite = torch.isfinite(losses)
        if bool(finite.all()):
            return 0
        first_bad = int((~finite).nonzero()[0])
        undone = last_steps - first_bad - 1
        del pending[len(pending) - undone :]
        self.step -= undone
        self.examples_seen -= undone * self.batch_size
        self._mark_diverged(float(losses[first_bad]))
        return undone

    def train(self, steps: int) -> int:
        """Train up to `steps` more mini-batches; returns how many ran (fewer if it diverged)."""
        return self._train(steps, deadline=math.inf)

    def train_for(self, seconds: float, max_steps: int = 1_000_000) -> int:
        """Train until `seconds` have passed (live pages tie training to time, not to
        a step count, so training speed does not fall with the frame rate)."""
        return self._train(max_steps, deadline=time.perf_counter() + seconds)

    def train_epochs(self, epochs: int) -> int:
        return self.train(epochs * self.steps_per_epoch)

    def _mark_diverged(self, loss: float) -> None:
        self.diverged = True
        what = "NaN" if math.isnan(loss) else "infinite"
        lr = self.config.learning_rate
        self.message = (
            f"Training diverged at step {self.step}: the loss became {what}. "
            f"The learning rate {lr:g} is too high for {self.config.optimizer}; "
            f"try about {lr / 10:g}."
        )

    @torch.inference_mode()
    def logits(self, x: Tensor) -> Tensor:
        """The model's outputs for inputs `x`, in evaluation mode (no dropout), in batches."""
        self.model.eval()
        try:
            return torch.cat([self.model(x[i : i + EVAL_BATCH]) for i in range(0, len(x), EVAL_BATCH)])
        finally:
            self.model.train()

    @torch.inference_mode()
    def evaluate(self) -> Metrics:
        """Loss and accuracy on the whole test set and on the training set, without
        dropout; for a large training set, the running mean since the last snapshot."""
        def loss_and_accuracy(logits: Tensor, targets: Tensor) -> list[Tensor]:
            return [self.head.loss(logits, targets), self.head.accuracy(logits, targets)]

        if self.exact_train_metrics:
            logits = self.logits(self._x_all)
            n_train = len(self._y_train)
            train = loss_and_accuracy(logits[:n_train], self._t_train)
            test = loss_and_accuracy(logits[n_train:], self._t_test)
        else:
            test = loss_and_accuracy(self.logits(self._x_test), self._t_test)
            total_loss, correct, seen = self._running
            train = [total_loss / seen, correct / seen] if seen > 0 else test
        figures = torch.stack([train[0], test[0], train[1], test[1]])
        return Metrics(*figures.tolist())

    def _network_logits(self, x: np.ndarray | Tensor) -> Tensor:
        """Logits for raw examples `x` (2D points or images), through the input features."""
        return self.logits(torch.as_tensor(network_inputs(self.config, np.asarray(x, dtype=np.float32))))

    def outputs(self, x: np.ndarray | Tensor) -> np.ndarray:
        """The network's answer for raw examples `x`: P(class 1), shape (n,), for two
        classes; class probabilities, shape (n, N), for N; the predicted value, shape
        (n,), for a regression."""
        return self.head.outputs(self._network_logits(x)).numpy()

    def _class_probabilities(self, logits: Tensor) -> np.ndarray:
        if self.task == REGRESSION:
            raise ValueError("a regression predicts a value, not class probabilities; use outputs()")
        probabilities = self.head.probabilities(logits)
        if probabilities.dim() == 1:  # two classes: P(class 1) -> [P(0), P(1)]
            probabilities = torch.stack([1 - probabilities, probabilities], dim=1)
        return probabilities.numpy()

    def probabilities(self, x: np.ndarray | Tensor) -> np.ndarray:
        """The model's class probabilities for raw examples `x`, shape (n, classes)
        (classification only)."""
        return self._class_probabilities(self._network_logits(x))

    def test_predictions(self) -> np.ndarray:
        """The model's class probabilities for every test example, shape (n_test, classes)
        (classification only)."""
        return self._class_probabilities(self.logits(self._x_test))

    @torch.inference_mode()
    def feature_maps(self, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """A CNN's picture of one input image after each conv and pool stage, as
        (stage name, maps of shape (channels, side, side)); empty for other networks."""
        if not hasattr(self.model, "feature_maps"):
            return []
        self.model.eval()
        try:
            return [(name, maps[0].numpy()) for name, maps in self.model.feature_maps(torch.as_tensor(image)[None])]
        finally:
            self.model.train()

    def grad_norms(self) -> list[float]:
        """L2 norm of each weight matrix's gradient at the last step, input layer first."""
        return grad_norms(self.model).tolist()

    def record(self) -> None:
        """Append a snapshot of the current state to the history. A whole-set loss that is
        not finite marks the run as diverged too: a squared error can overflow on the
        whole set one step before it does on a mini-batch."""
        metrics = self.evaluate()
        self._running.zero_()
        h = self.history
        h.steps.append(self.step)
        h.epochs.append(self.epoch)
        h.train_loss.append(metrics.train_loss)
        h.test_loss.append(metrics.test_loss)
        h.train_acc.append(metrics.train_acc)
        h.test_acc.append(metrics.test_acc)
        h.grad_norms.append(self.grad_norms())
        bad = [loss for loss in (metrics.train_loss, metrics.test_loss) if not math.isfinite(loss)]
        if bad and not self.diverged:
            self._mark_diverged(bad[0])

    def _plane(self) -> tuple[tuple[float, float], tuple[float, float]]:
        if self.data.bounds is None:
            raise ValueError("decision grids need 2D data; this run trains on images")
        return self.data.bounds

    @torch.inference_mode()
    def decision_grid(self, resolution: int = 100) -> DecisionGrid:
        """The network's answer over a `resolution` x `resolution` grid covering the data:
        P(class 1) (res, res) for two classes, class probabilities (res, res, N) for N,
        the predicted value (res, res) for a regression (see `DecisionGrid`)."""
        x1, x2, points = grid_points(self._plane(), resolution)
        answer = self.outputs(points.numpy())
        return DecisionGrid(x1, x2, answer.reshape(resolution, resolution, *answer.shape[1:]), task=self.task)

    @torch.inference_mode()
    def hidden_grids(self, resolution: int = 40) -> list[np.ndarray]:
        """Each hidden layer's activations over the plane, shape (res, res, width) per
        layer: what each hidden neuron responds to."""
        _, _, points = grid_points(self._plane(), resolution)
        inputs = torch.from_numpy(network_inputs(self.config, points.numpy()))
        return [h.numpy().reshape(resolution, resolution, -1) for h in self.model.hidden_outputs(inputs)]
