"""The run configuration: one frozen dataclass that *is* a run.

Every way of describing a run (URL query string, CLI flags, JSON) converts to and from
`RunConfig` through `to_dict` / `from_dict`; the field list below is the only list of
names. Each field's metadata carries its command-line flag and help text, so the CLI
is generated from it too.

Invalid values raise `ConfigError`, whose message says what was wrong and what is
allowed. The caps keep one run small enough for a shared classroom server.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.core.cost import check_run
from engine.core.datasets import (
    DATASETS,
    DEFAULT_FEATURES,
    FEATURES,
    IMAGE_DATASETS,
    IMAGE_SIZE,
    MAX_POINTS,
    MULTICLASS,
    OWN,
    task_of,
)
from engine.core.models import ACTIVATIONS, INITS, MODELS
from engine.core.optimizers import OPTIMIZERS
from engine.core.own_data import MAX_OWN_POINTS, check_own_points, own_classes
from engine.core.problems import ConfigError, Name, Names, Problem, names

# Caps for a shared classroom server: one run must stay small and fast on a 2-core CPU.
MAX_HIDDEN_LAYERS = 10
MAX_LAYER_WIDTH = 64  # 2D data
MAX_IMAGE_LAYER_WIDTH = 512  # images: 784 inputs need wider layers
MAX_CONV_BLOCKS = 3
MAX_CONV_CHANNELS = 64
MIN_TRAIN_IMAGES = 100
MAX_TRAIN_IMAGES = 60_000
MIN_POINTS = 10  # (MAX_POINTS: engine.core.datasets, a CSV file's rows too)
MAX_NOISE = 1.0
MAX_LEARNING_RATE = 100.0
MAX_INPUT_SCALE = 1_000.0
MAX_SEED = 2**31 - 1
MAX_TRAIN_STEPS = 1_000_000  # one command-line run
MAX_ONE_CYCLE_EPOCHS = 1_000
MAX_PATIENCE = 1_000  # early stopping's, in epochs

FULL_BATCH = "full"


def _flag(name: str, help: str) -> dict[str, str]:
    return {"flag": name, "help": help}


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a training run, on 2D points or on images. Same config,
    same run. Settings that do not apply to the chosen data (noise for images, conv
    blocks for 2D points) are ignored."""

    # Data
    dataset: str = field(
        default="xor", metadata=_flag("--dataset", "dataset: " + ", ".join([*DATASETS, OWN, *IMAGE_DATASETS]))
    )
    own_points: str = field(
        default="", metadata=_flag("--own-points", "dataset own: the drawn points in their compact text form (a letter, "
                                                   f"b, m or r, then base64url of 3 bytes a point; at most {MAX_OWN_POINTS})")
    )
    n_points: int = field(default=200, metadata=_flag("--points", f"number of points, {MIN_POINTS}-{MAX_POINTS}"))
    noise: float = field(default=0.1, metadata=_flag("--noise", f"noise (std of added Gaussian), 0-{MAX_NOISE}"))
    test_fraction: float = field(default=0.5, metadata=_flag("--test-fraction", "share of points held out for testing, 0.1-0.9"))
    input_scale: float = field(
        default=1.0, metadata=_flag("--input-scale", "multiply the inputs by this (large values saturate sigmoid)")
    )
    standardize: bool = field(
        default=False, metadata=_flag("--standardize", "scale inputs to mean 0, std 1 (fit on the training set)")
    )
    train_size: int = field(
        default=10_000, metadata=_flag("--train-size", f"images: training images used, {MIN_TRAIN_IMAGES}-{MAX_TRAIN_IMAGES}")
    )
    features: tuple[str, ...] = field(
        default=DEFAULT_FEATURES,
        metadata=_flag("--features", '2D: the network\'s inputs, e.g. "x1,x2,x1sq", from ' + ", ".join(FEATURES)),
    )
    # Network
    model: str = field(
        default="mlp", metadata=_flag("--model", "softmax (one layer, no hidden), mlp, or cnn (images only)")
    )
    hidden_sizes: tuple[int, ...] = field(
        default=(4, 4), metadata=_flag("--hidden", 'hidden layer widths, e.g. "4,4"; "" = no hidden layer (perceptron)')
    )
    activation: str = field(default="tanh", metadata=_flag("--activation", "hidden activation: " + ", ".join(ACTIVATIONS)))
    init: str = field(default="auto", metadata=_flag("--init", "weight initialisation: " + ", ".join(INITS)))
    init_std: float = field(default=0.1, metadata=_flag("--init-std", "std of the 'normal' initialisation"))
    dropout: float = field(default=0.0, metadata=_flag("--dropout", "dropout rate after each hidden activation, 0 <= p < 1"))
    conv_channels: tuple[int, ...] = field(
        default=(8, 16), metadata=_flag("--channels", 'cnn: channels of each conv block, e.g. "8,16"')
    )
    convs_per_block: int = field(
        default=1, metadata=_flag("--convs-per-block", "cnn: convolutions before each 2x2 max-pool (2 = VGG style)")
    )
    kernel_size: int = field(default=5, metadata=_flag("--kernel", "cnn: convolution kernel size, 3 or 5"))
    padding: str = field(default="same", metadata=_flag("--padding", "cnn: same (zero padding keeps the size) or valid"))
    batch_norm: bool = field(
        default=False, metadata=_flag("--batch-norm", "cnn: batch normalisation after each convolution, before its activation")
    )
    # Training
    optimizer: str = field(default="adam", metadata=_flag("--optimizer", "optimizer: " + ", ".join(OPTIMIZERS)))
    learning_rate: float | None = field(default=None, metadata=_flag("--lr", "learning rate (default: the optimizer's own)"))
    batch_size: int | str = field(
        default=10, metadata=_flag("--batch-size", f'mini-batch size >= 1, or "{FULL_BATCH}" (plain gradient descent)')
    )
    weight_decay: float = field(default=0.0, metadata=_flag("--weight-decay", "L2 weight decay >= 0"))
    one_cycle: int = field(
        default=0, metadata=_flag("--one-cycle", "one-cycle learning-rate schedule over this many epochs, the rate "
                                                 f"given being its peak; 0 = a constant rate (at most {MAX_ONE_CYCLE_EPOCHS})")
    )
    early_stopping: int = field(
        default=0, metadata=_flag("--early-stopping", "stop once the test loss has not reached a new low for this many "
                                                      f"epochs (patience); 0 = never (at most {MAX_PATIENCE})")
    )
    seed: int = field(default=0, metadata=_flag("--seed", "random seed: same seed, same data and same run"))

    def __post_init__(self) -> None:
        for name in TEXT_FIELDS:  # before any lookup by them: a list from a JSON file is no name
            if not isinstance(getattr(self, name), str):
                raise ConfigError("text_setting", name=Name(name), value=str(getattr(self, name))[:80])
        if self.learning_rate is None and self.optimizer in OPTIMIZERS:
            object.__setattr__(self, "learning_rate", OPTIMIZERS[self.optimizer].lr_for(self.images))
        for name in ("hidden_sizes", "conv_channels", "features"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.model == "softmax":  # one weighted layer: no hidden layers by definition
            object.__setattr__(self, "hidden_sizes", ())
        _validate(self)

    @property
    def full_batch(self) -> bool:
        return self.batch_size == FULL_BATCH

    @property
    def images(self) -> bool:
        """True for image data (MNIST), False for 2D points."""
        return self.dataset in IMAGE_DATASETS

    @property
    def task(self) -> str:
        """What the network learns: "binary", "multiclass" (images, three_blobs) or
        "regression"; it decides the output head. Own data's is its drawing's letter."""
        if self.dataset == OWN:
            return task_of(own_classes(self.own_points))
        return MULTICLASS if self.images else DATASETS[self.dataset].task

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (validated). Changing the optimizer alone
        also takes that optimizer's default learning rate."""
        if "optimizer" in changes and "learning_rate" not in changes:
            changes["learning_rate"] = None
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: layer lists as lists, everything else as is."""
        return {name: list(value) if isinstance(value, tuple) else value for name, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RunConfig:
        """Build from native values or their text forms (URL query, CLI); unknown keys are errors."""
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise ConfigError("unknown_settings", names=Names(unknown), known=names(FIELDS))
        return cls(**{name: parse_value(name, value) for name, value in values.items()})

    def to_query(self) -> dict[str, str]:
        """Text form for a URL: only the values that differ from the defaults."""
        default = RunConfig()
        # The learning rate's default is the chosen optimizer's own.
        default_lr = OPTIMIZERS[self.optimizer].lr_for(self.images)
        return {
            name: format_value(name, value)
            for name, value in self.to_dict().items()
            if name == "dataset"
            or (value != default_lr if name == "learning_rate" else getattr(self, name) != getattr(default, name))
        }

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[RunConfig, list[Problem]]:
        """Lenient parse for shared links: each bad or unknown value is replaced by the
        default and reported in the returned warnings, never raised; so is a value the run
        would silently not use (hidden layers given to a softmax model)."""
        warnings = unknown_settings(query, FIELDS)
        values: dict[str, Any] = {}
        for name in FIELDS:
            if name not in query:
                continue
            try:
                parsed = parse_value(name, query[name])
                cls(**{**values, name: parsed})
            except ConfigError as error:
                warnings.append(Problem("invalid_setting", {"name": Name(name), "value": query[name],
                                                            "problem": error.problem}))
                continue
            values[name] = parsed
        config = cls(**values)
        return config, warnings + unused(config, values)


FIELDS: dict[str, dataclasses.Field] = {f.name: f for f in dataclasses.fields(RunConfig)}
# Fields whose value is a name (or text): RunConfig refuses anything else before looking it up.
TEXT_FIELDS = tuple(name for name, spec in FIELDS.items() if spec.type == "str")


def unknown_settings(keys: Iterable[str], known: Container[str]) -> list[Problem]:
    """One warning naming every key that is not `known` (none if all are): however many
    unknown keys a link has, the page says so once."""
    unknown = [key for key in keys if key not in known]
    return [Problem("unknown_settings_ignored", {"names": Names(unknown)})] if unknown else []


def unused(config: RunConfig, values: Mapping[str, Any]) -> list[Problem]:
    """What of the valid `values` (native or text) `config` does not use: hidden layers
    given to a softmax model, which has none; drawn points on another dataset than own. A link
    or the CLI warns instead of dropping them silently."""
    problems = []
    hidden = values.get("hidden_sizes", ())
    if config.model == "softmax" and hidden not in ((), [], ""):
        text = hidden if isinstance(hidden, str) else format_value("hidden_sizes", hidden)
        problems.append(Problem("softmax_no_hidden", {"value": text}))
    if config.dataset != OWN and values.get("own_points"):
        problems.append(Problem("own_points_unused"))
    return problems


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError("parse_bool", value=text)


def _parse_hidden(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError("parse_int_list", value=text) from None


def _parse_names(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",")) if text.strip() else ()


def _parse_batch(text: str) -> int | str:
    if text.strip().lower() == FULL_BATCH:
        return FULL_BATCH
    try:
        return int(text)
    except ValueError:
        raise ConfigError("batch_size", value=text) from None


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            return kind(text)
        except ValueError:
            raise ConfigError("parse_whole_number" if kind is int else "parse_number", value=text) from None

    return parse


_TEXT_PARSERS = {
    "bool": _parse_bool,
    "int": _number(int),
    "float": _number(float),
    "float | None": _number(float),
    "str": str,
    "tuple[int, ...]": _parse_hidden,
    "tuple[str, ...]": _parse_names,
    "int | str": _parse_batch,
}


def parse_value(name: str, value: Any) -> Any:
    """A field's value from its text form; non-text values pass through unchanged."""
    if not isinstance(value, str):
        return value
    try:
        return _TEXT_PARSERS[FIELDS[name].type](value)
    except ConfigError as error:
        raise ConfigError("setting", name=Name(name), problem=error.problem) from None


def format_value(name: str, value: Any) -> str:
    """A field's text form, the inverse of `parse_value`."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)


def _check(ok: bool, code: str, **params: Any) -> None:
    """Raise ConfigError(code, **params) unless `ok`; a `name` is one of the engine's own names."""
    if not ok:
        if "name" in params:
            params["name"] = Name(params["name"])
        raise ConfigError(code, **params)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _choice(name: str, value: Any, registry: Mapping[str, Any]) -> None:
    _check(value in registry, "unknown_choice", name=name, value=value, choices=names(registry))


def conv_output_size(c: RunConfig) -> int:
    """Side of the feature maps after the conv blocks (0 if they shrink to nothing)."""
    side = IMAGE_SIZE
    for _ in c.conv_channels:
        for _ in range(c.convs_per_block):
            side -= 0 if c.padding == "same" else c.kernel_size - 1
        side = side // 2 if side > 0 else 0
    return max(side, 0)


def _validate(c: RunConfig) -> None:
    _choice("dataset", c.dataset, {**DATASETS, OWN: None, **IMAGE_DATASETS})
    _check(isinstance(c.own_points, str), "own_points_task", value=str(c.own_points))
    check_own_points(c.own_points, c.dataset)
    _choice("model", c.model, MODELS)
    _choice("activation", c.activation, ACTIVATIONS)
    _choice("init", c.init, INITS)
    _choice("optimizer", c.optimizer, OPTIMIZERS)
    _check(_is_int(c.n_points) and MIN_POINTS <= c.n_points <= MAX_POINTS,
           "whole_range", name="n_points", low=MIN_POINTS, high=MAX_POINTS, value=c.n_points)
    _check(_is_int(c.train_size) and MIN_TRAIN_IMAGES <= c.train_size <= MAX_TRAIN_IMAGES,
           "whole_range", name="train_size", low=MIN_TRAIN_IMAGES, high=MAX_TRAIN_IMAGES, value=c.train_size)
    _check(_is_number(c.noise) and 0 <= c.noise <= MAX_NOISE, "range", name="noise", low=0, high=MAX_NOISE, value=c.noise)
    _check(_is_number(c.test_fraction) and 0.1 <= c.test_fraction <= 0.9,
           "range", name="test_fraction", low=0.1, high=0.9, value=c.test_fraction)
    _check(_is_number(c.input_scale) and 0 < c.input_scale <= MAX_INPUT_SCALE,
           "above_zero_at_most", name="input_scale", high=MAX_INPUT_SCALE, value=c.input_scale)
    _check(isinstance(c.standardize, bool), "true_or_false", name="standardize", value=c.standardize)
    _check(isinstance(c.features, tuple) and len(c.features) >= 1
           and all(isinstance(name, str) and name in FEATURES for name in c.features),
           "features", choices=names(FEATURES), value=c.features)
    _check(len(set(c.features)) == len(c.features), "features_repeated", value=list(c.features))
    _check(isinstance(c.hidden_sizes, tuple) and all(_is_int(w) for w in c.hidden_sizes),
           "whole_numbers", name="hidden_sizes", value=c.hidden_sizes)
    _check(len(c.hidden_sizes) <= MAX_HIDDEN_LAYERS, "hidden_layers_max", high=MAX_HIDDEN_LAYERS, count=len(c.hidden_sizes))
    max_width = MAX_IMAGE_LAYER_WIDTH if c.images else MAX_LAYER_WIDTH
    _check(all(1 <= w <= max_width for w in c.hidden_sizes), "layer_width", high=max_width, value=list(c.hidden_sizes))
    _check(_is_number(c.init_std) and 0 <= c.init_std <= 10, "range", name="init_std", low=0, high=10, value=c.init_std)
    _check(_is_number(c.dropout) and 0 <= c.dropout < 1, "dropout_range", value=c.dropout)
    _check(_is_number(c.learning_rate) and 0 < c.learning_rate <= MAX_LEARNING_RATE,
           "above_zero_at_most", name="learning_rate", high=MAX_LEARNING_RATE, value=c.learning_rate)
    _check(c.batch_size == FULL_BATCH or (_is_int(c.batch_size) and c.batch_size >= 1), "batch_size", value=c.batch_size)
    _check(_is_number(c.weight_decay) and 0 <= c.weight_decay <= 1,
           "range", name="weight_decay", low=0, high=1, value=c.weight_decay)
    _check(isinstance(c.batch_norm, bool), "true_or_false", name="batch_norm", value=c.batch_norm)
    _check(_is_int(c.one_cycle) and 0 <= c.one_cycle <= MAX_ONE_CYCLE_EPOCHS,
           "whole_range", name="one_cycle", low=0, high=MAX_ONE_CYCLE_EPOCHS, value=c.one_cycle)
    _check(_is_int(c.early_stopping) and 0 <= c.early_stopping <= MAX_PATIENCE,
           "whole_range", name="early_stopping", low=0, high=MAX_PATIENCE, value=c.early_stopping)
    _check(_is_int(c.seed) and 0 <= c.seed <= MAX_SEED, "whole_range", name="seed", low=0, high=MAX_SEED, value=c.seed)
    _check(isinstance(c.conv_channels, tuple) and all(_is_int(n) for n in c.conv_channels),
           "whole_numbers", name="conv_channels", value=c.conv_channels)
    _check(1 <= len(c.conv_channels) <= MAX_CONV_BLOCKS and all(1 <= n <= MAX_CONV_CHANNELS for n in c.conv_channels),
           "conv_channels", blocks=MAX_CONV_BLOCKS, channels=MAX_CONV_CHANNELS, value=list(c.conv_channels))
    _check(c.convs_per_block in (1, 2), "one_of", name="convs_per_block", choices=names((1, 2)), value=c.convs_per_block)
    _check(c.kernel_size in (3, 5), "one_of", name="kernel_size", choices=names((3, 5)), value=c.kernel_size)
    _check(c.padding in ("same", "valid"), "one_of", name="padding", choices=names(("same", "valid")), value=c.padding)
    if c.model == "cnn":
        _check(c.images, "cnn_needs_images", choices=names(IMAGE_DATASETS), dataset=c.dataset)
        _check(conv_output_size(c) >= 1, "cnn_shrinks", padding=Name(c.padding), kernel=c.kernel_size,
               blocks=len(c.conv_channels), side=IMAGE_SIZE)
    check_run(c)  # one step's cost on a shared server (engine.core.cost)
