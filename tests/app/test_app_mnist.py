"""The MNIST lab, driven by Streamlit's AppTest (no browser)."""

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from engine.core.models import MODELS
from engine.core.optimizers import OPTIMIZERS
from engine.course.links import MnistLink
from engine.course.presets import MNIST_PRESETS
from playground import i18n, scheduler
from playground.scheduler import Queue
from playground.urls import APP_KEYS

HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.fixture
def open_lab(open_page):
    """The lab as a student opens it: in `lang`, from a link with `query` (if any), then
    with some widgets set to `settings`."""

    def open_lab(query: dict[str, str] | None = None, lang: str = "en", **settings) -> AppTest:
        at = open_page("mnist", query, lang)
        for key, value in settings.items():
            at.session_state[f"mnist.{key}"] = value
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_lab


def session(at: AppTest):
    return at.session_state["mnist.session"]


def page_query(at: AppTest) -> dict[str, str]:
    return {name: value for name, value in at.query_params.items() if name not in APP_KEYS}


def train_to_the_end(at: AppTest) -> None:
    at.button(key="mnist.train").click().run()
    for _ in range(200):  # AppTest runs the live fragment once per run
        if not session(at).busy:
            break
        at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_lab_opens_with_the_quick_cnn_untrained(open_lab):
    at = open_lab()
    assert at.radio(key="mnist.model").value == "cnn"
    assert at.selectbox(key="mnist.preset").value == "cnn_quick"
    assert session(at).trainer.step == 0
    assert any("Press Train" in info.value for info in at.info)


def test_training_a_small_subset_shows_progress_curves_and_the_confusion_matrix(open_lab):
    at = open_lab(train_size=1_000)
    train_to_the_end(at)
    trainer = session(at).trainer
    assert trainer.epoch == 1 and trainer.history.steps == [trainer.steps_per_epoch]
    assert trainer.history.test_acc[-1] > 0.5  # far above chance (0.1) after one epoch on 1,000 images
    assert any("test accuracy" in s.value for s in at.success)
    charts = {chart.key for chart in at.get("plotly_chart")}
    assert {"mnist.loss", "mnist.accuracy", "mnist.gradients", "mnist.confusion", "mnist.probabilities"} <= charts


def test_a_softmax_network_has_no_feature_maps_and_says_so(open_lab):
    at = open_lab(model="softmax", train_size=1_000)
    train_to_the_end(at)
    assert any("Feature maps" in info.value for info in at.info)


def test_changing_a_setting_starts_an_untrained_network(open_lab):
    at = open_lab(train_size=1_000)
    train_to_the_end(at)
    at.radio(key="mnist.model").set_value("mlp").run()
    assert session(at).trainer.step == 0 and session(at).config.model == "mlp"


def test_a_drawn_digit_gets_a_prediction(open_lab):
    at = open_lab(train_size=1_000)
    train_to_the_end(at)
    pad = np.zeros((56, 56), dtype=np.uint8)
    pad[8:48, 26:31] = 255  # a vertical stroke: a "1"
    at.session_state["mnist.draw"] = {"drawing": pad.ravel().tolist()}
    at.run()
    assert not at.exception
    assert any("The network says" in md.value for md in at.markdown)
    assert "mnist.draw_probs" in {chart.key for chart in at.get("plotly_chart")}


def test_bad_layer_text_gives_a_clear_error_not_a_traceback(open_lab):
    at = open_lab(hidden_sizes="64,lots")
    assert any("cannot run" in error.value for error in at.error)


def test_the_lab_speaks_korean_from_settings_to_the_drawn_digit(open_lab):
    at = open_lab(lang="ko", train_size=1_000)
    assert at.title[0].value.startswith("MNIST 실험실")
    assert at.radio(key="mnist.model").label == "모델 (model)"
    assert at.button(key="mnist.train").label == "1 에폭 학습"
    assert any("혼동 행렬 (confusion matrix)" in info.value for info in at.info)
    widgets = [*at.radio, *at.selectbox, *at.text_input, *at.slider, *at.select_slider, *at.number_input, *at.button]
    english = [w.label for w in widgets if not HANGUL.search(w.label)]
    assert english == [], "labels left in English"
    train_to_the_end(at)
    assert any("테스트 정확도 (test accuracy)" in s.value for s in at.success)
    assert [tab.label for tab in at.tabs] == ["틀린 예 (mistakes)", "속 들여다보기", "숫자 그리기"]
    pad = np.zeros((56, 56), dtype=np.uint8)
    pad[8:48, 26:31] = 255
    at.session_state["mnist.draw"] = {"drawing": pad.ravel().tolist()}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("신경망의 답" in md.value for md in at.markdown)


