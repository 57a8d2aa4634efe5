import re
from pathlib import Path

import numpy as np

from engine import RunConfig, Trainer
from engine.core.datasets import FEATURES
from engine.core.loop import train
from engine.core.probes import decision_grid, flat_parameters, layer_names
from playground.components.live_frame import (
    FULL_SECONDS,
    MAX_CURVE_POINTS,
    MAX_NEURONS_SHOWN,
    THUMBNAIL_RESOLUTION,
    WEIGHTS_LIMIT,
    Sent,
    live_frame,
    live_message,
    live_texts,
    snapshot,
    thin,
    value_range,
)
from playground.sessions import RunSession
from tests.app.frames_util import unpack

ROOT = Path(__file__).resolve().parents[2]


def test_thin_keeps_at_most_the_limit_and_always_the_last_point():
    assert thin(5) == [0, 1, 2, 3, 4]
    kept = thin(10_001)
    assert len(kept) <= MAX_CURVE_POINTS + 1 and kept[0] == 0 and kept[-1] == 10_000


def test_layer_names_run_from_input_to_output():
    assert layer_names(Trainer(RunConfig(hidden_sizes=())).model) == ["in→out"]
    assert layer_names(Trainer(RunConfig(hidden_sizes=(4, 4))).model) == ["in→h1", "h1→h2", "h2→out"]
    cnn = Trainer(RunConfig(dataset="mnist", model="cnn", conv_channels=(4, 8), hidden_sizes=(16,), train_size=100)).model
    assert layer_names(cnn) == ["conv1", "conv2", "fc1", "out"]


def test_frame_round_trips_through_bytes_with_weights_and_points():
    session = RunSession(RunConfig(dataset="xor", hidden_sizes=(4, 3), n_points=100))
    train(session.trainer, 25)
    header, blobs = unpack(live_frame(session.trainer).to_bytes())
    (shot,) = header["snapshots"]
    assert shot["step"] == 25 and 0 <= shot["test_acc"] <= 1 and len(shot["grads"]) == 3
    assert header["network"]["mode"] == "weights" and header["network"]["layers"] == [[4, 2], [3, 4], [1, 3]]
    np.testing.assert_array_equal(blobs["weights"], flat_parameters(session.trainer.model))
    assert blobs["weights"].size == 4 * 2 + 4 + 3 * 4 + 3 + 3 + 1 and "prob" not in blobs
    assert blobs["train_x"].reshape(-1, 2).shape == (50, 2) and set(blobs["train_y"]) <= {0, 1}
    np.testing.assert_allclose(blobs["test_x"].reshape(-1, 2), session.trainer.data.x_test)
    assert header["network"]["shown"] == [2, 4, 3, 1] and header["network"]["activation"] == "tanh"
    assert header["curves"]["full"] and header["curves"]["x"][-1] == 25 and len(header["curves"]["grads"]) == 3
    assert header["points"] and header["text"]["loss"] == "Loss" and not header["playing"]


def test_messages_carry_the_snapshots_and_only_new_curve_points_between_full_ones():
    trainer = Trainer(RunConfig(dataset="circle", hidden_sizes=(8, 8)))
    trainer.record()
    sent = Sent()
    first, _ = unpack(live_message(trainer, [snapshot(trainer)], sent, run=1, playing=True, interval=0.2,
                                   now=100.0).to_bytes())
    assert first["curves"]["full"] and first["points"] and "text" in first
    shots = []
    for _ in range(3):
        train(trainer, 10)
        shots.append(snapshot(trainer))
    header, blobs = unpack(live_message(trainer, shots, sent, run=1, playing=True, interval=0.2, now=101.0).to_bytes())
    assert [s["step"] for s in header["snapshots"]] == [10, 20, 30]
    assert blobs["weights"].reshape(3, -1).shape[1] == sum(p.numel() for p in trainer.model.parameters())
    assert not header["curves"]["full"] and header["curves"]["x"] == [10, 20, 30]
    assert "text" not in header and not header["points"] and "train_x" not in blobs  # kept by the browser
    train(trainer, 10)
    later, _ = unpack(live_message(trainer, [snapshot(trainer)], sent, run=1, playing=True, interval=0.2,
                                   now=101.0 + FULL_SECONDS).to_bytes())
    assert later["curves"]["full"] and later["points"]  # a full message now and then: nothing missed lasts
    again, _ = unpack(live_message(trainer, [snapshot(trainer)], sent, run=2, playing=False, interval=0.2,
                                   now=101.0 + FULL_SECONDS).to_bytes())
    assert again["curves"]["full"] and again["run"] == 2  # a new run: everything again


