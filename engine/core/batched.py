"""One optimizer step for K models at once, each with its own learning rate, weight decay and step count.

Many students' MLPs of one shape train as one batched model: each layer's weights of the K models stacked
into one tensor (K, out, in), biases (K, 1, out), as in engine.experiments.seeds. But each student keeps a
`torch.optim` optimizer of their own (engine.core.optimizers), joins at their own step (Adam's bias
correction counts steps) and changes the learning rate or weight decay live. One `torch.optim` optimizer on
the stacked tensors cannot say that, so this module does the same maths per model, for all K in a handful of
tensor operations, and converts the optimizer state between each member's optimizer and the stacked form:

    params = [list(model.parameters()) for model in models]        # the same order for every member
    state = gather("adam", optimizers, params)                     # each member's state, stacked
    for _ in range(n):
        ...stacked forward, loss, backward...
        update("adam", stacked, [w.grad for w in stacked], state, lr, weight_decay)   # lr, weight_decay: (K,)
    scatter(state, optimizers, params)                             # back into each member's optimizer
    # (copy the stacked weights back into each member's model too)

A model trained k steps in the batch is where k steps alone with its own optimizer would have taken it (up
to float rounding), and can join or leave at any step. This re-implements torch.optim's maths, which the
course otherwise never does: the formulas are torch 2.13's (torch/optim/*.py), the hyperparameters
(momentum, betas, eps, ...) are read from the members' optimizers, settings not implemented here (amsgrad,
centered RMSprop, maximize, ...) raise ValueError, and tests/core/test_batched.py holds every optimizer to
torch's own numbers.

How: each kind of state of the K models (Adam's exp_avg, ...) is one flat (K, P) tensor, P the number of
weights of one model, one row per model (`StackedState.slots` views it per parameter). A step copies the
stacked gradients into one such tensor, does the optimizer's maths on it with the per-model numbers
(learning rate, bias corrections) as (K, 1) columns, and adds the resulting change to the stacked weights:
about ten tensor operations whatever the number of layers. The per-model numbers are worked out in NumPy,
in float64 as torch's Python floats are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from engine.core.optimizers import OPTIMIZERS


@dataclass
class StackedState:
    """The optimizer state of K models stacked, one row per model.

    `buffers` holds each state tensor torch keeps per parameter (its key, e.g. "exp_avg") for all
    parameters of all K models as one (K, P) tensor; `slots[i][key]` is parameter i's part of it, a
    view of shape (K, *shapes[i]). `step` counts each model's steps as torch does (SGD, which keeps
    no count, counts the batched steps since `gather`); NAdam also keeps `mu_product` per model.
    """

    name: str  # the course's optimizer name (engine.core.optimizers.OPTIMIZERS)
    options: dict[str, Any]  # the hyperparameters, read from the members' optimizers
    shapes: list[torch.Size]  # one model's parameter shapes, in slot order
    buffers: dict[str, Tensor]  # state key -> (K, P)
    step: Tensor  # (K,) float64
    mu_product: Tensor | None = None  # (K,) in torch's dtype for it (float32), NAdam only
    slots: list[dict[str, Tensor]] = field(init=False)  # per parameter: state key -> (K, *shape), views of `buffers`
    _work: _Workspace | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sizes = [math.prod(shape) for shape in self.shapes]
        self.slots = [{} for _ in self.shapes]
        for key, flat in self.buffers.items():
            for slot, part, shape in zip(self.slots, flat.split(sizes, dim=1), self.shapes):
                slot[key] = part.view(len(flat), *shape)

    def _workspace(self, params: Sequence[Tensor]) -> _Workspace:
        """The scratch tensors of `update` for stacked weights shaped like `params` (made once)."""
        if self._work is None or self._work.shapes != tuple(p.shape for p in params):
            self._work = _Workspace(params, [math.prod(shape) for shape in self.shapes], self.options)
        return self._work


# Per-model numbers one step needs at most (NAdam: two step sizes and a bias correction), plus weight decay.
_COLUMNS = 4
_DECAY = _COLUMNS - 1


class _Workspace:
    """Scratch tensors for `update`: flat (K, P) copies of the gradients and weights and the change to the
    weights, each with views shaped like the caller's stacked tensors (so a step moves them in and out with
    one call each), the per-model numbers as (K, 1) columns, and the hyperparameters as 0-dim tensors
    (`t.mul_(0.9)` wraps 0.9 into a new tensor each time: measured twice the cost of `t.mul_(tensor)`)."""

    def __init__(self, params: Sequence[Tensor], sizes: list[int], options: dict[str, Any]) -> None:
        self.shapes = tuple(p.shape for p in params)
        n_models, dtype = len(params[0]), params[0].dtype
        if any(p.shape[0] != n_models or p[0].numel() != size for p, size in zip(params, sizes, strict=True)):
            raise ValueError(f"stacked weights {[tuple(s) for s in self.shapes]} do not match the gathered models")
        self.grad, self.param, self.delta, self.tmp = (torch.empty(n_models, sum(sizes), dtype=dtype) for _ in range(4))
        self.grad_views, self.param_views, self.delta_views = (
            [part.view(shape) for part, shape in zip(flat.split(sizes, dim=1), self.shapes)]
            for flat in (self.grad, self.param, self.delta))
        self.scalar = {name: torch.tensor(value, dtype=dtype) for name, value in options.items() if isinstance(value, float)}
        columns = torch.empty(_COLUMNS, n_models, 1, dtype=dtype)
        self._rows = columns.numpy()[:, :, 0]  # NumPy views that write into `columns`
        self._columns = columns.unbind(0)

    def columns(self, *values: np.ndarray, first: int = 0) -> tuple[Tensor, ...]:
        """Per-model numbers (arrays of shape (K,)) as (K, 1) columns in the weights' dtype."""
        for row, value in zip(self._rows[first:], values):
            row[:] = value
        return self._columns[first : first + len(values)]


