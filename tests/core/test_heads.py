"""Output heads and input features: raw output for a value, sigmoid for yes/no, softmax
for one-of-N; and what a perceptron can do when it is given x1² and x2²."""

import math

import numpy as np
import pytest
import torch

from engine import RunConfig, Trainer
from engine.core.datasets import DATASETS, FEATURES, input_features, make_dataset
from engine.core.heads import HEADS, BinaryHead, RegressionHead, SoftmaxHead, head_for
from engine.core.loop import Snapshots, train
from engine.core.metrics import r_squared
from engine.core.probes import class_probabilities, decision_grid, hidden_grids

# The lesson "too large a learning rate diverges", on a regression: plain SGD on the
# tilted plane with two linear hidden layers. At 1.0 the squared error explodes within
# a few dozen steps; at 0.03 it settles near the noise.
DIVERGING = RunConfig(dataset="plane", hidden_sizes=(8, 8), activation="linear", optimizer="sgd", learning_rate=1.0)
CONVERGING = DIVERGING.replace(learning_rate=0.03)


@pytest.mark.parametrize(
    "name, task, n_outputs",
    [("xor", "binary", 1), ("circle", "binary", 1), ("three_blobs", "multiclass", 3), ("plane", "regression", 1),
     ("gaussian_sum", "regression", 1)],
)
def test_each_dataset_declares_its_task_and_the_head_follows(name, task, n_outputs):
    config = RunConfig(dataset=name, hidden_sizes=(4,))
    trainer = Trainer(config)
    assert DATASETS[name].task == config.task == trainer.task == trainer.data.task == task
    assert trainer.n_outputs == n_outputs == trainer.model.linears[-1].out_features


def test_images_are_one_of_ten_classes():
    assert RunConfig(dataset="mnist").task == "multiclass"


def test_heads_registry_has_a_head_per_task():
    assert {task: type(head_for(task)) for task in HEADS} == {
        "binary": BinaryHead, "multiclass": SoftmaxHead, "regression": RegressionHead}
    assert isinstance(head_for("regression").loss, torch.nn.MSELoss)
    assert isinstance(head_for("multiclass").loss, torch.nn.CrossEntropyLoss)
    assert isinstance(head_for("binary").loss, torch.nn.BCEWithLogitsLoss)


def test_accuracy_is_per_seed_for_batched_logits_and_nan_for_a_value():
    logits = torch.tensor([[[2.0], [-1.0], [0.5]], [[-2.0], [-1.0], [-0.5]]])  # (K=2, n=3, 1)
    labels = torch.tensor([1, 0, 0])
    accuracy = BinaryHead().accuracy(logits, BinaryHead().targets(labels))
    np.testing.assert_allclose(accuracy.numpy(), [2 / 3, 2 / 3])
    three = torch.tensor([[[5.0, 0, 0], [0, 5.0, 0]], [[0, 0, 5.0], [0, 5.0, 0]]])  # (K=2, n=2, 3)
    np.testing.assert_allclose(SoftmaxHead().accuracy(three, torch.tensor([0, 1])).numpy(), [1.0, 0.5])
    value = RegressionHead().accuracy(logits, logits)
    assert value.shape == (2,) and torch.isnan(value).all()


def test_a_three_class_network_separates_three_blobs_with_softmax_probabilities():
    trainer = Trainer(RunConfig(dataset="three_blobs", hidden_sizes=(8,), learning_rate=0.03))
    train(trainer, 30 * trainer.steps_per_epoch)
    assert trainer.evaluate().test_acc >= 0.9
    grid = decision_grid(trainer.network, trainer.data.bounds, 30)
    assert grid.task == "multiclass" and grid.probability.shape == (30, 30, 3)
    np.testing.assert_allclose(grid.probability.sum(axis=2), 1.0, atol=1e-5)
    # Each blob's centre is claimed by its own class.
    for label in range(3):
        centre = trainer.data.x_train[trainer.data.y_train == label].mean(axis=0)
        at = grid.probability[np.abs(grid.x2 - centre[1]).argmin(), np.abs(grid.x1 - centre[0]).argmin()]
        assert at.argmax() == label


@pytest.mark.parametrize("dataset", ["plane", "gaussian_sum"])
def test_a_regression_learns_the_values_well_below_their_variance(dataset):
    trainer = Trainer(RunConfig(dataset=dataset, hidden_sizes=(8, 8), learning_rate=0.03))
    untrained = trainer.evaluate()
    train(trainer, 200 * trainer.steps_per_epoch, snapshots=Snapshots(every=100))
    metrics = trainer.evaluate()
    variance = float(trainer.data.y_test.var())
    assert metrics.test_loss < 0.25 * variance and metrics.test_loss < 0.25 * untrained.test_loss
    assert r_squared(trainer.data.y_test, trainer.network.outputs(trainer.data.x_test)) > 0.75
    # A value is not right or wrong: accuracy is "not defined", never a made-up number.
    assert math.isnan(metrics.test_acc) and math.isnan(metrics.train_acc)
    assert all(math.isnan(a) for a in trainer.history.test_acc) and len(trainer.history.test_acc) == 20


