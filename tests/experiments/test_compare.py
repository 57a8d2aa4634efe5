import numpy as np
import pytest

from engine import ConfigError, RunConfig
from engine.core.loop import Budget, train
from engine.experiments.compare import Comparison, epochs_after, snapshot_epochs, steps_within


def test_compared_runs_share_the_data_and_the_seed_and_step_together():
    comparison = Comparison(RunConfig(dataset="circle", hidden_sizes=(8, 8)), "activation", ["sigmoid", "relu"])
    sigmoid, relu = comparison.runs
    assert sigmoid.data is relu.data and sigmoid.config.seed == relu.config.seed
    assert (sigmoid.config.activation, relu.config.activation) == ("sigmoid", "relu")
    train(comparison, 30)
    assert sigmoid.step == relu.step == comparison.step == 30
    assert train(comparison, 10**6, Budget(0.05)) > 0 and sigmoid.step == relu.step


def test_only_the_varied_setting_differs():
    comparison = Comparison(RunConfig(), "learning_rate", ["0.001", "0.1", "3"])
    configs = [run.config for run in comparison.runs]
    assert [c.learning_rate for c in configs] == [0.001, 0.1, 3.0]
    assert all(c.replace(learning_rate=0.01) == configs[0].replace(learning_rate=0.01) for c in configs)
    assert comparison.labels == ["learning_rate = 0.001", "learning_rate = 0.1", "learning_rate = 3.0"]


def test_varying_the_data_gives_each_run_its_own_data():
    comparison = Comparison(RunConfig(), "noise", [0.0, 0.3])
    clean, noisy = comparison.runs
    assert not np.array_equal(clean.data.x_train, noisy.data.x_train)


def test_same_starting_weights_when_the_network_is_the_same():
    comparison = Comparison(RunConfig(hidden_sizes=(4,)), "optimizer", ["sgd", "adam"])
    sgd, adam = comparison.runs
    assert all(np.array_equal(a.detach(), b.detach()) for a, b in zip(sgd.model.parameters(), adam.model.parameters()))


def test_a_diverging_run_stops_while_the_others_go_on():
    comparison = Comparison(RunConfig(hidden_sizes=(8, 8, 8), activation="linear", optimizer="sgd"), "learning_rate",
                            [0.01, 50.0])
    train(comparison, 100)
    good, bad = comparison.runs
    assert bad.diverged and not good.diverged and good.step == 100


def test_bad_comparisons_raise_config_error():
    with pytest.raises(ConfigError, match="2 to 4"):
        Comparison(RunConfig(), "activation", ["relu"])
    with pytest.raises(ConfigError, match="unknown setting"):
        Comparison(RunConfig(), "colour", ["red", "blue"])
    with pytest.raises(ConfigError, match="activation"):
        Comparison(RunConfig(), "activation", ["relu", "swish"])


def test_many_seeds_per_run_train_in_the_same_lock_step_and_start_with_the_single_run():
    comparison = Comparison(RunConfig(dataset="xor", hidden_sizes=(4,)), "activation", ["tanh", "relu"], n_seeds=4)
    assert [s.n_seeds for s in comparison.seed_runs] == [4, 4]
    train(comparison, 20)
    train(comparison, 10**6, Budget(0.05))
    for run, seeds in zip(comparison.runs, comparison.seed_runs):
        assert seeds.step == run.step and seeds.data is run.data
        np.testing.assert_allclose(seeds.history.batch_loss[:, 0], run.history.batch_loss.values(), rtol=1e-4, atol=1e-6)


def test_kept_together_by_epochs_every_run_ends_at_the_same_epoch():
    comparison = Comparison(RunConfig(dataset="xor"), "batch_size", ["10", "50", "full"], align="epochs")
    assert [run.steps_per_epoch for run in comparison.runs] == [10, 2, 1]  # 100 training points
    train(comparison, comparison.steps_for_epochs(3))
    assert [run.epoch for run in comparison.runs] == [3.0, 3.0, 3.0]
    assert [run.step for run in comparison.runs] == [30, 6, 3]
    train(comparison, 7)  # seven steps of the smallest batches; the others never get ahead of them
    assert [run.epoch for run in comparison.runs] == [3.7, 3.5, 3.0]
    train(comparison, comparison.steps_for_epochs(1))
    assert [run.epoch for run in comparison.runs] == [4.7, 4.5, 4.0]
    train(comparison, 10**6, Budget(0.05))
    leader = comparison.runs[0].epoch
    assert leader > 4.7 and comparison.epoch == leader
    assert all(leader - 1 / run.steps_per_epoch < run.epoch <= leader for run in comparison.runs)


def test_by_steps_full_batch_looks_best_but_by_epochs_mini_batches_learn_faster():
    base = RunConfig(dataset="xor", hidden_sizes=(4, 4))
    by_steps = Comparison(base, "batch_size", ["10", "full"])
    by_epochs = Comparison(base, "batch_size", ["10", "full"], align="epochs")
    for comparison in (by_steps, by_epochs):
        train(comparison, comparison.steps_for_epochs(20))  # by steps: 20 epochs of the batch-10 run, 200 steps each
    mini, full = (run.evaluate().train_loss for run in by_epochs.runs)
    assert [run.epoch for run in by_epochs.runs] == [20.0, 20.0]
    assert mini < full / 2  # the same passes over the data: 200 small steps beat 20 careful ones
    mini_by_steps, full_by_steps = (run.evaluate().train_loss for run in by_steps.runs)
    assert [run.step for run in by_steps.runs] == [200, 200] and full_by_steps < mini_by_steps


def test_epochs_count_an_epochs_short_last_batch_as_the_trainer_does():
    comparison = Comparison(RunConfig(n_points=105, test_fraction=0.5), "batch_size", ["10", "25"], align="epochs")
    tens, twenty_fives = comparison.runs
    n_train = len(tens.data.y_train)
    assert n_train % 10 and n_train % 25  # every epoch ends with a smaller batch
    train(comparison, comparison.steps_for_epochs(2))
    train(comparison, 3)
    for run in comparison.runs:
        assert epochs_after(run, run.step) == pytest.approx(run.epoch)
        assert steps_within(run, run.epoch) == run.step
    comparison.record()
    assert snapshot_epochs(tens)[-1] == pytest.approx(tens.epoch)
    assert twenty_fives.epoch <= tens.epoch


def test_a_comparison_keeps_together_only_by_steps_or_epochs():
    with pytest.raises(ConfigError, match="align"):
        Comparison(RunConfig(), "activation", ["tanh", "relu"], align="seconds")


def test_a_run_stopped_early_and_its_seeds_stay_while_the_others_train_on():
    comparison = Comparison(RunConfig(dataset="circle", n_points=40, noise=0.5, hidden_sizes=(32, 32)), "early_stopping",
                            ["0", "20"], n_seeds=2)
    train(comparison, 300)
    kept, stopped = comparison.runs
    assert stopped.stopped_early and not kept.finished and kept.step == 300
    assert comparison.seed_runs[1].step == stopped.stopped_at < 300 == comparison.seed_runs[0].step
    assert not comparison.finished and not comparison.diverged