def _sgd(state: StackedState, work: _Workspace, lr: np.ndarray) -> None:
    # torch starts the momentum buffer as a copy of the first gradient: the same as 0 * momentum + gradient.
    grad, momentum = work.grad, state.options["momentum"]
    (minus_lr,) = work.columns(-lr)
    if momentum != 0:
        buffer = state.buffers["momentum_buffer"]
        buffer.mul_(work.scalar["momentum"]).add_(grad)
        if state.options["nesterov"]:
            grad.add_(buffer, alpha=momentum)
        else:
            grad = buffer
    torch.mul(grad, minus_lr, out=work.delta)


def _adagrad(state: StackedState, work: _Workspace, lr: np.ndarray) -> None:
    grad, total = work.grad, state.buffers["sum"]
    (minus_clr,) = work.columns(-lr / (1 + (state.step.numpy() - 1) * state.options["lr_decay"]))
    total.addcmul_(grad, grad)
    std = torch.sqrt(total, out=work.tmp).add_(work.scalar["eps"])
    torch.mul(grad, minus_clr, out=work.delta).div_(std)


def _rmsprop(state: StackedState, work: _Workspace, lr: np.ndarray) -> None:
    grad, square_avg, alpha = work.grad, state.buffers["square_avg"], state.options["alpha"]
    (minus_lr,) = work.columns(-lr)
    square_avg.mul_(work.scalar["alpha"]).addcmul_(grad, grad, value=1 - alpha)
    avg = torch.sqrt(square_avg, out=work.tmp).add_(work.scalar["eps"])
    if state.options["momentum"] > 0:
        buffer = state.buffers["momentum_buffer"]
        buffer.mul_(work.scalar["momentum"]).addcdiv_(grad, avg)
        torch.mul(buffer, minus_lr, out=work.delta)
    else:
        torch.mul(grad, minus_lr, out=work.delta).div_(avg)


def _adadelta(state: StackedState, work: _Workspace, lr: np.ndarray) -> None:
    grad, square_avg, acc_delta = work.grad, state.buffers["square_avg"], state.buffers["acc_delta"]
    rho, eps = state.options["rho"], work.scalar["eps"]
    (minus_lr,) = work.columns(-lr)
    square_avg.mul_(work.scalar["rho"]).addcmul_(grad, grad, value=1 - rho)
    std = torch.add(square_avg, eps, out=work.tmp).sqrt_()
    delta = torch.add(acc_delta, eps, out=work.delta).sqrt_().div_(std).mul_(grad)
    acc_delta.mul_(work.scalar["rho"]).addcmul_(delta, delta, value=1 - rho)
    delta.mul_(minus_lr)  # Adadelta's learning rate only scales the step


