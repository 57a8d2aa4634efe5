"""Looking inside a network: gradient magnitudes per layer, and the model over the plane."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor, nn

Bounds = tuple[tuple[float, float], tuple[float, float]]


def weight_matrices(model: nn.Module) -> list[Tensor]:
    """The weight matrix of every layer with one, input layer first (biases excluded)."""
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def layer_names(model: nn.Module) -> list[str]:
    """A short name for each weighted layer, input layer first: in→h1, h1→h2, ..., hN→out
    for an MLP; conv1, conv2, ..., fc1, ..., out for a CNN."""
    convs = getattr(model, "convs", [])
    n_hidden = len(model.linears) - 1
    if not convs:
        nodes = ["in", *(f"h{i + 1}" for i in range(n_hidden)), "out"]
        return [f"{a}→{b}" for a, b in zip(nodes, nodes[1:])]
    return [f"conv{i + 1}" for i in range(len(convs))] + [f"fc{i + 1}" for i in range(n_hidden)] + ["out"]


def grad_norms(model: nn.Module) -> Tensor:
    """L2 norm of each weight matrix's current gradient, input layer first; 0 where
    no gradient has been computed yet. A tensor, so recording it costs no sync."""
    norms = [
        torch.linalg.vector_norm(w.grad) if w.grad is not None else torch.zeros(())
        for w in weight_matrices(model)
    ]
    return torch.stack(norms)


@dataclass(frozen=True)
class DecisionGrid:
    """The model's output over a grid covering the plane.

    `probability[i, j]` is the model's answer at (x1[j], x2[i]), by `task`:
    - "binary": P(class 1), shape (res, res), in [0, 1];
    - "multiclass": the N class probabilities, shape (res, res, N), summing to 1;
    - "regression": the predicted value, shape (res, res), unbounded (not a probability;
      `output` is the same array under a name that says so).
    """

    x1: np.ndarray
    x2: np.ndarray
    probability: np.ndarray
    task: str = "binary"

    @property
    def output(self) -> np.ndarray:
        """The answer per grid point, whatever the task (the same array as `probability`)."""
        return self.probability


@lru_cache(maxsize=16)
def grid_points(bounds: Bounds, resolution: int) -> tuple[np.ndarray, np.ndarray, Tensor]:
    """Grid axes and the (res*res, 2) input tensor, row-major over x2 then x1. Cached,
    since the plane only changes with the data."""
    (x1_low, x1_high), (x2_low, x2_high) = bounds
    x1 = np.linspace(x1_low, x1_high, resolution, dtype=np.float32)
    x2 = np.linspace(x2_low, x2_high, resolution, dtype=np.float32)
    mesh1, mesh2 = np.meshgrid(x1, x2)
    points = torch.from_numpy(np.stack([mesh1.ravel(), mesh2.ravel()], axis=1))
    return x1, x2, points
