"""Many seeds at once: the batched model is exactly K separate runs."""

import numpy as np
import pytest

from engine import RunConfig, Trainer
from engine.core.loop import Snapshots, train
from engine.core.optimizers import OPTIMIZERS
from engine.experiments.seeds import SeedsTrainer, spread


def separate_runs(config: RunConfig, n_seeds: int, steps: int) -> list[Trainer]:
    data = Trainer(config).data  # every seed trains on the base seed's data
    runs = [Trainer(config.replace(seed=config.seed + k), data=data) for k in range(n_seeds)]
    for run in runs:
        train(run, steps)
    return runs


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_batched_seeds_give_the_same_losses_as_separate_runs(optimizer):
    config = RunConfig(dataset="moons", hidden_sizes=(8, 6), activation="tanh", optimizer=optimizer, batch_size=10,
                       weight_decay=1e-3, seed=3)
    batched = SeedsTrainer(config, n_seeds=4)
    train(batched, 60)
    for k, run in enumerate(separate_runs(config, 4, 60)):
        np.testing.assert_allclose(batched.history.batch_loss[:, k], run.history.batch_loss.values(), rtol=1e-4, atol=1e-6)
        assert run.evaluate().test_acc == pytest.approx(batched.evaluate()["test_acc"][k], abs=1e-6)


def test_dropout_masks_and_full_batch_match_separate_runs_too():
    for changes in ({"dropout": 0.3}, {"batch_size": "full"}, {"hidden_sizes": ()}, {"activation": "relu", "init": "he"},
                    {"features": ("x1sq", "x2sq", "sin_x1")}):
        config = RunConfig(dataset="circle", hidden_sizes=(8,), seed=1).replace(**changes)
        batched = SeedsTrainer(config, n_seeds=3)
        train(batched, 25)
        for k, run in enumerate(separate_runs(config, 3, 25)):
            np.testing.assert_allclose(batched.history.batch_loss[:, k], run.history.batch_loss.values(), rtol=1e-4, atol=1e-6)


def test_each_seed_starts_differently_and_records_its_own_figures():
    trainer = SeedsTrainer(RunConfig(dataset="xor", hidden_sizes=(4,), learning_rate=0.03), n_seeds=8)
    train(trainer, 500, snapshots=Snapshots(every=50))
    h = trainer.history
    assert h.steps == list(range(50, 501, 50))
    assert np.stack(h.test_acc).shape == (10, 8) and np.stack(h.grad_norms).shape == (10, 8, 2)
    assert len({float(loss) for loss in h.batch_loss[0]}) == 8  # eight different starting networks
    summary = spread(h.test_acc[-1])
    assert summary["min"] <= summary["mean"] <= summary["max"] and summary["mean"] > 0.9


def test_image_runs_and_too_many_seeds_are_refused():
    with pytest.raises(ValueError, match="2D"):
        SeedsTrainer(RunConfig(dataset="mnist"), n_seeds=2)
    with pytest.raises(ValueError, match="1 to 32"):
        SeedsTrainer(RunConfig(), n_seeds=33)


@pytest.mark.parametrize("dataset", ["three_blobs", "plane", "gaussian_sum"])
def test_three_class_and_regression_heads_match_separate_runs(dataset):
    config = RunConfig(dataset=dataset, hidden_sizes=(6,), features=("x1", "x2", "x1x2"), optimizer="momentum",
                       learning_rate=0.05, seed=2)
    batched = SeedsTrainer(config, n_seeds=3)
    train(batched, 40)
    figures = batched.evaluate()
    for k, run in enumerate(separate_runs(config, 3, 40)):
        np.testing.assert_allclose(batched.history.batch_loss[:, k], run.history.batch_loss.values(), rtol=1e-4, atol=1e-6)
        metrics = run.evaluate()
        assert figures["test_loss"][k] == pytest.approx(metrics.test_loss, rel=1e-4)
        if config.task == "regression":
            assert np.isnan(figures["test_acc"][k]) and np.isnan(metrics.test_acc)
        else:
            assert figures["test_acc"][k] == pytest.approx(metrics.test_acc, abs=1e-6)


def test_regression_seeds_diverge_together_and_their_accuracy_spread_is_nan():
    config = RunConfig(dataset="plane", hidden_sizes=(8, 8), activation="linear", optimizer="sgd", learning_rate=1.0)
    batched = SeedsTrainer(config, n_seeds=4)
    train(batched, 100, snapshots=Snapshots(every=None))
    assert batched.diverged_seeds.all()
    assert all(np.isnan(value) for value in spread(batched.evaluate()["test_acc"]).values())
