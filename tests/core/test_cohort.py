"""A class's runs trained as one batched model take the same steps they would take alone."""

import numpy as np
import pytest
import torch

from engine import RunConfig, Trainer
from engine.core.cohort import Cohort, batch_key
from engine.core.loop import train
from engine.core.optimizers import OPTIMIZERS

# Three students on one lesson's network: their own data, seeds and learning rates.
STUDENTS = [dict(dataset="circle", seed=1), dict(dataset="xor", seed=2, learning_rate=0.003),
            dict(dataset="gaussians", seed=3, weight_decay=0.001, n_points=300)]


def students(optimizer: str, **common) -> list[Trainer]:
    base = RunConfig(hidden_sizes=(5, 4), optimizer=optimizer, learning_rate=OPTIMIZERS[optimizer].default_lr,
                     batch_size=10, **common)
    return [Trainer(base.replace(**student)) for student in STUDENTS]


def assert_same(together: list[Trainer], alone: list[Trainer]) -> None:
    for a, b in zip(together, alone):
        assert a.step == b.step
        for p, q in zip(a.model.parameters(), b.model.parameters()):
            torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(a.history.batch_loss.values(), b.history.batch_loss.values(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_a_cohort_trains_each_run_as_it_would_train_alone(optimizer):
    together, alone = students(optimizer), students(optimizer)
    for runs in (together, alone):  # they joined at different steps: 0, 3 and 7 steps alone first
        for run, steps in zip(runs, (0, 3, 7)):
            train(run, steps, snapshots=_none())
    with Cohort(together) as cohort:
        for _ in range(20):
            cohort.train_step()
    for run in alone:
        train(run, 20, snapshots=_none())
    assert_same(together, alone)
    for runs in (together, alone):  # and after the cohort, each goes on alone from the same place
        for run in runs:
            train(run, 5, snapshots=_none())
    assert_same(together, alone)


def test_a_live_learning_rate_change_and_dropout_stay_each_runs_own():
    together, alone = students("adam", dropout=0.2), students("adam", dropout=0.2)
    assert len({batch_key(run) for run in together}) == 1
    for _ in range(2):
        with Cohort(together) as cohort:
            for _ in range(10):
                cohort.train_step()
        for run in alone:
            train(run, 10, snapshots=_none())
        for runs in (together, alone):  # a student changes the learning rate while playing
            runs[1].apply_live(runs[1].config.replace(learning_rate=0.05))
    assert_same(together, alone)


def test_mid_cohort_a_run_evaluates_and_records_with_its_current_weights_and_gradients():
    together, alone = students("momentum"), students("momentum")
    with Cohort(together) as cohort:
        for _ in range(10):
            cohort.train_step()
        cohort.sync(0)
        together[0].record()
    train(alone[0], 10, snapshots=_none())
    alone[0].record()
    np.testing.assert_allclose(together[0].history.test_loss, alone[0].history.test_loss, rtol=1e-4)
    np.testing.assert_allclose(together[0].history.grad_norms[-1], alone[0].history.grad_norms[-1], rtol=1e-4)


def test_only_runs_of_one_shape_and_settings_batch():
    a, b = Trainer(RunConfig(hidden_sizes=(4,))), Trainer(RunConfig(hidden_sizes=(4,), dataset="moons", seed=9))
    assert batch_key(a) == batch_key(b)
    for other in (dict(hidden_sizes=(5,)), dict(activation="relu"), dict(optimizer="sgd"), dict(batch_size=20),
                  dict(dataset="three_blobs"), dict(features=("x1", "x2", "x1sq"))):
        assert batch_key(Trainer(RunConfig(hidden_sizes=(4,)).replace(**other))) != batch_key(a), other
    assert batch_key(Trainer(RunConfig(dataset="mnist", model="softmax", train_size=100))) is None
    with pytest.raises(ValueError):
        Cohort([a, Trainer(RunConfig(hidden_sizes=(5,)))])


def _none():
    from engine.core.loop import Snapshots

    return Snapshots(every=None, at_end=False)
