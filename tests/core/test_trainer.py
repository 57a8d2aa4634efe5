import math

import numpy as np
import pytest

from engine import RunConfig, Trainer
from engine.core.loop import Budget, Snapshots, train
from engine.core.probes import class_probabilities, decision_grid, grad_norms, hidden_grids


def test_same_config_same_run_including_dropout_and_shuffling():
    config = RunConfig(dataset="spirals", hidden_sizes=(8, 8), dropout=0.3, seed=5)
    first, second = Trainer(config), Trainer(config)
    train(first, 50)
    train(second, 50)
    assert first.history.batch_loss.values().tolist() == second.history.batch_loss.values().tolist()


def test_other_seed_other_run():
    a, b = Trainer(RunConfig(seed=1)), Trainer(RunConfig(seed=2))
    train(a, 5)
    train(b, 5)
    assert a.history.batch_loss.values().tolist() != b.history.batch_loss.values().tolist()


def test_training_in_pieces_equals_training_at_once():
    config = RunConfig(dataset="moons", batch_size=7)
    pieces, whole = Trainer(config), Trainer(config)
    for _ in range(10):
        train(pieces, 13)
    train(whole, 130)
    assert pieces.history.batch_loss.values().tolist() == whole.history.batch_loss.values().tolist()


def test_reset_starts_again_from_the_same_weights():
    trainer = Trainer(RunConfig())
    train(trainer, 20)
    first = list(trainer.history.batch_loss.values().tolist())
    trainer.reset()
    assert trainer.step == 0 and trainer.history.batch_loss.values().tolist() == []
    train(trainer, 20)
    assert trainer.history.batch_loss.values().tolist() == first


def test_history_records_every_step_loss_and_snapshots_at_the_interval():
    trainer = Trainer(RunConfig(hidden_sizes=(4, 4)))
    train(trainer, 23, snapshots=Snapshots(every=5, at_end=False))
    h = trainer.history
    assert len(h.batch_loss) == 23
    assert h.steps == [5, 10, 15, 20]
    assert len(h.test_loss) == len(h.train_acc) == len(h.test_acc) == len(h.grad_norms) == 4
    assert all(len(norms) == 3 for norms in h.grad_norms)


def test_loss_falls_and_accuracy_rises_as_it_trains():
    trainer = Trainer(RunConfig(dataset="circle", hidden_sizes=(8,)))
    train(trainer, 1000, snapshots=Snapshots(every=50))
    h = trainer.history
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert h.test_acc[-1] > h.test_acc[0]


def test_full_batch_takes_one_step_per_epoch_and_batch_one_takes_one_per_point():
    full = Trainer(RunConfig(batch_size="full", n_points=100, test_fraction=0.5))
    single = Trainer(RunConfig(batch_size=1, n_points=100, test_fraction=0.5))
    assert full.steps_per_epoch == 1 and single.steps_per_epoch == 50
    train(full, 3)
    assert full.epoch == 3


def test_batch_larger_than_the_training_set_is_full_batch():
    assert Trainer(RunConfig(batch_size=1000, n_points=100)).steps_per_epoch == 1


def test_too_large_learning_rate_marks_the_run_diverged_without_raising():
    trainer = Trainer(RunConfig(hidden_sizes=(8, 8, 8), activation="linear", optimizer="sgd", learning_rate=50.0))
    done = train(trainer, 1000)
    assert trainer.diverged and done < 1000 and trainer.step == done
    assert "learning rate" in trainer.message and "NaN" in trainer.message or "infinite" in trainer.message
    assert train(trainer, 10) == 0


def test_good_learning_rate_does_not_diverge():
    trainer = Trainer(RunConfig(hidden_sizes=(8, 8, 8), activation="linear", optimizer="sgd", learning_rate=0.05))
    train(trainer, 500)
    assert not trainer.diverged and trainer.message == ""


def test_train_for_stops_after_its_time_budget():
    trainer = Trainer(RunConfig())
    done = train(trainer, 10**6, Budget(0.05))
    assert 0 < done == trainer.step


def test_gradient_norms_are_zero_before_the_first_step_then_positive():
    trainer = Trainer(RunConfig(hidden_sizes=(4,)))
    assert grad_norms(trainer.model).tolist() == [0.0, 0.0]
    train(trainer, 1)
    assert all(g > 0 for g in grad_norms(trainer.model).tolist())


def test_decision_grid_covers_the_data_bounds_with_probabilities():
    trainer = Trainer(RunConfig(dataset="xor", hidden_sizes=(4,), learning_rate=0.03))
    train(trainer, 100 * trainer.steps_per_epoch)
    grid = decision_grid(trainer.network, trainer.data.bounds, 100)
    assert grid.probability.shape == (100, 100)
    assert grid.x1[0] == pytest.approx(trainer.data.bounds[0][0]) and grid.x2[-1] == pytest.approx(trainer.data.bounds[1][1])
    assert ((grid.probability >= 0) & (grid.probability <= 1)).all()

    def at(x1, x2):
        return grid.probability[np.abs(grid.x2 - x2).argmin(), np.abs(grid.x1 - x1).argmin()]

    # XOR learned: corners (0,0), (1,1) are class 0 and (0,1), (1,0) class 1.
    assert at(0, 0) < 0.5 and at(1, 1) < 0.5 and at(0, 1) > 0.5 and at(1, 0) > 0.5


