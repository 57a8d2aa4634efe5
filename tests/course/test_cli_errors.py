"""The command line never prints a traceback: a bad config, a damaged MNIST file or seeds past the
last one give one `error: ...` line and exit 2; a setting the run would not use is said on stderr."""

import os
import subprocess
import sys

from engine.core.config import MAX_SEED
from engine.core.mnist_data import DATA_ENV, MNIST_FILES, data_dir
from tests.course.test_cli import ROOT, run_cli


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    return line


def test_seeds_past_the_largest_seed_are_a_clear_error():
    line = one_error_line(run_cli("train", "--seeds", "2", "--seed", str(MAX_SEED), "--steps", "1"))
    assert f"start at seed {MAX_SEED - 1} or lower" in line


def test_the_last_seeds_that_fit_still_train():
    result = run_cli("train", "--seeds", "2", "--seed", str(MAX_SEED - 1), "--steps", "1", "--json")
    assert result.returncode == 0, result.stderr


def test_hidden_layers_given_to_a_softmax_model_are_named_on_stderr():
    result = run_cli("train", "--model", "softmax", "--hidden", "4,4", "--steps", "1", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "warning: a softmax model has no hidden layers; hidden_sizes='4,4' ignored"


def test_a_damaged_mnist_file_is_one_error_line(tmp_path):
    for idx_file in MNIST_FILES.values():
        (tmp_path / idx_file.name).write_bytes((data_dir() / idx_file.name).read_bytes())
    damaged = tmp_path / MNIST_FILES["train_images"].name
    damaged.write_bytes(damaged.read_bytes()[:100_000])
    # Its own interpreter: the folder is read from the environment when the engine is imported.
    result = subprocess.run([sys.executable, "-m", "engine", "train", "--dataset", "mnist", "--steps", "1"], cwd=ROOT,
                            env={**os.environ, DATA_ENV: str(tmp_path)}, capture_output=True, text=True, timeout=300)
    line = one_error_line(result)
    assert f"{damaged} is corrupt (not a complete gzip file" in line and line.endswith("run: python -m engine download-mnist")
