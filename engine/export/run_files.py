"""A run as files to take home, and back: its settings (JSON), its weights (safetensors) and
its history (CSV).

    settings_json(trainer)            # the config at step 0, the live changes since, the steps
    weights_bytes(trainer)            # the model's tensors, safetensors: plain numbers, no code
    history_csv(trainer)              # step, epoch, losses, accuracies, each layer's gradient size
    settings = read_settings(data)    # an uploaded settings file, checked
    load_weights(trainer, data, settings.steps)   # go on from uploaded weights, a fresh optimizer

Uploads come from anyone (a student's laptop, a link): each is size-capped before it is read,
the settings go through `RunConfig`'s validation, and weights are read as safetensors, which
hold only tensors (nothing is unpickled, no code runs), then checked name by name against the
network the settings build: shape, type, and finite values.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from engine.core.config import MAX_TRAIN_STEPS, RunConfig, parse_value
from engine.core.probes import layer_names
from engine.core.problems import ConfigError, Name, Names
from engine.core.trainer import Change, Trainer

SETTINGS_FORMAT = "nn-playground run"
SETTINGS_VERSION = 1
MAX_SETTINGS_BYTES = 1_000_000  # a run's settings are a few kB; its live changes a few bytes each
MAX_CHANGES = 1_000  # live changes a settings file may list (a student moving a slider makes one per release)
# A weights file's header (JSON: each tensor's name, type, shape and place, then the settings) is read
# and checked before any tensor is made: a file of many tiny tensors would cost seconds to build.
MAX_WEIGHTS_HEADER_BYTES = 256_000
# The largest network the caps allow (an MLP on images: 784 inputs, ten hidden layers of 512) is about
# 2.8 million float32 numbers, 11 MB; a weights file above this is not one of ours.
MAX_WEIGHTS_BYTES = 16_000_000


@dataclass(frozen=True)
class RunSettings:
    """A run as its settings file says it: the config it started with, the settings it took
    live on the way (`changes`), and the steps it had trained when saved."""

    config: RunConfig
    changes: tuple[Change, ...]
    steps: int
    weights_from: int | None = None  # steps its starting weights had trained elsewhere (an uploaded run)

    @cached_property
    def final_config(self) -> RunConfig:
        """The config as it was when the run was saved: `config` with every change taken."""
        config = self.config
        for change in self.changes:
            config = config.replace(**change.settings)
        return config


def settings_dict(trainer: Trainer) -> dict[str, Any]:
    """What `settings_json` writes, as a dict."""
    return {
        "format": SETTINGS_FORMAT,
        "version": SETTINGS_VERSION,
        "config": trainer.start_config.to_dict(),
        "changes": [{"step": change.step, **change.settings} for change in trainer.changes],
        "steps": trainer.step,
        "weights_from": trainer.weights_from,
    }


def settings_json(trainer: Trainer) -> str:
    """The run's settings as JSON: the config it started with, each live change (the step it was
    taken after, the new values), and the steps trained. `read_settings` reads it back."""
    return json.dumps(settings_dict(trainer), indent=2, ensure_ascii=False) + "\n"


def _whole(value: Any, low: int, high: int, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError("whole_range", name=Name(name), low=low, high=high, value=value)
    return value


def read_settings(data: bytes | str) -> RunSettings:
    """A settings file (from `settings_json`) read back and checked: its size, its JSON, the
    config (every value as `RunConfig` checks it) and each change (steps in order, only the
    settings a run takes live). Raises ConfigError saying what is wrong."""
    if len(data) > MAX_SETTINGS_BYTES:
        raise ConfigError("settings_too_big", size=len(data), high=MAX_SETTINGS_BYTES)
    try:
        values = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):  # (brackets nested deeper than Python recurses)
        raise ConfigError("settings_not_json") from None
    if not isinstance(values, dict) or values.get("format") != SETTINGS_FORMAT or not isinstance(values.get("config"), dict):
        raise ConfigError("settings_not_ours", format=SETTINGS_FORMAT)
    if type(values.get("version")) is not int or values["version"] != SETTINGS_VERSION:
        raise ConfigError("settings_version", value=values.get("version"), version=SETTINGS_VERSION)
    config = RunConfig.from_dict(values["config"])
    steps = _whole(values.get("steps"), 0, MAX_TRAIN_STEPS, "steps")
    weights_from = values.get("weights_from")
    if weights_from is not None:
        _whole(weights_from, 0, MAX_TRAIN_STEPS, "weights_from")
    changes = values.get("changes", [])
    if not isinstance(changes, list) or len(changes) > MAX_CHANGES:
        raise ConfigError("settings_changes", high=MAX_CHANGES)
    return RunSettings(config, _changes(config, changes, steps), steps, weights_from)


def _changes(config: RunConfig, entries: Sequence[Any], steps: int) -> tuple[Change, ...]:
    changes, last = [], -1
    for entry in entries:
        if not isinstance(entry, dict):
            raise ConfigError("settings_changes", high=MAX_CHANGES)
        step = _whole(entry.get("step"), max(last, 0), steps, "step")
        settings = {name: value for name, value in entry.items() if name != "step"}
        unknown = sorted(set(settings) - Trainer.LIVE_FIELDS)
        if unknown or not settings or any(value is None for value in settings.values()):
            raise ConfigError("settings_change_fields", names=Names(unknown), live=Names(sorted(Trainer.LIVE_FIELDS)))
        config = config.replace(**{name: parse_value(name, value) for name, value in settings.items()})  # checks them
        changes.append(Change(step, {name: getattr(config, name) for name in settings}))
        last = step
    return tuple(changes)


def weights_bytes(trainer: Trainer) -> bytes:
    """The model's tensors (weights, biases, batch norm's running statistics) as a safetensors
    file, named as the engine's model names them; the settings go in its metadata too."""
    tensors = {name: tensor.detach().contiguous() for name, tensor in trainer.model.state_dict().items()}
    metadata = {"format": "pt", SETTINGS_FORMAT: json.dumps(settings_dict(trainer))}
    return save_safetensors(tensors, metadata=metadata)