def test_a_regression_grid_is_the_predicted_value_not_a_probability():
    trainer = Trainer(RunConfig(dataset="plane", noise=0.0, hidden_sizes=(), activation="linear", learning_rate=0.03))
    train(trainer, 100 * trainer.steps_per_epoch)
    grid = decision_grid(trainer.network, trainer.data.bounds, 21)
    assert grid.task == "regression" and grid.output.shape == (21, 21)
    mesh1, mesh2 = np.meshgrid(grid.x1, grid.x2)
    np.testing.assert_allclose(grid.output, 0.6 * mesh1 + 0.4 * mesh2, atol=0.05)  # the plane, beyond [0, 1]
    assert grid.output.min() < -0.5 and grid.output.max() > 0.5
    with pytest.raises(ValueError, match="value"):
        class_probabilities(trainer.network, trainer.data.x_test)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_too_large_a_learning_rate_diverges_on_a_regression_and_a_small_one_does_not(seed):
    diverging = Trainer(DIVERGING.replace(seed=seed))
    done = train(diverging, 200)
    assert diverging.diverged and done < 200 and "learning rate 1 is too high" in diverging.message
    converging = Trainer(CONVERGING.replace(seed=seed))
    train(converging, 200)
    assert not converging.diverged
    assert converging.evaluate().test_loss < 0.25 * float(converging.data.y_test.var())


def test_a_squared_error_overflowing_on_the_whole_set_marks_the_run_diverged():
    # Outputs of about 1e20 are finite, but their squares overflow float32: the next
    # snapshot must say the run diverged, not draw an infinite loss as a gap.
    trainer = Trainer(RunConfig(dataset="plane", hidden_sizes=(), activation="linear"))
    train(trainer, 3, snapshots=Snapshots(every=None, at_end=False))
    with torch.no_grad():
        trainer.model.linears[0].weight.fill_(1e20)
    trainer.record()
    assert trainer.diverged and "infinite" in trainer.message and math.isinf(trainer.history.test_loss[-1])
    assert train(trainer, 10) == 0


def test_input_features_compute_each_named_function_of_the_point():
    x = np.array([[0.5, -2.0], [1.0, 3.0]], dtype=np.float32)
    features = input_features(x, list(FEATURES))
    assert features.dtype == np.float32 and features.shape == (2, 7)
    x1, x2 = x[:, 0], x[:, 1]
    expected = np.stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)], axis=1)
    np.testing.assert_allclose(features, expected, rtol=1e-6)
    np.testing.assert_array_equal(input_features(x, ["x2sq", "x1"]), np.stack([x2**2, x1], axis=1))


def test_features_set_the_network_input_width_and_plots_keep_the_raw_points():
    config = RunConfig(dataset="moons", hidden_sizes=(5,), features=("x1", "x2", "x1x2"), standardize=True)
    trainer = Trainer(config)
    assert trainer.n_inputs == 3 and trainer.model.linears[0].weight.shape == (5, 3)
    assert trainer.data.x_train.shape[1] == 2
    assert trainer.data.bounds == make_dataset("moons", standardize=True).bounds
    train(trainer, 30)
    grid = decision_grid(trainer.network, trainer.data.bounds, 15)
    assert grid.probability.shape == (15, 15)
    assert [g.shape for g in hidden_grids(trainer.network, trainer.data.bounds, 15)] == [(15, 15, 5)]
    # The grid answers what the network answers for those raw points.
    point = np.array([[grid.x1[4], grid.x2[9]]], dtype=np.float32)
    assert trainer.network.outputs(point)[0] == pytest.approx(grid.probability[9, 4], abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_perceptron_given_squared_features_separates_the_circle_but_not_given_x1_x2(seed):
    def accuracy(features: tuple[str, ...]) -> float:
        trainer = Trainer(RunConfig(dataset="circle", hidden_sizes=(), features=features, learning_rate=0.03, seed=seed))
        train(trainer, 30 * trainer.steps_per_epoch)
        return trainer.evaluate().test_acc

    assert accuracy(("x1sq", "x2sq")) >= 0.9
    assert accuracy(("x1", "x2")) <= 0.7


def test_features_are_ignored_for_images():
    config = RunConfig(dataset="mnist", model="softmax", features=("x1sq",), train_size=100)
    assert Trainer(config).n_inputs == 28 * 28
