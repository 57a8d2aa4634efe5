"""MNIST on the engine: each model's shapes, a short run learns, the CNN's stages, the metrics."""

import json

import numpy as np
import pytest
import torch

from engine import RunConfig, Trainer
from engine.cli import main as cli_main
from engine.core.loop import Snapshots, train
from engine.core.metrics import confusion_matrix, mistakes, per_class_accuracy
from engine.core.models import ConvNet, build_model
from engine.core.probes import class_probabilities, feature_maps, grad_norms, layer_names
from engine.course.presets import MNIST_PRESETS

IMAGES = torch.zeros(3, 1, 28, 28)


@pytest.mark.parametrize("model", ["softmax", "mlp", "cnn"])
def test_every_model_gives_ten_scores_per_image(model):
    network = build_model(RunConfig(dataset="mnist", model=model, hidden_sizes=(32,)), (1, 28, 28), 10)
    assert network(IMAGES).shape == (3, 10)


def test_softmax_is_one_weighted_layer_of_784_by_10():
    network = build_model(RunConfig(dataset="mnist", model="softmax"), (1, 28, 28), 10)
    assert [tuple(layer.weight.shape) for layer in network.linears] == [(10, 784)]


def test_same_padding_keeps_the_size_and_pooling_halves_it():
    network = ConvNet(28, conv_channels=(4, 8), hidden_sizes=(), out_features=10, kernel_size=5, padding="same")
    stages = [(name, tuple(maps.shape[1:])) for name, maps in network.feature_maps(IMAGES)]
    assert stages == [("conv 1", (4, 28, 28)), ("pool 1", (4, 14, 14)), ("conv 2", (8, 14, 14)), ("pool 2", (8, 7, 7))]


def test_valid_padding_shrinks_the_picture_at_each_convolution():
    network = ConvNet(28, conv_channels=(4,), hidden_sizes=(), out_features=10, kernel_size=5, padding="valid",
                      convs_per_block=2)
    assert [tuple(maps.shape[2:]) for _, maps in network.feature_maps(IMAGES)] == [(24, 24), (20, 20), (10, 10)]
    assert network.linears[0].in_features == 4 * 10 * 10


@pytest.mark.parametrize("model", ["softmax", "mlp", "cnn"])
def test_a_short_run_on_a_small_subset_lowers_the_loss(model):
    trainer = Trainer(RunConfig(dataset="mnist", model=model, hidden_sizes=(32,), train_size=500, batch_size=50,
                                learning_rate=1e-3, activation="relu"))
    before = trainer.evaluate().test_loss
    train(trainer, 2 * trainer.steps_per_epoch, snapshots=Snapshots(every=None, at_end=False))
    after = trainer.evaluate()
    assert after.test_loss < 0.8 * before and after.test_acc > 0.5


def test_image_runs_share_the_dataset_instead_of_copying_it():
    first = Trainer(RunConfig(dataset="mnist", train_size=1000))
    second = Trainer(RunConfig(dataset="mnist", train_size=2000, seed=3))
    assert np.shares_memory(first.data.x_train, second.data.x_train)
    assert np.shares_memory(first.data.x_test, second.data.x_test)
    assert not first.data.x_train.flags.writeable
    assert len(first.data.y_test) == 10_000  # always the whole test set


def test_presets_are_valid_image_runs():
    assert {"softmax", "mlp", "cnn_quick", "cnn"} <= set(MNIST_PRESETS)
    assert all(preset.config.images and preset.epochs >= 1 for preset in MNIST_PRESETS.values())
    cnn = MNIST_PRESETS["cnn"].config
    assert cnn.model == "cnn" and cnn.batch_norm and len(cnn.conv_channels) == 3
    for preset in MNIST_PRESETS.values():  # a one-cycle schedule spans the epochs the preset trains
        assert preset.config.one_cycle in (0, preset.epochs)


