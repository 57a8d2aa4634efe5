"""Take it home (playground/take_home.py): a run's code and files on the 2D page, Compare and the
MNIST lab, and a saved run uploaded to go on from, driven by Streamlit's AppTest (no browser).

A file is built when its download button is clicked (Streamlit runs the button's callable then);
`files` keeps those callables as the page hands them to Streamlit, so a test downloads what a
student would."""

import json
import re

import numpy as np
import pytest
import torch
from safetensors.torch import load as read_tensors
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from engine.core.config import RunConfig
from engine.core.loop import train
from engine.core.own_data import read_points_csv
from engine.core.trainer import Trainer
from engine.export.run_files import MAX_SETTINGS_BYTES, read_settings, settings_json, weights_bytes
from playground import classroom

HANGUL = re.compile("[\uac00-\ud7a3]")
FILES = ("script", "settings", "weights", "history")


@pytest.fixture
def files(monkeypatch) -> dict:
    """File name -> the callable that builds it, for every download button a page drew."""
    made = {}
    add_deferred = MediaFileManager.add_deferred

    def keep(self, build, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = build
        return add_deferred(self, build, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return made


@pytest.fixture
def open_2d(open_page, monkeypatch):
    monkeypatch.setattr(classroom, "SHARED", False)  # the page trains in its own ticks
    return lambda query=None, lang=None: open_page("playground", query, lang)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_panel(at: AppTest, page: str) -> AppTest:
    """Open the page's "Take it home" expander (it runs its contents only while open)."""
    at.session_state[f"takehome.{page}.open"] = True
    return ok(at.run())


def download_keys(at: AppTest, page: str) -> set[str]:
    return {button.key.removeprefix(f"takehome.{page}.download.") for button in at.get("download_button")
            if button.key and button.key.startswith(f"takehome.{page}.")}


def upload(at: AppTest, page: str, settings: bytes, weights: bytes, names=("run-settings.json", "run.safetensors")):
    """Choose the two files in the panel's uploaders and press Continue."""
    (settings_box,) = [u for u in at.file_uploader if u.key.startswith(f"takehome.{page}.settings_file.")]
    (weights_box,) = [u for u in at.file_uploader if u.key.startswith(f"takehome.{page}.weights_file.")]
    settings_box.set_value((names[0], settings, "application/json"))
    weights_box.set_value((names[1], weights, "application/octet-stream"))
    ok(at.run())
    at.button(key=f"takehome.{page}.continue").click()
    return ok(at.run())


def errors(at: AppTest) -> list[str]:
    return [error.value for error in at.error]


# The 2D page.

def test_the_panel_is_closed_and_builds_nothing_until_opened(open_2d, files):
    at = open_2d()
    assert [e.label for e in at.expander] == ["Take it home"]
    assert download_keys(at, "playground") == set() and files == {}
    open_panel(at, "playground")
    assert download_keys(at, "playground") == set(FILES)
    assert not at.code  # the code is built only when asked


def test_the_code_and_the_files_are_of_the_run_at_its_step(open_2d, files):
    at = open_2d({"dataset": "circle"})
    at.button(key="epoch").click()
    ok(at.run())
    open_panel(at, "playground")
    at.toggle(key="takehome.playground.show_code").set_value(True)
    ok(at.run())
    (code,) = at.code
    assert code.language == "python" and "import torch" in code.value and "circle" in code.value
    assert sorted(files) == ["circle-mlp-step10-history.csv", "circle-mlp-step10-settings.json",
                             "circle-mlp-step10.safetensors", "run.py"]
    assert files["run.py"]().strip() == code.value.strip()
    settings = read_settings(files["circle-mlp-step10-settings.json"]())
    assert settings.steps == 10 and settings.config.dataset == "circle"
    history = files["circle-mlp-step10-history.csv"]().splitlines()
    assert history[0].startswith("\ufeffstep,epoch,train_loss,test_loss") and history[-1].startswith("10,")
    trainer = at.session_state["playground.session"].trainer
    tensors = read_tensors(files["circle-mlp-step10.safetensors"]())
    assert all(torch.equal(tensors[name], value) for name, value in trainer.model.state_dict().items())


def test_a_playing_run_asks_to_pause_first(open_2d, files):
    at = open_panel(open_2d(), "playground")
    at.button(key="play").click()
    ok(at.run())
    assert any("Pause to take this run home" in info.value for info in at.info)
    assert download_keys(at, "playground") == set()
    at.button(key="pause").click()
    ok(at.run())
    assert download_keys(at, "playground") == set(FILES)


def test_a_saved_run_uploaded_continues_from_its_weights(open_2d, files):
    saved = Trainer(RunConfig(dataset="moons", hidden_sizes=(5, 3), learning_rate=0.03, seed=4))
    train(saved, 120)
    saved.apply_live(saved.config.replace(learning_rate=0.01))  # a live change: the run goes on with it
    train(saved, 30)
    at = open_panel(open_2d(), "playground")  # another run (xor, 4-4) is on the page
    upload(at, "playground", settings_json(saved).encode(), weights_bytes(saved))
    session = at.session_state["playground.session"]
    assert session.trainer.step == 0 and session.trainer.weights_from == 150
    assert session.config == saved.config  # the settings as the run had them when saved, live change taken
    assert at.session_state["cfg.dataset"] == "moons" and at.session_state["cfg.learning_rate"] == 0.01
    assert all(torch.equal(session.trainer.model.state_dict()[name], value)
               for name, value in saved.model.state_dict().items())
    said = [s.value for s in at.success]
    assert any("Continuing from the uploaded weights (trained 150 steps)" in s and "optimizer starts afresh" in s
               for s in said)
    assert at.query_params["dataset"] == "moons"  # the address bar links to the run it goes on with
    at.button(key="step").click()
    ok(at.run())
    assert session.trainer.step == 1 and errors(at) == []
    assert "uploaded weights are let go" in at.button(key="reset").help  # Reset says what it does to them


@pytest.mark.parametrize(("lang", "expected"), [("en", "not JSON"), ("ko", "JSON이 아닙니다")])
def test_a_random_file_says_what_is_wrong_in_the_pages_language(open_2d, files, lang, expected):
    at = open_panel(open_2d(lang=lang), "playground")
    before = at.session_state["playground.session"]
    upload(at, "playground", np.random.default_rng(0).bytes(300), np.random.default_rng(1).bytes(300))
    (error,) = errors(at)
    assert expected in error
    assert not lang == "ko" or HANGUL.search(error)
    assert at.session_state["playground.session"] is before  # the run on the page is untouched


def test_weights_of_another_network_are_refused(open_2d, files):
    settings = Trainer(RunConfig(dataset="xor", hidden_sizes=(4, 4)))
    other = Trainer(RunConfig(dataset="xor", hidden_sizes=(8,)))
    at = open_panel(open_2d(), "playground")
    upload(at, "playground", settings_json(settings).encode(), weights_bytes(other))
    (error,) = errors(at)
    assert "another network" in error
    assert at.session_state["playground.session"].trainer.weights_from is None


def test_settings_of_the_mnist_lab_are_sent_there(open_2d, files):
    mnist = RunConfig(dataset="mnist", model="softmax", hidden_sizes=(), train_size=1000)
    text = json.dumps({"format": "nn-playground run", "version": 1, "config": mnist.to_dict(), "changes": [],
                       "steps": 0, "weights_from": None})
    at = open_panel(open_2d(), "playground")
    upload(at, "playground", text.encode(), b"not read")
    (error,) = errors(at)
    assert "MNIST lab" in error


def test_presenter_mode_keeps_the_code_but_not_the_upload(open_2d, files):
    at = open_2d({"present": "1"})
    open_panel(at, "playground")
    assert download_keys(at, "playground") == set(FILES)
    assert at.toggle(key="takehome.playground.show_code") is not None
    assert not [u for u in at.file_uploader if u.key.startswith("takehome.")]


def test_the_panel_speaks_korean(open_2d, files):
    at = open_panel(open_2d(lang="ko"), "playground")
    (expander,) = at.expander
    assert HANGUL.search(expander.label)
    assert at.toggle(key="takehome.playground.show_code").label == "코드 보기"


# Compare.

def test_compare_shows_the_code_of_the_run_picked(open_page, files):
    at = open_panel(open_page("compare"), "compare")
    runs = at.session_state["compare.state"].comparison.runs
    picker = at.selectbox(key="takehome.compare.run")
    assert picker.options == ["Activation = Sigmoid", "Activation = ReLU"]
    at.toggle(key="takehome.compare.show_code").set_value(True)
    ok(at.run())
    assert "nn.Sigmoid()" in at.code[0].value and runs[0].config.activation == "sigmoid"
    at.selectbox(key="takehome.compare.run").set_value("Activation = ReLU")
    ok(at.run())
    assert "nn.ReLU()" in at.code[0].value and "nn.Sigmoid()" not in at.code[0].value
    assert download_keys(at, "compare") == set(FILES)
    assert not [u for u in at.file_uploader if u.key.startswith("takehome.")]  # Compare takes no upload


# The MNIST lab.

MNIST_QUERY = {"model": "softmax", "train_size": "1000", "batch_size": "128"}


def test_the_mnist_lab_offers_its_files_and_goes_on_from_uploaded_ones(open_page, files):
    at = open_panel(open_page("mnist", MNIST_QUERY), "mnist")
    assert download_keys(at, "mnist") == set(FILES)
    saved = Trainer(RunConfig(dataset="mnist", model="mlp", hidden_sizes=(32,), train_size=1000, batch_size=64))
    train(saved, 5)
    upload(at, "mnist", settings_json(saved).encode(), weights_bytes(saved))
    session = at.session_state["mnist.session"]
    assert session.config == saved.config and session.trainer.weights_from == 5
    assert at.session_state["mnist.model"] == "mlp" and at.session_state["mnist.hidden_sizes"] == "32"
    assert all(torch.equal(session.trainer.model.state_dict()[name], value)
               for name, value in saved.model.state_dict().items())
    assert any("trained 5 steps" in s.value for s in at.success)
    upload(at, "mnist", settings_json(saved).encode(), weights_bytes(Trainer(RunConfig(dataset="mnist", model="softmax",
                                                                                       hidden_sizes=(),
                                                                                       train_size=1000))))
    (error,) = errors(at)
    assert "another network" in error


# A run on the student's own points, uploaded as a CSV file (its settings hold only the task).

def points_file() -> tuple[np.ndarray, np.ndarray, bytes]:
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, size=(40, 2)).round(3)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    text = "x1,x2,label\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(x.tolist(), y.tolist()))
    return x, y, text.encode()


def on_the_file(at: AppTest, data: bytes) -> AppTest:
    at.selectbox(key="cfg.dataset").set_value("own")
    ok(at.run())
    at.file_uploader(key="own.csv").set_value(("mine.csv", data, "text/csv"))
    return ok(at.run())


def test_a_run_on_a_csv_file_takes_its_points_home_and_comes_back_with_them(open_2d, files):
    x, y, data = points_file()
    at = on_the_file(open_2d(), data)
    at.button(key="epoch").click()
    ok(at.run())
    open_panel(at, "playground")
    assert download_keys(at, "playground") == {*FILES, "points"}
    (points_name,) = [name for name in files if name.endswith("-points.csv")]
    back_x, back_y = read_points_csv(files[points_name](), "binary")
    assert np.array_equal(back_x, x) and np.array_equal(back_y, y)
    assert points_name in files["run.py"]()  # the script reads them from that file
    (settings_name,) = [name for name in files if name.endswith("-settings.json")]
    settings, weights = files[settings_name](), files[settings_name.replace("-settings.json", ".safetensors")]()

    fresh = open_panel(open_2d(), "playground")  # no file in the sidebar: the page asks for it
    upload(fresh, "playground", settings.encode(), weights)
    (error,) = errors(fresh)
    assert "CSV file" in error and fresh.session_state["playground.session"].trainer.weights_from is None
    on_the_file(fresh, data)
    upload(fresh, "playground", settings.encode(), weights)
    assert errors(fresh) == []
    session = fresh.session_state["playground.session"]
    assert session.trainer.weights_from == at.session_state["playground.session"].trainer.step
    assert np.array_equal(np.sort(session.trainer.data.x_train, axis=0), np.sort(
        at.session_state["playground.session"].trainer.data.x_train, axis=0))
    fresh.run()
    assert fresh.session_state["playground.session"] is session  # the page goes on with it


def test_a_file_too_big_to_be_a_runs_is_not_read(open_2d, files):
    at = open_panel(open_2d(), "playground")
    upload(at, "playground", b" " * (MAX_SETTINGS_BYTES + 1), b"x", names=("[huge](https://example.com).json", "w.safetensors"))
    (error,) = errors(at)
    assert "too big" in error and "1,000,001" in error
    assert "`[huge](https://example.com).json`" in error  # a file's name is shown as text, never as a link


def test_the_mnist_lab_sends_a_2d_run_to_the_2d_playground(open_page, files):
    at = open_panel(open_page("mnist", MNIST_QUERY, "ko"), "mnist")
    xor = Trainer(RunConfig(dataset="xor"))
    upload(at, "mnist", settings_json(xor).encode(), weights_bytes(xor))
    (error,) = errors(at)
    assert "2D 놀이터" in error
