"""A student's own data: points drawn on the plane, or read from a CSV file.

Drawn points travel in a link, so they have a compact text form (`RunConfig.own_points`):
one letter for the task, "b" (two classes), "m" (three classes) or "r" (a value), then
base64url (no padding) of 3 bytes per point: x1, x2 and the target. x1 and x2 are quantised
over the square [-1, 1] in 256 levels (a byte b stands for -1 + 2b/255); the target is the
class (0..2), or for "r" the value quantised the same way. 500 points make about 2 kB of link,
under what proxies allow in a request's first line. The letter alone is a task with no drawn
points (an empty board, or data given another way: an uploaded CSV file).

    text = encode_points(x, y, "binary")           # "b" + base64url
    x, y, n_classes = decode_points(text)          # float64 (n, 2), labels or values, 2 | 3 | 0
    x, y = read_points_csv(file_text, "binary")    # rows "x1,x2,label"; ConfigError names bad lines
    points_dataset(config)                         # the Dataset a config's drawn points make

A CSV file is not part of a link: it has up to `MAX_POINTS` rows of any values.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import TYPE_CHECKING

import numpy as np

from engine.core.datasets import BINARY, MAX_POINTS, MULTICLASS, OWN, REGRESSION, Dataset, own_dataset
from engine.core.problems import ConfigError, Name, Names, Problem

if TYPE_CHECKING:  # engine.core.config imports this module
    from engine.core.config import RunConfig

MIN_OWN_POINTS = 2  # one to train on, one to test
MAX_OWN_POINTS = 500  # drawn points: about 2 kB of link
# The task's letter and the classes it has (0: a value).
LETTERS = {"b": 2, "m": 3, "r": 0}
TASK_LETTERS = {BINARY: "b", MULTICLASS: "m", REGRESSION: "r"}
BYTES_PER_POINT = 3
LEVELS = 255  # a byte's steps over [-1, 1]
BAD_ROWS_LISTED = 5  # a CSV file's bad rows named one by one; the others are counted
EXCERPT = 40  # characters of a broken text quoted in a message
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def _level(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (clipped) as bytes 0..255."""
    return np.round((np.clip(values, -1.0, 1.0) + 1.0) * LEVELS / 2).astype(np.uint8)


def _unlevel(levels: np.ndarray) -> np.ndarray:
    return -1.0 + 2.0 * levels.astype(np.float64) / LEVELS


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "…"


def encode_points(x: np.ndarray, y: np.ndarray, task: str) -> str:
    """The compact text form of points `x` (n, 2) with targets `y` for `task` ("binary",
    "multiclass" or "regression"): coordinates and values are clipped to [-1, 1] and quantised."""
    if task not in TASK_LETTERS:
        raise ConfigError("unknown_choice", name=Name("task"), value=task, choices=Names(map(Name, TASK_LETTERS)))
    x, y = np.asarray(x, dtype=np.float64).reshape(-1, 2), np.asarray(y)
    target = _level(y.astype(np.float64)) if task == REGRESSION else y.astype(np.uint8)
    raw = np.column_stack([_level(x[:, 0]), _level(x[:, 1]), target]).astype(np.uint8).tobytes()
    return TASK_LETTERS[task] + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _max_text_length() -> int:
    return 1 + math.ceil(MAX_OWN_POINTS * BYTES_PER_POINT * 4 / 3)


