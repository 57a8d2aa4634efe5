"""What the live view paints, built from engine data by plain functions (no Streamlit).

The server trains; the browser paints. A page sends the browser *messages* (`live_message`),
each carrying several `Snapshot`s of the run (taken by whoever trains it, see
playground.sessions and playground.classroom), oldest first, which the browser plays back
smoothly between messages. A snapshot is small: the step, its losses and accuracies, the
gradient sizes and the network's weights; the browser computes the answer over the plane
and each hidden neuron's thumbnail from the weights itself (live_view.js `forward`), as
TensorFlow Playground does. Networks too large to send 20 times a second (more than
`WEIGHTS_LIMIT` parameters) are painted on the server instead: their snapshots carry the
answer as 8-bit levels (`levels` mode).

A message is one binary payload (`Frame.to_bytes`): a JSON header and raw arrays.
Header fields (playground/static/live_view.js reads them):
- `task`; in full messages only, `text`, `scale` and `palette`: the words, the drawing scale
  and the colours (the browser keeps them; a new language or scale makes the next message full).
- `run`: changes when the run starts again (new settings, Reset): the browser drops what it kept.
- `playing`: False: show the newest snapshot at once (Pause, Step, Reset), nothing to play back.
- `interval`: seconds until the next message is expected; `now`: the server's `time.time()`.
- `plane`: `bounds` and `res` of the answer's grid, `range` (regression), `classes` (multiclass).
- `network`: `inputs` (feature names), `hidden`, `outputs`, `activation`, `layers` ([out, in]
  of each weighted layer, input layer first), `names` (their short names), `shown` (neurons
  drawn per layer), `thumb_res`, `thumbs` (whether hidden neurons show thumbnails or plain
  boxes), `mode` ("weights" or "levels").
- `snapshots`: [{`step`, `epoch`, `t` (server time taken), `diverged`, `train_loss`,
  `test_loss`, `train_acc`, `test_acc` (None when not finite), `grads` (per layer)}].
- `curves`: `full` (replace what the browser has) or not (append the points after its last
  step), `log`, `x` (steps), `train_loss`, `test_loss`, `train_acc`, `test_acc`, `grads`
  (per layer, a series each); a regression has no accuracy series.
- `stop`: None, or where early stopping ended the run: {`step`, `best_step`} (the lowest test loss).
- `show_test`; `points`: True when the data's points are in the blobs.
- `blobs`: name -> [offset, length, dtype] of the arrays after the header.
Arrays: `weights` float32 (snapshots, parameters), per snapshot each layer's weight matrix
(out x in, row-major) then its bias; in `levels` mode instead per snapshot `prob` (binary)
or `value` (regression) or `cls` and `margin` (multiclass), uint8 (snapshots, res*res), and
`thumbs` uint8 (snapshots, hidden neurons shown * thumb_res**2, or 0 when too many); the points
`train_x`, `test_x` float32 (n, 2), `train_y`, `test_y` (uint8 classes, float32 values).

Points and the whole curves travel in *full* messages: the first of a run, then every
`FULL_SECONDS` (so a message the browser missed costs nothing for long); the others carry
only the curve points since the last message.

The answer over the plane follows the task: P(class 1) for two classes, the most likely
class and its lead for more, the predicted value for a regression (see `_answer`).
"""

from __future__ import annotations

import json
import math
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import nn

from engine.core.config import RunConfig
from engine.core.datasets import MULTICLASS, OWN_SQUARE, REGRESSION, Dataset, plot_bounds, task_of
from engine.core.heads import head_for
from engine.core.models import build_model
from engine.core.probes import DecisionGrid, decision_grid, flat_parameters, grad_norms, hidden_grids, layer_names
from engine.core.trainer import Trainer
from playground import palette
from playground.i18n import DEFAULT_LANGUAGE, t

BOUNDARY_RESOLUTION = 100
MAX_CURVE_POINTS = 400
MAX_NEURONS_SHOWN = 12  # per layer in the network diagram
THUMBNAIL_RESOLUTION = 20
MAX_THUMBNAILS = 60  # above this many shown hidden neurons the diagram shows plain boxes
# Networks with more parameters are painted on the server (4 bytes each per snapshot).
WEIGHTS_LIMIT = 4_096
# A message carries the points and the whole curves at least this often.
FULL_SECONDS = 5.0


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
        "early_stop": t("live.chart.early_stop", lang),
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
        "save_image": t("live.tools.save_image", lang),
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


@dataclass(frozen=True)
class Snapshot:
    """The run at one step, as the browser paints it: figures, gradient sizes and weights
    (`levels`: the server-painted answer and thumbnails instead, for large networks)."""

    step: int
    epoch: float
    time: float  # time.time() when taken
    diverged: bool
    metrics: dict[str, float | None]  # train_loss, test_loss, train_acc, test_acc (None: not finite)
    grads: list[float | None]
    weights: np.ndarray | None = None
    levels: dict[str, np.ndarray] | None = None


def snapshot_bytes(shot: Snapshot) -> int:
    """What a snapshot adds to a message: its weights, or its painted levels."""
    if shot.weights is not None:
        return shot.weights.nbytes
    return sum(array.nbytes for array in (shot.levels or {}).values())


