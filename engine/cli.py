"""Command line: train and inspect networks, check the lessons, fetch MNIST; no UI.

    python -m engine train --dataset xor --hidden 4 --optimizer adam --epochs 100 --json
    python -m engine train --dataset mnist --model cnn --train-size 10000 --epochs 1
    python -m engine export-script --dataset xor --hidden 4 --steps 500 --out run.py   # the run as PyTorch code
    python -m engine lessons --check         # every lesson's claim, checked (engine.course.lessons)
    python -m engine download-mnist          # only if data/mnist/ is missing or damaged

`nn-playground train|export-script|lessons|download-mnist` (the installed command) are these same commands.
Flags of `train` come from `RunConfig`'s fields (see `python -m engine train --help`). With
`--json` the last line printed is one JSON object. Bad arguments, a config the engine
refuses and a missing or damaged MNIST file exit with code 2 and one line on stderr
("error: ..."), never a traceback; a setting the run would not use ("warning: ...") is said
on stderr too.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import torch

from engine.core.config import FIELDS, MAX_SEED, MAX_TRAIN_STEPS, ConfigError, RunConfig, format_value, parse_value, unused
from engine.core.datasets import OWN
from engine.core.loop import Snapshots, train
from engine.core.metrics import confusion_matrix, per_class_accuracy
from engine.core.mnist_data import DATA_DIR, MIRRORS, MNIST_FILES, MnistError, download_mnist, one_line, shown
from engine.core.own_data import own_point_count
from engine.core.probes import class_probabilities, grad_norms
from engine.core.problems import Name, Problem
from engine.core.trainer import WATCH_EVERY, Metrics, Trainer
from engine.course.presets import MNIST_PRESETS, Preset
from engine.experiments.seeds import MAX_SEEDS, SeedsTrainer, spread
from engine.export.script import START_WEIGHTS, run_script, weight_names

if TYPE_CHECKING:  # the course is imported where `lessons` runs: `train` need not build the lessons
    from engine.course.lessons import Check, Lesson

EXIT_FAILED = 1  # a lesson's claim failed, or a download could not be done
EXIT_BAD_ARGUMENTS = 2
COMMANDS = ("train", "export-script", "lessons", "download-mnist")
PROGRESS_BAR_WIDTH = 30  # characters of a download's progress bar


class UsageError(Exception):
    """argparse's own message about the command line (English: it never reaches a page)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line, not the usage block
        raise UsageError(message)


def _bad_arguments(error: Exception) -> int:
    print(f"error: {error}", file=sys.stderr)
    return EXIT_BAD_ARGUMENTS


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# ---------------------------------------------------------------- train


# Epochs of a 2D run without --epochs (an image run trains its preset's, see `default_epochs`).
DEFAULT_2D_EPOCHS = 100


def preset_flags(preset: Preset) -> str:
    """A preset as the flags that set it (those that differ from the defaults)."""
    config = preset.config
    empty = '""'  # an empty list (no hidden layer), as a shell needs it

    def flag(name: str) -> str:
        flag, value = FIELDS[name].metadata["flag"], getattr(config, name)
        if isinstance(value, bool):
            return flag if value else f"--no-{flag.removeprefix('--')}"
        return f"{flag} {format_value(name, value) or empty}"

    return " ".join(flag(name) for name in config.to_query())  # what differs from the defaults (images' own rate)


def default_epochs(config: RunConfig, preset: Preset | None) -> int:
    """The epochs a run trains without --epochs: its preset's; an image run without a preset, the
    epochs of its model's preset (softmax, mlp, cnn); a 2D run, DEFAULT_2D_EPOCHS."""
    if preset is None and config.images:
        preset = MNIST_PRESETS.get(config.model)
    return preset.epochs if preset is not None else DEFAULT_2D_EPOCHS