def test_switching_language_keeps_the_settings_and_the_trained_network(open_lab):
    at = open_lab(train_size=1_000)
    at.select_slider(key="mnist.batch_size").set_value(128).run()
    train_to_the_end(at)
    before = session(at)
    at.session_state["lang"] = "ko"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="mnist.train").label == "1 에폭 학습"
    assert at.radio(key="mnist.train_size").value == 1_000 and at.select_slider(key="mnist.batch_size").value == 128
    assert session(at) is before and before.trainer.step > 0


def test_every_preset_and_model_has_its_texts_in_both_languages():
    for lang in i18n.LANGUAGES:
        texts = i18n.catalog(lang)
        for name in MNIST_PRESETS:
            assert texts[f"mnist.preset.{name}.title"] and texts[f"mnist.preset.{name}.summary"]
        for name in MODELS:
            assert texts[f"mnist.model.{name}"]


def test_a_shared_link_opens_with_its_settings(open_lab):
    at = open_lab({"model": "cnn", "epochs": "2", "conv_channels": "4,8"})
    assert at.radio(key="mnist.model").value == "cnn"
    assert at.text_input(key="mnist.conv_channels").value == "4,8"
    assert at.number_input(key="mnist.epochs").value == 2
    assert at.button(key="mnist.train").label == "Train 2 epochs"
    assert session(at).config.conv_channels == (4, 8)
    assert at.selectbox(key="mnist.preset").value is None  # no preset is these settings
    assert not at.warning


def test_a_bad_value_in_a_link_is_a_warning_and_the_rest_still_applies(open_lab):
    at = open_lab({"model": "cnn", "kernel_size": "7", "epochs": "99", "conv_channels": "4,8"})
    warnings = " ".join(w.value for w in at.warning)
    assert "kernel_size" in warnings and "epochs" in warnings
    assert at.radio(key="mnist.kernel_size").value == 5  # the default instead of 7
    assert at.number_input(key="mnist.epochs").value == 1
    assert session(at).config.conv_channels == (4, 8)
    assert "kernel_size" not in page_query(at)  # the address bar now links to what runs
    at.radio(key="mnist.kernel_size").set_value(3).run()
    assert not at.warning  # the student has moved on from the link


def test_a_link_to_a_preset_shows_that_preset(open_lab):
    preset = MNIST_PRESETS["mlp"]
    link = MnistLink(preset.config.replace(train_size=10_000), preset.epochs)
    at = open_lab(link.to_query())
    assert at.selectbox(key="mnist.preset").value == "mlp"
    assert session(at).config == link.config


def test_the_address_bar_follows_the_settings(open_lab):
    at = open_lab()
    assert MnistLink.from_query(page_query(at)) == (MnistLink(session(at).config, 1), [])
    at.radio(key="mnist.train_size").set_value(1_000).run()
    at.radio(key="mnist.model").set_value("mlp").run()
    at.number_input(key="mnist.epochs").set_value(3).run()
    query = page_query(at)
    assert query["train_size"] == "1000" and query["epochs"] == "3"
    assert "conv_channels" not in query  # only what differs from the defaults (mlp is the default model)
    assert MnistLink.from_query(query) == (MnistLink(session(at).config, 3), [])
    assert session(at).config.model == "mlp" and session(at).config.train_size == 1_000
    assert at.query_params["lang"] == "en"  # the app's own parameters stay


def test_a_lesson_can_load_its_settings_over_the_students(open_lab):
    at = open_lab(train_size=1_000)
    at.session_state["urls.load.mnist"] = True  # what urls.request_load("mnist") does
    at.query_params = {"lang": "en", "model": "softmax", "epochs": "4"}  # st.switch_page(..., query_params=...)
    at.run()
    assert at.radio(key="mnist.model").value == "softmax"
    assert at.number_input(key="mnist.epochs").value == 4
    assert session(at).config.model == "softmax" and session(at).config.train_size == 10_000


