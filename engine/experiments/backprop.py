"""Backpropagation by hand: the course's one-neuron worked example, one operation at a time.

The network is one neuron with two inputs and no bias:

    z = w1·x1 + w2·x2        (weighted sum)
    a = σ(z)                 (sigmoid)
    L = ½(t − a)²            (squared error against the target t)

With the course's numbers (x1 = 1.0, x2 = 0.5, w1 = 0.9, w2 = 0.3) the sum is z = 1.05 and the
output a = 0.7408. `backprop_pass` runs the forward pass and `loss.backward()` once and lists every
value on the way: the forward values, then the gradients flowing back (each one read from autograd,
not from a hand-written derivative), then the plain SGD update w ← w − η·∂L/∂w made by
`torch.optim.SGD`. Each step carries its formula with the numbers filled in, so a student can redo
it on paper. `train_again` starts the next pass from the updated weights, to watch the loss fall.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

from engine.core.config import MAX_LEARNING_RATE, ConfigError
from engine.core.problems import Name

# float64: the numbers are compared to four decimals and to finite differences, and a
# neuron this small costs nothing either way.
DTYPE = torch.float64
# Inputs and weights stay within ±100: a wider range would only drive σ into its flat
# ends, where every gradient rounds to zero and there is nothing left to see.
MAX_ABS_VALUE = 100.0
# η = 0.5 (the classic hand-worked examples use it too): large enough that one update visibly
# lowers the loss, and not 1, so that the student sees η scale the step.
DEFAULT_LEARNING_RATE = 0.5
DECIMALS = 4  # the course shows its numbers to four decimals (a = 0.7408)
MAX_PASSES = 100  # enough to watch the loss fall; a page recomputes them all on each rerun

Phase = Literal["forward", "backward", "update"]


def _check(ok: bool, code: str, **params: object) -> None:
    """Raise ConfigError(code, **params) unless `ok`; a `name` is one of the example's own names."""
    if not ok:
        if "name" in params:
            params["name"] = Name(params["name"])
        raise ConfigError(code, **params)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class WorkedExample:
    """One neuron's inputs, weights, target and learning rate; the defaults are the course's."""

    x1: float = 1.0
    x2: float = 0.5
    w1: float = 0.9
    w2: float = 0.3
    target: float = 1.0
    learning_rate: float = DEFAULT_LEARNING_RATE

    def __post_init__(self) -> None:
        for name in ("x1", "x2", "w1", "w2"):
            value = getattr(self, name)
            _check(_is_number(value) and abs(value) <= MAX_ABS_VALUE,
                   "number_between", name=name, low=-MAX_ABS_VALUE, high=MAX_ABS_VALUE, value=value)
        # σ only reaches values between 0 and 1, so a target outside them can never be met.
        _check(_is_number(self.target) and 0 <= self.target <= 1, "target_range", value=self.target)
        _check(_is_number(self.learning_rate) and 0 < self.learning_rate <= MAX_LEARNING_RATE,
               "above_zero_at_most", name="learning_rate", high=MAX_LEARNING_RATE, value=self.learning_rate)

    def replace(self, **changes: float) -> WorkedExample:
        """A copy with some values changed (validated again)."""
        return dataclasses.replace(self, **changes)


COURSE_EXAMPLE = WorkedExample()


@dataclass(frozen=True)
class Step:
    """One operation of the pass: `formula` in symbols, `substituted` with this pass's numbers.

    `id` names the quantity the step computes (`z`, `dL_dw1`, `w1_new`, ...) and is stable, so a
    page can hang its own label and arrow on it; `symbol` is how the maths writes it.
    """

    id: str
    phase: Phase
    symbol: str
    formula: str
    substituted: str
    value: float