def train_parser(prog: str = "python -m engine train", description: str = "Train one network and report.") \
        -> argparse.ArgumentParser:
    presets = "\n".join(f"  {name:<10} {preset.epochs} epoch{'s' if preset.epochs > 1 else ''}: {preset_flags(preset)}"
                         for name, preset in MNIST_PRESETS.items())
    parser = _Parser(prog=prog, description=description,
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog=f"MNIST presets (--preset NAME; any flag given changes it):\n{presets}\n\n"
                            "An image run without --epochs trains its preset's epochs, or without --preset those of "
                            f"its --model's preset; a 2D run {DEFAULT_2D_EPOCHS}.")
    for name, spec in FIELDS.items():
        flag, help_text = spec.metadata["flag"], spec.metadata["help"]
        if spec.type == "bool":  # --flag or --no-flag, which turns off what a preset turns on
            parser.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            parser.add_argument(flag, dest=name, default=None, metavar=name.upper(), help=help_text)
    parser.add_argument("--preset", choices=list(MNIST_PRESETS), default=None, metavar="NAME",
                        help=f"start from a ready-made MNIST run: {', '.join(MNIST_PRESETS)} (listed below)")
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"passes over the training set (default: {DEFAULT_2D_EPOCHS} on 2D data; an image run: "
                             "its preset's)")
    parser.add_argument("--steps", type=int, default=None, help="train exactly this many mini-batches instead of epochs")
    parser.add_argument("--seeds", type=int, default=1,
                        help=f"train this many seeds (seed, seed+1, ...) at once as one batched model, 1-{MAX_SEEDS}; "
                             "reports their mean and std")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    return parser


def run_train(config: RunConfig, steps: int, progress: bool = False) -> dict[str, Any]:
    """Train `steps` mini-batches and return the report the CLI prints; with `progress`,
    a line per epoch goes to stderr (image runs take a while)."""
    started = time.perf_counter()
    trainer = Trainer(config)
    done, training = 0, 0.0
    while done < steps and not trainer.finished:
        # One epoch (or what is left) per call, a snapshot at its end: for images each
        # snapshot evaluates all 10,000 test images, so none on the way. With early stopping,
        # 2D points also every 10 steps, as the pages take them: where early stopping looks.
        began = time.perf_counter()
        on_the_way = Snapshots(every=WATCH_EVERY if config.early_stopping and not config.images else None,
                               at_end=False)
        done += train(trainer, min(trainer.steps_per_epoch, steps - done), snapshots=on_the_way)
        training += time.perf_counter() - began
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
        "grad_norms": [_finite(g) for g in grad_norms(trainer.model).tolist()],
        "seconds": time.perf_counter() - started,
        "train_seconds": training,  # the steps alone: without reading the data and measuring the test set
        "early_stop": None if trainer.stopped_at is None or trainer.best is None else {
            "step": trainer.stopped_at, "epoch": trainer.epoch, "best_step": trainer.best.step,
            "best_epoch": trainer.best.epoch, "best_test_loss": trainer.best.test_loss},
    }
    if config.images:
        predicted = class_probabilities(trainer.network, trainer.data.x_test).argmax(axis=1)
        matrix = confusion_matrix(trainer.data.y_test, predicted, trainer.data.n_classes)
        report["per_class_acc"] = per_class_accuracy(matrix).tolist()
    return report


def run_seeds(config: RunConfig, steps: int, n_seeds: int) -> dict[str, Any]:
    """Train `n_seeds` seeds of one config as one batched model; report means and spreads."""
    started = time.perf_counter()
    trainer = SeedsTrainer(config, n_seeds)
    began = time.perf_counter()
    train(trainer, steps, snapshots=Snapshots(every=None, at_end=False))
    training = time.perf_counter() - began
    figures = trainer.evaluate()
    return {
        "config": config.to_dict(),
        "seeds": trainer.seeds,
        "steps": trainer.step,
        "epochs": trainer.epoch,
        "diverged": bool(trainer.diverged_seeds.any()),
        "final": {name: _finite(spread(values)["mean"]) for name, values in figures.items()},
        "final_std": {name: _finite(spread(values)["std"]) for name, values in figures.items()},
        "per_seed": {name: [_finite(v) for v in values.tolist()] for name, values in figures.items()},
        "grad_norms": [_finite(g) for g in np.nanmean(trainer.grad_norms(), axis=0).tolist()],
        "seconds": time.perf_counter() - started,
        "train_seconds": training,
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
        f"trained {report['steps']} steps ({report['epochs']:.1f} epochs) in {report['seconds']:.2f} s "
        f"({report['train_seconds']:.2f} s of training)",
        f"loss      train {show(f['train_loss'])}   test {show(f['test_loss'])}",
        f"accuracy  train {show(f['train_acc'], True)}   test {show(f['test_acc'], True)}",
        *([f"          (mean of {len(report['seeds'])} seeds; std of test accuracy "
           f"{show(report['final_std']['test_acc'], True)}, min {show(min(report['per_seed']['test_acc']), True)})"]
          if "seeds" in report else []),
        "gradient norm per layer (input first): " + ", ".join(show(g) for g in report["grad_norms"]),
    ]
    if "per_class_acc" in report:
        lines.append("test accuracy per digit: " + ", ".join(f"{d}: {a:.1%}" for d, a in enumerate(report["per_class_acc"])))
    if report.get("early_stop"):
        stop = report["early_stop"]
        lines.append(f"early stopping: stopped at step {stop['step']} (epoch {stop['epoch']:.1f}), {c['early_stopping']} "
                     f"epochs after the lowest test loss, {stop['best_test_loss']:.4f} at step {stop['best_step']} "
                     f"(epoch {stop['best_epoch']:.1f})")
    if report["diverged"]:
        lines.append("DIVERGED: " + report["message"])
    return "\n".join(lines)


