"""The course's claims, checked on the engine, beyond what the lessons check (tests/test_lessons.py
covers XOR and AND, vanishing gradients and all-zero init in a deep net)."""

from engine import RunConfig, Trainer
from engine.core.loop import train


def test_perceptron_separates_or():
    trainer = Trainer(RunConfig(dataset="or", hidden_sizes=(), learning_rate=0.03))
    train(trainer, 100 * trainer.steps_per_epoch)
    assert trainer.evaluate().test_acc >= 0.97


def test_zero_init_keeps_every_hidden_neuron_identical():
    trainer = Trainer(RunConfig(dataset="circle", hidden_sizes=(6,), activation="sigmoid", init="zeros"))
    train(trainer, 200)
    first_layer = trainer.model.linears[0].weight
    assert first_layer.abs().max() > 0.1  # the weights did move...
    assert (first_layer - first_layer[0]).abs().max() < 1e-5  # ...but every neuron moved the same way
    assert trainer.evaluate().test_acc < 0.8
