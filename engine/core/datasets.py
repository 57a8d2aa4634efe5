"""Datasets: two-dimensional toy data, and images (MNIST).

Each 2D generator maps (number of points, noise, random generator) to inputs `x` of
shape (n, 2) and targets `y`; its `PointSet` entry in `DATASETS` says what the network
must learn from them (its task): to tell two classes apart ("binary", labels 0/1), one of
N classes ("multiclass", labels 0..N-1), or a real value ("regression").
`make_dataset` adds the train/test split, optional input scaling and standardisation,
and the bounds a plot of the plane needs; `own_dataset` does the same for a student's own
points (`OWN`: drawn on the plane or read from a CSV file, see engine.core.own_data). `input_features` turns 2D points into the
network's inputs (x1, x2, x1², sin(x1), ...), as TensorFlow Playground's feature column.
`image_dataset` gives MNIST as normalised float32 arrays of shape (n, 1, 28, 28),
loaded once per process and shared read-only by every run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.core.problems import ConfigError, Name, names

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]

# Margin around the data when framing the plane, as a share of the data's extent.
PLOT_MARGIN = 0.1
SPIRAL_NOISE_SCALE = 0.3
# Three blobs: their centres' distance from the origin, 120 degrees apart. At 0.8 two
# neighbouring centres are as far apart as the two Gaussians' (about 1.4).
BLOB_RADIUS = 0.8
# The tilted plane's slopes along x1 and x2: targets stay within [-1, 1] on the unit square.
PLANE_SLOPES = (0.6, 0.4)
# Gaussian bumps as (centre x1, centre x2, height): two hills and a valley, far enough
# apart that they barely add up, so targets stay roughly within [-1, 1].
GAUSSIAN_BUMPS = ((-0.45, 0.4, 1.0), (0.45, -0.4, -1.0), (0.5, 0.55, 0.6))
BUMP_WIDTH = 0.3  # standard deviation of each bump

# The dataset a student makes: points drawn on the plane (RunConfig.own_points) or read from a file.
OWN = "own"
MAX_POINTS = 5_000  # points of a 2D dataset, generated or the student's own
# Own points are drawn on this square; the plane frames it whatever the points, so an empty or
# small drawing shows the same plane and a click lands where it was drawn.
OWN_SQUARE = np.array([[-1.0, -1.0], [1.0, 1.0]])

# What a network learns from a dataset: one of two classes, one of N, or a real value.
BINARY, MULTICLASS, REGRESSION = "binary", "multiclass", "regression"
TASKS = (BINARY, MULTICLASS, REGRESSION)


def task_of(n_classes: int) -> str:
    """The task for data with `n_classes` classes; 0 classes means real-valued targets."""
    return REGRESSION if n_classes == 0 else BINARY if n_classes == 2 else MULTICLASS


@dataclass(frozen=True)
class Dataset:
    """A split dataset: float32 inputs, targets, and the plane to draw.

    Targets are int64 class labels for classification and float32 values for a
    regression (`n_classes` 0).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    bounds: tuple[tuple[float, float], tuple[float, float]] | None  # 2D: ((x1 min, x1 max), (x2 min, x2 max))
    n_classes: int = 2  # classes to tell apart; 0 for a regression

    @property
    def n_features(self) -> int:
        """Raw inputs per example: 2 for points, 784 for a 28x28 image."""
        return int(np.prod(self.x_train.shape[1:]))

    @property
    def task(self) -> str:
        """What a network learns from these data: "binary", "multiclass" or "regression"."""
        return task_of(self.n_classes)


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