def _train_arguments(argv: Sequence[str], parser: argparse.ArgumentParser | None = None) \
        -> tuple[argparse.Namespace, RunConfig, int, list[Problem]]:
    """The parsed flags (by `parser`, `train`'s by default), the run's config, its number of steps
    and what of the flags it does not use; raises UsageError or ConfigError for flags that make no
    run (MnistError if counting an epoch's steps needs the images and they cannot be read)."""
    args = (parser or train_parser()).parse_args(argv)
    values = {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}
    preset = MNIST_PRESETS[args.preset] if args.preset else None
    if preset is None:
        config = RunConfig.from_dict(values)
    else:  # the flags change the preset (a new --optimizer alone takes its own default learning rate)
        config = preset.config.replace(**{name: parse_value(name, value) for name, value in values.items()})
    if not 1 <= args.seeds <= MAX_SEEDS:
        raise ConfigError("whole_range", name=Name("--seeds"), low=1, high=MAX_SEEDS, value=args.seeds)
    if args.seeds > 1 and config.images:
        raise ConfigError("seeds_2d_only")
    if args.seeds > 1 and config.early_stopping:
        raise ConfigError("early_stopping_one_seed")
    if config.seed + args.seeds - 1 > MAX_SEED:  # the last seed must be one RunConfig accepts too
        raise ConfigError("seeds_overflow", n_seeds=args.seeds, seed=config.seed, max_seed=MAX_SEED,
                          highest=MAX_SEED - args.seeds + 1)
    if args.steps is not None and not 1 <= args.steps <= MAX_TRAIN_STEPS:
        raise ConfigError("whole_range", name=Name("--steps"), low=1, high=MAX_TRAIN_STEPS, value=args.steps)
    if args.steps is not None:
        return args, config, args.steps, unused(config, values)
    epochs = default_epochs(config, preset) if args.epochs is None else args.epochs
    if epochs < 1:
        raise ConfigError("at_least", name=Name("--epochs"), low=1, value=epochs)
    steps = epochs * Trainer(config).steps_per_epoch
    if steps > MAX_TRAIN_STEPS:
        raise ConfigError("too_many_steps", epochs=epochs, steps=steps, high=MAX_TRAIN_STEPS)
    return args, config, steps, unused(config, values)


def train_main(argv: Sequence[str]) -> int:
    """`python -m engine train ...`; returns the exit code."""
    try:
        args, config, steps, warnings = _train_arguments(argv)
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        # The data is read when the run starts: a damaged MNIST file is a clear error there too.
        report = run_seeds(config, steps, args.seeds) if args.seeds > 1 else run_train(
            config, steps, progress=config.images and not args.json)
    except (UsageError, ConfigError, MnistError) as error:
        return _bad_arguments(error)
    print(json.dumps(report) if args.json else _summary(report))
    return 0


# ---------------------------------------------------------------- export-script


def export_parser() -> argparse.ArgumentParser:
    parser = train_parser("python -m engine export-script",
                          "Write a run as a standalone PyTorch script (torch and numpy only) that trains it again and "
                          "prints the same losses; its last line is the JSON \"final\" block that `python -m engine "
                          "train` with the same flags and --json prints.")
    parser.add_argument("--out", default="-", metavar="FILE", help="where to write the script (default: print it)")
    parser.add_argument("--settings", type=Path, default=None, metavar="FILE",
                        help="a run's settings saved from a page (its JSON download, with the settings changed while it "
                             "played): the script replays that run; --steps then defaults to the steps it had trained. "
                             f"A run that started from uploaded weights reads them from {START_WEIGHTS}")
    parser.add_argument("--points-csv", default=None, metavar="NAME",
                        help="a run on points uploaded as a CSV file (dataset own, no drawn points): the file the script "
                             "reads them from (the page's Points (CSV) download)")
    return parser


