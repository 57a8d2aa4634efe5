"""Links to the pages: each page's settings as URL query parameters, and back.

A lesson is a link: its page and these parameters. The 2D page's parameters are a
`RunConfig`'s own (`RunConfig.to_query`); Compare, the optimizer race and the MNIST lab
add a few of their own, defined here so that the pages (which read and write the address
bar) and the lessons (which build the same runs to check their claims) agree.

Parsing is lenient, as for shared links: a bad value is replaced by the default and
reported in the returned warnings (`Problem`s, which a page says in its language), never
raised; the 2D page and Compare fall back to 2D data when a link names images. Values equal
to their defaults are left out of a link, so links stay short.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.core.config import FIELDS, MAX_SEED, MIN_TRAIN_IMAGES, ConfigError, RunConfig, parse_value, unknown_settings
from engine.core.cost import check_click, check_comparison, max_epochs, max_train_images
from engine.core.datasets import OWN
from engine.core.optimizers import OPTIMIZERS
from engine.core.problems import Name, Names, Problem, names
from engine.experiments.compare import ALIGNS, MAX_RUNS, Comparison
from engine.experiments.race import SURFACES

VALUES_SEPARATOR = "|"  # hidden_sizes values contain commas ("8,8"), so values are split on "|"
SEEDS = (1, 4, 8, 16)  # seeds per compared run that the page offers
DEFAULT_SURFACE = "ill_conditioned"
# What the race page offers: its steps slider and learning-rate boxes.
MIN_RACE_STEPS, MAX_RACE_STEPS = 10, 1000
MIN_RATE, MAX_RATE = 1e-5, 100.0
MAX_EPOCHS = 20


def _number(value: float) -> str:
    """A number's shortest text form that reads back as the same float ("0.002", not "0.0020000")."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _whole(text: str) -> int:
    """A link's whole number; ConfigError (not Python's own ValueError) for anything else."""
    try:
        return int(text)
    except ValueError:
        raise ConfigError("parse_whole_number", value=text) from None