def test_settings_survive_a_visit_to_another_page(open_lab):
    at = open_lab(train_size=1_000)
    at.select_slider(key="mnist.batch_size").set_value(128).run()
    before = session(at)
    at.switch_page("views/race.py").run()
    at.switch_page("views/mnist.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="mnist.train_size").value == 1_000 and at.select_slider(key="mnist.batch_size").value == 128
    assert at.selectbox(key="mnist.preset").value == "cnn_quick"
    assert session(at) is before  # the same network, not a fresh one


def test_changing_the_optimizer_takes_its_default_learning_rate(open_lab):
    at = open_lab()
    assert session(at).config.learning_rate == MNIST_PRESETS["cnn_quick"].config.learning_rate  # the preset's own
    for name in ("sgd", "momentum", "adam"):
        at.selectbox(key="mnist.optimizer").set_value(name).run()
        assert at.select_slider(key="mnist.learning_rate").value == OPTIMIZERS[name].image_lr  # images' own, not 2D's
        assert session(at).config.learning_rate == OPTIMIZERS[name].image_lr
    at.select_slider(key="mnist.learning_rate").set_value(3e-4).run()
    at.radio(key="mnist.train_size").set_value(1_000).run()
    assert session(at).config.learning_rate == 3e-4  # a chosen rate stays until the optimizer changes


def test_two_students_share_one_mnist_queue(open_lab, monkeypatch):
    """One MNIST training at a time per server process: the second student's waits, with its
    place shown, and starts when the first one's stops."""
    monkeypatch.setattr(scheduler, "MNIST_QUEUE", Queue())
    link = {"model": "cnn", "train_size": "10000", "epochs": "3"}
    first = open_lab(link)
    first.button(key="mnist.train").click().run()
    assert session(first).trainer.step > 0
    second = open_lab(link)
    second.button(key="mnist.train").click().run()
    assert session(second).trainer.step == 0 and session(second).busy
    assert any("1 run(s) before yours" in info.value for info in second.info)
    second.run()
    assert session(second).trainer.step == 0  # still waiting
    first.button(key="mnist.stop").click().run()
    for _ in range(100):  # the stopped run's test pass, a slice per run
        if not session(first).busy:
            break
        first.run()
    assert not session(first).busy and session(first).trainer.history.steps
    second.run()
    assert session(second).trainer.step > 0 and not second.info


def test_a_damaged_mnist_file_gives_a_message_in_the_pages_language_not_a_traceback(open_lab, monkeypatch, tmp_path):
    import shutil

    from engine.core import datasets
    from engine.core.mnist_data import DATA_DIR, MNIST_FILES, load_mnist

    for idx_file in MNIST_FILES.values():
        shutil.copy(DATA_DIR / idx_file.name, tmp_path / idx_file.name)
    damaged = tmp_path / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:1000])
    monkeypatch.setattr(datasets, "_mnist_normalised", lambda: load_mnist(tmp_path))  # as if the server's copy were damaged
    for lang, words in (("en", "cannot be read"), ("ko", "읽을 수 없어")):
        at = open_lab(lang=lang)
        assert not at.exception
        [error] = [e.value for e in at.error]
        assert words in error and "train-labels-idx1-ubyte.gz" in error and "Traceback" not in error
        assert "mnist.session" not in at.session_state and not [b for b in at.button if b.key == "mnist.train"]


def test_an_empty_accuracy_chart_has_the_axes_of_an_accuracy():
    from playground import figures
    from playground.viewer import Viewer

    layout = figures.accuracy_figure([], [], [], view=Viewer()).layout
    assert tuple(layout.yaxis.range) == (0, 1) and tuple(layout.xaxis.range) == (0, 1)
    assert figures.accuracy_figure([1.0], [0.9], [0.95], view=Viewer()).layout.yaxis.range is None


def test_early_stopping_ends_training_says_after_which_epoch_and_marks_the_loss_chart(open_lab):
    # A small MLP on 1,000 images overfits within a few epochs: its test loss turns up and training stops.
    at = open_lab(model="mlp", hidden_sizes="64", train_size=1_000, early_stopping=1, epochs=20, learning_rate=0.01,
                  one_cycle=0, dropout=0.0)
    assert page_query(at)["early_stopping"] == "1"
    train_to_the_end(at)
    trainer = session(at).trainer
    assert trainer.stopped_early and trainer.epoch < 20 and trainer.epoch - trainer.best.epoch == 1
    (note,) = [info.value for info in at.info if "Early stopping" in info.value]
    assert "for 1 epoch, so" in note  # one epoch, not "1 epochs"
    assert f"after epoch {trainer.epoch:.0f}" in note and f"after epoch {trainer.best.epoch:.0f}" in note
    assert at.button(key="mnist.train").disabled
    figure = json.loads(next(c for c in at.get("plotly_chart") if c.key == "mnist.loss").proto.spec)
    (line,) = figure["layout"]["shapes"]
    assert line["x0"] == trainer.epoch
    (ring,) = [trace for trace in figure["data"] if trace.get("marker", {}).get("symbol") == "circle-open"]
    assert ring["x"] == [trainer.best.epoch]


def test_training_past_the_one_cycle_schedule_says_those_epochs_learn_little(open_lab):
    at = open_lab()  # the quick CNN: a one-cycle schedule over its one epoch
    assert not [c.value for c in at.caption if "schedule ends" in c.value]
    at.number_input(key="mnist.epochs").set_value(3).run()
    (note,) = [c.value for c in at.caption if "schedule ends" in c.value]
    assert "ends after epoch 1:" in note
