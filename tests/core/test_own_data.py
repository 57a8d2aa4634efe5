import numpy as np
import pytest

from engine.core.config import RunConfig
from engine.core.cost import train_examples
from engine.core.datasets import MAX_POINTS, OWN, held_out_points, make_dataset, own_dataset
from engine.core.loop import train
from engine.core.own_data import (
    MAX_OWN_POINTS,
    decode_points,
    encode_points,
    points_csv,
    points_dataset,
    read_points_csv,
)
from engine.core.problems import ConfigError
from engine.core.trainer import Trainer


def _drawing(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` points on the square, class 1 right of x1 = 0."""
    x = np.random.default_rng(seed).uniform(-1, 1, size=(n, 2))
    return x, (x[:, 0] > 0).astype(np.int64)


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.problem.code


@pytest.mark.parametrize("task, n_classes", [("binary", 2), ("multiclass", 3), ("regression", 0)])
def test_drawn_points_come_back_within_one_level_of_where_they_were_drawn(task, n_classes):
    x, labels = _drawing(50)
    y = np.linspace(-1, 1, 50) if task == "regression" else labels % max(n_classes, 1)
    back_x, back_y, classes = decode_points(encode_points(x, y, task))
    assert classes == n_classes and back_x.dtype == np.float64 and back_x.shape == (50, 2)
    assert np.abs(back_x - x).max() <= 1 / 255
    if task == "regression":
        assert back_y.dtype == np.float64 and np.abs(back_y - y).max() <= 1 / 255
    else:
        assert back_y.dtype == np.int64 and np.array_equal(back_y, y)
    assert encode_points(back_x, back_y, task) == encode_points(x, y, task)  # levels are exact


def test_five_hundred_drawn_points_fit_in_about_two_kilobytes_of_link():
    x, y = _drawing(MAX_OWN_POINTS)
    text = encode_points(x, y, "binary")
    assert len(text) <= 2_001
    assert len(RunConfig(dataset=OWN, own_points=text).to_query()["own_points"]) == len(text)  # URL-safe as it is


def test_points_off_the_square_are_drawn_on_its_edge():
    back_x, _, _ = decode_points(encode_points(np.array([[3.0, -7.0]]), np.array([1]), "binary"))
    assert back_x.tolist() == [[1.0, -1.0]]


@pytest.mark.parametrize("text, code", [
    ("x" + "AAAA", "own_points_task"),
    ("bAA*A", "own_points_base64"),
    ("bA", "own_points_base64"),
    ("bAAAAAA", "own_points_length"),  # 5 bytes: not whole points
    ("b" + encode_points(np.zeros((2, 2)), np.array([0, 2]), "multiclass")[1:], "own_points_class"),
    (encode_points(*_drawing(MAX_OWN_POINTS + 1), "binary"), "own_points_max"),
])
def test_a_broken_drawing_is_refused_with_what_is_wrong(text, code):
    with pytest.raises(ConfigError) as error:
        RunConfig(dataset=OWN, own_points=text)
    assert _code(error) == code


def test_own_data_needs_two_points_but_a_task_alone_or_nothing_is_a_board_to_fill():
    one = encode_points(np.zeros((1, 2)), np.array([1]), "binary")
    with pytest.raises(ConfigError) as error:
        RunConfig(dataset=OWN, own_points=one)
    assert _code(error) == "own_points_min"
    assert RunConfig(dataset=OWN).task == "binary"
    assert RunConfig(dataset=OWN, own_points="r").task == "regression"
    assert RunConfig(dataset=OWN, own_points="m").task == "multiclass"


def test_own_data_given_another_way_cannot_be_made_from_the_config():
    for config in (RunConfig(dataset=OWN), RunConfig(dataset=OWN, own_points="m")):
        with pytest.raises(ConfigError) as error:
            points_dataset(config)
        assert _code(error) == "own_data_needed"
    with pytest.raises(ConfigError) as error:
        make_dataset(OWN)
    assert _code(error) == "own_data_needed"


def test_drawn_points_on_another_dataset_are_ignored_with_a_warning():
    text = encode_points(*_drawing(5), "binary")
    config, warnings = RunConfig.from_query({"dataset": "xor", "own_points": text})
    assert config.task == "binary" and [w.code for w in warnings] == ["own_points_unused"]
    assert train_examples(config) == 100  # the generated points, not the drawn ones


def test_what_a_run_on_own_data_costs_counts_its_points():
    text = encode_points(*_drawing(40), "binary")
    assert train_examples(RunConfig(dataset=OWN, own_points=text, test_fraction=0.25)) == 30
    assert train_examples(RunConfig(dataset=OWN)) == MAX_POINTS - held_out_points(MAX_POINTS, 0.5)  # a CSV: at most


def test_own_points_are_split_scaled_and_standardised_as_generated_data_are():
    x, y = _drawing(40)
    data = own_dataset(x, y, 2, test_fraction=0.25, seed=3, input_scale=10.0, standardize=True)
    assert data.x_train.shape == (30, 2) and data.x_test.shape == (10, 2) and data.x_train.dtype == np.float32
    assert data.y_train.dtype == np.int64 and data.n_classes == 2
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1, atol=1e-5)
    again = own_dataset(x, y, 2, test_fraction=0.25, seed=3, input_scale=10.0, standardize=True)
    np.testing.assert_array_equal(data.x_test, again.x_test)
    raw = own_dataset(x, y, 2, test_fraction=0.25, seed=3)  # the same points, each with its label
    pairs = {(round(float(a), 5), round(float(b), 5), int(c)) for (a, b), c in zip(np.concatenate([raw.x_train, raw.x_test]),
                                                                                 np.concatenate([raw.y_train, raw.y_test]))}
    assert pairs == {(round(float(a), 5), round(float(b), 5), int(c)) for (a, b), c in zip(x.astype(np.float32), y)}


def test_the_plane_frames_the_whole_square_however_few_points_are_drawn():
    data = own_dataset(np.array([[0.1, 0.1], [0.2, 0.2]]), np.array([0, 1]), 2)
    (x1_low, x1_high), (x2_low, x2_high) = data.bounds
    assert x1_low < -1 and x1_high > 1 and x2_low < -1 and x2_high > 1 and x1_high - x1_low < 3
    far = own_dataset(np.array([[0.0, 0.0], [5.0, 0.0]]), np.array([0, 1]), 2)
    assert far.bounds[0][1] > 5


def test_a_perceptron_learns_a_line_drawn_between_two_classes():
    x, y = _drawing(60, seed=1)
    config = RunConfig(dataset=OWN, own_points=encode_points(x, y, "binary"), hidden_sizes=(), learning_rate=0.1)
    trainer = Trainer(config, data=points_dataset(config))
    train(trainer, 300)
    assert trainer.task == "binary" and trainer.evaluate().test_acc >= 0.9


def test_a_csv_file_reads_back_exactly_what_was_written():
    x, _ = _drawing(20)
    values = np.linspace(-3.3, 2.7, 20)
    back_x, back_y = read_points_csv(points_csv(x, values), "regression")
    assert back_x.tolist() == x.tolist() and back_y.tolist() == values.tolist() and back_y.dtype == np.float64
    labels = np.arange(20) % 3
    text = points_csv(x, labels)
    assert text.startswith("x1,x2,label\n")
    back_x, back_y = read_points_csv(text, "multiclass")
    assert back_x.tolist() == x.tolist() and back_y.tolist() == labels.tolist() and back_y.dtype == np.int64


def test_a_csv_file_without_header_and_with_blank_lines_reads_too():
    x, y = read_points_csv("0.5, -0.5, 1\n\n-1,1,0\n", "binary")
    assert x.tolist() == [[0.5, -0.5], [-1.0, 1.0]] and y.tolist() == [1, 0]


def test_bad_rows_of_a_csv_file_are_named_by_their_line_numbers():
    text = "x1,x2,label\n0,0,1\n0,0,2\n0,zero,1\n\n0,0\n0,0,0.5\n0,0,nan\n0,0,-1\n1,1,0\n"
    with pytest.raises(ConfigError) as error:
        read_points_csv(text, "binary")
    message = str(error.value)
    assert _code(error) == "csv_bad_rows" and error.value.problem.params["count"] == 6
    for line in (3, 4, 6, 7, 8):
        assert f"line {line}:" in message
    assert "line 9" not in message and "and 1 more" in message
    assert "'zero' is not a number from -1e+30 to 1e+30" in message and "from 0 to 1, got '2'" in message


def test_a_csv_file_split_by_semicolons_is_a_bad_row_not_a_header():
    with pytest.raises(ConfigError) as error:
        read_points_csv("0.1;0.2;0\n0.3;0.4;1\n", "binary")
    message = str(error.value)
    assert "line 1:" in message and "line 2:" in message and "saved with commas" in message


def test_csv_values_beyond_float32s_range_are_refused():
    with pytest.raises(ConfigError, match="1e300"):
        read_points_csv("0,0,1\n1e300,0,0\n", "binary")


@pytest.mark.parametrize("text, code", [
    ("", "csv_empty"), ("x1,x2,label\n\n", "csv_empty"), ("0,0,1\n", "csv_too_few"),
    ("0,0,1\n" * (MAX_POINTS + 1), "csv_too_many"),
])
def test_a_csv_file_too_small_or_too_large_is_refused(text, code):
    with pytest.raises(ConfigError) as error:
        read_points_csv(text, "binary")
    assert _code(error) == code