def test_large_networks_are_painted_on_the_server_as_levels():
    session = RunSession(RunConfig(dataset="circle", hidden_sizes=(64, 64)))
    assert sum(p.numel() for p in session.trainer.model.parameters()) > WEIGHTS_LIMIT
    train(session.trainer, 100)
    header, blobs = unpack(live_frame(session.trainer).to_bytes())
    assert header["network"]["mode"] == "levels" and "weights" not in blobs
    expected = np.round(decision_grid(session.trainer.network, session.trainer.data.bounds, 100).probability.ravel() * 255)
    np.testing.assert_array_equal(blobs["prob"], expected)


def test_wide_layers_are_cut_to_what_the_diagram_shows():
    session = RunSession(RunConfig(hidden_sizes=(64, 64)))
    header, blobs = unpack(live_frame(session.trainer).to_bytes())
    assert header["network"]["shown"] == [2, MAX_NEURONS_SHOWN, MAX_NEURONS_SHOWN, 1]
    assert header["network"]["hidden"] == [64, 64]
    assert len(blobs["thumbs"]) == 2 * MAX_NEURONS_SHOWN * THUMBNAIL_RESOLUTION**2


def test_big_networks_show_plain_neurons_instead_of_thumbnails():
    session = RunSession(RunConfig(hidden_sizes=(64,) * 10))
    _, blobs = unpack(live_frame(session.trainer).to_bytes())
    assert len(blobs["thumbs"]) == 0


def test_a_diverged_run_has_no_nan_in_its_frame():
    session = RunSession(RunConfig(hidden_sizes=(8, 8, 8), activation="linear", optimizer="sgd", learning_rate=50.0))
    train(session.trainer, 100)
    assert session.trainer.diverged
    header, _ = unpack(live_frame(session.trainer).to_bytes())
    shot = header["snapshots"][-1]
    assert shot["diverged"] is True and shot["train_loss"] is None


def test_frame_needs_a_snapshot_of_the_current_step():
    trainer = Trainer(RunConfig())
    try:
        live_frame(trainer)
    except ValueError as error:
        assert "snapshot" in str(error)
    else:
        raise AssertionError("a frame without a current snapshot must be refused")


# Words and sizes: the canvas draws whatever the frame carries.

def test_frames_carry_english_words_by_default_and_korean_when_asked():
    session = RunSession(RunConfig(dataset="xor"))
    english, _ = unpack(live_frame(session.trainer).to_bytes())
    korean, _ = unpack(live_frame(session.trainer, texts=live_texts("ko")).to_bytes())
    assert english["text"]["loss"] == "Loss" and english["text"]["steps_axis"] == "training step"
    assert korean["text"]["loss"] == "손실 (loss)" and korean["text"]["epoch"] == "에폭 (epoch)"
    assert korean["text"]["gradient_flow"] == "기울기 흐름 (gradient flow)"


def test_korean_words_differ_from_english_except_maths():
    english, korean = live_texts("en"), live_texts("ko")
    assert english.keys() == korean.keys()
    same = {name for name in english if english[name] == korean[name]}
    assert same == {"x1", "x2", *(f"feature_{name}" for name in FEATURES)}


def test_every_word_the_canvas_reads_is_in_the_frame():
    script = (ROOT / "playground" / "static" / "live_view.js").read_text()
    read = set(re.findall(r"\bT\.(\w+)", script))
    assert len(read) > 30 and read <= set(live_texts())
    assert {f"feature_{name}" for name in FEATURES} <= set(live_texts())  # how input nodes are named


def test_templates_fill_in_like_python_format():
    for lang in ("en", "ko"):
        texts = live_texts(lang)
        assert "12" in texts["hidden_cut"].format(layer=1, shown=12, count=64)
        assert "3" in texts["layer_axis_numbered"].format(count=3)


def test_presenter_scale_and_words_travel_with_full_messages_and_a_change_makes_the_next_one_full():
    trainer = Trainer(RunConfig(dataset="xor"))
    trainer.record()
    sent = Sent()
    header, _ = unpack(live_message(trainer, [snapshot(trainer)], sent, run=1, playing=True, interval=0.2,
                                    scale=1.45, now=0.0).to_bytes())
    assert header["scale"] == 1.45 and header["text"] == live_texts()
    korean, _ = unpack(live_message(trainer, [snapshot(trainer)], sent, run=1, playing=True, interval=0.2,
                                    texts=live_texts("ko"), scale=1.45, now=0.1).to_bytes())
    assert korean["text"] == live_texts("ko") and korean["curves"]["full"]


# Output heads: two classes, three classes, a real value.

