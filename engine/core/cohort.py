"""Many runs of one network shape trained together as one batched model: a class's students.

    key = batch_key(trainer)                   # runs with equal keys can train together; None: never
    with Cohort([a, b, c]) as cohort:          # three students' runs, each with its own data and settings
        cohort.train_step()                    # one step of each, as `a.train_step()` etc. would take it

In a lesson the whole class runs the same architecture, so the server steps every playing
student's network of one shape at once: each layer's weights of K runs stacked into one tensor
of shape (K, out, in) and applied with one batched matrix product, so a step of 16 networks
costs about what a step of one does (see ../shared/LIVE.md).

Everything else stays each run's own: its data and batch order, its dropout masks, its
learning rate (scheduled ones at every step) and weight decay (a live change applies at the next cohort), and its optimizer
state, step count included. The update is engine.core.batched's per-model form of the
`torch.optim` optimizer each run has, so a run trained in a cohort takes the same steps it
would take alone (tests/core/test_cohort.py compares them step by step).

While a cohort lasts, the stacked tensors are the runs' weights: `sync(k)` brings run k's
own model up to date before it is evaluated or drawn, and closing the cohort copies every
run's weights, gradients and optimizer state back. Runs on images (CNNs, 784 inputs) are
never batched: `batch_key` is None for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType

import torch
from torch import Tensor, nn

from engine.core import batched
from engine.core.models import ACTIVATIONS
from engine.core.trainer import Trainer


def batch_key(trainer: Trainer) -> tuple | None:
    """What runs must share to train as one batched model (None: this run trains alone):
    the layer sizes, activation, output head, optimizer, mini-batch size and dropout rate."""
    c = trainer.config
    if c.images or c.model == "cnn":
        return None
    return (trainer.n_inputs, c.hidden_sizes, trainer.n_outputs, trainer.task, c.activation, c.optimizer,
            trainer.batch_size, c.dropout)


class Cohort:
    """Trainers with one `batch_key`, stepping together until `close` (or the end of a `with`)."""

    def __init__(self, trainers: Sequence[Trainer]) -> None:
        keys = {batch_key(t) for t in trainers}
        if not trainers or None in keys or len(keys) > 1:
            raise ValueError("a cohort needs runs of one network shape and settings (equal batch_key)")
        self.trainers = list(trainers)
        for trainer in trainers:  # the same maths, rounded otherwise (batched): its exported script says so
            trainer.batched = True
        first = trainers[0].config
        self.optimizer_name = first.optimizer
        self.dropout = first.dropout
        self.activation = ACTIVATIONS[first.activation]()
        self.head = trainers[0].head
        # Each run's parameters in one order: W1, b1, W2, b2, ... (what batched.gather reads).
        self._members = [[p for layer in t.model.linears for p in (layer.weight, layer.bias)] for t in trainers]
        self.state = batched.gather(self.optimizer_name, [t.optimizer for t in trainers], self._members)
        self.params = [nn.Parameter(torch.stack([m[i].detach() for m in self._members]))
                       for i in range(len(self._members[0]))]
        groups = [t.optimizer.param_groups[0] for t in trainers]
        self._lr = torch.tensor([g["lr"] for g in groups], dtype=torch.float64)
        self._weight_decay = torch.tensor([g["weight_decay"] for g in groups], dtype=torch.float64)
        self._scheduled = any(t.config.one_cycle for t in trainers)  # rates that change at every step
        # Each run's dropout masks come from its own generator, as in its own model's Dropout layers.
        self._generators = [t.model.layers[2].generator if self.dropout > 0 and first.hidden_sizes else None
                            for t in trainers]
        self.open = True

    def __enter__(self) -> Cohort:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def forward(self, x: Tensor) -> Tensor:
        """Training-mode logits of every run: x (K, n, inputs) -> (K, n, outputs)."""
        last = len(self.params) // 2 - 1
        for i in range(last + 1):
            weight, bias = self.params[2 * i], self.params[2 * i + 1]
            x = torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))
            if i < last:
                x = self.activation(x)
                if self.dropout > 0:
                    keep = torch.stack([torch.rand(x.shape[1:], generator=g) >= self.dropout for g in self._generators])
                    x = x * keep / (1 - self.dropout)
        return x

    def train_step(self) -> None:
        """One mini-batch of every run (each its own), in lock-step: forward, loss, backward, update."""
        batches = [t.next_batch() for t in self.trainers]
        x = torch.stack([b[0] for b in batches])
        targets = torch.stack([b[1] for b in batches])
        losses = self.head.model_losses(self.forward(x), targets)
        for param in self.params:
            param.grad = None
        losses.sum().backward()  # each run's weights get the gradient of its own loss
        if self._scheduled:
            self._lr = torch.tensor([t.learning_rate for t in self.trainers], dtype=torch.float64)
        with torch.no_grad():
            batched.update(self.optimizer_name, self.params, [p.grad for p in self.params], self.state,
                           self._lr, self._weight_decay)
        for trainer, loss in zip(self.trainers, losses.detach().tolist()):
            trainer.took_step(loss, len(x[0]))

    def sync(self, k: int) -> None:
        """Bring run `k`'s own model up to date mid-cohort: its weights and latest gradients
        (before it is evaluated, recorded or drawn)."""
        self._copy_back(self._members[k], [p.detach()[k] for p in self.params], [p.grad[k] for p in self.params])

    def close(self) -> None:
        """Give each run its weights, latest gradients and optimizer state back."""
        if not self.open:
            return
        self.open = False
        rows = [p.detach().unbind(0) for p in self.params]
        grads = [p.grad.unbind(0) if p.grad is not None else None for p in self.params]
        members = [param for member in self._members for param in member]
        self._copy_back(members, [rows[i][k] for k in range(len(self._members)) for i in range(len(rows))],
                        None if None in grads else [grads[i][k] for k in range(len(self._members)) for i in range(len(grads))])
        batched.scatter(self.state, [t.optimizer for t in self.trainers], self._members)

    @staticmethod
    def _copy_back(params: list[nn.Parameter], values: list[Tensor], grads: list[Tensor] | None) -> None:
        with torch.no_grad():
            torch._foreach_copy_(params, values)
            if grads is None:
                return
            for param in params:
                if param.grad is None:
                    param.grad = torch.empty_like(param)
            torch._foreach_copy_([param.grad for param in params], grads)