def export_main(argv: Sequence[str]) -> int:
    """`python -m engine export-script <train flags> [--steps N] [--out run.py]`, or `--settings
    run.json`; returns the exit code."""
    from engine.export.run_files import read_settings  # here: `train` need not import safetensors

    parser = export_parser()
    try:
        args = parser.parse_args(argv)
        if args.settings is not None:
            given = [FIELDS[name].metadata["flag"] for name in FIELDS if getattr(args, name) is not None]
            if given or args.preset or args.epochs is not None or args.seeds != 1:
                raise UsageError(f"--settings gives the whole run: leave out {', '.join(given) or 'the other flags'}")
            try:
                settings = read_settings(args.settings.read_bytes())
            except OSError as error:
                raise UsageError(f"cannot read {args.settings}: {error.strerror}") from None
            config, changes, weights_from = settings.config, settings.changes, settings.weights_from
            steps = settings.steps if args.steps is None else args.steps
            if not 1 <= steps <= MAX_TRAIN_STEPS:
                raise ConfigError("whole_range", name=Name("--steps"), low=1, high=MAX_TRAIN_STEPS, value=steps)
        else:
            args, config, steps, warnings = _train_arguments(argv, parser)
            if args.seeds != 1:
                raise UsageError("a script trains one seed: leave out --seeds")
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
            changes, weights_from = (), None
        if config.dataset == OWN and not own_point_count(config.own_points) and args.points_csv is None:
            raise UsageError("this run trained on points uploaded as a CSV file: give that file with --points-csv NAME")
        script = run_script(config, steps, changes, points_csv_name=args.points_csv, weights_from=weights_from,
                            weight_names=weight_names(config) if weights_from is not None else ())
    except (UsageError, ConfigError, MnistError, ValueError) as error:
        return _bad_arguments(error)
    if args.out == "-":
        sys.stdout.write(script)
        return 0
    try:
        Path(args.out).write_text(script)
    except OSError as error:
        return _bad_arguments(UsageError(f"cannot write {args.out}: {error.strerror}"))
    print(f"wrote {args.out}: run it with  python {shlex.quote(args.out)}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- lessons


def lessons_parser(lessons: Mapping[str, Lesson]) -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m engine lessons",
                     description="The course's lessons: list them, or check that every demo still tells its story.")
    parser.add_argument("--check", action="store_true", help="run every lesson's claim; exit 1 if any fails")
    parser.add_argument("--only", nargs="+", metavar="ID", choices=list(lessons), help="only these lessons")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    return parser


def _figures_text(figures: Mapping[str, float]) -> str:
    return ", ".join(f"{name} {value:.4g}" for name, value in figures.items())


def _run_check(lesson: Lesson) -> tuple[Check, str | None]:
    """The lesson's check, or a failed one with the reason if it could not run at all."""
    from engine.course.lessons import Check, LessonError

    try:
        return lesson.check(), None
    except (LessonError, ConfigError, MnistError, OSError) as error:
        return Check({}, passed=False), f"{type(error).__name__}: {error}"


