"""The optimizer race: torch's own optimizers on classic 2D surfaces, each telling its story."""

import functools
import itertools
import math

import numpy as np
import pytest
import torch

from engine.core.optimizers import OPTIMIZERS
from engine.experiments.race import DTYPE, ESCAPE_RADIUS, MAX_STEPS, SURFACES, Surface, Trajectory, race, surface_grid
from playground import i18n

ADAPTIVE = ("adagrad", "rmsprop", "adadelta", "adam", "nadam")
GRADIENT_FOLLOWERS = ("sgd", "momentum", "nesterov")


@functools.cache
def default_race(surface: str) -> dict[str, Trajectory]:
    """Each surface's default race, run once and shared: the story tests only read it."""
    return race(surface)


def distance_to(point: tuple[float, float], points: np.ndarray) -> np.ndarray:
    return np.linalg.norm(points - np.asarray(point), axis=-1)


def first_step(condition: np.ndarray) -> int:
    """The first step at which `condition` holds (it must hold somewhere)."""
    assert condition.any()
    return int(np.argmax(condition))


def sign_flips(values: np.ndarray) -> int:
    return int((np.sign(values[1:]) != np.sign(values[:-1])).sum())


def plain_torch_loop(function, name: str, learning_rate: float, start, steps: int) -> np.ndarray:
    """The textbook loop, with the optimizer built straight from its spec."""
    spec = OPTIMIZERS[name]
    point = torch.nn.Parameter(torch.tensor(start, dtype=DTYPE))
    optimizer = spec.make([point], lr=learning_rate, **spec.options)
    points = [point.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss = function(point)
        loss.backward()
        optimizer.step()
        points.append(point.detach().clone())
    return torch.stack(points).numpy()


# --- the race is torch.optim, nothing else --------------------------------------------------

@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_race_follows_the_same_path_as_a_plain_torch_optim_loop(name, surface):
    spec = SURFACES[surface]
    trajectory = race(surface, {name: spec.rates[name]}, steps=40)[name]
    expected = plain_torch_loop(spec.function, name, spec.rates[name], spec.start, 40)
    np.testing.assert_allclose(trajectory.points, expected, rtol=1e-12, atol=1e-12)


def test_each_recorded_loss_is_the_surface_at_that_point():
    for surface in ("beale", "saddle"):
        for trajectory in default_race(surface).values():
            expected = SURFACES[surface].function(torch.from_numpy(trajectory.points)).numpy()
            np.testing.assert_allclose(trajectory.losses, expected, rtol=1e-12, atol=1e-12)


def test_race_takes_numpy_numbers_as_a_ui_might_pass_them():
    trajectory = race("saddle", {"adam": np.float32(0.05)}, start=np.array([-1.0, 0.5]), steps=np.int64(3))["adam"]
    assert trajectory.points.shape == (4, 2)


def test_a_race_starts_every_optimizer_at_the_start_and_records_every_step():
    trajectories = race("himmelblau", {"adam": 0.1, "sgd": 0.01}, start=(1.0, -2.0), steps=7)
    assert list(trajectories) == ["adam", "sgd"]
    for name, trajectory in trajectories.items():
        assert trajectory.optimizer == name
        assert trajectory.points.shape == (8, 2) and trajectory.losses.shape == (8,)
        assert tuple(trajectory.points[0]) == (1.0, -2.0)
        assert not trajectory.diverged


def test_race_accepts_a_surface_of_your_own():
    bowl = Surface(function=lambda p: (p**2).sum(-1), bounds=((-1.0, 1.0), (-1.0, 1.0)), start=(0.5, -0.5),
                   minima=[(0.0, 0.0)], log_contours=False, rates={"sgd": 0.1}, steps=50)
    trajectory = race(bowl)["sgd"]
    assert np.linalg.norm(trajectory.points[-1]) < 1e-3


# --- the classroom defaults ------------------------------------------------------------------

@pytest.mark.parametrize("surface", SURFACES)
def test_every_surface_has_a_story_and_a_rate_for_every_optimizer(surface):
    spec = SURFACES[surface]
    assert set(spec.rates) == set(OPTIMIZERS)
    assert 1 <= spec.steps <= MAX_STEPS
    (x_min, x_max), (y_min, y_max) = spec.bounds
    assert x_min < spec.start[0] < x_max and y_min < spec.start[1] < y_max
    assert all(x_min < x < x_max and y_min < y < y_max for x, y in spec.minima)


@pytest.mark.parametrize("surface", SURFACES)
def test_the_page_tells_every_surfaces_story_in_korean_and_in_english(surface):
    english, korean = i18n.catalog("en"), i18n.catalog("ko")
    title, story = f"race.surface.{surface}.title", f"race.surface.{surface}.story"
    assert english[title] and len(english[story]) > 40
    assert korean[title] != english[title] and len(korean[story]) > 40


@pytest.mark.parametrize("surface", SURFACES)
def test_default_races_stay_on_the_map(surface):
    (x_min, x_max), (y_min, y_max) = SURFACES[surface].bounds
    for name, trajectory in default_race(surface).items():
        assert not trajectory.diverged, name
        assert len(trajectory.points) == SURFACES[surface].steps + 1
        xs, ys = trajectory.points.T
        assert (x_min <= xs).all() and (xs <= x_max).all() and (y_min <= ys).all() and (ys <= y_max).all(), name


@pytest.mark.parametrize("surface", SURFACES)
def test_the_racers_take_visibly_different_paths(surface):
    (x_min, x_max), (y_min, y_max) = SURFACES[surface].bounds
    diagonal = math.hypot(x_max - x_min, y_max - y_min)
    for a, b in itertools.combinations(default_race(surface).values(), 2):
        gap = np.linalg.norm(a.points - b.points, axis=1).max()
        assert gap > 0.02 * diagonal, (a.optimizer, b.optimizer)


# --- the stories ---------------------------------------------------------------------------

def test_every_optimizer_drops_into_the_rosenbrock_valley():
    for name, trajectory in default_race("rosenbrock").items():
        x, y = trajectory.points[20:].T
        assert np.abs(y - x**2).max() < 0.2, name


def test_sgd_crawls_along_the_rosenbrock_valley_while_momentum_and_adam_get_close():
    trajectories = default_race("rosenbrock")
    distance = {name: distance_to((1.0, 1.0), t.points) for name, t in trajectories.items()}
    assert trajectories["sgd"].points[-1, 0] > 0.0  # it does move along the floor, from x = -1.2...
    assert distance["sgd"][-1] > 0.8  # ...but after 400 steps it is still far from (1, 1)
    assert distance["momentum"][-1] < 0.15
    assert distance["adam"][-1] < 0.15


def test_momentum_and_nesterov_roll_across_beales_valley_and_back():
    trajectories = default_race("beale")
    lowest = {name: t.points[:, 1].min() for name, t in trajectories.items()}
    assert lowest["momentum"] < -1.5 and lowest["nesterov"] < -1.0
    assert all(lowest[name] > -0.5 for name in ("sgd", *ADAPTIVE))
    for name in ("momentum", "nesterov"):
        assert distance_to((3.0, 0.5), trajectories[name].points)[-1] < 0.05


def test_nesterov_looks_ahead_and_turns_back_sooner_than_momentum():
    trajectories = default_race("beale")
    assert trajectories["nesterov"].points[:, 1].min() > trajectories["momentum"].points[:, 1].min() + 0.3


def test_the_saddle_barely_slopes_towards_its_valleys_at_the_start():
    point = torch.tensor(SURFACES["saddle"].start, dtype=DTYPE, requires_grad=True)
    SURFACES["saddle"].function(point).backward()
    slope_along_ridge, slope_to_valleys = point.grad.abs().tolist()
    assert slope_to_valleys < 0.01 and slope_along_ridge > 1.0


def test_sgd_lingers_at_the_saddle_point():
    points = default_race("saddle")["sgd"].points
    assert (distance_to((0.0, 0.0), points) < 0.2).sum() >= 30
    assert first_step(np.abs(points[:, 1]) > 0.5) >= 55


def test_adaptive_methods_escape_the_saddle_before_momentum_and_sgd():
    rates = SURFACES["saddle"].rates
    assert rates["sgd"] == rates["momentum"] == rates["adam"]  # the story compares them at one rate
    escape = {name: first_step(np.abs(t.points[:, 1]) > 0.5) for name, t in default_race("saddle").items()}
    assert all(escape[name] <= 15 for name in ("adagrad", "rmsprop", "adam", "nadam"))
    assert max(escape["adagrad"], escape["rmsprop"], escape["adam"]) < escape["momentum"] < escape["sgd"]


def test_every_optimizer_reaches_a_himmelblau_minimum():
    minima = np.array(SURFACES["himmelblau"].minima)
    for name, trajectory in default_race("himmelblau").items():
        assert distance_to(trajectory.points[-1], minima).min() < 0.01, name


def test_gradient_followers_and_adaptive_methods_land_in_different_himmelblau_valleys():
    trajectories = default_race("himmelblau")
    for name in GRADIENT_FOLLOWERS:
        assert distance_to((3.584428, -1.848126), trajectories[name].points[-1]) < 0.01, name
    for name in ADAPTIVE:
        assert distance_to((3.0, 2.0), trajectories[name].points[-1]) < 0.01, name


def test_sgd_zig_zags_across_the_narrow_valley():
    x, y = default_race("ill_conditioned")["sgd"].points.T
    assert sign_flips(y[:21]) == 20  # across the valley and back on every step
    assert (x <= 0).all()  # while along the valley it never overshoots


def test_sgd_learning_rate_is_capped_by_the_steep_direction():
    assert SURFACES["ill_conditioned"].rates["sgd"] < 0.1
    assert race("ill_conditioned", {"sgd": 0.11}, steps=200)["sgd"].diverged


def test_momentum_overshoots_the_narrow_valley_and_recovers():
    trajectories = default_race("ill_conditioned")
    x, y = trajectories["momentum"].points.T
    assert x.max() > 1.0  # past the minimum at x = 0, coming from x = -5
    assert distance_to((0.0, 0.0), trajectories["momentum"].points)[-1] < 0.05
    assert sign_flips(y[:21]) <= sign_flips(trajectories["sgd"].points[:21, 1]) / 3  # the zig-zag cancels


def test_adaptive_methods_slide_into_the_narrow_valley_without_zig_zagging():
    for name in ADAPTIVE:
        trajectory = default_race("ill_conditioned")[name]
        assert sign_flips(trajectory.points[:21, 1]) <= 1, name
        assert distance_to((0.0, 0.0), trajectory.points)[-1] < 0.1, name


# --- blowing up --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_huge_learning_rate_diverges_and_keeps_only_finite_points(name):
    trajectory = race("rosenbrock", {name: 1e9}, steps=100)[name]
    assert trajectory.diverged
    assert len(trajectory.points) == len(trajectory.losses) < 101
    assert np.isfinite(trajectory.points).all() and np.isfinite(trajectory.losses).all()


def test_a_diverged_run_keeps_its_path_up_to_the_last_point_on_the_plane():
    trajectory = race("rosenbrock", {"sgd": 0.01}, steps=500)["sgd"]
    assert trajectory.diverged and 2 < len(trajectory.points) < 501
    assert np.abs(trajectory.points).max() < ESCAPE_RADIUS
    assert np.isfinite(trajectory.losses).all()


# --- contours and minima ---------------------------------------------------------------------

def test_surface_grid_rows_are_y_and_columns_are_x():
    xs, ys, z = surface_grid("saddle", resolution=50)
    assert xs.shape == ys.shape == (50,) and z.shape == (50, 50)
    assert (xs[0], xs[-1]) == SURFACES["saddle"].bounds[0] and (ys[0], ys[-1]) == SURFACES["saddle"].bounds[1]
    for i, j in [(0, 49), (49, 0), (10, 37), (25, 3)]:
        assert z[i, j] == pytest.approx(xs[j] ** 2 - ys[i] ** 2 + ys[i] ** 4 / 4)


def test_log_contours_are_log_one_plus_the_height_above_the_lowest_point():
    xs, ys, z = surface_grid("rosenbrock", resolution=40)
    heights = np.array([[(1 - x) ** 2 + 100 * (y - x**2) ** 2 for x in xs] for y in ys])
    np.testing.assert_allclose(z, np.log1p(heights - heights.min()), rtol=1e-12, atol=1e-12)
    assert z.min() == 0.0


@pytest.mark.parametrize("surface", SURFACES)
def test_every_listed_minimum_is_a_minimum(surface):
    function = SURFACES[surface].function
    for minimum in SURFACES[surface].minima:
        point = torch.tensor(minimum, dtype=DTYPE, requires_grad=True)
        value = function(point)
        value.backward()
        assert point.grad.norm() < 1e-4, minimum
        around = point.detach() + 0.05 * torch.tensor(
            [[math.cos(a), math.sin(a)] for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)], dtype=DTYPE)
        assert (function(around) > value.detach()).all(), minimum


