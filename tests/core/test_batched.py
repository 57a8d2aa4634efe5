"""K students' models trained as one batched model step exactly as each would alone with its own optimizer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch
from torch import Tensor, nn

from engine.core.batched import StackedState, gather, scatter, update
from engine.core.models import build_mlp
from engine.core.optimizers import OPTIMIZERS, make_optimizer

# Each model's learning rate (times its optimizer's default) and L2 weight decay, and the steps it
# trained alone before joining the batch: one fresh, one a little way in, one further.
LR_FACTORS = (1.0, 0.5, 0.25)
DECAYS = (0.0, 1e-3, 1e-2)
STEPS_ALONE = (0, 3, 7)
BATCHED_STEPS, STEPS_AFTER = 20, 5
# Batched and alone round differently, as torch's own fused and single-tensor kernels do. One step from
# one state agrees to the last digits; over many steps a network can amplify rounding errors (here about
# 1e-6 after 25 steps, the same as between torch's two Adagrad kernels; at 1.5 times Adagrad's default
# learning rate both grow past 1e-5), so the longer runs are held to 1e-4.
TOLERANCE = {"rtol": 1e-4, "atol": 1e-6}
ONE_STEP_TOLERANCE = {"rtol": 1e-6, "atol": 1e-9}


@dataclass
class Member:
    """A student's model, its own torch optimizer and its own data."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    x: Tensor
    y: Tensor

    @property
    def params(self) -> list[nn.Parameter]:
        return list(self.model.parameters())

    def loss(self) -> Tensor:
        return nn.functional.mse_loss(self.model(self.x), self.y)

    def train_step(self) -> None:
        self.optimizer.zero_grad()
        self.loss().backward()
        self.optimizer.step()


def make_members(name: str, decays: tuple[float, ...] = DECAYS, options: dict | None = None) -> list[Member]:
    """Three members with optimizer `name` (the course's settings, or `options`), each trained its own
    number of steps alone; the same every call."""
    spec = OPTIMIZERS[name]
    members = []
    for k, (factor, decay, steps) in enumerate(zip(LR_FACTORS, decays, STEPS_ALONE)):
        model = build_mlp(2, (5, 4), 1, "tanh", "auto", seed=k)
        optimizer = spec.make(model.parameters(), lr=spec.default_lr * factor, weight_decay=decay,
                              **(spec.options if options is None else options))
        data = torch.Generator().manual_seed(100 + k)
        member = Member(model, optimizer, torch.randn(16, 2, generator=data), torch.randn(16, 1, generator=data))
        for _ in range(steps):
            member.train_step()
        members.append(member)
    return members


def train_both(name: str, steps: int, **settings) -> tuple[list[Tensor], StackedState, list[Member], list[Member]]:
    """`steps` steps of twin members: one set stacked and trained batched, the other alone.
    Returns the stacked weights, their state, the batched members (as they were) and the alone ones."""
    batched, alone = make_members(name, **settings), make_members(name, **settings)
    stacked = stack(batched)
    state = gather(name, [m.optimizer for m in batched], [m.params for m in batched])
    for _ in range(steps):
        update(name, stacked, own_grads(stacked, batched), state, learning_rates(batched), weight_decays(batched))
        for member in alone:
            member.train_step()
    return stacked, state, batched, alone


def stack(members: list[Member]) -> list[Tensor]:
    """Each parameter of the members stacked: weights (K, out, in), biases (K, 1, out)."""
    slots = zip(*(m.params for m in members))
    return [torch.stack([p.detach() for p in slot]).view(len(members), 1, -1) if slot[0].dim() == 1
            else torch.stack([p.detach() for p in slot]) for slot in slots]


def own_grads(stacked: list[Tensor], members: list[Member]) -> list[Tensor]:
    """The gradients of the stacked weights, row k model k's own on its own data: each member's model
    takes its row of the stacked weights and computes its gradient as it does alone."""
    copy_back(stacked, members)
    for member in members:
        member.model.zero_grad()
        member.loss().backward()
    return [torch.stack([p.grad for p in slot]).view(w.shape) for w, slot in zip(stacked, zip(*(m.params for m in members)))]


def learning_rates(members: list[Member]) -> Tensor:
    return torch.tensor([m.optimizer.param_groups[0]["lr"] for m in members], dtype=torch.float64)


