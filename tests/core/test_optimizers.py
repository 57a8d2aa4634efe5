import pytest
import torch

from engine import RunConfig, Trainer
from engine.core.loop import train
from engine.core.optimizers import OPTIMIZERS, make_optimizer


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
