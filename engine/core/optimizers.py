"""The course's eight optimizers, all from `torch.optim`, each with a default learning rate.

`fused=True` (one kernel for the whole update) is used where torch offers it on the
CPU, `foreach=True` elsewhere: the same maths, with less Python overhead per step, which
dominates for the playground's tiny networks (measured: about 1.3x more steps per second).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass(frozen=True)
class OptimizerSpec:
    """A `torch.optim` class with the course's options, and its default learning rates: on the 2D
    datasets (a few hundred points, small networks) and on images (MNIST's networks, batches of 64)."""

    make: Callable[..., torch.optim.Optimizer]
    default_lr: float
    options: dict[str, Any]
    image_lr: float

    def lr_for(self, images: bool) -> float:
        """The default learning rate of a run on images (MNIST) or on 2D data."""
        return self.image_lr if images else self.default_lr


OPTIMIZERS: dict[str, OptimizerSpec] = {
    "sgd": OptimizerSpec(torch.optim.SGD, 0.1, {"fused": True}, 0.03),  # steps straight down the gradient
    # keeps a running velocity, so zig-zags cancel out
    "momentum": OptimizerSpec(torch.optim.SGD, 0.05, {"momentum": 0.9, "fused": True}, 0.01),
    # momentum that looks ahead before it steps (NAG)
    "nesterov": OptimizerSpec(torch.optim.SGD, 0.05, {"momentum": 0.9, "nesterov": True, "fused": True}, 0.01),
    "adagrad": OptimizerSpec(torch.optim.Adagrad, 0.1, {"fused": True}, 0.01),  # shrinks each weight's step by its history
    "rmsprop": OptimizerSpec(torch.optim.RMSprop, 0.01, {"foreach": True}, 1e-3),  # Adagrad with a decaying history
    "adadelta": OptimizerSpec(torch.optim.Adadelta, 1.0, {"foreach": True}, 1.0),  # RMSProp scaled by past updates too
    "adam": OptimizerSpec(torch.optim.Adam, 0.01, {"fused": True}, 1e-3),  # RMSProp + momentum; if unsure, Adam
    "nadam": OptimizerSpec(torch.optim.NAdam, 0.01, {"foreach": True}, 1e-3),  # Adam with Nesterov's look-ahead
}


def make_optimizer(
    name: str, parameters: Iterable[nn.Parameter], learning_rate: float, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """A `torch.optim` optimizer by course name; `weight_decay` is L2 regularisation."""
    spec = OPTIMIZERS[name]
    return spec.make(parameters, lr=learning_rate, weight_decay=weight_decay, **spec.options)


# The one-cycle schedule (Smith & Topin, "Super-convergence", 2017, as torch's OneCycleLR has it):
# the rate starts at 1/25 of the peak, rises to the peak over the first 30% of the cycle, then falls
# to 1/10,000 of its start by the cycle's end (both on a half cosine), and stays there after it.
ONE_CYCLE_WARMUP = 0.3
ONE_CYCLE_START = 1 / 25
ONE_CYCLE_END = ONE_CYCLE_START / 1e4


def one_cycle(progress: float) -> float:
    """The learning rate at `progress` (0 at the first step, 1 at the cycle's end), as a share of the peak."""
    if progress >= 1:
        return ONE_CYCLE_END
    if progress < ONE_CYCLE_WARMUP:
        start, end, part = ONE_CYCLE_START, 1.0, progress / ONE_CYCLE_WARMUP
    else:
        start, end, part = 1.0, ONE_CYCLE_END, (progress - ONE_CYCLE_WARMUP) / (1 - ONE_CYCLE_WARMUP)
    return end + (start - end) * (1 + math.cos(math.pi * max(part, 0.0))) / 2
