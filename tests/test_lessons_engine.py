"""The course's claims, checked on the engine: what the playground must make visible."""

import pytest

from engine import RunConfig, Trainer


def accuracy(dataset: str, hidden: tuple[int, ...], seed: int = 0) -> float:
    trainer = Trainer(RunConfig(dataset=dataset, hidden_sizes=hidden, learning_rate=0.03, seed=seed))
    trainer.train_epochs(100)
    return trainer.evaluate().test_acc


@pytest.mark.parametrize("dataset", ["and", "or"])
def test_perceptron_separates_and_and_or(dataset):
    assert accuracy(dataset, hidden=()) >= 0.97


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_perceptron_cannot_learn_xor(seed):
    assert accuracy("xor", hidden=(), seed=seed) <= 0.65


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_hidden_layer_of_four_solves_xor(seed):
    assert accuracy("xor", hidden=(4,), seed=seed) >= 0.95


def first_to_last_gradient_ratio(activation: str, seed: int) -> float:
    trainer = Trainer(RunConfig(dataset="xor", hidden_sizes=(16,) * 8, activation=activation, init="auto", seed=seed))
    trainer.train(1)
    norms = trainer.grad_norms()
    assert len(norms) == 9
    return norms[0] / norms[-1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_gradients_vanish_with_depth_but_relu_gradients_do_not(seed):
    assert first_to_last_gradient_ratio("sigmoid", seed) < 1e-3
    assert first_to_last_gradient_ratio("relu", seed) > 1e-2


def test_zero_init_keeps_every_hidden_neuron_identical():
    trainer = Trainer(RunConfig(dataset="circle", hidden_sizes=(6,), activation="sigmoid", init="zeros"))
    trainer.train(200)
    first_layer = trainer.model.linears[0].weight
    assert first_layer.abs().max() > 0.1  # the weights did move...
    assert (first_layer - first_layer[0]).abs().max() < 1e-5  # ...but every neuron moved the same way
    assert trainer.evaluate().test_acc < 0.8