def decode_points(text: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Points from their text form: x float64 (n, 2), y (int64 classes, or float64 values)
    and the number of classes (2, 3, or 0 for values). Raises ConfigError for a text that is
    not one: a wrong letter, broken base64, bytes that are not whole points, a class the task
    does not have, or more than `MAX_OWN_POINTS` points."""
    letter, body = text[:1], text[1:]
    if letter not in LETTERS:
        raise ConfigError("own_points_task", value=_excerpt(text))
    if len(text) > _max_text_length():
        raise ConfigError("own_points_max", count=len(body) * 6 // 8 // BYTES_PER_POINT, high=MAX_OWN_POINTS)
    if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
        raise ConfigError("own_points_base64", value=_excerpt(body))
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise ConfigError("own_points_base64", value=_excerpt(body)) from None
    if len(raw) % BYTES_PER_POINT:
        raise ConfigError("own_points_length", size=len(raw), per_point=BYTES_PER_POINT)
    n_classes = LETTERS[letter]
    points = np.frombuffer(raw, dtype=np.uint8).reshape(-1, BYTES_PER_POINT)
    x = _unlevel(points[:, :2])
    if n_classes == 0:
        return x, _unlevel(points[:, 2]), 0
    labels = points[:, 2].astype(np.int64)
    wrong = np.flatnonzero(labels >= n_classes)
    if len(wrong):
        raise ConfigError("own_points_class", point=int(wrong[0]) + 1, value=int(labels[wrong[0]]), high=n_classes - 1)
    return x, labels, n_classes


def own_classes(text: str) -> int:
    """The classes of a drawing's task from its letter (2, 3, or 0 for a value); 2 when there is none."""
    return LETTERS.get(text[:1], 2)


def own_point_count(text: str) -> int:
    """Points in a valid text form, from its length alone (no decoding)."""
    return len(text[1:]) * 6 // 8 // BYTES_PER_POINT


def check_own_points(text: str, dataset: str) -> None:
    """Raise ConfigError unless `text` is a valid drawing for a run on `dataset`: any valid text
    form, with at least `MIN_OWN_POINTS` points when the run is on own data and draws any."""
    if not text:
        return
    x, _, _ = decode_points(text)
    if dataset == OWN and 0 < len(x) < MIN_OWN_POINTS:
        raise ConfigError("own_points_min", low=MIN_OWN_POINTS, count=len(x))


def points_dataset(config: RunConfig) -> Dataset:
    """The Dataset of a config on own data: its drawn points, split, scaled and standardised as
    the config says. Raises ConfigError when it draws none (the data must then be given:
    `Trainer(config, data=own_dataset(...))`)."""
    if config.dataset != OWN or not own_point_count(config.own_points):
        raise ConfigError("own_data_needed", dataset=Name(OWN))
    x, y, n_classes = decode_points(config.own_points)
    return own_dataset(x, y, n_classes, test_fraction=config.test_fraction, seed=config.seed,
                       input_scale=config.input_scale, standardize=config.standardize)


# ---------------------------------------------------------------- CSV files

MAX_CSV_VALUE = 1e30  # a CSV value's size at most: float32, the network's numbers, ends near 3.4e38


def _row(fields: list[str], n_classes: int) -> tuple[float, float, float] | Problem:
    """One data row's x1, x2 and target, or what is wrong with it."""
    if len(fields) != 3:
        return Problem("csv_columns", {"count": len(fields)})
    numbers = []
    for field in fields:
        try:
            number = float(field)
        except ValueError:
            return Problem("csv_number", {"value": _excerpt(field), "high": MAX_CSV_VALUE})
        if not math.isfinite(number) or abs(number) > MAX_CSV_VALUE:  # (beyond float32's range: infinite in training)
            return Problem("csv_number", {"value": _excerpt(field), "high": MAX_CSV_VALUE})
        numbers.append(number)
    if n_classes and (not numbers[2].is_integer() or not 0 <= numbers[2] < n_classes):
        return Problem("csv_label", {"high": n_classes - 1, "value": _excerpt(fields[2])})
    return numbers[0], numbers[1], numbers[2]


def _is_header(fields: list[str]) -> bool:
    """A header names its three columns: no field a number (a row of numbers split by anything but
    commas is a bad row, said as such, not a header dropped silently)."""
    if len(fields) != 3:
        return False
    for field in fields:
        try:
            float(field)
        except ValueError:
            continue
        return False
    return True


def read_points_csv(text: str, task: str) -> tuple[np.ndarray, np.ndarray]:
    """Points from a CSV file's text: one row per point, "x1,x2,label" (a whole number 0..1
    for "binary", 0..2 for "multiclass") or "x1,x2,value" (any finite number, "regression");
    an optional header row; blank lines skipped. Returns x float64 (n, 2) and y (int64
    labels, or float64 values). Raises ConfigError for an empty file, one of more than
    `MAX_POINTS` rows, or one with bad rows (the first few named by line number)."""
    n_classes = LETTERS[TASK_LETTERS[task]] if task in TASK_LETTERS else 2
    lines = [(number, line.strip()) for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1)
             if line.strip()]
    if lines and _is_header([field.strip() for field in lines[0][1].split(",")]):
        lines = lines[1:]
    if not lines:
        raise ConfigError("csv_empty")
    if len(lines) > MAX_POINTS:
        raise ConfigError("csv_too_many", count=len(lines), high=MAX_POINTS)
    rows, bad = [], []
    for number, line in lines:
        row = _row([field.strip() for field in line.split(",")], n_classes)
        if isinstance(row, Problem):
            bad.append(Problem("csv_line", {"line": number, "problem": row}))
        else:
            rows.append(row)
    if bad:
        listed = bad[:BAD_ROWS_LISTED]
        more = [Problem("csv_more", {"count": len(bad) - len(listed)})] if len(bad) > len(listed) else []
        raise ConfigError("csv_bad_rows", count=len(bad), rows=Names([*listed, *more]))
    if len(rows) < MIN_OWN_POINTS:
        raise ConfigError("csv_too_few", count=len(rows), low=MIN_OWN_POINTS)
    table = np.array(rows, dtype=np.float64)
    y = table[:, 2] if n_classes == 0 else table[:, 2].astype(np.int64)
    return table[:, :2].copy(), y


def points_csv(x: np.ndarray, y: np.ndarray) -> str:
    """Points as a CSV file's text that `read_points_csv` reads back exactly: a header
    ("x1,x2,label" for int labels, "x1,x2,value" otherwise) and one row per point."""
    x, y = np.asarray(x, dtype=np.float64).reshape(-1, 2), np.asarray(y)
    labels = np.issubdtype(y.dtype, np.integer)
    rows = ["x1,x2,label" if labels else "x1,x2,value"]
    for (x1, x2), target in zip(x.tolist(), y.tolist()):
        rows.append(f"{x1!r},{x2!r},{target if labels else repr(float(target))}")
    return "\n".join(rows) + "\n"