def paints_in_browser(trainer: Trainer) -> bool:
    """True if the browser computes the answer from the weights (not too many of them)."""
    return sum(p.numel() for p in trainer.model.parameters()) <= WEIGHTS_LIMIT


def snapshot(trainer: Trainer, resolution: int = BOUNDARY_RESOLUTION, measure: bool = True) -> Snapshot:
    """A snapshot of the trainer's current step: recorded first if it is not, or with `measure`
    False, with the figures of its latest recorded step (a live run records every few steps;
    between them a snapshot's weights and gradients are of its step, its losses a little older)."""
    if measure or not trainer.history.steps:
        trainer.record()
    history = trainer.history
    measured = ("train_loss", "test_loss") if trainer.task == REGRESSION else ("train_loss", "test_loss", "train_acc", "test_acc")
    if paints_in_browser(trainer):
        weights, levels = flat_parameters(trainer.model), None
    else:
        sizes = [trainer.n_inputs, *trainer.config.hidden_sizes, trainer.n_outputs]
        shown = [min(n, MAX_NEURONS_SHOWN) for n in sizes]
        _, answer = _answer(decision_grid(trainer.network, trainer.data.bounds, resolution), trainer.data)
        weights, levels = None, {**answer, "thumbs": _neuron_thumbnails(trainer, shown[1:-1])}
    grads = history.grad_norms[-1] if trainer.recorded else grad_norms(trainer.model).tolist()
    return Snapshot(trainer.step, trainer.epoch, time.time(), trainer.diverged,
                    {name: _finite(getattr(history, name)[-1]) for name in measured},
                    [_finite(g) for g in grads], weights, levels)


@dataclass
class Sent:
    """What a browser session has been sent of its run: which run, its newest snapshot, up to
    which step of the curves, and when the last full message went (`resend` makes the next
    message full: the page was drawn anew, and its view may have lost what it kept)."""

    run: int = -1
    step: int = -1  # the newest snapshot's
    curve_step: int = -1
    full_at: float = -math.inf
    view: tuple[Any, ...] = ()  # the words and scale sent

    def resend(self) -> None:
        self.full_at = -math.inf


def _curves(trainer: Trainer, after: int | None, log_loss: bool) -> dict[str, Any]:
    """The recorded curves, thinned to `MAX_CURVE_POINTS` (after=None), or the points after step `after`."""
    history, task = trainer.history, trainer.task
    if after is None:
        keep = thin(len(history.steps))
    else:
        keep = [i for i in range(len(history.steps)) if history.steps[i] > after]
    measured = ("train_loss", "test_loss") if task == REGRESSION else ("train_loss", "test_loss", "train_acc", "test_acc")
    layers = len(trainer.model.linears)
    return {
        "full": after is None,
        "log": log_loss,
        "x": [history.steps[i] for i in keep],
        **{name: [_finite(getattr(history, name)[i]) for i in keep] for name in measured},
        "grads": [[_finite(history.grad_norms[i][layer]) for i in keep] for layer in range(layers)],
    }


def _stop(trainer: Trainer) -> dict[str, int] | None:
    """Where early stopping ended the run (the step, and the step of the lowest test loss), or None."""
    if trainer.stopped_at is None or trainer.best is None:
        return None
    return {"step": trainer.stopped_at, "best_step": trainer.best.step}


def _network(config: RunConfig, model: nn.Module, n_outputs: int, mode: str) -> dict[str, Any]:
    """The header's `network`: what the diagram draws of a 2D network (`mode`: how its neurons' pictures come)."""
    hidden = list(config.hidden_sizes)
    shown = [min(n, MAX_NEURONS_SHOWN) for n in [len(config.features), *hidden, n_outputs]]
    return {
        "inputs": list(config.features),  # engine names; the texts name them (feature_x1sq: x1²)
        "hidden": hidden,
        "outputs": n_outputs,
        "activation": config.activation,
        "layers": [list(layer.weight.shape) for layer in model.linears],
        "names": layer_names(model),
        "shown": shown,
        "thumb_res": THUMBNAIL_RESOLUTION,
        "thumbs": 0 < sum(shown[1:-1]) <= MAX_THUMBNAILS,  # else plain boxes
        "mode": mode,
    }