def _adam(state: StackedState, work: _Workspace, lr: np.ndarray) -> None:
    grad, exp_avg, exp_avg_sq = work.grad, state.buffers["exp_avg"], state.buffers["exp_avg_sq"]
    beta1, beta2, step = state.options["beta1"], state.options["beta2"], state.step.numpy()
    minus_step_size, bias_correction2_sqrt = work.columns(-lr / (1 - beta1**step), np.sqrt(1 - beta2**step))
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(work.scalar["beta2"]).addcmul_(grad, grad, value=1 - beta2)
    denom = torch.sqrt(exp_avg_sq, out=work.tmp).div_(bias_correction2_sqrt).add_(work.scalar["eps"])
    torch.mul(exp_avg, minus_step_size, out=work.delta).div_(denom)


def _nadam(state: StackedState, work: _Workspace, lr: np.ndarray) -> None:
    grad, exp_avg, exp_avg_sq = work.grad, state.buffers["exp_avg"], state.buffers["exp_avg_sq"]
    beta1, beta2, step = state.options["beta1"], state.options["beta2"], state.step.numpy()
    # The momentum coefficients mu_t and mu_{t+1}, and their running product, kept in torch's dtype for it.
    mu = beta1 * (1 - 0.5 * 0.96 ** (step * state.options["momentum_decay"]))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * state.options["momentum_decay"]))
    product = state.mu_product.numpy()
    product *= mu.astype(product.dtype)
    product = product.astype(np.float64)
    grad_size, avg_size, bias_correction2_sqrt = work.columns(
        -lr * (1 - mu) / (1 - product), -lr * mu_next / (1 - product * mu_next), np.sqrt(1 - beta2**step))
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(work.scalar["beta2"]).addcmul_(grad, grad, value=1 - beta2)
    denom = torch.sqrt(exp_avg_sq, out=work.tmp).div_(bias_correction2_sqrt).add_(work.scalar["eps"])
    torch.mul(grad, grad_size, out=work.delta).addcmul_(exp_avg, avg_size).div_(denom)


@dataclass(frozen=True)
class _Rule:
    """One `torch.optim` class's maths as done here: the hyperparameters it reads from a param group,
    the settings it needs at one value (torch's other choices are not implemented here), its state
    tensors with their value before the first step, and whether torch keeps a step count."""

    options: Callable[[dict[str, Any]], dict[str, Any]]
    required: dict[str, Any]
    buffers: Callable[[dict[str, Any]], dict[str, float]]
    step: Callable[[StackedState, _Workspace, np.ndarray], None]
    counts_steps: bool = True


_PLAIN = {"maximize": False, "differentiable": False}
_NO_CAPTURE = {**_PLAIN, "capturable": False}
_RULES: dict[type[torch.optim.Optimizer], _Rule] = {
    torch.optim.SGD: _Rule(
        lambda g: {"momentum": float(g["momentum"]), "nesterov": bool(g["nesterov"])},
        {**_PLAIN, "dampening": 0},
        lambda o: {"momentum_buffer": 0.0} if o["momentum"] != 0 else {},
        _sgd, counts_steps=False),
    torch.optim.Adagrad: _Rule(
        lambda g: {"lr_decay": float(g["lr_decay"]), "eps": float(g["eps"]),
                   "initial_accumulator_value": float(g["initial_accumulator_value"])},
        _PLAIN, lambda o: {"sum": o["initial_accumulator_value"]}, _adagrad),
    torch.optim.RMSprop: _Rule(
        lambda g: {"alpha": float(g["alpha"]), "eps": float(g["eps"]), "momentum": float(g["momentum"])},
        {**_NO_CAPTURE, "centered": False},
        lambda o: {"square_avg": 0.0} | ({"momentum_buffer": 0.0} if o["momentum"] > 0 else {}), _rmsprop),
    torch.optim.Adadelta: _Rule(
        lambda g: {"rho": float(g["rho"]), "eps": float(g["eps"])},
        _NO_CAPTURE, lambda o: {"square_avg": 0.0, "acc_delta": 0.0}, _adadelta),
    torch.optim.Adam: _Rule(
        lambda g: {"beta1": float(g["betas"][0]), "beta2": float(g["betas"][1]), "eps": float(g["eps"])},
        {**_NO_CAPTURE, "amsgrad": False, "decoupled_weight_decay": False},
        lambda o: {"exp_avg": 0.0, "exp_avg_sq": 0.0}, _adam),
    torch.optim.NAdam: _Rule(
        lambda g: {"beta1": float(g["betas"][0]), "beta2": float(g["betas"][1]), "eps": float(g["eps"]),
                   "momentum_decay": float(g["momentum_decay"])},
        {**_NO_CAPTURE, "decoupled_weight_decay": False},
        lambda o: {"exp_avg": 0.0, "exp_avg_sq": 0.0}, _nadam),
}


