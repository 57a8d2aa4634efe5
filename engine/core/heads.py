"""Output heads: what turns the last layer's raw outputs into an answer and a loss.

Every head answers the same questions (`Head`), so nothing else special-cases a task:
- "binary" (yes/no): one output, sigmoid probability, binary cross-entropy;
- "multiclass" (one of N): N outputs, softmax probabilities, cross-entropy;
- "regression" (a real value): one raw output, mean squared error. A value is not right or
  wrong, so its accuracy is NaN ("not defined", never a misleading number), and it has no
  class probabilities.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from engine.core.datasets import BINARY, MULTICLASS, REGRESSION


class Head:
    """The shape every head shares; subclasses say what differs."""

    TASK: str  # the task it answers (engine.core.datasets.TASKS)
    LOSS: type[nn.Module]  # the loss's torch class (seeds build it per example)

    def __init__(self) -> None:
        self.loss = self.LOSS()
        self._each = self.LOSS(reduction="none")

    def model_losses(self, logits: Tensor, targets: Tensor) -> Tensor:
        """Each model's mean loss for K models' outputs stacked as logits (K, n, outputs) and
        targets (K, n, ...): shape (K,), each what `loss` gives for that model alone."""
        if logits.shape[-1] == 1:  # one output (yes/no, or a value): a loss per (example, output)
            return self._each(logits, targets).mean(dim=(1, 2))
        return self._each(logits.transpose(1, 2), targets).mean(dim=1)

    def n_outputs(self, n_classes: int) -> int:
        """Outputs of the last layer."""
        return 1

    def targets(self, labels: Tensor) -> Tensor:
        """Labels (or values) in the form the loss takes."""
        return labels.float().unsqueeze(-1)

    def outputs(self, logits: Tensor) -> Tensor:
        """The network's answer per example: P(class 1), shape (n,), for yes/no; the class
        probabilities, shape (n, N), for one of N; the predicted value, shape (n,)."""
        raise NotImplementedError

    def class_probabilities(self, logits: Tensor) -> Tensor:
        """Each class's probability per example, shape (n, classes); a ValueError for a value."""
        raise ValueError("a regression predicts a value, not class probabilities; use outputs()")

    def accuracy(self, logits: Tensor, targets: Tensor) -> Tensor:
        """Share of examples answered right: logits (..., n, outputs) -> shape (...)."""
        raise NotImplementedError


class BinaryHead(Head):
    """Two classes (yes/no): one logit, sigmoid probability, binary cross-entropy."""

    TASK = BINARY
    LOSS = nn.BCEWithLogitsLoss

    def outputs(self, logits: Tensor) -> Tensor:
        return torch.sigmoid(logits).squeeze(-1)

    def class_probabilities(self, logits: Tensor) -> Tensor:
        p = self.outputs(logits)
        return torch.stack([1 - p, p], dim=-1)

    def accuracy(self, logits: Tensor, targets: Tensor) -> Tensor:
        return ((logits > 0).float() == targets).float().mean(dim=(-2, -1))


class SoftmaxHead(Head):
    """One of N classes: N logits, softmax probabilities, cross-entropy."""

    TASK = MULTICLASS
    LOSS = nn.CrossEntropyLoss

    def n_outputs(self, n_classes: int) -> int:
        return n_classes

    def targets(self, labels: Tensor) -> Tensor:
        return labels

    def outputs(self, logits: Tensor) -> Tensor:
        return torch.softmax(logits, dim=-1)

    def class_probabilities(self, logits: Tensor) -> Tensor:
        return self.outputs(logits)

    def accuracy(self, logits: Tensor, targets: Tensor) -> Tensor:
        return (logits.argmax(dim=-1) == targets).float().mean(dim=-1)


class RegressionHead(Head):
    """A real value: one raw output (no squashing), mean squared error."""

    TASK = REGRESSION
    LOSS = nn.MSELoss

    def outputs(self, logits: Tensor) -> Tensor:
        return logits.squeeze(-1)

    def accuracy(self, logits: Tensor, targets: Tensor) -> Tensor:
        return torch.full(logits.shape[:-2], math.nan)


# The output head for each task (see engine.core.datasets.TASKS).
HEADS: dict[str, type[Head]] = {head.TASK: head for head in (BinaryHead, SoftmaxHead, RegressionHead)}


def head_for(task: str) -> Head:
    """The output head for a task: "binary", "multiclass" or "regression"."""
    return HEADS[task]()
