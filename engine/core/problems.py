"""Messages the engine gives about a run (a bad setting, a link's value it could not use, a
damaged data file, a run that diverged): a code and its parameters, so that a page can say
them in the student's language and the command line in English.

    error = ConfigError("range", name=Name("noise"), low=0, high=1.0, value=1.5)
    str(error)              # "noise must be from 0 to 1, got 1.5" (the CLI, logs)
    error.problem.code      # "range": the page says t("problem.range", ...) in Korean or English

`ENGLISH` holds one template per code; the app's Korean texts are
playground/texts/ko/problem.toml, with the same codes and the same placeholders. A parameter
may be another `Problem` (a message inside a message), said the same way.

How a parameter is said in English: a value that was given (text from a link, a flag) in
quotes, 'loud'; one of the engine's own names (`Name`: a setting, a dataset, a file) bare,
noise; numbers as numbers; `Names`, a list, one item after another: xor, and, or. A page
shows every text parameter as inline code instead, cut short (playground/problems.py), so
nothing in a link can turn into a heading or a clickable link there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ENGLISH: dict[str, str] = {
    # ---- a setting's value (RunConfig, the pages' own settings, the CLI's flags)
    "range": "{name} must be from {low} to {high}, got {value}",
    "whole_range": "{name} must be a whole number from {low} to {high}, got {value}",
    "above_zero_at_most": "{name} must be > 0 and <= {high}, got {value}",
    "at_least": "{name} must be at least {low}, got {value}",
    "number_between": "{name} must be a number between {low} and {high}, got {value}",
    "one_of": "{name} must be one of: {choices}; got {value}",
    "true_or_false": "{name} must be true or false, got {value}",
    "unknown_choice": "unknown {name} {value}; choose one of: {choices}",
    "whole_numbers": "{name} must be a list of whole numbers, got {value}",
    "setting": "{name}: {problem}",
    "parse_bool": "expected true or false, got {value}",
    "parse_number": "expected a number, got {value}",
    "parse_whole_number": "expected a whole number, got {value}",
    "parse_int_list": 'expected comma-separated whole numbers like "4,4" ("" for none), got {value}',
    "batch_size": 'batch_size must be a whole number >= 1 or "full", got {value}',
    "features": "features must be one or more of {choices}, got {value}",
    "features_repeated": "each feature may appear once, got {value}",
    "hidden_layers_max": "at most {high} hidden layers on a shared server, got {count}",
    "layer_width": "each hidden layer needs 1 to {high} neurons, got {value}",
    "dropout_range": "dropout must satisfy 0 <= p < 1, got {value}",
    "conv_channels": "conv_channels needs 1 to {blocks} blocks of 1 to {channels} channels, got {value}",
    "cnn_needs_images": "a cnn needs image data (dataset {choices}), not {dataset}",
    "cnn_shrinks": "with {padding} padding and {kernel}x{kernel} kernels, {blocks} blocks shrink the {side}x{side} "
                   "image to nothing; use fewer blocks or same padding",
    "target_range": "target must be a number between 0 and 1 (what a sigmoid can output), got {value}",
    "unknown_settings": "unknown setting(s) {names}; known: {known}",
    # ---- a link's values the page could not use (each page goes on with a valid setting)
    "unknown_settings_ignored": "unknown setting(s) {names} ignored",
    "invalid_setting": "{name}={value} is not valid ({problem}); using the default",
    "softmax_no_hidden": "a softmax model has no hidden layers; hidden_sizes={value} ignored",
    "key_value": "{key}={value}",
    "link_value_invalid": "{given} is not valid ({problem}); {kept}",
    "kept_value": "using {value}",
    "kept_variation": "varying {name}",
    "kept_own_start": "using the surface's own start point",
    "kept_own_optimizers": "using the surface's own optimizers",
    "link_choice": "{key}={value} is not one of: {choices}; using {used}",
    "lesson_unknown": "there is no lesson {lesson}; the page opens without one",
    "lesson_other_page": "the lesson {lesson} belongs on another page ({page}); the page opens without it",
    "playground_images": "the 2D playground trains on 2D points, not on image data ({dataset}); using {default}",
    "mnist_not_images": "dataset={dataset} is not image data; using {default}",
    "mnist_needs_images": "the MNIST lab needs image data, not {dataset}",
    # ---- Compare
    "compare_count": "compare 2 to {high} values of {name}, got {count}",
    "compare_same": "the values to compare must differ, got {values}",
    "compare_not_a_setting": "{value} is not a setting",
    "compare_needs_values": "vary={value} needs values to compare (values=a|b)",
    "compare_value_left_out": "{name}={value} cannot be compared ({problem}); left out",
    "compare_unknown_vary": "unknown setting {value} to vary; choose one of: {choices}",
    "compare_2d_only": "Compare trains on 2D points, not on image data",
    "compare_images": "Compare trains on the 2D datasets, not {dataset}; using {default}",
    "seeds_2d_only": "many seeds at once is for 2D networks; image runs train one seed at a time",
    "early_stopping_one_seed": "early stopping ends one run at its own step; train one seed, or several without "
                               "--early-stopping",
    "seeds_overflow": "{n_seeds} seeds from seed {seed} go past the largest seed, {max_seed}; "
                      "start at seed {highest} or lower",
    # ---- the optimizer race
    "race_start": "start must be two finite numbers (x, y) between -{radius} and {radius}, got {value}",
    "race_start_off_map": "the start must be on the map: x from {x_low} to {x_high}, y from {y_low} to {y_high}; "
                          "got ({x}, {y})",
    "race_start_needs_xy": "a start point needs both x and y",
    "race_optimizers": "choose one or more optimizers from: {choices}",
    "race_unknown_optimizers": "unknown optimizer(s) {names}; choose from {choices}",
    "race_optimizers_left_out": "optimizer(s) {names} not known; left out",
    "race_no_optimizer": "no optimizer to race",
    "race_rate": "the learning rate for {name} must be from {low} to {high}, got {value}",
    "race_positive_rate": "the learning rate for {name} must be a positive number, got {value}",
    # ---- the caps of a shared server (engine.core.cost)
    "image_batch_cap": "a mini-batch of {value} images is more than a shared server allows ({high} at most)",
    "step_work_cap": "one training step of this network is about {work} billion multiply-adds, more than a shared "
                     "server allows ({high} billion); use a mini-batch of at most {batch} or a smaller network",
    "click_work_cap": "{epochs} epochs of this network is about {work} billion multiply-adds, more than one click may "
                      "ask for ({cap} billion); train at most {high} epochs at a time",
    "epoch_work_cap": "one epoch of this network on {images} images is about {work} billion multiply-adds, more than "
                      "one click may ask for ({cap} billion); use at most {max_images} training images or a smaller "
                      "network",
    "train_size_clamped": "{value} training images are more than one click of this network may train; using {used}",
    "epochs_clamped": "{value} epochs of this network are more than one click may train; using {used}",
    "mnist_too_big": "this network is too big for one click of a shared server even on the fewest training images; "
                     "using the default network ({default})",
    "compare_points_cap": "{runs} runs x {seeds} seeds is {points} points in all, more than a shared server allows "
                          "({high}); use fewer points, seeds or runs",
    "compare_work_cap": "one lock-step of {runs} runs x {seeds} seeds is about {work} billion multiply-adds, more than "
                        "a shared server allows ({high} billion); use smaller batches, fewer seeds or a smaller network",
    # ---- your own data (engine.core.own_data): drawn points, a CSV file
    "own_data_needed": "dataset {dataset} has no points of its own to generate: draw at least 2 points (own_points) "
                       "or give the data (a CSV file on the page)",
    "own_points_task": "own_points must start with b (two classes), m (three classes) or r (a value), got {value}",
    "own_points_base64": "own_points after its first letter must be base64url text, got {value}",
    "own_points_length": "own_points holds {size} bytes, not whole points of {per_point} bytes each",
    "own_points_class": "own_points: point {point} has class {value}; this task has classes 0 to {high}",
    "own_points_max": "own_points holds {count} points; at most {high} can be drawn",
    "own_points_min": "your own data needs at least {low} points (one to train on, one to test), got {count}",
    "own_points_unused": "own_points is only used with dataset own; the drawn points were ignored",
    "csv_empty": "the CSV file holds no points",
    "csv_too_many": "the CSV file has {count} rows; at most {high} are allowed",
    "csv_too_few": "the CSV file has {count} point(s); at least {low} are needed (one to train on, one to test)",
    "csv_bad_rows": "{count} row(s) of the CSV file cannot be read: {rows}",
    "csv_line": "line {line}: {problem}",
    "csv_more": "and {count} more",
    "csv_columns": "expected 3 values separated by commas (x1, x2, label or value), got {count}; "
                   "a file that uses semicolons or tabs must be saved with commas",
    "csv_number": "{value} is not a number from -{high} to {high}",
    "csv_label": "the label must be a whole number from 0 to {high}, got {value}",
    "compare_own_data": "Compare trains on the generated datasets, not on your own data",
    # ---- the command line
    "too_many_steps": "{epochs} epochs is {steps} steps; at most {high} per run",
    # ---- a run that diverged (engine.core.trainer)
    "diverged": "Training diverged at step {step}: the loss became {what}. The learning rate {lr} is too high "
                "for {optimizer}; try about {suggestion}.",
    "loss_nan": "NaN",
    "loss_infinite": "infinite",
    # ---- a run's files, uploaded (engine.export.run_files)
    "settings_too_big": "the settings file is {size} bytes; at most {high} are taken",
    "weights_too_big": "the weights file is {size} bytes; at most {high} are taken",
    "weights_type": "the weights {name} are {got} numbers; this network's are {expected}",
    "text_setting": "{name} must be a name (text), got {value}",
    "settings_not_json": "the settings file is not JSON (save it again from the page's downloads)",
    "settings_not_ours": "this JSON file is not a run's settings (no \"format\": \"{format}\")",
    "settings_version": "settings of version {value} cannot be read here; version {version} can",
    "settings_changes": "the settings' live changes must be a list of at most {high} entries, each with its step",
    "settings_change_fields": "a live change may set only {live}; got {names}",
    "weights_unreadable": "the weights file is not a safetensors file (download the weights again from the page)",
    "weights_names": "these weights belong to another network: they hold {got}, this network has {expected}; "
                     "upload the settings saved with them",
    "weights_shape": "these weights belong to another network: {name} is {got} here, the settings build {expected}",
    "weights_not_finite": "the weights {name} hold NaN or infinite numbers: that run had diverged",
    # ---- MNIST's files (engine.core.mnist_data)
    "mnist_missing": "{file} is missing; to fetch it, run: {command}",
    "mnist_damaged": "{file} is {problem}; to fetch it again, run: {command}",
    "idx_images": "IDX image file",
    "idx_labels": "IDX label file",
    "idx_other": "IDX file with magic {magic}",
    "idx_too_short": "too short to be an {kind} ({size} bytes)",
    "idx_wrong_magic": "not an {kind} (magic {magic}, expected {expected})",
    "idx_header_too_short": "too short to be an {kind} ({size} bytes, the header alone needs {needed})",
    "idx_wrong_size": "the wrong size for its header: {size} bytes, but shape {shape} needs {needed}",
    "gzip_invalid": "corrupt (not a valid gzip file: {reason})",
    "gzip_incomplete": "corrupt (not a complete gzip file: {reason})",
    "unreadable": "unreadable ({reason})",
    "checksum_mismatch": "corrupt (SHA-256 mismatch)",
    "transfer_stopped": "the transfer stopped after {done} of {total} bytes",
    "served_bad_file": "served a file that is {problem}",
    "download_failed": "could not download {file} into {folder} ({tried})",
    "no_mirrors": "no mirrors given",
}


class Name(str):
    """One of the engine's own names (a setting, a dataset, a file, a flag), said bare in English
    ("noise must be ..."), where a value that was given is quoted ("got 'loud'")."""


class Names(tuple):
    """A list of parameters said one after another ("xor, and, or"), each as its own kind."""


def names(items: Iterable[Any]) -> Names:
    """The engine's own names (or numbers) as a `Names` list: "choose one of: xor, and, or"."""
    return Names(Name(item) if isinstance(item, str) else item for item in items)


def english_value(value: Any) -> str:
    """A parameter as the English text shows it: given text in quotes, names bare, numbers as numbers."""
    if isinstance(value, Name):
        return str(value)
    if isinstance(value, Names):
        return ", ".join(english_value(v) for v in value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(english_value(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class Problem:
    """One message: `code` (a key of `ENGLISH`) and the `params` its template names."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return ENGLISH[self.code].format(**{name: english_value(value) for name, value in self.params.items()})


class EngineError(Exception):
    """An error whose message is a `Problem` (`problem`), so a page can say it in its language."""

    def __init__(self, code: str, **params: Any) -> None:
        self.problem = Problem(code, params)
        super().__init__(str(self.problem))


class ConfigError(EngineError, ValueError):
    """A run configuration value is invalid; the message says what is allowed.
    `problem` is the same message as a code and parameters (see the module's docstring)."""
