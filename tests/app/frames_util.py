"""Read a live-view frame back, as the browser does (see playground/static/live_view.js `unpack`)."""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np


def _reject(constant: str) -> None:
    raise ValueError(f"{constant} is not valid JSON; the browser's JSON.parse would fail on it")


def unpack(payload: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Header and arrays of a frame; as strict as the browser's JSON.parse (no NaN)."""
    (length,) = struct.unpack_from("<I", payload)
    header = json.loads(payload[4 : 4 + length], parse_constant=_reject)
    base = 4 + length
    blobs = {name: np.frombuffer(payload[base + offset : base + offset + size], dtype=np.dtype(dtype))
             for name, (offset, size, dtype) in header["blobs"].items()}
    return header, blobs
