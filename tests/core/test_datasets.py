import numpy as np
import pytest

from engine.core.datasets import BLOB_RADIUS, DATASETS, PLANE_SLOPES, make_dataset


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_has_2d_inputs_targets_for_its_task_and_a_split(name):
    data = make_dataset(name, n_points=120, noise=0.1, test_fraction=0.25, seed=3)
    assert data.x_train.shape == (90, 2) and data.x_test.shape == (30, 2)
    assert data.y_train.shape == (90,) and data.y_test.shape == (30,)
    assert data.x_train.dtype == np.float32 and data.task == DATASETS[name].task
    targets = np.concatenate([data.y_train, data.y_test])
    if data.task == "regression":
        assert data.n_classes == 0 and targets.dtype == np.float32 and len(np.unique(targets)) == 120
    else:
        assert targets.dtype == np.int64 and set(np.unique(targets)) == set(range(data.n_classes))


def test_the_tasks_are_two_classes_three_classes_or_a_value():
    tasks = {name: (spec.task, spec.n_classes) for name, spec in DATASETS.items()}
    assert tasks == {**{name: ("binary", 2) for name in ("and", "or", "xor", "circle", "gaussians", "spirals", "moons")},
                     "three_blobs": ("multiclass", 3), "plane": ("regression", 0), "gaussian_sum": ("regression", 0)}


@pytest.mark.parametrize("name", DATASETS)
def test_bounds_frame_every_point(name):
    data = make_dataset(name, n_points=200, noise=0.3, seed=1)
    (x1_low, x1_high), (x2_low, x2_high) = data.bounds
    points = np.concatenate([data.x_train, data.x_test])
    assert (points[:, 0] > x1_low).all() and (points[:, 0] < x1_high).all()
    assert (points[:, 1] > x2_low).all() and (points[:, 1] < x2_high).all()


@pytest.mark.parametrize("name", DATASETS)
def test_same_seed_same_data_other_seed_other_data(name):
    first, again, other = (make_dataset(name, seed=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.x_train, other.x_train)


@pytest.mark.parametrize(
    "name, table", [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("xor", [0, 1, 1, 0])]
)
def test_logic_gates_label_the_unit_square_corners_by_their_truth_table(name, table):
    data = make_dataset(name, n_points=100, noise=0.0)
    for x, y in zip(data.x_train, data.y_train):
        corner = int(x[0]) * 2 + int(x[1])
        assert y == table[corner]


def test_noise_spreads_points_around_the_corners():
    clean = make_dataset("xor", noise=0.0).x_train
    noisy = make_dataset("xor", noise=0.2).x_train
    assert set(np.unique(clean)) <= {0.0, 1.0}
    assert np.abs(noisy - noisy.round()).mean() > 0.1


def test_standardize_gives_training_inputs_mean_zero_std_one_even_when_scaled_up():
    data = make_dataset("moons", n_points=400, input_scale=100.0, standardize=True)
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1.0, atol=1e-5)


def test_input_scale_multiplies_the_raw_inputs():
    plain = make_dataset("circle", seed=2)
    scaled = make_dataset("circle", seed=2, input_scale=50.0)
    np.testing.assert_allclose(scaled.x_train, plain.x_train * 50.0, rtol=1e-5)


def test_three_blobs_sit_120_degrees_apart_and_noise_widens_them():
    data = make_dataset("three_blobs", n_points=3000, noise=0.0)
    centres = np.stack([data.x_train[data.y_train == label].mean(axis=0) for label in range(3)])
    angles = np.degrees(np.arctan2(centres[:, 1], centres[:, 0]))
    np.testing.assert_allclose(angles, [90, -150, -30], atol=3)
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), BLOB_RADIUS, atol=0.03)
    spread = [make_dataset("three_blobs", n_points=3000, noise=noise).x_train[:, 0].std() for noise in (0.0, 0.5)]
    assert spread[1] > spread[0] + 0.2


def test_plane_targets_are_a_tilted_plane_of_the_points():
    data = make_dataset("plane", n_points=300, noise=0.0)
    np.testing.assert_allclose(data.y_train, data.x_train @ np.array(PLANE_SLOPES, dtype=np.float32), atol=1e-5)
    assert data.y_train.min() < -0.5 and data.y_train.max() > 0.5


def test_gaussian_sum_targets_have_hills_and_a_valley_within_about_one():
    data = make_dataset("gaussian_sum", n_points=3000, noise=0.0)
    assert data.y_train.max() > 0.8 and data.y_train.min() < -0.8
    assert np.abs(data.y_train).max() < 1.1


@pytest.mark.parametrize("name", ["plane", "gaussian_sum"])
def test_regression_noise_is_on_the_targets_and_scaling_leaves_them_alone(name):
    clean, noisy = make_dataset(name, noise=0.0, seed=4), make_dataset(name, noise=0.3, seed=4)
    np.testing.assert_array_equal(clean.x_train, noisy.x_train)
    assert np.std(noisy.y_train - clean.y_train) == pytest.approx(0.3, rel=0.2)
    scaled = make_dataset(name, noise=0.0, seed=4, input_scale=10.0, standardize=True)
    np.testing.assert_array_equal(scaled.y_train, clean.y_train)
    np.testing.assert_allclose(scaled.x_train.std(axis=0), 1.0, atol=1e-5)