def test_two_classes_send_weights_and_the_points_classes():
    session = RunSession(RunConfig(dataset="xor"))
    header, blobs = unpack(live_frame(session.trainer).to_bytes())
    assert header["task"] == "binary" and set(blobs) == {"weights", "train_x", "train_y", "test_x", "test_y"}
    assert "classes" not in header["plane"] and "range" not in header["plane"] and header["network"]["outputs"] == 1


def test_three_classes_painted_on_the_server_send_the_most_likely_class_and_its_lead():
    session = RunSession(RunConfig(dataset="three_blobs", hidden_sizes=(64, 64)))
    train(session.trainer, 300)
    header, blobs = unpack(live_frame(session.trainer).to_bytes())
    probabilities = decision_grid(session.trainer.network, session.trainer.data.bounds, 100).probability.reshape(-1, 3)
    assert header["task"] == "multiclass" and header["plane"]["classes"] == 3 and header["network"]["mode"] == "levels"
    assert "prob" not in blobs and blobs["cls"].dtype == np.uint8 and blobs["margin"].shape == (100 * 100,)
    np.testing.assert_array_equal(blobs["cls"], probabilities.argmax(axis=1))
    ranked = np.sort(probabilities, axis=1)
    np.testing.assert_array_equal(blobs["margin"], np.round((ranked[:, -1] - ranked[:, -2]) * 255))
    assert set(np.unique(blobs["cls"])) == {0, 1, 2}  # a trained net gives each blob its own region
    assert blobs["margin"].max() > 200 and blobs["margin"].min() < 40  # sure inside a blob, unsure between
    assert set(np.unique(blobs["train_y"])) == {0, 1, 2}
    assert header["network"]["shown"][-1] == 3 and header["network"]["outputs"] == 3
    assert 0 <= header["snapshots"][-1]["test_acc"] <= 1


def test_a_diverged_multiclass_run_shows_a_tie_everywhere():
    session = RunSession(RunConfig(dataset="three_blobs", hidden_sizes=(64, 64, 8), activation="linear", optimizer="sgd",
                                   learning_rate=50.0))
    train(session.trainer, 100)
    assert session.trainer.diverged
    _, blobs = unpack(live_frame(session.trainer).to_bytes())
    assert blobs["margin"].max() == 0


def test_value_range_is_centred_on_zero_and_covers_every_target():
    assert value_range(np.array([0.3, -1.07, 0.9])) == (-1.1, 1.1)
    assert value_range(np.array([12.0, 3.0])) == (-12.0, 12.0)
    assert value_range(np.array([0.0, 0.0])) == (-1.0, 1.0)
    low, high = value_range(np.array([0.0123]))
    assert high == 0.013 and low == -high


def test_regression_sends_predicted_values_on_the_targets_scale_and_no_accuracy():
    session = RunSession(RunConfig(dataset="plane", hidden_sizes=(64, 64)))
    train(session.trainer, 300)
    data = session.trainer.data
    header, blobs = unpack(live_frame(session.trainer).to_bytes())
    low, high = header["plane"]["range"]
    assert header["task"] == "regression" and low == -high
    assert np.abs(np.concatenate([data.y_train, data.y_test])).max() <= high
    predicted = decision_grid(session.trainer.network, session.trainer.data.bounds, 100).output.ravel()
    decoded = low + blobs["value"] / 255 * (high - low)
    inside = (predicted > low) & (predicted < high)
    assert inside.mean() > 0.9
    np.testing.assert_allclose(decoded[inside], predicted[inside], atol=(high - low) / 255)
    # The tilted plane: the prediction rises along x1 and x2, as the targets do.
    grid = blobs["value"].reshape(100, 100).astype(int)
    assert grid[90, 90] > grid[50, 50] > grid[10, 10]
    assert blobs["train_y"].dtype == np.float32
    np.testing.assert_allclose(blobs["train_y"], data.y_train)
    assert "train_acc" not in header["snapshots"][-1] and "test_acc" not in header["curves"]
    assert header["snapshots"][-1]["test_loss"] < 0.1


def test_input_nodes_are_the_chosen_features():
    session = RunSession(RunConfig(dataset="circle", features=("x1", "x2", "x1sq", "x2sq", "sin_x1"), hidden_sizes=(3,)))
    header, blobs = unpack(live_frame(session.trainer).to_bytes())
    assert header["network"]["inputs"] == ["x1", "x2", "x1sq", "x2sq", "sin_x1"]
    assert header["network"]["shown"] == [5, 3, 1] and header["network"]["layers"][0] == [3, 5]
    assert blobs["weights"].size == 5 * 3 + 3 + 3 + 1
    assert live_texts()["feature_x1sq"] == "x1²" and live_texts("ko")["feature_sin_x1"] == "sin x1"
