import numpy as np

from engine import RunConfig, Trainer
from engine.probes import layer_names
from playground.frames import MAX_CURVE_POINTS, MAX_NEURONS_SHOWN, THUMBNAIL_RESOLUTION, live_frame, thin
from playground.session import RunSession
from tests.frames_util import unpack


def test_thin_keeps_at_most_the_limit_and_always_the_last_point():
    assert thin(5) == [0, 1, 2, 3, 4]
    kept = thin(10_001)
    assert len(kept) <= MAX_CURVE_POINTS + 1 and kept[0] == 0 and kept[-1] == 10_000


def test_layer_names_run_from_input_to_output():
    assert layer_names(Trainer(RunConfig(hidden_sizes=())).model) == ["in→out"]
    assert layer_names(Trainer(RunConfig(hidden_sizes=(4, 4))).model) == ["in→h1", "h1→h2", "h2→out"]
    cnn = Trainer(RunConfig(dataset="mnist", model="cnn", conv_channels=(4, 8), hidden_sizes=(16,), train_size=100)).model
    assert layer_names(cnn) == ["conv1", "conv2", "fc1", "out"]


def test_frame_round_trips_through_bytes_with_boundary_points_and_thumbnails():
    session = RunSession(RunConfig(dataset="xor", hidden_sizes=(4, 3), n_points=100))
    session.step(25)
    header, blobs = unpack(live_frame(session.trainer).to_bytes())
    assert header["status"]["step"] == 25 and 0 <= header["status"]["test_acc"] <= 1
    assert blobs["prob"].shape == (100 * 100,) and blobs["prob"].dtype == np.uint8
    assert blobs["train_x"].reshape(-1, 2).shape == (50, 2) and set(blobs["train_y"]) <= {0, 1}
    np.testing.assert_allclose(blobs["test_x"].reshape(-1, 2), session.trainer.data.x_test)
    assert blobs["thumbs"].shape == ((4 + 3) * THUMBNAIL_RESOLUTION**2,)
    assert header["network"]["shown"] == [2, 4, 3, 1]
    assert [len(w) for w in header["network"]["weights"]] == [8, 12, 3]
    assert header["curves"]["x"][-1] == 25 and len(header["grads"]["layers"]) == 3


def test_boundary_levels_match_the_models_probabilities():
    session = RunSession(RunConfig(dataset="circle", hidden_sizes=(8,)))
    session.step(300)
    _, blobs = unpack(live_frame(session.trainer).to_bytes())
    expected = np.round(session.trainer.decision_grid(100).probability.ravel() * 255)
    np.testing.assert_array_equal(blobs["prob"], expected)


def test_wide_layers_are_cut_to_what_the_diagram_shows():
    session = RunSession(RunConfig(hidden_sizes=(64, 64)))
    header, blobs = unpack(live_frame(session.trainer).to_bytes())
    assert header["network"]["shown"] == [2, MAX_NEURONS_SHOWN, MAX_NEURONS_SHOWN, 1]
    assert header["network"]["hidden"] == [64, 64]
    assert len(header["network"]["weights"][1]) == MAX_NEURONS_SHOWN**2
    assert len(blobs["thumbs"]) == 2 * MAX_NEURONS_SHOWN * THUMBNAIL_RESOLUTION**2


def test_big_networks_show_plain_neurons_instead_of_thumbnails():
    session = RunSession(RunConfig(hidden_sizes=(64,) * 10))
    _, blobs = unpack(live_frame(session.trainer).to_bytes())
    assert len(blobs["thumbs"]) == 0


def test_a_diverged_run_has_no_nan_in_its_frame():
    session = RunSession(RunConfig(hidden_sizes=(8, 8, 8), activation="linear", optimizer="sgd", learning_rate=50.0))
    session.step(100)
    assert session.trainer.diverged
    header, _ = unpack(live_frame(session.trainer).to_bytes())
    assert header["status"]["diverged"] is True and header["status"]["train_loss"] is None


def test_frame_needs_a_snapshot_of_the_current_step():
    trainer = Trainer(RunConfig())
    try:
        live_frame(trainer)
    except ValueError as error:
        assert "snapshot" in str(error)
    else:
        raise AssertionError("a frame without a current snapshot must be refused")