def _rule_and_options(name: str, optimizers: Sequence[torch.optim.Optimizer]) -> tuple[_Rule, dict[str, Any]]:
    """The rule for optimizer `name` and the members' shared hyperparameters; ValueError for anything else."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; one of {', '.join(OPTIMIZERS)}")
    if not optimizers:
        raise ValueError("no optimizers to stack")
    kind = OPTIMIZERS[name].make
    rule, options = _RULES[kind], None
    for optimizer in optimizers:
        if type(optimizer) is not kind:
            raise ValueError(f"{name} is {kind.__name__}, got {type(optimizer).__name__}")
        if len(optimizer.param_groups) != 1:
            raise ValueError(f"each member's optimizer needs one parameter group, got {len(optimizer.param_groups)}")
        group = optimizer.param_groups[0]
        for key, value in rule.required.items():
            if group.get(key, value) != value:
                raise ValueError(f"{kind.__name__} with {key}={group[key]!r} is not supported (only {value!r})")
        own = rule.options(group)
        if options is None:
            options = own
        elif own != options:
            raise ValueError(f"the members' {kind.__name__} settings differ: {options} and {own}")
    return rule, options


def _step_dtype(fused: bool) -> torch.dtype:
    """The dtype torch gives a new `step` (torch.optim.optimizer._get_scalar_dtype)."""
    return torch.float32 if fused or torch.get_default_dtype() != torch.float64 else torch.float64


def _member_scalar(states: list[dict[str, Tensor]], key: str, start: float) -> float:
    """One model's `step` or `mu_product`: the same in every parameter's state, `start` before its first step."""
    values = {float(state[key]) for state in states if state}
    if len(values) > 1:
        raise ValueError(f"a member's parameters have different {key}s {sorted(values)}: they must step together")
    return values.pop() if values else start


def gather(name: str, optimizers: Sequence[torch.optim.Optimizer], params: Sequence[Sequence[Tensor]]) -> StackedState:
    """Each member's optimizer state, stacked: `params[k]` are member k's parameters, in one order shared by
    all members (e.g. [W1, b1, W2, b2, ...]). A member whose optimizer has not stepped yet starts as torch's
    first step would (zero buffers, Adagrad's initial accumulator, NAdam's mu_product 1, step 0)."""
    rule, options = _rule_and_options(name, optimizers)
    if len(params) != len(optimizers):
        raise ValueError(f"{len(optimizers)} optimizers but {len(params)} parameter lists")
    shapes = [p.shape for p in params[0]]
    if any([p.shape for p in member] != shapes for member in params):
        raise ValueError("the members' parameters differ in shape: stacking needs models of one shape")
    states = [[optimizer.state.get(p, {}) for p in member] for optimizer, member in zip(optimizers, params)]
    if any(any(member) and not all(member) for member in states):
        raise ValueError("a member's optimizer has state for some of its parameters only")
    buffers = {}
    for key, start in rule.buffers(options).items():
        fresh = [torch.full((p.numel(),), start, dtype=p.dtype) for p in params[0]]
        buffers[key] = torch.cat([state[key].reshape(-1) if state else fresh[i]
                                  for member in states for i, state in enumerate(member)]).view(len(states), -1)
    steps = [_member_scalar(member, "step", 0.0) if rule.counts_steps else 0.0 for member in states]
    mu_product = None
    if name == "nadam":
        dtype = next((state["mu_product"].dtype for member in states for state in member if state), _step_dtype(False))
        mu_product = torch.tensor([_member_scalar(member, "mu_product", 1.0) for member in states], dtype=dtype)
    return StackedState(name, options, shapes, buffers, torch.tensor(steps, dtype=torch.float64), mu_product)


def _fresh_state(p: Tensor, keys: dict[str, Any], counts_steps: bool, optimizer: torch.optim.Optimizer,
                 nadam: bool) -> dict[str, Tensor]:
    """A parameter's optimizer state as torch creates it before the first step (the values are copied in next)."""
    state = {}
    if counts_steps:
        state["step"] = torch.zeros((), dtype=_step_dtype(bool(optimizer.param_groups[0].get("fused"))))
    if nadam:
        state["mu_product"] = torch.ones((), dtype=_step_dtype(False))
    return state | {key: torch.zeros_like(p) for key in keys}


