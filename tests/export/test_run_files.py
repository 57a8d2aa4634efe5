"""A run's files: settings (with its live changes), weights and history go out, and come back in
checked, so an upload from anyone can only give a run the engine accepts."""

import csv
import io
import json

import pytest
import torch
from safetensors.torch import save as save_safetensors

from engine.core.config import RunConfig
from engine.core.loop import Snapshots, train
from engine.core.problems import ConfigError
from engine.core.trainer import Change, Trainer
from engine.export.run_files import (
    MAX_SETTINGS_BYTES,
    MAX_WEIGHTS_BYTES,
    file_stem,
    history_csv,
    load_weights,
    read_settings,
    read_weights,
    settings_json,
    weights_bytes,
)

QUIET = Snapshots(every=None, at_end=False)


def played(config: RunConfig | None = None) -> Trainer:
    """A run that took 30 steps, a live change of learning rate and batch size, then 20 more."""
    trainer = Trainer(config or RunConfig(dataset="circle", hidden_sizes=(5, 3)))
    train(trainer, 30)
    assert trainer.apply_live(trainer.config.replace(learning_rate=0.03, batch_size=20))
    train(trainer, 20)
    return trainer


def test_live_changes_are_recorded_with_the_step_they_were_taken_after():
    trainer = played()
    assert trainer.changes == [Change(30, {"batch_size": 20, "learning_rate": 0.03})]
    assert trainer.start_config.learning_rate == 0.01 and trainer.config.learning_rate == 0.03
    trainer.apply_live(trainer.config.replace(weight_decay=0.001))
    trainer.apply_live(trainer.config.replace(weight_decay=0.01))  # two moves between two steps: one change
    assert trainer.changes[-1] == Change(50, {"weight_decay": 0.01})
    trainer.reset()  # a new run from the settings of now
    assert trainer.changes == [] and trainer.start_config == trainer.config


def test_settings_round_trip_with_their_live_changes():
    trainer = played()
    settings = read_settings(settings_json(trainer).encode())
    assert settings.config == trainer.start_config
    assert settings.changes == tuple(trainer.changes)
    assert settings.steps == 50 and settings.final_config == trainer.config


@pytest.mark.parametrize(("text", "code"), [
    ("not json {", "settings_not_json"),
    ('{"some": "json"}', "settings_not_ours"),
    ('{"format": "nn-playground run", "version": 7, "config": {}}', "settings_version"),
    ('{"format": "nn-playground run", "version": true, "config": {}}', "settings_version"),
    ('{"format": "nn-playground run", "version": 1, "config": {"optimizer": ["adam"]}, "steps": 1}', "text_setting"),
    ('{"format": "nn-playground run", "version": 1, "config": {"features": [[1]]}, "steps": 1}', "features"),
    ('[' * 100_000, "settings_not_json"),
    ('{"format": "nn-playground run", "version": 1, "config": {}, "steps": 9, '
     '"changes": [{"step": 3, "learning_rate": null}]}', "settings_change_fields"),
    ('{"format": "nn-playground run", "version": 1, "config": {"dataset": "nope"}, "steps": 1}', "unknown_choice"),
    ('{"format": "nn-playground run", "version": 1, "config": {"hidden_sizes": [999]}, "steps": 1}', "layer_width"),
    ('{"format": "nn-playground run", "version": 1, "config": {}, "steps": -1}', "whole_range"),
    ('{"format": "nn-playground run", "version": 1, "config": {}, "steps": 9, "changes": [{"step": 3, "seed": 2}]}',
     "settings_change_fields"),
    ('{"format": "nn-playground run", "version": 1, "config": {}, "steps": 9, "changes": [{"step": 30, "lr": 1}]}',
     "whole_range"),
    ('{"format": "nn-playground run", "version": 1, "config": {}, "steps": 9, '
     '"changes": [{"step": 3, "learning_rate": 1e9}]}', "above_zero_at_most"),
])
def test_a_bad_settings_file_is_refused_with_what_is_wrong(text, code):
    with pytest.raises(ConfigError) as caught:
        read_settings(text.encode())
    assert code in (caught.value.problem.code, *(getattr(p, "code", "") for p in caught.value.problem.params.values()))


