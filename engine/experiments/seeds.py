"""Many seeds at once: K copies of one network, trained together as one batched model.

"It worked once" is not "it works". `SeedsTrainer(config, n_seeds=16)` trains the
config's network from seeds `seed, seed+1, ..., seed+K-1` on the same data (that of
`config.seed`), in lock-step. Copy k is exactly the run `Trainer(config.replace(seed=
seed+k), data=...)`: the same starting weights, batch order and dropout masks; only the
arithmetic is batched.

How: each layer's weights are stacked into one tensor of shape (K, out, in) and applied
with a batched matrix product, so one step costs about as much Python as a single run.
One `torch.optim` optimizer updates the stacked tensors; every course optimizer updates
each weight on its own (element-wise), so this equals K separate optimizers.

Every output head (binary, multiclass, regression) and every choice of input features
works as in a single run; a regression's accuracies are NaN, as there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from engine.core.config import RunConfig
from engine.core.datasets import Dataset
from engine.core.heads import head_for
from engine.core.history import LossSeries, make_room, thin
from engine.core.models import ACTIVATIONS, MLP, build_model
from engine.core.optimizers import make_optimizer
from engine.core.trainer import SHUFFLE_SEED_OFFSET, make_data, network_inputs, scheduled_rate

MAX_SEEDS = 32


@dataclass
class SeedsHistory:
    """Per snapshot, one value per seed: arrays of shape (snapshots, K) when read."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[np.ndarray] = field(default_factory=list)
    test_loss: list[np.ndarray] = field(default_factory=list)
    train_acc: list[np.ndarray] = field(default_factory=list)
    test_acc: list[np.ndarray] = field(default_factory=list)
    grad_norms: list[np.ndarray] = field(default_factory=list)  # per snapshot: (K, layers)
    losses: LossSeries = field(default_factory=LossSeries)  # per step: each seed's mini-batch loss (bounded)
    spacing: int = 1  # snapshots are kept at steps that are multiples of this, and the newest (engine.core.history)

    @property
    def batch_loss(self) -> np.ndarray:
        """The mini-batch loss per seed, shape (points, K): one point per step until the run
        is long, then each point the mean of `losses.stride` steps (see LossSeries)."""
        values = self.losses.values()
        return values if len(values) else np.zeros((0, 0))