@dataclass(frozen=True)
class BackpropPass:
    """One forward and backward pass: the `steps` in order, the loss before and after the update,
    and the `updated` example (same inputs, target and η, new weights)."""

    example: WorkedExample
    steps: list[Step]
    loss: float
    loss_after: float
    updated: WorkedExample

    def value(self, step_id: str) -> float:
        """The value of the step called `step_id` (KeyError if there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step.value
        raise KeyError(step_id)


STEP_IDS = ("z", "a", "loss", "dL_da", "da_dz", "dL_dz", "dL_dw1", "dL_dw2", "w1_new", "w2_new")


def number(value: float) -> str:
    """`value` to four decimals without trailing zeros, keeping one: 1.0, 1.05, 0.7408, −0.0498."""
    text = f"{value:.{DECIMALS}f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return "0.0" if text == "-0.0" else text.replace("-", "−")  # the typeset minus, as in the formulas


def _bracketed(value: float) -> str:
    """A negative number in brackets, so that `0.9 − 0.5 · (−0.0498)` reads right."""
    return f"({number(value)})" if value < 0 else number(value)


def _forward(example: WorkedExample, w1: torch.Tensor, w2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x1, x2, target = (torch.tensor(v, dtype=DTYPE) for v in (example.x1, example.x2, example.target))
    z = w1 * x1 + w2 * x2
    a = torch.sigmoid(z)
    loss = 0.5 * F.mse_loss(a, target)  # mse_loss of one value is (a − t)², so this is ½(t − a)²
    return z, a, loss


def backprop_pass(example: WorkedExample = COURSE_EXAMPLE) -> BackpropPass:
    """Run the forward pass, `loss.backward()` and one SGD step; return every value in order.

    The gradients are autograd's: `retain_grad` keeps ∂L/∂z and ∂L/∂a on the intermediate
    tensors, and the local derivative ∂a/∂z is asked of autograd separately (it equals
    (∂L/∂z) / (∂L/∂a), which the tests check).
    """
    w1 = torch.tensor(example.w1, dtype=DTYPE, requires_grad=True)
    w2 = torch.tensor(example.w2, dtype=DTYPE, requires_grad=True)
    z, a, loss = _forward(example, w1, w2)
    # Ask for the local derivative before retain_grad: a retained .grad also collects what
    # autograd.grad sends through it (here the seed 1), which would spoil ∂L/∂a.
    (local,) = torch.autograd.grad(a, z, retain_graph=True)
    z.retain_grad()
    a.retain_grad()
    loss.backward()
    optimizer = torch.optim.SGD([w1, w2], lr=example.learning_rate)
    optimizer.step()
    updated = example.replace(w1=w1.item(), w2=w2.item())
    with torch.no_grad():
        loss_after = _forward(updated, w1, w2)[2].item()

    e, eta = example, example.learning_rate
    za, aa, la = z.item(), a.item(), loss.item()
    dL_da, da_dz, dL_dz = a.grad.item(), local.item(), z.grad.item()
    g1, g2 = w1.grad.item(), w2.grad.item()
    steps = [
        Step("z", "forward", "z", "z = w₁·x₁ + w₂·x₂",
             f"{number(e.w1)} · {_bracketed(e.x1)} + {_bracketed(e.w2)} · {_bracketed(e.x2)}", za),
        Step("a", "forward", "a", "a = σ(z) = 1 / (1 + e⁻ᶻ)", f"1 / (1 + e^({number(-za)}))", aa),
        Step("loss", "forward", "L", "L = ½(t − a)²", f"½ · ({number(e.target)} − {number(aa)})²", la),
        Step("dL_da", "backward", "∂L/∂a", "∂L/∂a = a − t", f"{number(aa)} − {number(e.target)}", dL_da),
        Step("da_dz", "backward", "∂a/∂z", "∂a/∂z = a(1 − a)", f"{number(aa)} · (1 − {number(aa)})", da_dz),
        Step("dL_dz", "backward", "∂L/∂z", "∂L/∂z = ∂L/∂a · ∂a/∂z", f"{_bracketed(dL_da)} · {_bracketed(da_dz)}", dL_dz),
        Step("dL_dw1", "backward", "∂L/∂w₁", "∂L/∂w₁ = ∂L/∂z · x₁", f"{_bracketed(dL_dz)} · {_bracketed(e.x1)}", g1),
        Step("dL_dw2", "backward", "∂L/∂w₂", "∂L/∂w₂ = ∂L/∂z · x₂", f"{_bracketed(dL_dz)} · {_bracketed(e.x2)}", g2),
        Step("w1_new", "update", "w₁", "w₁ ← w₁ − η·∂L/∂w₁", f"{number(e.w1)} − {number(eta)} · {_bracketed(g1)}",
             updated.w1),
        Step("w2_new", "update", "w₂", "w₂ ← w₂ − η·∂L/∂w₂", f"{number(e.w2)} − {number(eta)} · {_bracketed(g2)}",
             updated.w2),
    ]
    return BackpropPass(example=example, steps=steps, loss=la, loss_after=loss_after, updated=updated)


def train_again(previous: BackpropPass) -> BackpropPass:
    """The next pass, from the weights the previous pass's update left."""
    return backprop_pass(previous.updated)


def passes(example: WorkedExample, count: int) -> list[BackpropPass]:
    """`count` passes in a row from `example`: the first, then each from the last one's weights."""
    _check(isinstance(count, int) and 1 <= count <= MAX_PASSES, "whole_range", name="count", low=1, high=MAX_PASSES,
           value=count)
    history = [backprop_pass(example)]
    while len(history) < count:
        history.append(train_again(history[-1]))
    return history