def weight_decays(members: list[Member]) -> Tensor:
    return torch.tensor([m.optimizer.param_groups[0]["weight_decay"] for m in members])


def assert_same_weights(stacked: list[Tensor], members: list[Member], **tolerance: float) -> None:
    for k, member in enumerate(members):
        for w, p in zip(stacked, member.params):
            torch.testing.assert_close(w[k].view(p.shape), p.detach(), **(tolerance or TOLERANCE))


def copy_back(stacked: list[Tensor], members: list[Member]) -> None:
    with torch.no_grad():
        for k, member in enumerate(members):
            for w, p in zip(stacked, member.params):
                p.copy_(w[k].view(p.shape))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_model_trained_in_the_batch_ends_where_its_own_optimizer_would_take_it(name):
    stacked, state, batched, alone = train_both(name, BATCHED_STEPS)
    assert_same_weights(stacked, alone)

    # Out of the batch, each model goes on alone from the scattered state as if it had never left.
    copy_back(stacked, batched)
    scatter(state, [m.optimizer for m in batched], [m.params for m in batched])
    for b, a in zip(batched, alone):
        for p, q in zip(b.params, a.params):
            mine, torchs = b.optimizer.state[p], a.optimizer.state[q]
            assert mine.keys() == torchs.keys()
            assert all(mine[key].dtype == torchs[key].dtype for key in mine)
    for _ in range(STEPS_AFTER):
        for member in batched + alone:
            member.train_step()
    assert_same_weights(stack(batched), alone)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_model_can_leave_the_batch_and_join_it_again(name):
    stacked, state, batched, alone = train_both(name, 5)
    copy_back(stacked, batched)
    scatter(state, [m.optimizer for m in batched], [m.params for m in batched])
    for _ in range(3):
        for member in batched + alone:
            member.train_step()
    stacked = stack(batched)
    state = gather(name, [m.optimizer for m in batched], [m.params for m in batched])
    for _ in range(5):
        update(name, stacked, own_grads(stacked, batched), state, learning_rates(batched), weight_decays(batched))
        for member in alone:
            member.train_step()
    assert_same_weights(stacked, alone)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_one_step_from_the_same_state_agrees_to_float_rounding(name):
    stacked, _, _, alone = train_both(name, 1)
    assert_same_weights(stacked, alone, **ONE_STEP_TOLERANCE)


# Every hyperparameter away from torch's default (and the other kernel, fused or foreach), so that a
# value assumed instead of read would show.
OTHER_SETTINGS = {
    "momentum": {"momentum": 0.5, "foreach": True},
    "nesterov": {"momentum": 0.7, "nesterov": True, "foreach": False},
    "adagrad": {"lr_decay": 0.05, "initial_accumulator_value": 0.3, "eps": 1e-6, "foreach": True},
    "rmsprop": {"alpha": 0.9, "eps": 1e-6, "momentum": 0.5, "foreach": False},
    "adadelta": {"rho": 0.8, "eps": 1e-5, "foreach": False},
    "adam": {"betas": (0.8, 0.99), "eps": 1e-6, "foreach": True},
    "nadam": {"betas": (0.85, 0.98), "eps": 1e-6, "momentum_decay": 0.01, "foreach": False},
}


@pytest.mark.parametrize("name", OTHER_SETTINGS)
def test_hyperparameters_are_read_from_the_members_optimizers(name):
    stacked, _, _, alone = train_both(name, 1, options=OTHER_SETTINGS[name])
    assert_same_weights(stacked, alone, **ONE_STEP_TOLERANCE)
    stacked, _, _, alone = train_both(name, BATCHED_STEPS, options=OTHER_SETTINGS[name])
    assert_same_weights(stacked, alone)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_learning_rate_or_weight_decay_changed_midway_takes_effect_at_that_step(name):
    decays = (0.0, 0.0, 0.0)  # none at first: the batch skips the L2 term until one model takes it up
    batched, alone = make_members(name, decays), make_members(name, decays)
    stacked = stack(batched)
    state = gather(name, [m.optimizer for m in batched], [m.params for m in batched])
    lr, decay = learning_rates(batched), weight_decays(batched)
    for step in range(BATCHED_STEPS):
        if step == BATCHED_STEPS // 2:
            lr[1] *= 0.3
            alone[1].optimizer.param_groups[0]["lr"] *= 0.3
            decay[2] = 0.05
            alone[2].optimizer.param_groups[0]["weight_decay"] = 0.05
        update(name, stacked, own_grads(stacked, batched), state, lr, decay)
        for member in alone:
            member.train_step()
    assert_same_weights(stacked, alone)


