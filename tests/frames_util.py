"""Read a live-view frame back, as the browser does (see playground/live_view.js `unpack`)."""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np


def unpack(payload: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    (length,) = struct.unpack_from("<I", payload)
    header = json.loads(payload[4 : 4 + length])
    base = 4 + length
    blobs = {name: np.frombuffer(payload[base + offset : base + offset + size], dtype=np.dtype(dtype))
             for name, (offset, size, dtype) in header["blobs"].items()}
    return header, blobs
