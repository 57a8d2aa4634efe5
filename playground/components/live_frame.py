"""What the live view paints, built from engine data by plain functions (no Streamlit).

`live_frame(trainer)` returns one `Frame` per tick: a JSON-ready header (status figures,
the recorded curves thinned to at most `MAX_CURVE_POINTS`, per-layer gradient norms, the
network's weights, every word the canvas draws, how large and in which colours to draw it:
`palette.for_browser()`, as the canvas has no colours of its own) and raw arrays
(the network's answer over the plane and a thumbnail per hidden neuron as 8-bit levels,
the points). `Frame.to_bytes` packs both into the one binary message the browser
receives: Streamlit then has no JSON to encode, and nothing is base64-inflated.

The answer over the plane follows the task: P(class 1) for two classes, the most likely
class and its lead for more, the predicted value for a regression (see `_answer`).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from engine.core.datasets import MULTICLASS, REGRESSION, Dataset
from engine.core.probes import DecisionGrid, decision_grid, grad_norms, hidden_grids, layer_names
from engine.core.trainer import Trainer
from playground import palette
from playground.i18n import DEFAULT_LANGUAGE, t

BOUNDARY_RESOLUTION = 100
MAX_CURVE_POINTS = 400
MAX_NEURONS_SHOWN = 12  # per layer in the network diagram
THUMBNAIL_RESOLUTION = 20
MAX_THUMBNAILS = 60  # above this many shown hidden neurons the diagram shows plain boxes


@dataclass(frozen=True)
class Frame:
    header: dict[str, Any]
    blobs: dict[str, np.ndarray]  # uint8 or float32 arrays

    def to_bytes(self) -> bytes:
        """uint32 header length, the header as UTF-8 JSON (with `blobs`: name -> [offset,
        length, dtype], offsets counted from the end of the header), then the arrays,
        each starting on a 4-byte boundary."""
        table, chunks, offset = {}, [], 0
        for name, array in self.blobs.items():
            raw = np.ascontiguousarray(array).tobytes()
            table[name] = [offset, len(raw), array.dtype.str[1:]]
            padding = -len(raw) % 4
            chunks.append(raw + b"\0" * padding)
            offset += len(raw) + padding
        # allow_nan=False: the browser's JSON.parse rejects NaN, so fail here, loudly, instead.
        header = json.dumps({**self.header, "blobs": table}, separators=(",", ":"), allow_nan=False).encode()
        header += b" " * (-len(header) % 4)
        return struct.pack("<I", len(header)) + header + b"".join(chunks)

    def for_viewer(self, texts: Mapping[str, str], scale: float) -> Frame:
        """The same frame in another language (`live_texts`) and at another drawing scale."""
        return replace(self, header={**self.header, "text": dict(texts), "scale": scale})


def live_texts(lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Every word the live view draws, in `lang`, by the name live_view.js reads (`T.name`)."""
    return {
        "step": t("live.status.step", lang),
        "epoch": t("live.status.epoch", lang),
        "train_loss": t("live.status.train_loss", lang),
        "test_loss": t("live.status.test_loss", lang),
        "train_acc": t("live.status.train_acc", lang),
        "test_acc": t("live.status.test_acc", lang),
        "loss": t("live.chart.loss", lang),
        "accuracy": t("live.chart.accuracy", lang),
        "gradient_flow": t("live.chart.gradient_flow", lang),
        "gradient_now": t("live.chart.gradient_now", lang),
        "train": t("live.chart.train", lang),
        "test": t("live.chart.test", lang),
        "steps_axis": t("live.chart.steps_axis", lang),
        "loss_axis": t("live.chart.loss_axis", lang),
        "loss_axis_log": t("live.chart.loss_axis_log", lang),
        "squared_error_axis": t("live.chart.squared_error_axis", lang),
        "squared_error_axis_log": t("live.chart.squared_error_axis_log", lang),
        "accuracy_axis": t("live.chart.accuracy_axis", lang),
        "gradient_axis": t("live.chart.gradient_axis", lang),
        "layer_axis": t("live.chart.layer_axis", lang),
        "layer_axis_numbered": t("live.chart.layer_axis_numbered", lang),
        "start": t("live.chart.start", lang),
        "no_gradients": t("live.chart.no_gradients", lang),
        "x1": t("live.plane.x1", lang),
        "x2": t("live.plane.x2", lang),
        "predicted_value": t("live.plane.predicted_value", lang),
        "input": t("live.network.input", lang),
        "output": t("live.network.output", lang),
        "hidden": t("live.network.hidden", lang),
        "hidden_cut": t("live.network.hidden_cut", lang),
        "class_name": t("live.network.class_name", lang),
        "aria_boundary": t("live.aria.boundary", lang),
        "aria_surface": t("live.aria.surface", lang),
        "aria_loss": t("live.aria.loss", lang),
        "aria_accuracy": t("live.aria.accuracy", lang),
        "aria_gradient_flow": t("live.aria.gradient_flow", lang),
        "aria_gradient_now": t("live.aria.gradient_now", lang),
        "aria_network": t("live.aria.network", lang),
        "feature_x1": t("live.feature.x1", lang),
        "feature_x2": t("live.feature.x2", lang),
        "feature_x1sq": t("live.feature.x1sq", lang),
        "feature_x2sq": t("live.feature.x2sq", lang),
        "feature_x1x2": t("live.feature.x1x2", lang),
        "feature_sin_x1": t("live.feature.sin_x1", lang),
        "feature_sin_x2": t("live.feature.sin_x2", lang),
    }


