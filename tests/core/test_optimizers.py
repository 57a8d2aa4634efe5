import pytest
import torch

from engine import RunConfig, Trainer
from engine.core.cohort import Cohort
from engine.core.loop import train
from engine.core.optimizers import ONE_CYCLE_END, ONE_CYCLE_START, ONE_CYCLE_WARMUP, OPTIMIZERS, make_optimizer, one_cycle
from engine.experiments.seeds import SeedsTrainer


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_lowers_the_loss_with_its_default_learning_rate(name):
    trainer = Trainer(RunConfig(dataset="moons", hidden_sizes=(8, 8), optimizer=name))
    before = trainer.evaluate().train_loss
    train(trainer, 300)
    assert not trainer.diverged
    assert trainer.evaluate().train_loss < 0.8 * before


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizers_come_from_torch_optim(name):
    optimizer = make_optimizer(name, [torch.nn.Parameter(torch.zeros(2))], 0.1)
    assert type(optimizer).__module__.startswith("torch.optim")


def test_nesterov_and_momentum_are_sgd_with_momentum():
    params = [torch.nn.Parameter(torch.zeros(2))]
    assert make_optimizer("momentum", params, 0.1).defaults["momentum"] == 0.9
    assert make_optimizer("nesterov", params, 0.1).defaults["nesterov"] is True


def test_weight_decay_keeps_weights_smaller():
    def weight_norm(decay):
        trainer = Trainer(RunConfig(dataset="spirals", hidden_sizes=(16, 16), weight_decay=decay))
        train(trainer, 400)
        return sum(layer.weight.norm().item() for layer in trainer.model.linears)

    assert weight_norm(0.01) < 0.8 * weight_norm(0.0)


def test_one_cycle_rises_to_the_peak_then_falls_far_below_its_start():
    assert one_cycle(0) == pytest.approx(ONE_CYCLE_START)
    assert one_cycle(ONE_CYCLE_WARMUP) == pytest.approx(1)
    rates = [one_cycle(p / 100) for p in range(101)]
    peak = rates.index(max(rates))
    assert all(a < b for a, b in zip(rates[:peak], rates[1:peak + 1]))
    assert all(a > b for a, b in zip(rates[peak:], rates[peak + 1:]))
    assert one_cycle(1) == pytest.approx(ONE_CYCLE_END) and one_cycle(7) == one_cycle(1)  # stays low after the cycle


def test_a_one_cycle_run_steps_at_the_scheduled_rate_and_a_constant_one_at_its_own():
    trainer = Trainer(RunConfig(dataset="moons", hidden_sizes=(8,), learning_rate=0.05, one_cycle=2, batch_size=10))
    rates = []
    for _ in range(2 * trainer.steps_per_epoch + 3):
        expected = trainer.learning_rate
        trainer.train_step()
        rates.append(trainer.optimizer.param_groups[0]["lr"])
        assert rates[-1] == pytest.approx(expected)
    assert rates[0] == pytest.approx(0.05 * ONE_CYCLE_START) and max(rates) == pytest.approx(0.05, rel=1e-2)
    assert rates[-1] == pytest.approx(0.05 * ONE_CYCLE_END)
    constant = Trainer(RunConfig(dataset="moons", hidden_sizes=(8,), learning_rate=0.05))
    train(constant, 5)
    assert constant.learning_rate == constant.optimizer.param_groups[0]["lr"] == 0.05


def test_one_cycle_runs_take_their_schedule_as_many_seeds_and_in_a_class():
    config = RunConfig(dataset="moons", hidden_sizes=(8,), learning_rate=0.05, one_cycle=1)
    seeds, alone, in_class, other = SeedsTrainer(config, 3), Trainer(config), Trainer(config), Trainer(config.replace(seed=4))
    with Cohort([in_class, other]) as cohort:
        for _ in range(7):
            seeds.train_step()
            alone.train_step()
            cohort.train_step()
    assert seeds.optimizer.param_groups[0]["lr"] == pytest.approx(alone.optimizer.param_groups[0]["lr"])
    for name, value in alone.model.state_dict().items():  # the same steps as alone, rates included
        torch.testing.assert_close(in_class.model.state_dict()[name], value, rtol=1e-5, atol=1e-6)
