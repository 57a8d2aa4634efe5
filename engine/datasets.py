"""Two-dimensional toy datasets for the playground.

Each generator maps (number of points, noise, random generator) to inputs `x` of
shape (n, 2) and 0/1 labels `y`. `make_dataset` adds the train/test split, optional
input scaling and standardisation, and the bounds a plot of the plane needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]

# Margin around the data when framing the plane, as a share of the data's extent.
PLOT_MARGIN = 0.1
SPIRAL_NOISE_SCALE = 0.3


@dataclass(frozen=True)
class Dataset:
    """A split dataset: float32 inputs, int64 class labels, and the plane to draw."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    bounds: tuple[tuple[float, float], tuple[float, float]]  # ((x1 min, x1 max), (x2 min, x2 max))
    n_classes: int = 2

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]


def _corners(truth_table: tuple[int, int, int, int]) -> Generator:
    """Points scattered around the unit square's corners, labelled by a truth table
    over (x1, x2) = (0,0), (0,1), (1,0), (1,1)."""

    def generate(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        corner = rng.integers(0, 4, size=n)
        bits = np.stack([corner // 2, corner % 2], axis=1).astype(np.float64)
        x = bits + rng.normal(0.0, noise, size=(n, 2))
        return x, np.asarray(truth_table)[corner]

    return generate


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A disc (label 1) inside a ring (label 0)."""
    y = (np.arange(n) % 2).astype(np.int64)
    radius = np.where(y == 1, rng.uniform(0.0, 0.5, n), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return x + rng.normal(0.0, noise, size=(n, 2)), y


def _gaussians(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs; noise widens them until they overlap."""
    y = (np.arange(n) % 2).astype(np.int64)
    centre = np.where(y[:, None] == 1, 0.5, -0.5)
    return centre + rng.normal(0.0, 0.2 + noise, size=(n, 2)), y


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms, each turning 1.75 times. The arms lie only about 0.25
    apart, so the noise is scaled by SPIRAL_NOISE_SCALE to keep them visible at the
    same noise settings as the other datasets."""
    y = (np.arange(n) % 2).astype(np.int64)
    t = rng.uniform(0.0, 1.0, n)
    radius = 0.1 + 0.9 * t
    angle = 3.5 * np.pi * t + np.pi * y
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return x + rng.normal(0.0, noise * SPIRAL_NOISE_SCALE, size=(n, 2)), y


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, centred on the origin."""
    y = (np.arange(n) % 2).astype(np.int64)
    angle = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    x = np.where(y[:, None] == 0, upper, lower) - [0.5, 0.25]
    return x + rng.normal(0.0, noise, size=(n, 2)), y


DATASETS: dict[str, Generator] = {
    "and": _corners((0, 0, 0, 1)),
    "or": _corners((0, 1, 1, 1)),
    "xor": _corners((0, 1, 1, 0)),
    "circle": _circle,
    "gaussians": _gaussians,
    "spirals": _spirals,
    "moons": _moons,
}


def make_dataset(
    name: str,
    n_points: int = 200,
    noise: float = 0.1,
    test_fraction: float = 0.5,
    seed: int = 0,
    input_scale: float = 1.0,
    standardize: bool = False,
) -> Dataset:
    """Generate, shuffle and split a dataset. Same arguments, same data.

    `input_scale` multiplies the raw inputs (large inputs saturate a sigmoid);
    `standardize` then rescales each input to mean 0 and std 1 using the training
    set's statistics, undoing any such scale.
    """
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    rng = np.random.default_rng(seed)
    x, y = DATASETS[name](n_points, noise, rng)
    order = rng.permutation(n_points)
    x, y = x[order] * input_scale, y[order]

    n_test = min(max(1, round(n_points * test_fraction)), n_points - 1)
    x_train, x_test = x[n_test:], x[:n_test]
    if standardize:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std[std == 0] = 1.0
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

    return Dataset(
        x_train=x_train.astype(np.float32),
        y_train=y[n_test:].astype(np.int64),
        x_test=x_test.astype(np.float32),
        y_test=y[:n_test].astype(np.int64),
        bounds=plot_bounds(np.concatenate([x_train, x_test])),
    )


def plot_bounds(x: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square frame around all points with a small margin, so the plane is not distorted."""
    low, high = x.min(axis=0), x.max(axis=0)
    centre = (low + high) / 2
    half = max(float((high - low).max()) / 2 * (1 + 2 * PLOT_MARGIN), 1e-6)
    return (
        (float(centre[0] - half), float(centre[0] + half)),
        (float(centre[1] - half), float(centre[1] + half)),
    )
