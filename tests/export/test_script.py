"""The exported script trains the same run as the engine: the same data, initial weights, batch
order and live changes, so the same final losses and accuracies (to 1e-5), one factor at a time."""

import contextlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.cli import run_train
from engine.core.config import RunConfig
from engine.core.loop import Snapshots, train
from engine.core.own_data import encode_points, points_csv
from engine.core.trainer import Trainer
from engine.export.script import run_script, script_for

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-5
QUIET = Snapshots(every=None, at_end=False)
DRAWN = encode_points(np.array([[-0.6, 0.5], [0.5, 0.6], [0.3, -0.4], [-0.5, -0.3], [0.1, 0.9], [-0.9, 0.1],
                                [0.8, -0.8], [0.0, 0.2]]), np.array([0, 1, 1, 0, 1, 0, 1, 2]), "multiclass")
DRAWN_VALUES = encode_points(np.array([[-0.6, 0.5], [0.5, 0.6], [0.3, -0.4], [-0.5, -0.3], [0.1, 0.9]]),
                             np.array([0.2, -0.7, 1.0, 0.0, -1.0]), "regression")


def run_in_process(code: str, cwd: Path | None = None) -> tuple[list[str], dict]:
    """Run a script here (no new interpreter: torch is imported once); its printed lines and last line's JSON."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.chdir(cwd or ROOT):
        exec(compile(code, "run.py", "exec"), {"__name__": "__main__"})
    lines = out.getvalue().strip().splitlines()
    return lines, json.loads(lines[-1])


def assert_same_figures(got: dict, want: dict) -> None:
    assert set(got) == {"train_loss", "test_loss", "train_acc", "test_acc"} == set(want)
    for name, value in want.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            assert got[name] is None, name
        else:
            assert got[name] == pytest.approx(value, abs=TOLERANCE), name


# One factor at a time from the default run (xor, hidden 4-4, tanh, Adam, batches of 10).
TWO_D = [
    *({"dataset": name} for name in ("and", "or", "circle", "gaussians", "spirals", "moons",
                                     "three_blobs", "plane", "gaussian_sum")),  # binary, multiclass, regression heads
    *({"activation": name} for name in ("sigmoid", "relu", "leaky_relu", "elu", "gelu", "linear")),
    *({"optimizer": name} for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "nadam")),
    *({"features": ("x1", "x2", name)} for name in ("x1sq", "x2sq", "x1x2", "sin_x1", "sin_x2")),
    *({"init": name} for name in ("xavier", "he", "pytorch", "normal", "zeros")),
    {"hidden_sizes": ()},  # a perceptron
    {"dropout": 0.3, "hidden_sizes": (8, 8)},
    {"weight_decay": 0.01},
    {"batch_size": "full"},
    {"batch_size": 7},  # an epoch's last batch is smaller
    {"standardize": True, "input_scale": 10.0},
    {"one_cycle": 3},
    {"dataset": "own", "own_points": DRAWN},  # drawn on the page: three classes
    {"dataset": "own", "own_points": DRAWN_VALUES, "batch_size": 2},  # drawn values: a regression
]


@pytest.mark.parametrize("changes", TWO_D, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_the_script_prints_what_the_engine_trains_on_2d_points(changes):
    config = RunConfig(**changes)
    steps = 60
    lines, final = run_in_process(run_script(config, steps))
    assert_same_figures(final, run_train(config, steps)["final"])
    assert any(line.startswith(f"step {steps:>6}") for line in lines)  # the losses on the way, as they go


def test_early_stopping_stops_the_script_where_it_stops_the_engine():
    config = RunConfig(dataset="spirals", hidden_sizes=(32, 32), activation="relu", n_points=100, noise=0.4,
                       test_fraction=0.5, early_stopping=5)
    report = run_train(config, 2_000)
    assert report["early_stop"] is not None and report["steps"] < 2_000  # it does stop early
    lines, final = run_in_process(run_script(config, 2_000))
    assert_same_figures(final, report["final"])
    assert f"early stopping at step {report['early_stop']['step']}" in lines[-2]


def test_a_diverged_run_ends_the_script_with_no_numbers():
    config = RunConfig(optimizer="sgd", learning_rate=100.0, dataset="plane", activation="relu", hidden_sizes=(16, 16))
    report = run_train(config, 200)
    assert report["diverged"]
    lines, final = run_in_process(run_script(config, 200))
    assert "diverged" in " ".join(lines[-3:])
    assert_same_figures(final, report["final"])


def test_settings_changed_live_are_replayed_at_their_steps():
    trainer = Trainer(RunConfig(dataset="circle", hidden_sizes=(6,), batch_size=10, one_cycle=4))
    for steps, settings in [(25, {"learning_rate": 0.03}), (40, {"batch_size": "full"}), (55, {"batch_size": 3}),
                            (70, {"weight_decay": 0.001, "learning_rate": 0.005})]:
        train(trainer, steps - trainer.step, snapshots=QUIET)
        assert trainer.apply_live(trainer.config.replace(**settings))
    train(trainer, 100 - trainer.step, snapshots=QUIET)
    assert [change.step for change in trainer.changes] == [25, 40, 55, 70]
    code = script_for(trainer)
    assert "CHANGES = {" in code
    _, final = run_in_process(code)
    assert_same_figures(final, vars(trainer.evaluate()))


def test_a_run_on_uploaded_points_reads_them_from_the_csv_beside_it(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, size=(40, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    (tmp_path / "points.csv").write_text(points_csv(x, y))
    from engine.core.datasets import own_dataset

    config = RunConfig(dataset="own", standardize=True)
    trainer = Trainer(config, data=own_dataset(x, y, 2, config.test_fraction, config.seed, config.input_scale,
                                               config.standardize))
    train(trainer, 50, snapshots=QUIET)
    with pytest.raises(ValueError):
        script_for(trainer)  # the config alone does not hold the points
    _, final = run_in_process(script_for(trainer, points_csv_name="points.csv"), cwd=tmp_path)
    assert_same_figures(final, vars(trainer.evaluate()))


IMAGES = [
    pytest.param({"model": "softmax", "train_size": 1000}, 20, id="softmax"),
    # 6,000 training images: the training figures are the running mean of the epoch's mini-batches
    pytest.param({"model": "mlp", "hidden_sizes": (32,), "dropout": 0.2, "train_size": 6000, "batch_size": 100}, 70,
                 id="mlp-running-mean"),
    pytest.param({"model": "cnn", "conv_channels": (4, 8), "kernel_size": 3, "batch_norm": True, "hidden_sizes": (16,),
                  "train_size": 256, "batch_size": 64, "one_cycle": 1}, 6, id="cnn-batch-norm"),
    pytest.param({"model": "cnn", "conv_channels": (4,), "padding": "valid", "convs_per_block": 2, "hidden_sizes": (),
                  "activation": "elu", "init": "pytorch", "train_size": 200, "batch_size": 50, "early_stopping": 1}, 12,
                 id="cnn-valid-early-stopping"),
]


@pytest.mark.parametrize(("changes", "steps"), IMAGES)
def test_the_script_prints_what_the_engine_trains_on_mnist(changes, steps):
    config = RunConfig(dataset="mnist", **changes)
    _, final = run_in_process(run_script(config, steps))
    assert_same_figures(final, run_train(config, steps)["final"])


def test_the_cli_writes_a_script_whose_last_line_is_trains_final_block(tmp_path):
    flags = ["--dataset", "moons", "--hidden", "5", "--activation", "relu", "--optimizer", "nadam", "--steps", "80"]
    engine = [sys.executable, "-m", "engine"]
    done = subprocess.run([*engine, "export-script", *flags, "--out", str(tmp_path / "run.py")], capture_output=True,
                          text=True, cwd=ROOT, check=True)
    assert "run.py" in done.stderr
    script = subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True, text=True, cwd=tmp_path,
                            check=True)
    report = subprocess.run([*engine, "train", *flags, "--json"], capture_output=True, text=True, cwd=ROOT, check=True)
    assert_same_figures(json.loads(script.stdout.splitlines()[-1]), json.loads(report.stdout.splitlines()[-1])["final"])
    assert "import engine" not in (tmp_path / "run.py").read_text()  # standalone: torch and numpy only


def test_the_cli_replays_a_saved_settings_file(tmp_path, capsys):
    from engine.cli import main
    from engine.export.run_files import settings_json

    trainer = Trainer(RunConfig(dataset="gaussians", hidden_sizes=(3,)))
    train(trainer, 20, snapshots=QUIET)
    trainer.apply_live(trainer.config.replace(learning_rate=0.1))
    train(trainer, 15, snapshots=QUIET)
    (tmp_path / "run.json").write_text(settings_json(trainer))
    assert main(["export-script", "--settings", str(tmp_path / "run.json"), "--out", str(tmp_path / "run.py")]) == 0
    code = (tmp_path / "run.py").read_text()
    assert "STEPS = 35" in code and "20: {'learning_rate': 0.1}" in code
    _, final = run_in_process(code)
    assert_same_figures(final, vars(trainer.evaluate()))
    assert main(["export-script", "--settings", str(tmp_path / "run.json"), "--hidden", "3"]) == 2
    assert "--settings gives the whole run" in capsys.readouterr().err


def test_the_script_reads_as_a_lesson():
    code = run_script(RunConfig(dataset="mnist", model="cnn", batch_norm=True, dropout=0.25), 100)
    for part in ("# ---------------------------------------------------------------- the data", "nn.Conv2d(1, 8, 5",
                 "nn.BatchNorm2d(8)", "Dropout(0.25, generator)", "loss.backward()", "optimizer.step()",
                 "python -m engine train --dataset mnist --model cnn"):
        assert part in code
    compile(code, "run.py", "exec")
    assert max(len(line) for line in code.splitlines()) <= 130


@pytest.mark.parametrize("config", [RunConfig(dataset="three_blobs", hidden_sizes=(5,), dropout=0.1),
                                    RunConfig(dataset="mnist", model="cnn", conv_channels=(4,), batch_norm=True,
                                              hidden_sizes=(8,), train_size=128, batch_size=32)],
                         ids=["mlp-dropout", "cnn-batch-norm"])
def test_a_run_from_uploaded_weights_starts_the_script_from_them(tmp_path, config):
    from engine.export.run_files import load_weights, weights_bytes
    from engine.export.script import START_WEIGHTS

    trained = Trainer(config)
    train(trained, 8, snapshots=QUIET)
    (tmp_path / START_WEIGHTS).write_bytes(weights_bytes(trained))
    if config.images:
        (tmp_path / "data").symlink_to(ROOT / "data")
    trainer = Trainer(config)
    load_weights(trainer, weights_bytes(trained), trained_steps=8)
    train(trainer, 6, snapshots=QUIET)
    code = script_for(trainer)
    assert "It started from uploaded weights (trained 8 steps before)" in " ".join(code.split())
    _, final = run_in_process(code, cwd=tmp_path)
    assert_same_figures(final, vars(trainer.evaluate()))


def test_a_run_the_class_trainer_trained_batched_says_its_losses_agree_to_rounding():
    from engine.core.cohort import Cohort

    runs = [Trainer(RunConfig(dataset="circle", seed=seed)) for seed in (1, 2, 3)]
    with Cohort(runs) as cohort:
        for _ in range(40):
            cohort.train_step()
    code = script_for(runs[1])
    assert "the server's class trainer trained this network" in code
    _, final = run_in_process(code)
    for name, value in vars(runs[1].evaluate()).items():
        assert final[name] == pytest.approx(value, rel=1e-3, abs=1e-4)
    assert "class trainer" not in script_for(Trainer(RunConfig()))


def test_a_mnist_run_stopped_mid_epoch_restarts_its_running_means_there_in_the_script_too():
    config = RunConfig(dataset="mnist", model="softmax", train_size=6000, batch_size=500)
    trainer = Trainer(config)
    train(trainer, 5, snapshots=QUIET)
    trainer.record()  # the lab's Stop, mid-epoch
    train(trainer, 7, snapshots=QUIET)
    trainer.record()  # the epoch's end
    assert trainer.measured_mid_epoch == [5]
    _, final = run_in_process(script_for(trainer))
    h = trainer.history
    assert_same_figures(final, {"train_loss": h.train_loss[-1], "test_loss": h.test_loss[-1],
                                "train_acc": h.train_acc[-1], "test_acc": h.test_acc[-1]})


def test_the_cli_writes_the_script_of_a_saved_run_that_started_from_uploaded_weights(tmp_path):
    from engine.cli import main
    from engine.export.run_files import load_weights, settings_json, weights_bytes
    from engine.export.script import START_WEIGHTS

    config = RunConfig(dataset="moons", hidden_sizes=(6,))
    before = Trainer(config)
    train(before, 12, snapshots=QUIET)
    trainer = Trainer(config)
    load_weights(trainer, weights_bytes(before), 12)
    train(trainer, 9, snapshots=QUIET)
    (tmp_path / "run.json").write_text(settings_json(trainer))
    (tmp_path / START_WEIGHTS).write_bytes(weights_bytes(before))
    assert main(["export-script", "--settings", str(tmp_path / "run.json"), "--out", str(tmp_path / "run.py")]) == 0
    _, final = run_in_process((tmp_path / "run.py").read_text(), cwd=tmp_path)
    assert_same_figures(final, vars(trainer.evaluate()))


def test_the_cli_asks_for_the_csv_file_of_a_run_on_uploaded_points(tmp_path, capsys):
    from engine.cli import main

    assert main(["export-script", "--dataset", "own", "--steps", "5"]) == 2
    assert "--points-csv" in capsys.readouterr().err
    assert main(["export-script", "--dataset", "own", "--steps", "5", "--points-csv", "mine.csv",
                 "--out", str(tmp_path / "run.py")]) == 0
    assert "np.loadtxt('mine.csv'" in (tmp_path / "run.py").read_text()
