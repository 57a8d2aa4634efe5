import contextlib
import io
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import DEFAULT_2D_EPOCHS, _train_arguments, main, preset_flags, train_parser
from engine.core.optimizers import OPTIMIZERS
from engine.core.trainer import Trainer
from engine.course.presets import MNIST_PRESETS

ROOT = Path(__file__).resolve().parents[2]  # the project's folder, where `python -m engine` runs


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """`python -m engine ARGS`, run in this process (an interpreter and torch per call would cost seconds):
    its exit code, stdout and stderr. An uncaught exception fails the test, as a traceback would."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(list(args))
    return subprocess.CompletedProcess(["python", "-m", "engine", *args], code, stdout.getvalue(), stderr.getvalue())


def test_python_dash_m_engine_runs_the_command_line():
    result = subprocess.run([sys.executable, "-m", "engine", "train", "--hidden", "", "--steps", "1", "--json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["steps"] == 1


def test_train_json_reports_config_steps_final_metrics_and_gradients():
    result = run_cli("train", "--dataset", "xor", "--hidden", "4,4", "--activation", "tanh", "--init", "auto",
                     "--optimizer", "adam", "--lr", "0.03", "--batch-size", "10", "--epochs", "100",
                     "--dropout", "0", "--weight-decay", "0", "--noise", "0.1", "--seed", "0", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["config"]["hidden_sizes"] == [4, 4] and report["config"]["learning_rate"] == 0.03
    assert report["steps"] == 1000 and report["diverged"] is False
    assert set(report["final"]) == {"train_loss", "test_loss", "train_acc", "test_acc"}
    assert report["final"]["test_acc"] >= 0.95
    assert len(report["grad_norms"]) == 3 and 0 < report["train_seconds"] <= report["seconds"]


def test_steps_one_with_no_hidden_layer_shows_gradients_at_initialisation():
    report = json.loads(run_cli("train", "--hidden", "", "--steps", "1", "--json").stdout.splitlines()[-1])
    assert report["steps"] == 1 and report["config"]["hidden_sizes"] == []
    assert len(report["grad_norms"]) == 1 and report["grad_norms"][0] > 0


def test_diverged_run_is_reported_in_valid_json():
    result = run_cli("train", "--hidden", "8,8,8", "--activation", "linear", "--optimizer", "sgd", "--lr", "50",
                     "--steps", "200", "--json")
    report = json.loads(result.stdout.splitlines()[-1])
    assert result.returncode == 0 and report["diverged"] is True and "learning rate" in report["message"]


def test_readable_summary_without_json():
    result = run_cli("train", "--dataset", "and", "--hidden", "", "--epochs", "20")
    assert result.returncode == 0
    assert "accuracy" in result.stdout and "perceptron" in result.stdout


def test_bad_arguments_exit_2_with_one_clear_line_and_no_traceback():
    for args in (["--lr", "-1"], ["--optimizer", "lbfgs"], ["--hidden", "4,x"], ["--batch-size", "0"],
                 ["--bogus"], ["--epochs", "0"], ["--dropout", "1"], ["--features", "x1,x1"], ["--features", "cos_x1"]):
        result = run_cli("train", *args)
        assert result.returncode == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_many_seeds_report_their_mean_and_spread():
    result = run_cli("train", "--dataset", "xor", "--hidden", "", "--seeds", "8", "--epochs", "30", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["seeds"] == list(range(8)) and len(report["per_seed"]["test_acc"]) == 8
    assert report["final"]["test_acc"] == pytest.approx(sum(report["per_seed"]["test_acc"]) / 8)
    assert report["final"]["test_acc"] <= 0.65 and report["final_std"]["test_acc"] >= 0  # no seed saves the perceptron


def test_bad_seed_counts_exit_2():
    for args in (["--seeds", "0"], ["--seeds", "33"], ["--dataset", "mnist", "--seeds", "4"]):
        result = run_cli("train", *args)
        assert result.returncode == 2 and result.stderr.startswith("error:"), args


def test_a_regression_reports_its_loss_and_null_accuracies_in_valid_json():
    result = run_cli("train", "--dataset", "plane", "--hidden", "8", "--lr", "0.03", "--epochs", "30", "--json")
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert "NaN" not in last
    report = json.loads(last)
    assert report["final"]["train_acc"] is None and report["final"]["test_acc"] is None
    assert 0 < report["final"]["test_loss"] < 0.05  # the targets' variance is about 0.2


def test_features_flag_sets_the_networks_inputs():
    result = run_cli("train", "--dataset", "circle", "--hidden", "", "--features", "x1sq,x2sq", "--lr", "0.03",
                     "--epochs", "30", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["config"]["features"] == ["x1sq", "x2sq"] and report["final"]["test_acc"] >= 0.9


def test_many_seeds_of_a_regression_report_null_accuracies():
    result = run_cli("train", "--dataset", "gaussian_sum", "--seeds", "3", "--steps", "50", "--json")
    assert result.returncode == 0 and "Warning" not in result.stderr, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["final"]["test_acc"] is None and report["per_seed"]["test_acc"] == [None, None, None]
    assert report["final"]["test_loss"] > 0


def test_help_lists_the_mnist_presets_as_flags():
    shown = train_parser().format_help()  # what --help prints
    for name, preset in MNIST_PRESETS.items():
        assert f"  {name} " in shown and f"{preset.epochs} epoch" in shown
    assert "--model softmax --hidden \"\"" in shown and "--channels 16,32,64 --kernel 3 --batch-norm" in shown


@pytest.mark.parametrize("name", list(MNIST_PRESETS))
def test_the_flags_help_lists_for_a_preset_make_that_preset(name):
    preset = MNIST_PRESETS[name]
    _, config, steps, _ = _train_arguments([*shlex.split(preset_flags(preset)), "--epochs", str(preset.epochs)])
    assert config == preset.config  # the learning rate too, whose default differs on images


def test_a_flag_turns_off_what_a_preset_turns_on():
    _, config, _, _ = _train_arguments(["--preset", "cnn", "--no-batch-norm", "--one-cycle", "0"])
    assert not config.batch_norm and config.one_cycle == 0
    assert config == MNIST_PRESETS["cnn"].config.replace(batch_norm=False, one_cycle=0)


@pytest.mark.parametrize(("flags", "epochs"), [
    (["--preset", "mlp"], MNIST_PRESETS["mlp"].epochs),  # a preset trains its own epochs
    (["--preset", "cnn", "--epochs", "2"], 2),  # unless told otherwise
    (["--dataset", "mnist", "--model", "cnn"], MNIST_PRESETS["cnn"].epochs),  # an image run: its model's preset's
    (["--dataset", "mnist", "--model", "softmax", "--hidden", ""], MNIST_PRESETS["softmax"].epochs),
    (["--dataset", "xor"], DEFAULT_2D_EPOCHS),  # a 2D run, as before
])
def test_a_run_without_epochs_trains_its_presets(flags, epochs):
    _, config, steps, _ = _train_arguments([*flags, "--train-size", "1000"] if config_images(flags) else flags)
    assert steps == epochs * Trainer(config).steps_per_epoch


def config_images(flags: list[str]) -> bool:
    return "mnist" in flags or "--preset" in flags


def test_flags_change_a_preset_and_a_new_optimizer_takes_its_own_learning_rate():
    _, config, _, _ = _train_arguments(["--preset", "cnn", "--train-size", "1000", "--dropout", "0.1"])
    assert config == MNIST_PRESETS["cnn"].config.replace(train_size=1000, dropout=0.1)
    _, sgd, _, _ = _train_arguments(["--preset", "cnn", "--optimizer", "sgd"])
    assert sgd.optimizer == "sgd" and sgd.learning_rate == OPTIMIZERS["sgd"].image_lr
    _, chosen, _, _ = _train_arguments(["--preset", "cnn", "--optimizer", "sgd", "--lr", "0.05"])
    assert chosen.learning_rate == 0.05


def test_an_unknown_preset_exits_2_naming_the_presets():
    result = run_cli("train", "--preset", "resnet")
    assert result.returncode == 2 and "cnn_quick" in result.stderr and result.stderr.count("\n") == 1


def test_early_stopping_ends_a_run_and_the_report_says_where():
    flags = ["train", "--dataset", "circle", "--points", "40", "--noise", "0.5", "--hidden", "32,32", "--epochs", "300"]
    report = json.loads(run_cli(*flags, "--early-stopping", "20", "--json").stdout.splitlines()[-1])
    stop = report["early_stop"]
    assert report["config"]["early_stopping"] == 20 and report["steps"] == stop["step"] < 600
    assert stop["epoch"] - stop["best_epoch"] == 20  # the CLI measures once an epoch: exactly the patience
    assert report["final"]["test_loss"] < 1.2 * stop["best_test_loss"]
    summary = run_cli(*flags, "--early-stopping", "20").stdout
    assert f"early stopping: stopped at step {stop['step']}" in summary and f"at step {stop['best_step']}" in summary
    assert json.loads(run_cli(*flags, "--json").stdout.splitlines()[-1])["early_stop"] is None


def test_early_stopping_with_many_seeds_exits_2_saying_why():
    result = run_cli("train", "--seeds", "3", "--early-stopping", "5")
    assert result.returncode == 2 and "early stopping" in result.stderr and result.stderr.count("\n") == 1
