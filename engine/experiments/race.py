"""The optimizer race: the course's eight optimizers on classic two-dimensional loss surfaces.

A `Surface` is a loss f(x, y) that students can see whole as a contour plot. `race`
starts every optimizer at the same point and records the path each one takes;
`surface_grid` gives the contours to draw underneath. Each surface carries the learning
rates that tell its classic story; its title and the story in words are the app's texts
(playground/texts/<lang>/race.toml, `race.surface.<name>.title` and `.story`).

The point being optimised is a single `nn.Parameter` of shape (2,), stepped by the very
`torch.optim` optimizers the networks use (`engine.core.optimizers`): the race shows what
those optimizers do, not a re-implementation of them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from engine.core.optimizers import OPTIMIZERS, make_optimizer
from engine.core.problems import ConfigError, Name, Names, names

LossFunction = Callable[[torch.Tensor], torch.Tensor]

# float64 so that steep walls (Rosenbrock, Beale) neither overflow nor round away the
# tiny gradients near a saddle point.
DTYPE = torch.float64
MAX_STEPS = 5000
# A point this far out has left every plot for good: the run has diverged, so stop it.
ESCAPE_RADIUS = 1e6


@dataclass(frozen=True)
class Surface:
    """A 2D loss surface, and how to race on it.

    `function` maps a tensor whose last dimension is (x, y) to the loss: one point of
    shape (2,) gives a scalar, a grid of shape (..., 2) gives a loss per point.
    """

    function: LossFunction
    bounds: tuple[tuple[float, float], tuple[float, float]]  # ((x min, x max), (y min, y max)) to plot
    start: tuple[float, float]
    minima: list[tuple[float, float]]
    log_contours: bool  # draw log(1 + f) where f spans many orders of magnitude
    rates: dict[str, float]  # learning rate per optimizer that tells this surface's story
    steps: int


@dataclass
class Trajectory:
    """One optimizer's path: `points` (n + 1, 2) from the start on, and the loss at each.

    If the run `diverged` (a value became NaN or infinite, or left the plane for good),
    it stopped early and `points`/`losses` end at the last finite point.
    """

    optimizer: str
    learning_rate: float
    points: np.ndarray
    losses: np.ndarray
    diverged: bool


def rosenbrock(p: torch.Tensor) -> torch.Tensor:
    """(1 - x)^2 + 100 (y - x^2)^2: a curved valley whose floor falls gently to (1, 1)."""
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def beale(p: torch.Tensor) -> torch.Tensor:
    """Beale's function: flat plateaus, steep ridges, and one minimum at (3, 0.5)."""
    x, y = p[..., 0], p[..., 1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def saddle(p: torch.Tensor) -> torch.Tensor:
    """x^2 - y^2 + y^4 / 4: a saddle point at the origin, minima at (0, +-sqrt(2))."""
    x, y = p[..., 0], p[..., 1]
    return x**2 - y**2 + y**4 / 4


def himmelblau(p: torch.Tensor) -> torch.Tensor:
    """Himmelblau's function: four equally deep minima around a hill."""
    x, y = p[..., 0], p[..., 1]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def ill_conditioned(p: torch.Tensor) -> torch.Tensor:
    """0.5 (x^2 + 20 y^2): a long narrow bowl, 20 times steeper across than along."""
    x, y = p[..., 0], p[..., 1]
    return 0.5 * (x**2 + 20 * y**2)


SURFACES: dict[str, Surface] = {
    "rosenbrock": Surface(
        function=rosenbrock,
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        start=(-1.2, 1.0),  # Rosenbrock's own start (1960)
        minima=[(1.0, 1.0)],
        log_contours=True,
        rates={"sgd": 0.002, "momentum": 0.0015, "nesterov": 0.0015, "adagrad": 0.5, "rmsprop": 0.02,
               "adadelta": 2.0, "adam": 0.3, "nadam": 0.05},
        steps=400,
    ),
    "beale": Surface(
        function=beale,
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        start=(1.0, 1.5),
        minima=[(3.0, 0.5)],
        log_contours=True,
        rates={"sgd": 0.01, "momentum": 0.004, "nesterov": 0.004, "adagrad": 1.0, "rmsprop": 0.03,
               "adadelta": 5.0, "adam": 0.2, "nadam": 0.2},
        steps=300,
    ),
    "saddle": Surface(
        function=saddle,
        bounds=((-1.5, 1.5), (-2.0, 2.0)),
        start=(-1.0, 1e-3),  # just off the ridge that runs into the saddle point
        minima=[(0.0, math.sqrt(2)), (0.0, -math.sqrt(2))],
        log_contours=False,
        rates={"sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.1, "rmsprop": 0.02,
               "adadelta": 5.0, "adam": 0.05, "nadam": 0.05},
        steps=100,
    ),
    "himmelblau": Surface(
        function=himmelblau,
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        start=(-0.27, -0.92),  # just off the hilltop at (-0.2708, -0.9230)
        minima=[(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        log_contours=True,
        rates={"sgd": 0.01, "momentum": 0.005, "nesterov": 0.002, "adagrad": 0.5, "rmsprop": 0.02,
               "adadelta": 2.0, "adam": 0.1, "nadam": 0.1},
        steps=150,
    ),
    "ill_conditioned": Surface(
        function=ill_conditioned,
        bounds=((-6.0, 6.0), (-3.0, 3.0)),
        start=(-5.0, 2.0),
        minima=[(0.0, 0.0)],
        log_contours=False,
        rates={"sgd": 0.09, "momentum": 0.02, "nesterov": 0.02, "adagrad": 1.0, "rmsprop": 0.05,
               "adadelta": 50.0, "adam": 0.2, "nadam": 0.2},
        steps=100,
    ),
}


def _surface(surface: str | Surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if surface not in SURFACES:
        raise ConfigError("unknown_choice", name=Name("surface"), value=surface, choices=names(SURFACES))
    return SURFACES[surface]


def _escaped(x: float, y: float, loss: float) -> bool:
    """True once the run has blown up: a NaN or infinity, or a point far off the plane."""
    finite = math.isfinite(x) and math.isfinite(y) and math.isfinite(loss)
    return not (finite and abs(x) < ESCAPE_RADIUS and abs(y) < ESCAPE_RADIUS)


def _start_point(start: tuple[float, float]) -> tuple[float, float]:
    try:
        x, y = (float(value) for value in start)
    except (TypeError, ValueError):
        raise ConfigError("race_start", radius=ESCAPE_RADIUS, value=start) from None
    if _escaped(x, y, 0.0):
        raise ConfigError("race_start", radius=ESCAPE_RADIUS, value=start)
    return x, y


def _run(function: LossFunction, optimizer: str, learning_rate: float, start: tuple[float, float],
         steps: int) -> Trajectory:
    point = nn.Parameter(torch.tensor(start, dtype=DTYPE))
    stepper = make_optimizer(optimizer, [point], learning_rate)
    loss = function(point)
    points, losses = [start], [loss.item()]
    diverged = False
    for _ in range(steps):
        stepper.zero_grad()
        loss.backward()
        stepper.step()
        loss = function(point)
        # Plain Python floats: checking them is cheaper than more tensor operations.
        (x, y), value = point.tolist(), loss.item()
        if _escaped(x, y, value):
            diverged = True
            break
        points.append((x, y))
        losses.append(value)
    return Trajectory(optimizer, learning_rate, np.array(points), np.array(losses), diverged)


def race(
    surface: str | Surface,
    optimizers: Mapping[str, float] | None = None,
    start: tuple[float, float] | None = None,
    steps: int | None = None,
) -> dict[str, Trajectory]:
    """Race optimizers from one start point on a surface.

    `optimizers` maps optimizer name -> learning rate (default: the surface's `rates`, all
    eight); `start` and `steps` default to the surface's own. Returns a `Trajectory` per
    optimizer, in the order given. Raises `ConfigError` (a ValueError) for an unknown surface
    or optimizer, a learning rate that is not a positive number, steps outside 1..MAX_STEPS,
    or a start that is not two finite numbers within ESCAPE_RADIUS of the origin.
    """
    surface = _surface(surface)
    rates = dict(surface.rates if optimizers is None else optimizers)
    steps = surface.steps if steps is None else steps

    unknown = [name for name in rates if name not in OPTIMIZERS]
    if unknown:
        raise ConfigError("race_unknown_optimizers", names=Names(unknown), choices=names(OPTIMIZERS))
    if not rates:
        raise ConfigError("race_optimizers", choices=names(OPTIMIZERS))
    for name, learning_rate in rates.items():
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) or not (
                math.isfinite(learning_rate) and learning_rate > 0):
            raise ConfigError("race_positive_rate", name=Name(name), value=learning_rate)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or not 1 <= steps <= MAX_STEPS:
        raise ConfigError("whole_range", name=Name("steps"), low=1, high=MAX_STEPS, value=steps)
    start = _start_point(surface.start if start is None else start)

    return {name: _run(surface.function, name, float(rate), start, int(steps)) for name, rate in rates.items()}


def surface_grid(surface: str | Surface, resolution: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The surface sampled on a grid over its bounds, for contour plots.

    Returns `(xs, ys, z)`: `resolution` x values, `resolution` y values, and `z` of shape
    (resolution, resolution) with `z[i, j] = f(xs[j], ys[i])` (rows are y, as plots expect).
    For a surface with `log_contours`, `z` is log(1 + f - min f on the grid) instead, which
    keeps the valley floor visible next to walls thousands of times higher.
    """
    surface = _surface(surface)
    if resolution < 2:
        raise ConfigError("at_least", name=Name("resolution"), low=2, value=resolution)
    (x_min, x_max), (y_min, y_max) = surface.bounds
    xs = torch.linspace(x_min, x_max, resolution, dtype=DTYPE)
    ys = torch.linspace(y_min, y_max, resolution, dtype=DTYPE)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    with torch.no_grad():
        z = surface.function(torch.stack([grid_x, grid_y], dim=-1))
    if surface.log_contours:
        z = torch.log1p(z - z.min())
    return xs.numpy(), ys.numpy(), z.numpy()
