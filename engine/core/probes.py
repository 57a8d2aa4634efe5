"""Looking inside a network: functions of a network (and data), for any trainer or script.

    network = trainer.network                   # the model, its output head, its input features
    decision_grid(network, trainer.data.bounds) # its answer over the plane (the boundary plot)
    hidden_grids(network, trainer.data.bounds)  # what each hidden neuron responds to
    class_probabilities(network, x)             # per example and class
    feature_maps(network.model, image)          # a CNN's picture after each conv and pool stage
    grad_norms(model), layer_names(model)       # each layer's gradient size, and its name
    flat_parameters(model)                      # an MLP's weights and biases as one vector
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor, nn

from engine.core.datasets import input_features
from engine.core.heads import Head

Bounds = tuple[tuple[float, float], tuple[float, float]]
# Examples per forward pass when evaluating, so a CNN's activations on 10,000 test
# images never have to fit in memory at once.
EVAL_BATCH = 1_000


def shared_tensor(array: np.ndarray) -> Tensor:
    """A tensor on the same memory as `array`. Shared datasets (MNIST) are read-only NumPy
    arrays; torch has no read-only tensors, and nothing here writes to its inputs."""
    if array.flags.writeable:
        return torch.from_numpy(array)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "The given NumPy array is not writable"
        return torch.from_numpy(array)


@dataclass(frozen=True)
class Network:
    """A model with its output head and its inputs: what turns raw examples (2D points or
    images) into answers. `features` are a 2D network's input features (None for images);
    `eval_batch`, the examples per forward pass when evaluating many (fewer for a big CNN, so
    its activations stay small)."""

    model: nn.Module
    head: Head
    features: tuple[str, ...] | None = None
    eval_batch: int = EVAL_BATCH

    def inputs(self, x: np.ndarray | Tensor) -> Tensor:
        """What the model is fed for raw examples `x`."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        return shared_tensor(x if self.features is None else input_features(x, self.features))

    @torch.inference_mode()
    def logits(self, inputs: Tensor) -> Tensor:
        """The model's raw outputs for model inputs, in evaluation mode (no dropout), in batches."""
        if not getattr(self.model, "has_dropout", True) and len(inputs) <= self.eval_batch:
            return self.model(inputs)  # training and evaluation modes differ only by dropout: no switch needed
        self.model.eval()
        try:
            return torch.cat([self.model(inputs[i : i + self.eval_batch]) for i in range(0, len(inputs), self.eval_batch)])
        finally:
            self.model.train()

    def outputs(self, x: np.ndarray | Tensor) -> np.ndarray:
        """The answer for raw examples `x` (see `Head.outputs`)."""
        return self.head.outputs(self.logits(self.inputs(x))).numpy()


def class_probabilities(network: Network, x: np.ndarray | Tensor) -> np.ndarray:
    """Each class's probability for raw examples `x`, shape (n, classes) (classifiers only)."""
    return network.head.class_probabilities(network.logits(network.inputs(x))).numpy()


def flat_parameters(model: nn.Module) -> np.ndarray:
    """An MLP's parameters as one float32 vector, input layer first: each layer's weight
    matrix (out x in, row-major), then its bias. What the live view sends the browser."""
    return torch.cat([t.detach().reshape(-1) for layer in model.linears for t in (layer.weight, layer.bias)]).numpy()


def weight_matrices(model: nn.Module) -> list[Tensor]:
    """The weight matrix (or kernel) of every weighted layer, input layer first: convolutions and
    linear layers, one per `layer_names` name (biases and batch norm's scales excluded)."""
    return [layer.weight for layer in model.modules() if isinstance(layer, (nn.Linear, nn.Conv2d))]


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


def _plane(bounds: Bounds | None) -> Bounds:
    if bounds is None:
        raise ValueError("decision grids need 2D data; this run trains on images")
    return bounds


def decision_grid(network: Network, bounds: Bounds | None, resolution: int = 100) -> DecisionGrid:
    """The network's answer over a `resolution` x `resolution` grid covering `bounds` (the
    data's plane): P(class 1) (res, res) for two classes, class probabilities (res, res, N)
    for N, the predicted value (res, res) for a regression (see `DecisionGrid`)."""
    x1, x2, points = grid_points(_plane(bounds), resolution)
    answer = network.outputs(points.numpy())
    return DecisionGrid(x1, x2, answer.reshape(resolution, resolution, *answer.shape[1:]), task=network.head.TASK)


@torch.inference_mode()
def hidden_grids(network: Network, bounds: Bounds | None, resolution: int = 40) -> list[np.ndarray]:
    """Each hidden layer's activations over the plane, shape (res, res, width) per layer:
    what each hidden neuron responds to."""
    _, _, points = grid_points(_plane(bounds), resolution)
    return [h.numpy().reshape(resolution, resolution, -1)
            for h in network.model.hidden_outputs(network.inputs(points.numpy()))]


@torch.inference_mode()
def feature_maps(model: nn.Module, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """A CNN's picture of one input image after each conv and pool stage, as (stage name,
    maps of shape (channels, side, side)); empty for other networks."""
    if not hasattr(model, "feature_maps"):
        return []
    model.eval()
    try:
        return [(name, maps[0].numpy()) for name, maps in model.feature_maps(torch.as_tensor(image)[None])]
    finally:
        model.train()