class SeedsTrainer:
    """Trains K seeds of one MLP configuration as one batched model (2D data)."""

    def __init__(self, config: RunConfig, n_seeds: int, data: Dataset | None = None) -> None:
        if config.model == "cnn" or config.images:
            raise ValueError("many seeds at once is for 2D networks; image runs train one seed at a time")
        if not 1 <= n_seeds <= MAX_SEEDS:
            raise ValueError(f"n_seeds must be from 1 to {MAX_SEEDS}, got {n_seeds}")
        self.config, self.n_seeds = config, n_seeds
        self.seeds = [config.seed + k for k in range(n_seeds)]
        self.data = data or make_data(config)
        self.head = head_for(self.data.task)
        self._x_train, self._x_test = (torch.from_numpy(network_inputs(config, x)) for x in (self.data.x_train, self.data.x_test))
        self._y_train, self._y_test = torch.from_numpy(self.data.y_train), torch.from_numpy(self.data.y_test)
        self._t_train, self._t_test = self.head.targets(self._y_train), self.head.targets(self._y_test)
        n_train = len(self._y_train)
        self.batch_size = n_train if config.full_batch else min(int(config.batch_size), n_train)
        self.steps_per_epoch = math.ceil(n_train / self.batch_size)
        self.reset()

    def reset(self) -> None:
        """Back to step 0 with each seed's starting weights."""
        c = self.config
        n_inputs, n_outputs = self._x_train.shape[1], self.head.n_outputs(self.data.n_classes)
        singles: list[MLP] = [build_model(c.replace(seed=s), (n_inputs,), n_outputs) for s in self.seeds]
        # Stacked copies of every layer: weights (K, out, in), biases (K, 1, out).
        self.weights = [nn.Parameter(torch.stack([m.linears[i].weight.detach() for m in singles]))
                        for i in range(len(singles[0].linears))]
        self.biases = [nn.Parameter(torch.stack([m.linears[i].bias.detach() for m in singles]).unsqueeze(1))
                       for i in range(len(singles[0].linears))]
        self.activation = ACTIVATIONS[c.activation]()
        # Each seed's dropout draws from the generator its single run would use (after its init).
        self._dropout_generators = [m.layers[2].generator if c.dropout > 0 else None for m in singles]
        self.optimizer = make_optimizer(c.optimizer, [*self.weights, *self.biases], c.learning_rate, c.weight_decay)
        self._shuffles = [torch.Generator().manual_seed(s + SHUFFLE_SEED_OFFSET) for s in self.seeds]
        n_train = len(self._y_train)
        self._orders = [torch.arange(n_train)] * self.n_seeds
        self._cursor = n_train
        self.step = 0
        self.diverged_seeds = np.zeros(self.n_seeds, dtype=bool)
        self.history = SeedsHistory()

    def forward(self, x: Tensor, training: bool = False) -> Tensor:
        """Logits of every seed's network: x of shape (K, n, inputs) -> (K, n, outputs)."""
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(bias, x, weight.transpose(1, 2))
            if i < last:
                x = self.activation(x)
                if training and self.config.dropout > 0:
                    x = x * self._dropout_masks(x.shape[1:]) / (1 - self.config.dropout)
        return x

    def _dropout_masks(self, shape: torch.Size) -> Tensor:
        return torch.stack([torch.rand(shape, generator=g) >= self.config.dropout for g in self._dropout_generators])

    def _next_batch(self) -> tuple[Tensor, Tensor]:
        n_train = len(self._y_train)
        if self.batch_size == n_train:
            return self._x_train.expand(self.n_seeds, -1, -1), self._t_train.expand(self.n_seeds, *self._t_train.shape)
        if self._cursor >= n_train:
            self._orders = [torch.randperm(n_train, generator=g) for g in self._shuffles]
            self._cursor = 0
        index = torch.stack([order[self._cursor : self._cursor + self.batch_size] for order in self._orders])
        self._cursor += self.batch_size
        return self._x_train[index], self._t_train[index]

    @property
    def diverged(self) -> bool:
        """True once every seed has diverged (`diverged_seeds` says which have)."""
        return bool(self.diverged_seeds.all())

    @property
    def finished(self) -> bool:
        """True once every seed has diverged. Early stopping does not end seeds: a comparison stops
        a run's seeds when the run itself stops (engine.experiments.compare)."""
        return self.diverged

    def train_step(self) -> None:
        """Every seed one mini-batch (its own), in lock-step: forward, loss, backward, update."""
        if self.config.one_cycle:
            for group in self.optimizer.param_groups:
                group["lr"] = scheduled_rate(self.config, self.epoch)
        x, targets = self._next_batch()
        losses = self.head.model_losses(self.forward(x, training=True), targets)
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()  # each seed's weights get the gradient of its own loss
        self.optimizer.step()
        self.step += 1
        self.history.losses.append(losses.detach().numpy().copy())
        self.diverged_seeds |= ~torch.isfinite(losses.detach()).numpy()

    @property
    def epoch(self) -> float:
        return self.step * self.batch_size / len(self._y_train)

    @torch.inference_mode()
    def evaluate(self) -> dict[str, np.ndarray]:
        """Each seed's whole-set losses and accuracies (no dropout): arrays of shape (K,)."""
        figures = {}
        for split, x, targets in (("train", self._x_train, self._t_train), ("test", self._x_test, self._t_test)):
            logits = self.forward(x.expand(self.n_seeds, -1, -1))
            figures[f"{split}_loss"] = self.head.model_losses(logits, targets.expand(self.n_seeds, *targets.shape)).numpy()
            figures[f"{split}_acc"] = self.head.accuracy(logits, targets).numpy()
        return figures

    def grad_norms(self) -> np.ndarray:
        """L2 norm of each seed's weight gradient per layer, shape (K, layers), input layer first."""
        return torch.stack([w.grad.norm(dim=(1, 2)) if w.grad is not None else torch.zeros(self.n_seeds)
                            for w in self.weights], dim=1).detach().numpy()

    def record(self) -> None:
        """A snapshot of every seed at the current step, unless it has one."""
        if self.history.steps[-1:] == [self.step]:
            return
        h, figures = self.history, self.evaluate()
        make_room(h)
        h.steps.append(self.step)
        for name, values in figures.items():
            getattr(h, name).append(values)
        h.grad_norms.append(self.grad_norms())
        thin(h)


def spread(values: np.ndarray) -> dict[str, float]:
    """Mean, standard deviation, min and max over seeds (NaN-aware); all NaN when every
    value is NaN (a regression's accuracies, or every seed diverged)."""
    if np.isnan(values).all():
        return dict.fromkeys(("mean", "std", "min", "max"), math.nan)
    return {"mean": float(np.nanmean(values)), "std": float(np.nanstd(values)),
            "min": float(np.nanmin(values)), "max": float(np.nanmax(values))}