def _levels(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] as 8-bit levels: 10 kB for a 100x100 grid (NaN, from a diverged
    network, shows as 0.5: undecided)."""
    return np.round(np.clip(np.nan_to_num(values, nan=0.5), 0, 1) * 255).astype(np.uint8)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def thin(n: int, limit: int = MAX_CURVE_POINTS) -> list[int]:
    """Indices of at most `limit` evenly spread entries of a length-`n` series, keeping the last."""
    if n <= limit:
        return list(range(n))
    stride = math.ceil(n / limit)
    indices = list(range(0, n, stride))
    return indices if indices[-1] == n - 1 else [*indices, n - 1]


def _neuron_thumbnails(trainer: Trainer, shown: list[int]) -> np.ndarray:
    """Each shown hidden neuron's activation over the plane, min-max scaled per neuron."""
    if not shown or sum(shown) > MAX_THUMBNAILS:
        return np.zeros(0, dtype=np.uint8)
    tiles = []
    for grid, count in zip(hidden_grids(trainer.network, trainer.data.bounds, THUMBNAIL_RESOLUTION), shown):
        for neuron in range(count):
            values = grid[:, :, neuron]
            low, span = values.min(), values.max() - values.min()
            tiles.append((values - low) / span if span > 1e-6 else np.full_like(values, 0.5))
    return _levels(np.stack(tiles))


def value_range(targets: np.ndarray) -> tuple[float, float]:
    """A regression's colour scale: centred on 0 (white) and reaching the largest target,
    rounded up to two significant digits. Fixed by the data, so colours keep their meaning
    from frame to frame."""
    largest = float(np.max(np.abs(targets), initial=0.0))
    if not math.isfinite(largest) or largest == 0:
        return (-1.0, 1.0)
    unit = 10 ** (math.floor(math.log10(largest)) - 1)
    top = math.ceil(largest / unit - 1e-9) * unit
    top = round(top, 12)  # 12 x 0.1 is 1.2000000000000002
    return (-top, top)


