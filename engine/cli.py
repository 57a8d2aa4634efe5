"""Command line: train and inspect a network with no UI.

    python -m engine train --dataset xor --hidden 4 --optimizer adam --epochs 100 --json
    python -m engine train --dataset mnist --model cnn --train-size 10000 --epochs 1
    python -m engine download-mnist          # only if data/mnist/ is missing or damaged
    python -m engine lessons --check         # every lesson's claim, checked (see engine/lessons.py)

Flags come from `RunConfig`'s fields (see `python -m engine train --help`). With `--json`
the last line printed is one JSON object. Bad arguments exit with code 2 and one line
on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.config import FIELDS, MAX_TRAIN_STEPS, ConfigError, RunConfig
from engine.lessons import main as lessons_main
from engine.metrics import confusion_matrix, per_class_accuracy
from engine.mnist_data import MnistError, download_main
from engine.seeds import MAX_SEEDS, SeedsTrainer, spread
from engine.trainer import Metrics, Trainer

EXIT_BAD_ARGUMENTS = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line, not the usage block
        raise ConfigError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m engine", description="Neural-network playground engine.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train one network and report", description="Train one network and report.")
    for name, spec in FIELDS.items():
        flag, help_text = spec.metadata["flag"], spec.metadata["help"]
        if spec.type == "bool":
            train.add_argument(flag, dest=name, action="store_true", default=None, help=help_text)
        else:
            train.add_argument(flag, dest=name, default=None, metavar=name.upper(), help=help_text)
    train.add_argument("--epochs", type=int, default=100, help="passes over the training set (default 100)")
    train.add_argument("--steps", type=int, default=None, help="train exactly this many mini-batches instead of epochs")
    train.add_argument("--seeds", type=int, default=1,
                       help=f"train this many seeds (seed, seed+1, ...) at once as one batched model, 1-{MAX_SEEDS}; "
                            "reports their mean and std")
    train.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    commands.add_parser("download-mnist", add_help=False,
                        help="fetch MNIST into data/mnist/ from the public mirrors (see download-mnist --help)")
    commands.add_parser("lessons", add_help=False, help="list the course's lessons, or --check their claims")
    return parser


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def run_train(config: RunConfig, steps: int, progress: bool = False) -> dict[str, Any]:
    """Train `steps` mini-batches and return the report the CLI prints; with `progress`,
    a line per epoch goes to stderr (image runs take a while)."""
    started = time.perf_counter()
    trainer = Trainer(config)
    if config.images:  # one snapshot per epoch: each evaluates all 10,000 test images
        trainer.record_every = trainer.steps_per_epoch
    done = 0
    while done < steps and not trainer.diverged:
        done += trainer.train(min(trainer.steps_per_epoch, steps - done))
        if trainer.history.steps[-1:] != [trainer.step]:
            trainer.record()
        if progress:
            h = trainer.history
            print(f"epoch {trainer.epoch:.1f}: train loss {h.train_loss[-1]:.4f}, test accuracy {h.test_acc[-1]:.2%} "
                  f"({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    h = trainer.history
    metrics = Metrics(h.train_loss[-1], h.test_loss[-1], h.train_acc[-1], h.test_acc[-1]) if h.steps else trainer.evaluate()
    report = {
        "config": config.to_dict(),
        "steps": done,
        "epochs": trainer.epoch,
        "diverged": trainer.diverged,
        "message": trainer.message,
        "final": {name: _finite(value) for name, value in vars(metrics).items()},
        "grad_norms": [_finite(g) for g in trainer.grad_norms()],
        "seconds": time.perf_counter() - started,
    }
    if config.images:
        predicted = trainer.test_predictions().argmax(axis=1)
        matrix = confusion_matrix(trainer.data.y_test, predicted, trainer.data.n_classes)
        report["per_class_acc"] = per_class_accuracy(matrix).tolist()
    return report


def run_seeds(config: RunConfig, steps: int, n_seeds: int) -> dict[str, Any]:
    """Train `n_seeds` seeds of one config as one batched model; report means and spreads."""
    started = time.perf_counter()
    trainer = SeedsTrainer(config, n_seeds, record_every=10**9)
    trainer.train(steps)
    figures = trainer.evaluate()
    return {
        "config": config.to_dict(),
        "seeds": trainer.seeds,
        "steps": steps,
        "epochs": trainer.epoch,
        "diverged": bool(trainer.diverged.any()),
        "final": {name: _finite(spread(values)["mean"]) for name, values in figures.items()},
        "final_std": {name: _finite(spread(values)["std"]) for name, values in figures.items()},
        "per_seed": {name: [_finite(v) for v in values.tolist()] for name, values in figures.items()},
        "grad_norms": [_finite(g) for g in np.nanmean(trainer.grad_norms(), axis=0).tolist()],
        "seconds": time.perf_counter() - started,
    }


def _summary(report: dict[str, Any]) -> str:
    c, f = report["config"], report["final"]
    hidden = "-".join(map(str, c["hidden_sizes"])) or "none (perceptron)"

    def show(value: float | None, percent: bool = False) -> str:
        return "n/a" if value is None else (f"{value:.1%}" if percent else f"{value:.4f}")

    network = f"{c['model']} " + (f"conv {'-'.join(map(str, c['conv_channels']))}, " if c["model"] == "cnn" else "")
    seeds = f"seeds {report['seeds'][0]}-{report['seeds'][-1]}" if "seeds" in report else f"seed {c['seed']}"
    lines = [
        f"{c['dataset']}: {network}hidden {hidden}, {c['activation']}, init {c['init']}, "
        f"{c['optimizer']} lr {c['learning_rate']:g}, batch {c['batch_size']}, {seeds}",
        f"trained {report['steps']} steps ({report['epochs']:.1f} epochs) in {report['seconds']:.2f} s",
        f"loss      train {show(f['train_loss'])}   test {show(f['test_loss'])}",
        f"accuracy  train {show(f['train_acc'], True)}   test {show(f['test_acc'], True)}",
        *([f"          (mean of {len(report['seeds'])} seeds; std of test accuracy "
           f"{show(report['final_std']['test_acc'], True)}, min {show(min(report['per_seed']['test_acc']), True)})"]
          if "seeds" in report else []),
        "gradient norm per layer (input first): " + ", ".join(show(g) for g in report["grad_norms"]),
    ]
    if "per_class_acc" in report:
        lines.append("test accuracy per digit: " + ", ".join(f"{d}: {a:.1%}" for d, a in enumerate(report["per_class_acc"])))
    if report["diverged"]:
        lines.append("DIVERGED: " + report["message"])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["download-mnist"]:
        return download_main(argv[1:])
    if argv[:1] == ["lessons"]:
        return lessons_main(argv[1:])
    try:
        args = build_parser().parse_args(argv)
        config = RunConfig.from_dict({name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None})
        if not 1 <= args.seeds <= MAX_SEEDS:
            raise ConfigError(f"--seeds must be from 1 to {MAX_SEEDS}, got {args.seeds}")
        if args.seeds > 1 and config.images:
            raise ConfigError("--seeds trains 2D networks; image runs train one seed at a time")
        if args.steps is not None and not 1 <= args.steps <= MAX_TRAIN_STEPS:
            raise ConfigError(f"--steps must be from 1 to {MAX_TRAIN_STEPS}, got {args.steps}")
        trainer_steps = args.steps
        if trainer_steps is None:
            if args.epochs < 1:
                raise ConfigError(f"--epochs must be at least 1, got {args.epochs}")
            trainer_steps = args.epochs * Trainer(config).steps_per_epoch
            if trainer_steps > MAX_TRAIN_STEPS:
                raise ConfigError(f"{args.epochs} epochs is {trainer_steps} steps; at most {MAX_TRAIN_STEPS} per run")
    except (ConfigError, MnistError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_ARGUMENTS
    if args.seeds > 1:
        report = run_seeds(config, trainer_steps, args.seeds)
    else:
        report = run_train(config, trainer_steps, progress=config.images and not args.json)
    print(json.dumps(report) if args.json else _summary(report))
    return 0