def _three_blobs(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs (classes 0, 1, 2) with centres 120 degrees apart; noise widens them."""
    y = (np.arange(n) % 3).astype(np.int64)
    angle = np.pi / 2 + 2 * np.pi / 3 * y
    centre = BLOB_RADIUS * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centre + rng.normal(0.0, 0.2 + noise, size=(n, 2)), y


def _plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points on the unit square, each with the height of a tilted plane above it; the noise
    is added to the heights (a measurement error), not to the points."""
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    return x, x @ np.asarray(PLANE_SLOPES) + rng.normal(0.0, noise, n)


def _gaussian_sum(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points on the unit square, each with the height of a landscape of Gaussian hills and
    a valley above it; the noise is added to the heights."""
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    height = sum(
        top * np.exp(-((x[:, 0] - c1) ** 2 + (x[:, 1] - c2) ** 2) / (2 * BUMP_WIDTH**2)) for c1, c2, top in GAUSSIAN_BUMPS
    )
    return x, height + rng.normal(0.0, noise, n)


@dataclass(frozen=True)
class PointSet:
    """A 2D dataset's generator and the number of classes it labels (0: real-valued targets)."""

    generate: Generator
    n_classes: int = 2

    @property
    def task(self) -> str:
        """What a network learns from these points: "binary", "multiclass" or "regression"."""
        return task_of(self.n_classes)


DATASETS: dict[str, PointSet] = {
    "and": PointSet(_corners((0, 0, 0, 1))),
    "or": PointSet(_corners((0, 1, 1, 1))),
    "xor": PointSet(_corners((0, 1, 1, 0))),
    "circle": PointSet(_circle),
    "gaussians": PointSet(_gaussians),
    "spirals": PointSet(_spirals),
    "moons": PointSet(_moons),
    "three_blobs": PointSet(_three_blobs, n_classes=3),
    "plane": PointSet(_plane, n_classes=0),
    "gaussian_sum": PointSet(_gaussian_sum, n_classes=0),
}

# Input features: what the network sees of a point (x1, x2). A perceptron draws a straight
# line in the features it is given, so x1² and x2² let it draw a circle in the plane.
FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1sq": lambda x1, x2: x1 * x1,
    "x2sq": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: np.sin(x1),
    "sin_x2": lambda x1, x2: np.sin(x2),
}
DEFAULT_FEATURES = ("x1", "x2")


def input_features(x: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The network's inputs for 2D points `x` of shape (n, 2): one float32 column per
    named feature, in the order given, computed from the points as they are (after any
    input scaling and standardisation)."""
    x = np.asarray(x, dtype=np.float32)
    return np.stack([FEATURES[name](x[:, 0], x[:, 1]) for name in names], axis=1).astype(np.float32, copy=False)


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
    if name == OWN:
        raise ConfigError("own_data_needed", dataset=Name(OWN))
    if name not in DATASETS:
        raise ConfigError("unknown_choice", name=Name("dataset"), value=name, choices=names(DATASETS))
    rng = np.random.default_rng(seed)
    point_set = DATASETS[name]
    x, y = point_set.generate(n_points, noise, rng)
    return _split(x, y, point_set.n_classes, rng, test_fraction, input_scale, standardize)


def own_dataset(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    test_fraction: float = 0.5,
    seed: int = 0,
    input_scale: float = 1.0,
    standardize: bool = False,
) -> Dataset:
    """A student's own points `x` (n, 2) and targets `y` (class labels, or values when
    `n_classes` is 0) shuffled, split, scaled and standardised as `make_dataset` does after
    generating (no noise is added). The plane frames the points and the square [-1, 1]²."""
    rng = np.random.default_rng(seed)
    return _split(np.asarray(x, dtype=np.float64), np.asarray(y), n_classes, rng, test_fraction, input_scale,
                  standardize, frame=OWN_SQUARE)


def _split(x: np.ndarray, y: np.ndarray, n_classes: int, rng: np.random.Generator, test_fraction: float,
           input_scale: float, standardize: bool, frame: np.ndarray | None = None) -> Dataset:
    """Shuffle, scale, split (the test set first) and standardise on the training set; the
    plane's bounds frame every point and `frame`'s points, transformed like them."""
    n_points = len(y)
    order = rng.permutation(n_points)
    x, y = x[order] * input_scale, y[order]
    framed = [] if frame is None else [frame * input_scale]

    n_test = held_out_points(n_points, test_fraction)
    x_train, x_test = x[n_test:], x[:n_test]
    if standardize:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std[std == 0] = 1.0
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
        framed = [(points - mean) / std for points in framed]

    target_type = np.float32 if task_of(n_classes) == REGRESSION else np.int64
    return Dataset(
        x_train=x_train.astype(np.float32),
        y_train=y[n_test:].astype(target_type),
        x_test=x_test.astype(np.float32),
        y_test=y[:n_test].astype(target_type),
        bounds=plot_bounds(np.concatenate([x_train, x_test, *framed])),
        n_classes=n_classes,
    )


def held_out_points(n_points: int, test_fraction: float) -> int:
    """Points held out for testing: the share asked for, at least one on each side."""
    return min(max(1, round(n_points * test_fraction)), n_points - 1)


def plot_bounds(x: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square frame around all points with a small margin, so the plane is not distorted."""
    low, high = x.min(axis=0), x.max(axis=0)
    centre = (low + high) / 2
    half = max(float((high - low).max()) / 2 * (1 + 2 * PLOT_MARGIN), 1e-6)
    return (
        (float(centre[0] - half), float(centre[0] + half)),
        (float(centre[1] - half), float(centre[1] + half)),
    )


IMAGE_SIZE = 28
# MNIST's training-set pixel mean and std (of pixels / 255), used to normalise the inputs.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
IMAGE_DATASETS = {"mnist": "handwritten digits 0-9, 28x28 grey"}


_MNIST_LOCK = threading.Lock()


def _mnist_normalised() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All of MNIST as read-only normalised float32 (n, 1, 28, 28) arrays: one copy per
    process (about 220 MB), shared by every run. Loaded once even when a class opens the lab
    together (each first load takes ~0.75 GB while it decodes)."""
    with _MNIST_LOCK:
        return _load_mnist_normalised()


@lru_cache(maxsize=1)
def _load_mnist_normalised() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from engine.core.mnist_data import load_mnist  # here, not at the top: only image runs need the files

    mnist = load_mnist()
    arrays = (normalise(mnist.train_images / 255), np.asarray(mnist.train_labels, dtype=np.int64),
              normalise(mnist.test_images / 255), np.asarray(mnist.test_labels, dtype=np.int64))
    for array in arrays:
        array.flags.writeable = False
    return arrays


def normalise(images: np.ndarray) -> np.ndarray:
    """Grey images (n, 28, 28) in [0, 1] -> the network's input: (n, 1, 28, 28) float32
    with MNIST's mean 0 and std 1."""
    return ((np.asarray(images, dtype=np.float32) - MNIST_MEAN) / MNIST_STD)[:, None, :, :]


def image_dataset(name: str, train_size: int) -> Dataset:
    """MNIST with the first `train_size` training images (a view, not a copy) and
    always the full 10,000-image test set."""
    if name not in IMAGE_DATASETS:
        raise ConfigError("unknown_choice", name=Name("dataset"), value=name, choices=names(IMAGE_DATASETS))
    x_train, y_train, x_test, y_test = _mnist_normalised()
    return Dataset(x_train[:train_size], y_train[:train_size], x_test, y_test, bounds=None, n_classes=10)


def unnormalise(images: np.ndarray) -> np.ndarray:
    """Normalised images back to grey levels in [0, 1], for showing them."""
    return np.clip(np.asarray(images) * MNIST_STD + MNIST_MEAN, 0, 1)