def _answer(grid: DecisionGrid, data: Dataset) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The network's answer over the plane as 8-bit levels, with what the browser needs to
    colour it: P(class 1) for two classes; for more, the most likely class and its lead over
    the runner-up (0: a tie, 1: sure), 2 bytes per point whatever the number of classes;
    for a regression, the predicted value on the scale of `value_range`."""
    if grid.task == MULTICLASS:
        classes = grid.probability.shape[-1]
        probabilities = np.nan_to_num(grid.probability, nan=1 / classes)  # a diverged network: a tie
        top_two = -np.partition(-probabilities, 1, axis=-1)[..., :2]
        return ({"classes": classes},
                {"cls": probabilities.argmax(axis=-1).astype(np.uint8), "margin": _levels(top_two[..., 0] - top_two[..., 1])})
    if grid.task == REGRESSION:
        low, high = value_range(np.concatenate([data.y_train, data.y_test]))
        return {"range": [low, high]}, {"value": _levels((grid.output - low) / (high - low))}
    return {}, {"prob": _levels(grid.probability)}


def live_frame(trainer: Trainer, show_test: bool = True, log_loss: bool = False,
               resolution: int = BOUNDARY_RESOLUTION, texts: Mapping[str, str] | None = None,
               scale: float = 1.0) -> Frame:
    """One frame of the live view for the trainer's current state. Its status figures
    come from the latest snapshot in the history, which must be of the current step.
    `texts` are the words drawn (default: English `live_texts()`); `scale` enlarges
    fonts, lines and markers (presenter mode)."""
    data, history, task = trainer.data, trainer.history, trainer.task
    if not trainer.recorded:
        raise ValueError("record a snapshot of the current step before drawing it")
    answer, answer_blobs = _answer(decision_grid(trainer.network, data.bounds, resolution), data)
    keep = thin(len(history.steps))
    hidden = list(trainer.config.hidden_sizes)
    sizes = [trainer.n_inputs, *hidden, trainer.n_outputs]
    shown = [min(n, MAX_NEURONS_SHOWN) for n in sizes]
    weights = [  # a diverged network's NaN/inf weights are drawn as zero/huge
        np.nan_to_num(np.round(layer.weight.detach().numpy()[: shown[i + 1], : shown[i]], 4), nan=0.0,
                      posinf=1e9, neginf=-1e9).ravel().tolist()
        for i, layer in enumerate(trainer.model.linears)
    ]
    # A regression has no accuracy (the engine records NaN): its curves are left out.
    measured = ("train_loss", "test_loss") if task == REGRESSION else ("train_loss", "test_loss", "train_acc", "test_acc")
    header = {
        "text": dict(texts or live_texts()),
        "scale": scale,
        "palette": palette.for_browser(),
        "task": task,
        "status": {
            "step": trainer.step,
            "epoch": trainer.epoch,
            "diverged": trainer.diverged,
            **{name: _finite(getattr(history, name)[-1]) for name in measured},
        },
        "boundary": {"res": resolution, "bounds": data.bounds, **answer},
        "show_test": show_test,
        "curves": {
            "x": [history.steps[i] for i in keep],
            "log": log_loss,
            **{name: [_finite(getattr(history, name)[i]) for i in keep] for name in measured},
        },
        "grads": {
            "x": [history.steps[i] for i in keep],
            "names": layer_names(trainer.model),
            "layers": [[_finite(history.grad_norms[i][layer]) for i in keep] for layer in range(len(sizes) - 1)],
            "now": [_finite(g) for g in grad_norms(trainer.model).tolist()],
        },
        "network": {
            "inputs": list(trainer.config.features)[: shown[0]],  # engine names; the texts name them (feature_x1sq: x1²)
            "hidden": hidden,
            "shown": shown,
            "weights": weights,
            "thumb_res": THUMBNAIL_RESOLUTION,
        },
    }
    target_type = np.float32 if task == REGRESSION else np.uint8  # a value, or a class
    blobs = {
        **answer_blobs,
        "thumbs": _neuron_thumbnails(trainer, shown[1:-1]),
        "train_x": data.x_train.astype(np.float32),
        "train_y": data.y_train.astype(target_type),
        "test_x": data.x_test.astype(np.float32),
        "test_y": data.y_test.astype(target_type),
    }
    return Frame(header, blobs)