# --- clear errors ------------------------------------------------------------------------------

def test_an_unknown_surface_names_the_surfaces():
    with pytest.raises(ValueError, match="rosenbrock, beale, saddle, himmelblau, ill_conditioned"):
        race("bowl")
    with pytest.raises(ValueError, match="rosenbrock"):
        surface_grid("bowl")


@pytest.mark.parametrize("optimizers", [{"adamw": 0.1}, {"sgd": 0.1, "lbfgs": 1.0}, {}])
def test_an_unknown_optimizer_names_the_eight(optimizers):
    with pytest.raises(ValueError, match="sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, nadam"):
        race("saddle", optimizers)


@pytest.mark.parametrize("learning_rate", [0.0, -0.1, math.nan, math.inf, "fast", True])
def test_a_learning_rate_must_be_a_positive_number(learning_rate):
    with pytest.raises(ValueError, match="positive number"):
        race("saddle", {"adam": learning_rate})


@pytest.mark.parametrize("steps", [0, -5, MAX_STEPS + 1, 2.5, True])
def test_steps_must_be_a_whole_number_in_range(steps):
    with pytest.raises(ValueError, match=f"from 1 to {MAX_STEPS}"):
        race("saddle", steps=steps)


@pytest.mark.parametrize("start", [(math.nan, 0.0), (0.0, math.inf), (0.0,), (1.0, 2.0, 3.0), "ab", 3.0, (2e6, 0.0)])
def test_start_must_be_two_finite_numbers_on_the_plane(start):
    with pytest.raises(ValueError, match=r"two finite numbers \(x, y\)"):
        race("saddle", start=start)