def test_confusion_matrix_rows_are_truths_and_columns_predictions():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 2, 0])
    matrix = confusion_matrix(labels, predicted, 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    np.testing.assert_allclose(per_class_accuracy(matrix), [0.5, 1.0, 2 / 3])


def test_mistakes_lists_the_most_confident_errors_first():
    labels = np.array([0, 1, 1])
    probabilities = np.array([[0.9, 0.1], [0.6, 0.4], [0.95, 0.05]])
    found = mistakes(labels, probabilities)
    assert [(m.index, m.label, m.predicted) for m in found] == [(2, 1, 0), (1, 1, 0)]
    assert found[0].confidence == pytest.approx(0.95)



def test_cli_trains_mnist_and_reports_accuracy_per_digit(capsys):
    assert cli_main(["train", "--dataset", "mnist", "--model", "softmax", "--train-size", "500", "--steps", "20",
                     "--lr", "0.01", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["steps"] == 20 and report["config"]["model"] == "softmax"
    assert len(report["per_class_acc"]) == 10 and report["final"]["test_acc"] > 0.5


def test_feature_maps_of_one_image_come_from_the_engine_without_dropout():
    trainer = Trainer(RunConfig(dataset="mnist", model="cnn", conv_channels=(4, 8), dropout=0.5, train_size=100))
    stages = feature_maps(trainer.model, trainer.data.x_test[0])
    assert [(name, maps.shape) for name, maps in stages] == [
        ("conv 1", (4, 28, 28)), ("pool 1", (4, 14, 14)), ("conv 2", (8, 14, 14)), ("pool 2", (8, 7, 7))]
    assert trainer.model.training  # back in training mode afterwards
    assert feature_maps(Trainer(RunConfig(dataset="mnist", train_size=100)).model, trainer.data.x_test[0]) == []


def test_a_drawn_digit_is_normalised_like_mnist_and_classified():
    from engine.core.datasets import normalise, unnormalise

    trainer = Trainer(RunConfig(dataset="mnist", model="softmax", train_size=100))
    digit = unnormalise(trainer.data.x_test[0, 0])  # back to grey levels in [0, 1]
    np.testing.assert_allclose(normalise(digit[None]), trainer.data.x_test[:1], atol=1e-5)
    probabilities = class_probabilities(trainer.network, normalise(digit[None]))
    assert probabilities.shape == (1, 10) and probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_training_leaves_the_shared_mnist_arrays_unchanged_and_read_only():
    """Every session of the process trains on the same arrays: a run that wrote to them (an
    in-place op on a batch, say) would corrupt every other student's data."""
    import hashlib

    from engine.core.datasets import _mnist_normalised

    def digest() -> list[str]:
        return [hashlib.sha256(array.tobytes()).hexdigest() for array in _mnist_normalised()]

    before = digest()
    for model in ("softmax", "cnn"):
        trainer = Trainer(RunConfig(dataset="mnist", model=model, hidden_sizes=(16,), conv_channels=(4,),
                                    train_size=300, batch_size=100, dropout=0.2))
        train(trainer, 6)
        trainer.record()
    assert digest() == before
    assert not any(array.flags.writeable for array in _mnist_normalised())


def test_batch_norm_normalises_each_convolution_before_its_activation_and_evaluates_on_running_statistics():
    config = RunConfig(dataset="mnist", model="cnn", conv_channels=(4, 8), batch_norm=True, train_size=200,
                       activation="relu")
    trainer = Trainer(config)
    kinds = [type(layer).__name__ for layer in trainer.model.features]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]
    assert all(conv.bias is None for conv in trainer.model.convs)  # batch norm's shift replaces the bias
    images = trainer.data.x_test[:8]
    alone = trainer.network.outputs(images[:1])
    together = trainer.network.outputs(images)[:1]
    np.testing.assert_allclose(alone, together, atol=1e-6)  # evaluation: one image's answer does not depend on the batch
    train(trainer, 3, snapshots=Snapshots(every=None, at_end=False))
    norm = trainer.model.features[1]
    assert int(norm.num_batches_tracked) == 3 and trainer.model.training
    stages = [name for name, _ in feature_maps(trainer.model, images[0])]
    assert stages == ["conv 1", "pool 1", "conv 2", "pool 2"]
    # one gradient size per named layer: batch norm's scales are not layers of their own
    assert len(grad_norms(trainer.model)) == len(layer_names(trainer.model)) == 5  # conv1, conv2, fc1, fc2, out


def test_channels_last_computes_what_the_usual_layout_does():
    config = RunConfig(dataset="mnist", model="cnn", conv_channels=(4, 8), train_size=100, activation="relu")
    model = build_model(config, (1, 28, 28), 10)
    assert model.convs[0].weight.is_contiguous(memory_format=torch.channels_last)
    usual = ConvNet(28, (4, 8), config.hidden_sizes, 10)
    usual.load_state_dict({name: value.contiguous() for name, value in model.state_dict().items()})
    images = torch.randn(5, 1, 28, 28)
    torch.testing.assert_close(model(images), usual(images), atol=1e-5, rtol=1e-4)