def test_hidden_grids_show_each_hidden_neuron_over_the_plane():
    trainer = Trainer(RunConfig(hidden_sizes=(4, 3)))
    grids = hidden_grids(trainer.network, trainer.data.bounds, 25)
    assert [g.shape for g in grids] == [(25, 25, 4), (25, 25, 3)]


def test_evaluate_is_deterministic_with_dropout():
    trainer = Trainer(RunConfig(hidden_sizes=(16,), dropout=0.5))
    train(trainer, 20)
    assert trainer.evaluate() == trainer.evaluate()
    assert math.isfinite(trainer.evaluate().test_loss)


def test_learning_rate_l2_and_batch_size_apply_live_without_restarting():
    trainer = Trainer(RunConfig(batch_size=10, n_points=100, test_fraction=0.5))
    train(trainer, 10)
    assert trainer.apply_live(trainer.config.replace(learning_rate=0.5, weight_decay=0.01, batch_size=25))
    assert trainer.step == 10 and trainer.optimizer.param_groups[0]["lr"] == 0.5
    assert trainer.optimizer.param_groups[0]["weight_decay"] == 0.01
    assert trainer.steps_per_epoch == 2
    train(trainer, 2)
    assert trainer.epoch == 3  # 10 steps of 10 and 2 of 25 examples, 50 per epoch


def test_architecture_changes_do_not_apply_live():
    trainer = Trainer(RunConfig())
    train(trainer, 5)
    assert not trainer.apply_live(trainer.config.replace(hidden_sizes=(8,)))
    assert not trainer.apply_live(trainer.config.replace(dataset="circle"))
    assert trainer.config == RunConfig() and trainer.step == 5


def test_test_predictions_give_a_probability_per_class():
    binary = Trainer(RunConfig(dataset="moons", n_points=60))
    three = Trainer(RunConfig(dataset="three_blobs", n_points=60))
    binary_p = class_probabilities(binary.network, binary.data.x_test)
    three_p = class_probabilities(three.network, three.data.x_test)
    assert binary_p.shape == (30, 2) and three_p.shape == (30, 3)
    np.testing.assert_allclose(three_p.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(binary_p[:, 1], binary.network.outputs(binary.data.x_test), atol=1e-6)


def test_input_features_change_the_network_but_not_the_data():
    plain = Trainer(RunConfig(dataset="circle"))
    squared = Trainer(RunConfig(dataset="circle", features=("x1", "x2", "x1sq", "x2sq")))
    np.testing.assert_array_equal(plain.data.x_train, squared.data.x_train)
    assert plain.n_inputs == 2 and squared.n_inputs == 4
    assert not squared.apply_live(squared.config.replace(features=("x1", "x2")))  # a new input layer: start again


OVERFITS = RunConfig(dataset="circle", n_points=40, noise=0.5, hidden_sizes=(32, 32))  # 20 noisy training points


def test_early_stopping_ends_the_run_patience_epochs_after_the_lowest_test_loss():
    trainer = Trainer(OVERFITS.replace(early_stopping=20))
    taken = train(trainer, 600)
    best = trainer.best
    assert trainer.stopped_early and trainer.finished and not trainer.diverged
    assert best.test_loss == min(trainer.history.test_loss) and best.step == trainer.history.steps[
        trainer.history.test_loss.index(best.test_loss)]
    # Stopped at the first snapshot 20 epochs (40 steps) or more after the lowest: snapshots fall every 10 steps.
    assert trainer.stopped_at == taken == trainer.step and 40 <= trainer.stopped_at - best.step < 50
    assert train(trainer, 100) == 0  # a finished run trains no further
    trainer.reset()
    assert not trainer.stopped_early and trainer.best is None and train(trainer, 5) == 5


def test_without_early_stopping_the_same_run_trains_on_and_overfits():
    trainer = Trainer(OVERFITS)
    assert train(trainer, 600) == 600 and not trainer.finished and trainer.stopped_at is None
    assert trainer.history.test_loss[-1] > 2 * trainer.best.test_loss  # what stopping early avoided


def test_early_stopping_looks_only_at_the_snapshots_every_way_of_training_takes():
    """However a page's ticks fall (each ends with a snapshot of its own), the run stops at the same step."""
    config = OVERFITS.replace(early_stopping=20)
    whole = Trainer(config)
    train(whole, 600)
    ticked, sizes = Trainer(config), iter([3, 7, 1, 12, 5, 9, 2, 4] * 40)
    while not ticked.finished:
        train(ticked, next(sizes))  # a snapshot every 10 steps, and one where each tick ends
    assert ticked.stopped_at == whole.stopped_at and ticked.best == whole.best
    assert ticked.stopped_at % 10 == 0 and len(ticked.history.steps) > len(whole.history.steps)


def test_a_live_batch_size_change_keeps_a_one_cycle_runs_place_in_its_cycle():
    trainer = Trainer(RunConfig(dataset="moons", hidden_sizes=(8,), learning_rate=0.05, one_cycle=4, batch_size=10))
    train(trainer, trainer.steps_per_epoch)  # one epoch of four
    before = trainer.learning_rate
    assert trainer.apply_live(trainer.config.replace(batch_size=1))
    assert trainer.learning_rate == before  # the same epoch, so the same rate, though 10x the steps per epoch