def read_weights(trainer: Trainer, data: bytes) -> dict[str, torch.Tensor]:
    """Uploaded weights, checked against `trainer`'s network: a safetensors file (read as
    tensors only) holding exactly its tensors, each of the same shape and type, all finite."""
    if len(data) > MAX_WEIGHTS_BYTES:
        raise ConfigError("weights_too_big", size=len(data), high=MAX_WEIGHTS_BYTES)
    expected = trainer.model.state_dict()
    _check_header(data, expected)
    try:
        tensors = load_safetensors(bytes(data))
    except (SafetensorError, ValueError, RuntimeError, TypeError, OverflowError):
        raise ConfigError("weights_unreadable") from None
    for name, tensor in expected.items():
        got = tensors[name]
        if got.dtype != tensor.dtype:
            raise ConfigError("weights_type", name=Name(name), expected=str(tensor.dtype).removeprefix("torch."),
                              got=str(got.dtype).removeprefix("torch."))
        if got.shape != tensor.shape:
            raise ConfigError("weights_shape", name=Name(name), expected=f"{tuple(tensor.shape)} {tensor.dtype}",
                              got=f"{tuple(got.shape)} {got.dtype}")
        if got.is_floating_point() and not bool(torch.isfinite(got).all()):
            raise ConfigError("weights_not_finite", name=Name(name))
    return tensors


def _check_header(data: bytes, expected: dict[str, torch.Tensor]) -> None:
    """The safetensors header of `data`, read alone (8 bytes of length, then JSON) and checked to
    name exactly `expected`'s tensors before any tensor is built."""
    size = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if not 0 < size <= min(MAX_WEIGHTS_HEADER_BYTES, len(data) - 8):
        raise ConfigError("weights_unreadable")
    try:
        header = json.loads(data[8 : 8 + size])
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ConfigError("weights_unreadable") from None
    if not isinstance(header, dict):
        raise ConfigError("weights_unreadable")
    names = [name for name in header if name != "__metadata__"]
    if set(names) != set(expected):
        shown = 6  # names enough to see which network they are (an MLP's layers, a CNN's features)
        raise ConfigError("weights_names", got=Names(names[:shown]), expected=Names(list(expected)[:shown]))


def load_weights(trainer: Trainer, data: bytes, trained_steps: int) -> None:
    """Go on from uploaded weights: checked (`read_weights`), then `trainer` is at step 0 with
    them, a fresh optimizer (its momentum and step sizes are not saved) and an empty history."""
    trainer.start_from(read_weights(trainer, data), trained_steps)


def history_csv(trainer: Trainer) -> str:
    """The run's recorded snapshots as CSV: step, epoch, losses, accuracies (empty for a
    regression), and each weighted layer's gradient size (input layer first)."""
    h = trainer.history
    out = io.StringIO()
    out.write("\ufeff")  # UTF-8's byte order mark: spreadsheet programs then read the layer names' arrows right
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc",
                     *(f"grad_norm {name}" for name in layer_names(trainer.model))])

    def number(value: float) -> str:
        return "" if math.isnan(value) else repr(float(value))

    for row in zip(h.steps, h.epochs, h.train_loss, h.test_loss, h.train_acc, h.test_acc, h.grad_norms):
        step, epoch, *figures, grads = row
        writer.writerow([step, f"{epoch:.6g}", *(number(value) for value in figures), *(number(g) for g in grads)])
    return out.getvalue()


def file_stem(trainer: Trainer) -> str:
    """A file name for the run's files, without extension: e.g. "xor-mlp-step500"."""
    config = trainer.config
    return f"{config.dataset}-{config.model}-step{trainer.step}"