def test_a_stacked_model_trained_with_its_own_forward_pass_trains_each_model_as_alone():
    batched, alone = make_members("adam"), make_members("adam")
    weights = [nn.Parameter(w) for w in stack(batched)]
    state = gather("adam", [m.optimizer for m in batched], [m.params for m in batched])
    x, y = torch.stack([m.x for m in batched]), torch.stack([m.y for m in batched])
    for _ in range(BATCHED_STEPS):
        h = x  # the forward pass of engine.experiments.seeds: batched matrix products, (K, n, features)
        for i in range(0, len(weights), 2):
            h = torch.baddbmm(weights[i + 1], h, weights[i].transpose(1, 2))
            h = torch.tanh(h) if i + 2 < len(weights) else h
        for w in weights:
            w.grad = None
        ((h - y) ** 2).mean(dim=(1, 2)).sum().backward()  # each model's weights get its own loss's gradient
        update("adam", weights, [w.grad for w in weights], state, learning_rates(batched), weight_decays(batched))
        for member in alone:
            member.train_step()
    # Batched matrix products round differently from one model's, hence the wider tolerance.
    assert_same_weights([w.detach() for w in weights], alone, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_fresh_optimizers_gather_as_torch_starts_and_scatter_back_untouched(name):
    members = [Member(model, make_optimizer(name, model.parameters(), 0.1), torch.zeros(1, 2), torch.zeros(1, 1))
               for model in (build_mlp(2, (3,), 1, "tanh", "auto", seed=k) for k in range(2))]
    state = gather(name, [m.optimizer for m in members], [m.params for m in members])
    assert state.step.tolist() == [0.0, 0.0]
    start = 0.0 if name != "adagrad" else members[0].optimizer.param_groups[0]["initial_accumulator_value"]
    assert all(bool((buffer == start).all()) for buffer in state.buffers.values())
    if name == "nadam":
        assert state.mu_product.tolist() == [1.0, 1.0]
    before = [{key: value.clone() for key, value in m.optimizer.state.get(p, {}).items()} for m in members for p in m.params]
    scatter(state, [m.optimizer for m in members], [m.params for m in members])
    after = [dict(m.optimizer.state.get(p, {})) for m in members for p in m.params]
    assert [s.keys() for s in after] == [s.keys() for s in before]  # empty stays empty (Adagrad starts with state)
    for b, a in zip(before, after):
        for key in b:
            assert torch.equal(a[key], b[key])


@pytest.mark.parametrize("make", [
    lambda ps: torch.optim.Adam(ps, amsgrad=True),
    lambda ps: torch.optim.AdamW(ps),
    lambda ps: torch.optim.RMSprop(ps, centered=True),
    lambda ps: torch.optim.SGD(ps, lr=0.1, maximize=True),
    lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1),
    lambda ps: torch.optim.NAdam(ps, decoupled_weight_decay=True),
], ids=["amsgrad", "adamw", "centered-rmsprop", "maximize", "dampening", "decoupled-nadam"])
def test_settings_not_implemented_are_refused(make):
    model = build_mlp(2, (3,), 1, "tanh", "auto")
    optimizer = make(model.parameters())
    name = {torch.optim.SGD: "sgd", torch.optim.RMSprop: "rmsprop", torch.optim.NAdam: "nadam"}.get(type(optimizer), "adam")
    with pytest.raises(ValueError):
        gather(name, [optimizer], [list(model.parameters())])


def test_members_must_share_their_optimizer_and_its_settings():
    models = [build_mlp(2, (3,), 1, "tanh", "auto", seed=k) for k in range(2)]
    params = [list(m.parameters()) for m in models]
    with pytest.raises(ValueError, match="differ"):
        gather("adam", [torch.optim.Adam(params[0]), torch.optim.Adam(params[1], betas=(0.8, 0.999))], params)
    with pytest.raises(ValueError):
        gather("adam", [torch.optim.Adam(params[0]), torch.optim.NAdam(params[1])], params)
    with pytest.raises(ValueError, match="unknown"):
        gather("lion", [torch.optim.Adam(params[0])], params[:1])