def test_a_settings_file_too_big_is_refused_before_it_is_read():
    with pytest.raises(ConfigError, match="at most"):
        read_settings(b" " * (MAX_SETTINGS_BYTES + 1))


def test_uploaded_weights_go_on_from_where_they_were_with_a_fresh_optimizer():
    trainer = played()
    data = weights_bytes(trainer)
    fresh = Trainer(trainer.config)
    load_weights(fresh, data, trained_steps=trainer.step)
    assert fresh.step == 0 and fresh.weights_from == 50 and not fresh.optimizer.state
    for name, tensor in trainer.model.state_dict().items():
        assert torch.equal(fresh.model.state_dict()[name], tensor)
    assert fresh.evaluate() == trainer.evaluate()
    train(fresh, 5)  # and it trains on
    assert fresh.step == 5


def test_cnn_weights_with_batch_norm_statistics_round_trip():
    config = RunConfig(dataset="mnist", model="cnn", conv_channels=(4,), batch_norm=True, hidden_sizes=(8,), train_size=128)
    trainer = Trainer(config)
    train(trainer, 3, snapshots=QUIET)
    fresh = Trainer(config)
    load_weights(fresh, weights_bytes(trainer), 3)
    assert torch.equal(fresh.model.features[1].running_mean, trainer.model.features[1].running_mean)


@pytest.mark.parametrize(("make", "code"), [
    (lambda t: b"\x00" * 64, "weights_unreadable"),
    (lambda t: b"PK\x03\x04 a pickle in a zip, as torch.save writes", "weights_unreadable"),
    (lambda t: weights_bytes(Trainer(RunConfig(hidden_sizes=(4, 4, 4)))), "weights_names"),
    (lambda t: weights_bytes(Trainer(RunConfig(hidden_sizes=(4, 5)))), "weights_shape"),
    (lambda t: save_safetensors({n: torch.full_like(v, float("nan")) for n, v in t.model.state_dict().items()}),
     "weights_not_finite"),
    (lambda t: save_safetensors({n: v.double() for n, v in t.model.state_dict().items()}), "weights_type"),
    # many tiny tensors: refused from the header alone, before seconds of building them
    (lambda t: save_safetensors({f"t{i}": torch.zeros(0) for i in range(20_000)}), "weights_unreadable"),
    (lambda t: (10**9).to_bytes(8, "little") + b"{}", "weights_unreadable"),
])
def test_weights_that_do_not_fit_the_network_are_refused(make, code):
    trainer = Trainer(RunConfig())
    before = {name: tensor.clone() for name, tensor in trainer.model.state_dict().items()}
    with pytest.raises(ConfigError) as caught:
        load_weights(trainer, make(trainer), 10)
    assert caught.value.problem.code == code
    assert all(torch.equal(trainer.model.state_dict()[name], tensor) for name, tensor in before.items())


def test_weights_too_big_are_refused_before_they_are_read():
    with pytest.raises(ConfigError, match="at most"):
        read_weights(Trainer(RunConfig()), b"\x00" * (MAX_WEIGHTS_BYTES + 1))


def test_the_weights_file_carries_its_settings():
    trainer = played()
    data = weights_bytes(trainer)
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    assert json.loads(header["__metadata__"]["nn-playground run"])["steps"] == 50


def test_the_history_csv_has_a_row_per_snapshot_and_a_column_per_layer():
    trainer = played()
    text = history_csv(trainer)
    assert text.startswith("\ufeffstep,")  # a spreadsheet reads it as UTF-8
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == ["step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc",
                       "grad_norm in→h1", "grad_norm h1→h2", "grad_norm h2→out"]
    assert [int(row[0]) for row in rows[1:]] == trainer.history.steps
    assert float(rows[-1][3]) == trainer.history.test_loss[-1]


def test_a_regression_history_leaves_accuracy_empty():
    trainer = Trainer(RunConfig(dataset="plane"))
    train(trainer, 10)
    last = list(csv.reader(io.StringIO(history_csv(trainer))))[-1]
    assert last[4] == last[5] == ""


def test_file_names_say_the_run():
    assert file_stem(played()) == "circle-mlp-step50"