def lessons_main(argv: Sequence[str]) -> int:
    """`python -m engine lessons [--check] [--json] [--only ID ...]`; returns the exit code."""
    from engine.course.lessons import LESSONS, link

    try:
        args = lessons_parser(LESSONS).parse_args(argv)
    except UsageError as error:
        return _bad_arguments(error)
    lessons = [LESSONS[lesson_id] for lesson_id in (args.only or LESSONS)]
    if not args.check:
        rows = [{"id": lesson.id, "idea": lesson.idea, "page": lesson.page, "link": link(lesson)} for lesson in lessons]
        for row in rows if not args.json else []:
            print(f"{row['idea']:>2}  {row['id']:<14} {row['page']:<11} {row['link']}")
        if args.json:
            print(json.dumps({"lessons": rows}))
        return 0
    torch.set_num_threads(1)  # the runs are small: one thread is faster than two that contend
    started, reports = time.perf_counter(), []
    for lesson in lessons:
        began = time.perf_counter()
        check, error = _run_check(lesson)
        verdict = "PASS" if check.passed else "FAIL"
        print(f"{verdict}  {lesson.idea:>2} {lesson.id:<14} ({time.perf_counter() - began:4.1f} s)  {lesson.claim}  "
              f"[{error or _figures_text(check.figures)}]", flush=True)
        report = {"id": lesson.id, "claim": lesson.claim, "figures": {name: _finite(value) for name, value in
                                                                      check.figures.items()}, "pass": check.passed}
        reports.append({**report, "error": error} if error else report)
    failed = [report["id"] for report in reports if not report["pass"]]
    print(f"{len(reports) - len(failed)} of {len(reports)} lessons pass in {time.perf_counter() - started:.1f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    if args.json:
        print(json.dumps({"lessons": reports}))
    return EXIT_FAILED if failed else 0


# ---------------------------------------------------------------- download-mnist


def _progress_line(name: str, done: int, total: int | None) -> str:
    """Returns one line of the text progress bar, e.g.
    `train-images-idx3-ubyte.gz  [#####.....]  45% 4.4/9.7 MB`."""
    # Megabytes for the image files, kilobytes for the label files (4.5 kB would show as 0.0 MB).
    scale, unit = (1e6, "MB") if max(done, total or 0) >= 1e6 else (1e3, "kB")
    if not total:
        return f"{name:<27} {done / scale:.1f} {unit}"
    filled = min(PROGRESS_BAR_WIDTH, PROGRESS_BAR_WIDTH * done // total)
    bar = "#" * filled + "." * (PROGRESS_BAR_WIDTH - filled)
    return f"{name:<27} [{bar}] {100 * done / total:3.0f}% {done / scale:.1f}/{total / scale:.1f} {unit}"


class _ProgressBar:
    """Draws `_progress_line` in place with \\r, one finished line per file."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.name: str | None = None
        self.width = 0

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if name != self.name:
            self.finish()
            self.name = name
        line = _progress_line(name, done, total)
        # Pad over the previous line: a retry from another mirror starts again shorter.
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def finish(self) -> None:
        if self.name is not None:
            self.stream.write("\n")
        self.name, self.width = None, 0


def download_main(argv: Sequence[str]) -> int:
    """`python -m engine download-mnist [--dir DIR] [--mirror URL ...]`.

    Returns the exit code: 0 when every file is present and valid, 1 after one
    "error: ..." line on stderr when a file could not be fetched, 2 for bad arguments.
    """
    parser = _Parser(
        prog="python -m engine download-mnist",
        description="Download any MNIST file that is missing or corrupt, checking each by SHA-256.",
    )
    parser.add_argument("--dir", type=Path, default=DATA_DIR, help=f"folder for the four .gz files (default {shown(DATA_DIR)})")
    parser.add_argument(
        "--mirror", action="append", metavar="URL",
        help=f"base URL to fetch from; repeat to try several in order (default: {', '.join(MIRRORS)})",
    )
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        return _bad_arguments(error)
    bar = _ProgressBar(sys.stderr)
    try:
        downloaded = download_mnist(args.dir, args.mirror or MIRRORS, progress=bar)
    except (MnistError, OSError) as error:
        bar.finish()
        print(f"error: {one_line(error)}", file=sys.stderr)
        return EXIT_FAILED
    bar.finish()
    present = len(MNIST_FILES) - len(downloaded)
    print(f"MNIST is ready in {shown(args.dir)}: {len(downloaded)} downloaded, {present} already present and valid.")
    return 0


# ---------------------------------------------------------------- all commands


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m engine COMMAND ...`; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"train": train_main, "export-script": export_main, "lessons": lessons_main, "download-mnist": download_main}
    if argv[:1] and argv[0] in commands:
        return commands[argv[0]](argv[1:])
    parser = _Parser(prog="python -m engine", description="Neural-network playground engine.")
    parser.add_argument("command", choices=COMMANDS, help="train: train one network and report; export-script: write "
                        "a run as a standalone PyTorch script; lessons: list the "
                        "course's lessons, or --check their claims; download-mnist: fetch MNIST (each has --help)")
    try:
        parser.parse_args(argv)
    except UsageError as error:
        return _bad_arguments(error)
    return 0
