"""What the live view paints, built from engine data by plain functions (no Streamlit).

`live_frame(trainer)` returns one `Frame` per tick: a JSON-ready header (status figures,
the recorded curves thinned to at most `MAX_CURVE_POINTS`, per-layer gradient norms, the
network's weights) and raw arrays (the decision boundary and a thumbnail per hidden neuron
as 8-bit levels, the points). `Frame.to_bytes` packs both into the one binary message the
browser receives: Streamlit then has no JSON to encode, and nothing is base64-inflated.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.probes import layer_names
from engine.trainer import Trainer

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
    for grid, count in zip(trainer.hidden_grids(THUMBNAIL_RESOLUTION), shown):
        for neuron in range(count):
            values = grid[:, :, neuron]
            low, span = values.min(), values.max() - values.min()
            tiles.append((values - low) / span if span > 1e-6 else np.full_like(values, 0.5))
    return _levels(np.stack(tiles))


def live_frame(trainer: Trainer, show_test: bool = True, log_loss: bool = False,
               resolution: int = BOUNDARY_RESOLUTION) -> Frame:
    """One frame of the live view for the trainer's current state. Its status figures
    come from the latest snapshot in the history, which must be of the current step."""
    data, history = trainer.data, trainer.history
    if not history.steps or history.steps[-1] != trainer.step:
        raise ValueError("record a snapshot of the current step before drawing it")
    grid = trainer.decision_grid(resolution)
    keep = thin(len(history.steps))
    hidden = list(trainer.config.hidden_sizes)
    sizes = [data.n_features, *hidden, trainer.model.linears[-1].out_features]
    shown = [min(n, MAX_NEURONS_SHOWN) for n in sizes]
    weights = [  # a diverged network's NaN/inf weights are drawn as zero/huge
        np.nan_to_num(np.round(layer.weight.detach().numpy()[: shown[i + 1], : shown[i]], 4), nan=0.0,
                      posinf=1e9, neginf=-1e9).ravel().tolist()
        for i, layer in enumerate(trainer.model.linears)
    ]
    header = {
        "status": {
            "step": trainer.step,
            "epoch": trainer.epoch,
            "diverged": trainer.diverged,
            **{name: _finite(getattr(history, name)[-1]) for name in ("train_loss", "test_loss", "train_acc", "test_acc")},
        },
        "boundary": {"res": resolution, "bounds": data.bounds},
        "show_test": show_test,
        "curves": {
            "x": [history.steps[i] for i in keep],
            "x_label": "training step",
            "log": log_loss,
            **{name: [_finite(getattr(history, name)[i]) for i in keep]
               for name in ("train_loss", "test_loss", "train_acc", "test_acc")},
        },
        "grads": {
            "x": [history.steps[i] for i in keep],
            "names": layer_names(trainer.model),
            "layers": [[_finite(history.grad_norms[i][layer]) for i in keep] for layer in range(len(sizes) - 1)],
            "now": [_finite(g) for g in trainer.grad_norms()],
        },
        "network": {
            "inputs": [f"x{i + 1}" for i in range(data.n_features)],
            "hidden": hidden,
            "shown": shown,
            "weights": weights,
            "thumb_res": THUMBNAIL_RESOLUTION,
        },
    }
    blobs = {
        "prob": _levels(grid.probability),
        "thumbs": _neuron_thumbnails(trainer, shown[1:-1]),
        "train_x": data.x_train.astype(np.float32),
        "train_y": data.y_train.astype(np.uint8),
        "test_x": data.x_test.astype(np.float32),
        "test_y": data.y_test.astype(np.uint8),
    }
    return Frame(header, blobs)