def live_message(trainer: Trainer, snapshots: list[Snapshot], sent: Sent, *, run: int, playing: bool,
                 interval: float, show_test: bool = True, log_loss: bool = False,
                 resolution: int = BOUNDARY_RESOLUTION, texts: Mapping[str, str] | None = None,
                 scale: float = 1.0, now: float | None = None) -> Frame:
    """The next message of the live view: `snapshots` (at least one, oldest first, all of
    `trainer`'s current run) and the curves since what `sent` says the browser has, or all of
    it when the run changed or `FULL_SECONDS` have passed; `sent` is updated."""
    if not snapshots:
        raise ValueError("a message needs at least one snapshot")
    now = time.time() if now is None else now
    texts = dict(texts or live_texts())
    view = (tuple(texts.values()), scale)
    full = sent.run != run or sent.view != view or now - sent.full_at >= FULL_SECONDS
    data, task = trainer.data, trainer.task
    plane: dict[str, Any] = {"bounds": data.bounds, "res": resolution}
    if task == MULTICLASS:
        plane["classes"] = trainer.n_outputs
    if task == REGRESSION:
        plane["range"] = list(value_range(np.concatenate([data.y_train, data.y_test])))
    mode = "weights" if snapshots[-1].weights is not None else "levels"
    header = {
        **({"text": texts, "scale": scale, "palette": palette.for_browser()} if full else {}),
        "task": task,
        "run": run,
        "playing": playing,
        "interval": interval,
        "now": now,
        "show_test": show_test,
        "plane": plane,
        "network": _network(trainer.config, trainer.model, trainer.n_outputs, mode),
        "snapshots": [{"step": s.step, "epoch": s.epoch, "t": s.time, "diverged": s.diverged, **s.metrics,
                       "grads": s.grads} for s in snapshots],
        "curves": _curves(trainer, None if full else sent.curve_step, log_loss),
        "stop": _stop(trainer),
        "points": full,
    }
    blobs: dict[str, np.ndarray] = {}
    if mode == "weights":
        blobs["weights"] = np.stack([s.weights for s in snapshots]).astype(np.float32)
    else:
        for name in snapshots[-1].levels:
            blobs[name] = np.stack([s.levels[name] for s in snapshots])
    if full:
        target_type = np.float32 if task == REGRESSION else np.uint8  # a value, or a class
        blobs.update(train_x=data.x_train.astype(np.float32), train_y=data.y_train.astype(target_type),
                     test_x=data.x_test.astype(np.float32), test_y=data.y_test.astype(target_type))
        sent.full_at, sent.view = now, view
    if trainer.history.steps:
        sent.curve_step = max(sent.curve_step if not full else -1, trainer.history.steps[-1])
    sent.run, sent.step = run, snapshots[-1].step
    return Frame(header, blobs)


def live_frame(trainer: Trainer, show_test: bool = True, log_loss: bool = False,
               resolution: int = BOUNDARY_RESOLUTION, texts: Mapping[str, str] | None = None,
               scale: float = 1.0) -> Frame:
    """A full message showing the trainer's current step alone (not playing): what a paused
    page, a test or a script sends. The step must have been recorded."""
    if not trainer.recorded:
        raise ValueError("record a snapshot of the current step before drawing it")
    return live_message(trainer, [snapshot(trainer, resolution)], Sent(), run=0, playing=False, interval=1.0,
                        show_test=show_test, log_loss=log_loss, resolution=resolution, texts=texts, scale=scale)


BOARD_RUN = -1  # the `run` of a board's messages: a board is no run, and the next run starts afresh


def board_frame(config: RunConfig, x: np.ndarray, y: np.ndarray, n_classes: int, *, show_test: bool = True,
                resolution: int = BOUNDARY_RESOLUTION, texts: Mapping[str, str] | None = None, scale: float = 1.0,
                now: float | None = None) -> Frame:
    """A full message with no run: a board of drawn points `x`, `y` (too few to train on), all drawn
    as training points on own data's plane, and the network `config` describes with every weight
    zero, so the plane shows no answer (undecided everywhere) and the curves nothing yet."""
    texts = dict(texts or live_texts())
    task = task_of(n_classes)
    n_outputs = head_for(task).n_outputs(n_classes)
    model = build_model(config, (len(config.features),), n_outputs)
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2) * config.input_scale
    plane: dict[str, Any] = {"bounds": plot_bounds(np.concatenate([x, OWN_SQUARE * config.input_scale])),
                             "res": resolution}
    if task == MULTICLASS:
        plane["classes"] = n_outputs
    if task == REGRESSION:
        plane["range"] = list(value_range(np.asarray(y, dtype=np.float64)))
    layers = len(model.linears)
    header = {
        "text": texts, "scale": scale, "palette": palette.for_browser(), "task": task, "run": BOARD_RUN,
        "playing": False, "interval": 1.0, "now": time.time() if now is None else now, "show_test": show_test,
        "plane": plane,
        "network": _network(config, model, n_outputs, "weights"),
        "snapshots": [{"step": 0, "epoch": 0.0, "t": time.time() if now is None else now, "diverged": False,
                       "train_loss": None, "test_loss": None, "train_acc": None, "test_acc": None,
                       "grads": [None] * layers}],
        "curves": {"full": True, "log": False, "x": [], "train_loss": [], "test_loss": [],
                   **({} if task == REGRESSION else {"train_acc": [], "test_acc": []}), "grads": [[] for _ in range(layers)]},
        "stop": None,
        "points": True,
    }
    target_type = np.float32 if task == REGRESSION else np.uint8
    blobs = {
        "weights": np.zeros((1, flat_parameters(model).size), dtype=np.float32),
        "train_x": x.astype(np.float32), "train_y": np.asarray(y).astype(target_type),
        "test_x": np.zeros((0, 2), dtype=np.float32), "test_y": np.zeros(0, dtype=target_type),
    }
    return Frame(header, blobs)
