"""A run's history stays bounded however long it plays, and still spans the whole run."""

import numpy as np
import pytest

from engine.core import history
from engine.core.config import RunConfig
from engine.core.history import History, LossSeries, make_room, thin
from engine.core.loop import train
from engine.core.trainer import Trainer
from engine.experiments.seeds import SeedsTrainer


def test_a_loss_series_keeps_every_step_until_full_then_averages_pairs():
    series = LossSeries(capacity=8)
    for value in range(1, 8):
        series.append(float(value))
    assert series.values().tolist() == [1, 2, 3, 4, 5, 6, 7] and series.steps().tolist() == [1, 2, 3, 4, 5, 6, 7]
    for value in range(8, 101):
        series.append(float(value))
    assert len(series) <= 8
    assert series.steps()[-1] == 100  # the newest step is always there
    # Each point is the mean of the steps it covers: their mean, weighted by steps, is the run's.
    steps = np.diff(np.concatenate([[0], series.steps()]))
    assert np.average(series.values(), weights=steps) == pytest.approx(50.5)


def test_a_loss_series_of_arrays_keeps_one_column_per_seed():
    series = LossSeries(capacity=4)
    for value in range(10):
        series.append(np.array([value, -value], dtype=float))
    values = series.values()
    assert values.shape[1] == 2 and np.all(values[:, 0] == -values[:, 1])


def test_thinning_keeps_snapshots_evenly_spread_over_the_whole_run():
    h = History()
    for step in range(0, 100_001, 10):
        make_room(h)
        h.steps.append(step)
        h.test_loss.append(float(step))
        thin(h, capacity=16)
        assert len(h.steps) <= 17 and len(h.test_loss) == len(h.steps)
    assert h.steps[0] == 0 and h.steps[-1] == 100_000
    assert h.steps == sorted(h.steps) and h.test_loss == [float(s) for s in h.steps]
    gaps = set(np.diff(h.steps[:-1]))
    assert len(gaps) == 1 and len(h.steps) >= 8  # one spacing from the start to the newest: no hole in the past


def test_a_long_run_has_a_bounded_history(monkeypatch):
    monkeypatch.setattr(history, "SERIES_CAPACITY", 64)
    monkeypatch.setattr(history, "SNAPSHOT_CAPACITY", 16)
    trainer = Trainer(RunConfig(dataset="xor", batch_size=1))
    train(trainer, 2_000)
    h = trainer.history
    assert len(h.batch_loss) <= 64 and h.batch_loss.steps()[-1] == 2_000
    assert 8 <= len(h.steps) <= 17 and h.steps[-1] == 2_000
    assert h.steps[0] == h.steps[1] - h.steps[0] < 500  # evenly spread from the start of the run
    assert all(len(values) == len(h.steps) for values in (h.epochs, h.train_loss, h.test_loss, h.grad_norms))

    seeds = SeedsTrainer(RunConfig(dataset="xor", batch_size=1), n_seeds=4)
    train(seeds, 2_000)
    assert seeds.history.batch_loss.shape[0] <= 64 and len(seeds.history.steps) <= 17
    assert len(seeds.history.test_loss) == len(seeds.history.steps)