def _real(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError("parse_number", value=text) from None


def _given(query: Mapping[str, str], keys: Sequence[str]) -> Names:
    """The link's `key=value` pairs for `keys`, as a warning names them."""
    return Names(Problem("key_value", {"key": Name(key), "value": query[key]}) for key in keys if key in query)


# ---------------------------------------------------------------- one codec, driven by a table per page

Warn = Callable[[Problem], None]


@dataclass(frozen=True)
class Param:
    """One setting of a page's link, as a row of that page's table (`PARAMS`): the URL keys it
    is read from; `read(query, link, warn)`, the link with this setting taken from the query
    (it raises ConfigError for a value it cannot take; `warn` reports a part it left out);
    `write(link)`, the setting's keys and texts, empty when it is the default; `kept(link)`,
    what is used instead when the query's value cannot be."""

    keys: tuple[str, ...]
    read: Callable[[Mapping[str, str], Any, Warn], Any]
    write: Callable[[Any], dict[str, str]]
    kept: Callable[[Any], Problem]


def read_params(link: Any, params: Sequence[Param], query: Mapping[str, str], warnings: list[Problem]) -> Any:
    """`link` with every row of `params` read from `query` in order, leniently: a value that
    cannot be used keeps what `link` had and adds a warning."""
    for param in params:
        if not any(key in query for key in param.keys):
            continue
        try:
            link = param.read(query, link, warnings.append)
        except ConfigError as error:
            warnings.append(Problem("link_value_invalid", {"given": _given(query, param.keys), "problem": error.problem,
                                                           "kept": param.kept(link)}))
    return link


def write_params(link: Any, params: Sequence[Param]) -> dict[str, str]:
    """The URL parameters of every row of `params` that differs from its default."""
    return {key: text for param in params for key, text in param.write(link).items()}


def _own_keys(params: Sequence[Param]) -> set[str]:
    return {key for param in params for key in param.keys}


def _config(query: Mapping[str, str], params: Sequence[Param]) -> tuple[RunConfig, list[Problem]]:
    """The run config in a link (RunConfig's own table: its fields), the page's own keys left out."""
    own = _own_keys(params)
    return RunConfig.from_query({name: value for name, value in query.items() if name not in own})


def _on_2d_data(query: Mapping[str, str], code: str) -> tuple[RunConfig, list[Problem]]:
    """`RunConfig.from_query(query)` for a page that trains on 2D points: a link naming image
    data is read again without its dataset (the default 2D one), warning with `code` first;
    settings that only images allow (a cnn, wide layers) then warn on their own."""
    config, warnings = RunConfig.from_query(query)
    if not config.images:
        return config, warnings
    config, warnings = RunConfig.from_query({name: value for name, value in query.items() if name != "dataset"})
    return config, [Problem(code, {"dataset": query["dataset"], "default": Name(config.dataset)}), *warnings]


def playground_config(query: Mapping[str, str]) -> tuple[RunConfig, list[Problem]]:
    """The 2D page's link: a `RunConfig` on 2D points, and what of the link could not be used
    (a link to image data, `dataset=mnist`, falls back to the default 2D dataset with a warning)."""
    return _on_2d_data(query, "playground_images")


def no_settings(query: Mapping[str, str]) -> list[Problem]:
    """The warnings for a link to a page with no settings of its own (Lessons, Backprop by
    hand): one naming every key, if there are any."""
    return unknown_settings(query, ())


def _compared(base: RunConfig, vary: str, value: str) -> object:
    """A compared value parsed; raises ConfigError if the base config cannot take it, or if it
    makes the run one on images (Compare draws decision boundaries: 2D points only)."""
    parsed = parse_value(vary, value)
    compared = base.replace(**{vary: parsed})
    if compared.images:
        raise ConfigError("compare_2d_only")
    if compared.dataset == OWN:
        raise ConfigError("compare_own_data")
    return parsed


@dataclass(frozen=True)
class CompareLink:
    """Compare: a base config on 2D points, the setting varied and its values (text forms, as
    in a link), seeds per run, and whether runs keep together by steps or by epochs."""

    base: RunConfig = field(default_factory=RunConfig)
    vary: str = "activation"
    values: tuple[str, ...] = ("sigmoid", "relu")
    seeds: int = 1
    align: str = "steps"

    def __post_init__(self) -> None:
        if self.base.images:
            raise ConfigError("compare_2d_only")
        if self.base.dataset == OWN:
            raise ConfigError("compare_own_data")
        if self.vary not in FIELDS:
            raise ConfigError("compare_unknown_vary", value=self.vary, choices=names(FIELDS))
        object.__setattr__(self, "values", tuple(self.values))
        if not 2 <= len(self.values) <= MAX_RUNS:
            raise ConfigError("compare_count", high=MAX_RUNS, name=Name(self.vary), count=len(self.values))
        parsed = [_compared(self.base, self.vary, value) for value in self.values]
        if len(set(parsed)) < len(parsed):
            raise ConfigError("compare_same", values=VALUES_SEPARATOR.join(self.values))
        if self.seeds not in SEEDS:
            raise ConfigError("one_of", name=Name("seeds"), choices=names(SEEDS), value=self.seeds)
        if self.align not in ALIGNS:
            raise ConfigError("one_of", name=Name("align"), choices=names(ALIGNS), value=self.align)
        configs = [self.base.replace(**{self.vary: value}) for value in parsed]
        highest = max(config.seed for config in configs)
        if highest + self.seeds - 1 > MAX_SEED:  # each run's seeds are seed..seed+K-1, and each must be a valid seed
            raise ConfigError("seeds_overflow", n_seeds=self.seeds, seed=highest, max_seed=MAX_SEED,
                              highest=MAX_SEED - self.seeds + 1)
        check_comparison(configs, self.seeds)

    def to_query(self) -> dict[str, str]:
        return {**self.base.to_query(), **write_params(self, COMPARE_PARAMS)}

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[CompareLink, list[Problem]]:
        own = _own_keys(COMPARE_PARAMS)
        base, warnings = _on_2d_data({name: value for name, value in query.items() if name not in own}, "compare_images")
        if base.dataset == OWN:  # (a run on drawn points trains on the 2D page)
            base, warnings = RunConfig.from_query({name: value for name, value in query.items()
                                                   if name not in own and name not in ("dataset", "own_points")})
            warnings.insert(0, Problem("compare_own_data"))
        return read_params(cls(base=base), COMPARE_PARAMS, query, warnings), warnings

    def comparison(self) -> Comparison:
        """The runs this link describes, untrained."""
        return Comparison(self.base, self.vary, list(self.values), n_seeds=self.seeds, align=self.align)


def _read_variation(query: Mapping[str, str], link: CompareLink, warn: Warn) -> CompareLink:
    """The link varying the query's setting over its values; a value the base cannot take is
    left out (with a warning), and a repeated value counts once. More values than Compare
    runs is an error at once, so a link cannot make the page try thousands."""
    vary = query.get("vary", link.vary)
    if vary not in FIELDS:
        raise ConfigError("compare_not_a_setting", value=vary)
    if "values" not in query:
        raise ConfigError("compare_needs_values", value=vary)
    texts = query["values"].split(VALUES_SEPARATOR)
    if len(texts) > MAX_RUNS:
        raise ConfigError("compare_count", high=MAX_RUNS, name=Name(vary), count=len(texts))
    chosen: dict[object, str] = {}  # parsed value -> its text form
    for value in texts:
        try:
            chosen.setdefault(_compared(link.base, vary, value), value)
        except ConfigError as error:
            warn(Problem("compare_value_left_out", {"name": Name(vary), "value": value, "problem": error.problem}))
    return replace(link, vary=vary, values=tuple(chosen.values()))


def _write_variation(link: CompareLink) -> dict[str, str]:
    if (link.vary, link.values) == (CompareLink.vary, CompareLink.values):
        return {}
    return {"vary": link.vary, "values": VALUES_SEPARATOR.join(link.values)}


# Compare's own settings, beside its base config's (RunConfig's fields).
COMPARE_PARAMS = (
    Param(("vary", "values"), _read_variation, _write_variation,
          lambda link: Problem("kept_variation", {"name": Name(link.vary)})),
    Param(("seeds",), lambda query, link, warn: replace(link, seeds=_whole(query["seeds"])),
          lambda link: {} if link.seeds == CompareLink.seeds else {"seeds": str(link.seeds)},
          lambda link: Problem("kept_value", {"value": link.seeds})),
    Param(("align",), lambda query, link, warn: replace(link, align=query["align"]),
          lambda link: {} if link.align == CompareLink.align else {"align": link.align},
          lambda link: Problem("kept_value", {"value": Name(link.align)})),
)


@dataclass(frozen=True)
class RaceLink:
    """The optimizer race: a surface, a start point, a number of steps, and the racing
    optimizers with their learning rates (each left out, or None: the surface's own story;
    an optimizer named without a rate: the surface's rate for it, else its default)."""

    surface: str = DEFAULT_SURFACE
    start: tuple[float, float] | None = None
    steps: int | None = None
    rates: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        if self.surface not in SURFACES:
            raise ConfigError("unknown_choice", name=Name("surface"), value=self.surface, choices=names(SURFACES))
        surface = SURFACES[self.surface]
        object.__setattr__(self, "start", tuple(float(v) for v in (surface.start if self.start is None else self.start)))
        object.__setattr__(self, "steps", surface.steps if self.steps is None else self.steps)
        object.__setattr__(self, "rates", dict(surface.rates if self.rates is None else self.rates))
        (x_low, x_high), (y_low, y_high) = surface.bounds
        x, y = self.start
        if not (x_low <= x <= x_high and y_low <= y <= y_high):  # also False for NaN
            raise ConfigError("race_start_off_map", x_low=x_low, x_high=x_high, y_low=y_low, y_high=y_high, x=x, y=y)
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not (
                MIN_RACE_STEPS <= self.steps <= MAX_RACE_STEPS):
            raise ConfigError("whole_range", name=Name("steps"), low=MIN_RACE_STEPS, high=MAX_RACE_STEPS, value=self.steps)
        unknown = [name for name in self.rates if name not in OPTIMIZERS]
        if unknown or not self.rates:
            raise ConfigError("race_optimizers", choices=names(OPTIMIZERS))
        for name, rate in self.rates.items():
            if not MIN_RATE <= rate <= MAX_RATE:
                raise ConfigError("race_rate", name=Name(name), low=MIN_RATE, high=MAX_RATE, value=rate)

    def own_rate(self, name: str) -> float:
        """The rate `name` races at unless a link says otherwise: the surface's, else its default."""
        return SURFACES[self.surface].rates.get(name, OPTIMIZERS[name].default_lr)

    def to_query(self) -> dict[str, str]:
        return write_params(self, RACE_PARAMS)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[RaceLink, list[Problem]]:
        warnings = unknown_settings(query, _own_keys(RACE_PARAMS))
        return read_params(cls(), RACE_PARAMS, query, warnings), warnings


def _read_start(query: Mapping[str, str], link: RaceLink, warn: Warn) -> RaceLink:
    if "x" not in query or "y" not in query:
        raise ConfigError("race_start_needs_xy")
    return replace(link, start=(_real(query["x"]), _real(query["y"])))


def _read_rates(query: Mapping[str, str], link: RaceLink, warn: Warn) -> RaceLink:
    """The racing optimizers (`opt`, default: the surface's own) at their rates (`lr_<name>`,
    default: the surface's rate for it); unknown optimizers (one warning) or a bad rate are left out."""
    named = [name for name in query["opt"].split(",") if name] if "opt" in query else list(link.rates)
    unknown = [name for name in named if name not in OPTIMIZERS]
    if unknown:
        warn(Problem("race_optimizers_left_out", {"names": Names(unknown)}))
    rates = {}
    for name in (name for name in named if name in OPTIMIZERS):
        rates[name] = link.own_rate(name)
        key = f"lr_{name}"
        if key in query:
            try:
                rates[name] = replace(link, rates={name: _real(query[key])}).rates[name]
            except ConfigError as error:
                warn(Problem("link_value_invalid", {"given": _given(query, (key,)), "problem": error.problem,
                                                    "kept": Problem("kept_value", {"value": rates[name]})}))
    if not rates:
        raise ConfigError("race_no_optimizer")
    return replace(link, rates=rates)


def _write_rates(link: RaceLink) -> dict[str, str]:
    query = {} if set(link.rates) == set(SURFACES[link.surface].rates) else {"opt": ",".join(link.rates)}
    return query | {f"lr_{name}": _number(rate) for name, rate in link.rates.items() if rate != link.own_rate(name)}


# The race's settings: the surface first, since the others default to the surface's own.
RACE_PARAMS = (
    Param(("surface",), lambda query, link, warn: RaceLink(query["surface"]),
          lambda link: {} if link.surface == DEFAULT_SURFACE else {"surface": link.surface},
          lambda link: Problem("kept_value", {"value": Name(link.surface)})),
    Param(("x", "y"), _read_start,
          lambda link: {} if link.start == tuple(SURFACES[link.surface].start)
          else {"x": _number(link.start[0]), "y": _number(link.start[1])},
          lambda link: Problem("kept_own_start")),
    Param(("steps",), lambda query, link, warn: replace(link, steps=_whole(query["steps"])),
          lambda link: {} if link.steps == SURFACES[link.surface].steps else {"steps": str(link.steps)},
          lambda link: Problem("kept_value", {"value": link.steps})),
    Param(("opt", *(f"lr_{name}" for name in OPTIMIZERS)), _read_rates, _write_rates,
          lambda link: Problem("kept_own_optimizers")),
)


@dataclass(frozen=True)
class MnistLink:
    """The MNIST lab: a config on image data, and how many epochs the Train button runs."""

    config: RunConfig = field(default_factory=lambda: RunConfig(dataset="mnist", model="softmax", hidden_sizes=()))
    epochs: int = 1

    def __post_init__(self) -> None:
        if not self.config.images:
            raise ConfigError("mnist_needs_images", dataset=self.config.dataset)
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or not 1 <= self.epochs <= MAX_EPOCHS:
            raise ConfigError("whole_range", name=Name("epochs"), low=1, high=MAX_EPOCHS, value=self.epochs)
        check_click(self.config, self.epochs)  # what one Train click costs a shared server

    def to_query(self) -> dict[str, str]:
        return {**self.config.to_query(), **write_params(self, MNIST_PARAMS)}

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[MnistLink, list[Problem]]:
        config, warnings = _config({"dataset": "mnist", **query}, MNIST_PARAMS)
        if not config.images:  # read again on images, so that settings only images allow still apply
            config, warnings = _config({**query, "dataset": "mnist"}, MNIST_PARAMS)
            warnings.insert(0, Problem("mnist_not_images", {"dataset": query["dataset"], "default": Name(config.dataset)}))
        return read_params(cls(_within_one_click(config, warnings)), MNIST_PARAMS, query, warnings), warnings


def _within_one_click(config: RunConfig, warnings: list[Problem]) -> RunConfig:
    """`config`, with fewer training images if one epoch of it costs more than one click may
    ask for (or the lab's default network if even the fewest images do)."""
    if max_epochs(config) >= 1:
        return config
    images = max_train_images(config) // 100 * 100
    while images >= MIN_TRAIN_IMAGES:  # (an epoch's last, partial batch costs a whole step: check the count)
        try:
            if max_epochs(smaller := config.replace(train_size=images)) >= 1:
                warnings.append(Problem("train_size_clamped", {"value": config.train_size, "used": images}))
                return smaller
        except ConfigError:  # a full batch of fewer images than before: not this count
            pass
        images -= 100
    default = MnistLink().config
    warnings.append(Problem("mnist_too_big", {"default": Name(default.model)}))
    return default


def _read_epochs(query: Mapping[str, str], link: MnistLink, warn: Warn) -> MnistLink:
    """The epochs of one Train click; more than the cap allows for this network are clamped, with a warning."""
    epochs = _whole(query["epochs"])
    most = max_epochs(link.config)
    if 1 <= most < epochs <= MAX_EPOCHS:
        warn(Problem("epochs_clamped", {"value": epochs, "used": most}))
        epochs = most
    return replace(link, epochs=epochs)


# The lab's own setting, beside its config's; `epochs` is always in the link (the Train button's label).
MNIST_PARAMS = (
    Param(("epochs",), _read_epochs,
          lambda link: {"epochs": str(link.epochs)}, lambda link: Problem("kept_value", {"value": link.epochs})),
)
