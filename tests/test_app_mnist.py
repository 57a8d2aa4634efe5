"""The MNIST lab, driven by Streamlit's AppTest (no browser)."""

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "playground" / "app.py")


def open_lab(**settings) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/mnist.py").run()
    for key, value in settings.items():
        at.session_state[f"mnist.{key}"] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def session(at: AppTest):
    return at.session_state["mnist.session"]


def train_to_the_end(at: AppTest) -> None:
    at.button(key="mnist.train").click().run()
    for _ in range(200):  # AppTest runs the live fragment once per run
        if not session(at).training:
            break
        at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_lab_opens_with_the_quick_cnn_untrained():
    at = open_lab()
    assert at.radio(key="mnist.model").value == "cnn"
    assert session(at).trainer.step == 0
    assert any("Press Train" in info.value for info in at.info)


def test_training_a_small_subset_shows_progress_curves_and_the_confusion_matrix():
    at = open_lab(train_size=1_000)
    train_to_the_end(at)
    trainer = session(at).trainer
    assert trainer.epoch == 1 and trainer.history.steps == [trainer.steps_per_epoch]
    assert trainer.history.test_acc[-1] > 0.5  # far above chance (0.1) after one epoch on 1,000 images
    assert any("test accuracy" in s.value for s in at.success)
    charts = {chart.key for chart in at.get("plotly_chart")}
    assert {"mnist.loss", "mnist.accuracy", "mnist.gradients", "mnist.confusion", "mnist.probabilities"} <= charts


def test_a_softmax_network_has_no_feature_maps_and_says_so():
    at = open_lab(model="softmax", train_size=1_000)
    train_to_the_end(at)
    assert any("Feature maps" in info.value for info in at.info)


def test_changing_a_setting_starts_an_untrained_network():
    at = open_lab(train_size=1_000)
    train_to_the_end(at)
    at.radio(key="mnist.model").set_value("mlp").run()
    assert session(at).trainer.step == 0 and session(at).config.model == "mlp"


def test_a_drawn_digit_gets_a_prediction():
    at = open_lab(train_size=1_000)
    train_to_the_end(at)
    pad = np.zeros((56, 56), dtype=np.uint8)
    pad[8:48, 26:31] = 255  # a vertical stroke: a "1"
    at.session_state["mnist.draw"] = {"drawing": pad.ravel().tolist()}
    at.run()
    assert not at.exception
    assert any("The network says" in md.value for md in at.markdown)
    assert "mnist.draw_probs" in {chart.key for chart in at.get("plotly_chart")}


def test_bad_layer_text_gives_a_clear_error_not_a_traceback():
    at = open_lab(hidden_sizes="64,lots")
    assert any("cannot run" in error.value for error in at.error)