def scatter(state: StackedState, optimizers: Sequence[torch.optim.Optimizer], params: Sequence[Sequence[Tensor]]) -> None:
    """Write the stacked state back into each member's optimizer, in torch's own format (its keys, and `step`
    in the dtype torch gives it), copying into the state tensors a member already has: its next step alone is
    the one it would have taken had it trained alone all along. A member that has neither stepped alone nor
    in the batch keeps its empty state."""
    rule, options = _rule_and_options(state.name, optimizers)
    if options != state.options or not len(optimizers) == len(params) == len(state.step):
        raise ValueError("these optimizers are not the ones the state was gathered from")
    if any([p.shape for p in member] != state.shapes for member in params):
        raise ValueError("the members' parameters do not have the gathered shapes")
    rows = [{key: view.unbind(0) for key, view in slot.items()} for slot in state.slots]
    steps, mu_products = state.step.unbind(0), None if state.mu_product is None else state.mu_product.unbind(0)
    targets, sources = [], []
    for k, (optimizer, member, started) in enumerate(zip(optimizers, params, state.step.tolist())):
        for p, slot in zip(member, rows):
            own = optimizer.state.get(p)
            if not own:
                if not started or not (slot or rule.counts_steps):
                    continue  # torch keeps nothing for this parameter yet
                own = optimizer.state[p] = _fresh_state(p, slot, rule.counts_steps, optimizer, mu_products is not None)
            for key, values in slot.items():
                targets.append(own[key])
                sources.append(values[k])
            if rule.counts_steps:
                targets.append(own["step"])
                sources.append(steps[k])
            if mu_products is not None:
                targets.append(own["mu_product"])
                sources.append(mu_products[k])
    if targets:
        torch._foreach_copy_(targets, sources)


def update(name: str, params: Sequence[Tensor], grads: Sequence[Tensor], state: StackedState,
           lr: Tensor, weight_decay: Tensor) -> None:
    """One optimizer step of every model, in place: `params` are the stacked weights (each (K, ...)), `grads`
    their gradients, `lr` and `weight_decay` each model's (CPU tensors of shape (K,); float64 keeps the learning
    rate as exact as torch's Python float). Weight decay is L2, added to the gradient as torch.optim does."""
    if name != state.name:
        raise ValueError(f"the state is {state.name}'s, not {name}'s")
    work = state._workspace(params)
    with torch.no_grad():
        torch._foreach_copy_(work.grad_views, grads)
        decay = weight_decay.numpy()
        if decay.any():  # torch skips the L2 term when it is 0; so does a batch in which no model has one
            torch._foreach_copy_(work.param_views, params)
            work.grad.addcmul_(work.param, work.columns(decay, first=_DECAY)[0])
        step = state.step.numpy()
        step += 1  # in place: the NumPy array shares the tensor's memory
        _RULES[OPTIMIZERS[name].make].step(state, work, lr.numpy())
        torch._foreach_add_(params, work.delta_views)
