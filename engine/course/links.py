"""Links to the pages: each page's settings as URL query parameters, and back.

A lesson is a link: its page and these parameters. The 2D page's parameters are a
`RunConfig`'s own (`RunConfig.to_query`); Compare, the optimizer race and the MNIST lab
add a few of their own, defined here so that the pages (which read and write the address
bar) and the lessons (which build the same runs to check their claims) agree.

Parsing is lenient, as for shared links: a bad value is replaced by the default and
reported in the returned warnings, never raised. Values equal to their defaults are left
out of a link, so links stay short.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine.core.config import FIELDS, ConfigError, RunConfig, parse_value
from engine.core.optimizers import OPTIMIZERS
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


# ---------------------------------------------------------------- one codec, driven by a table per page

Warn = Callable[[str], None]


@dataclass(frozen=True)
class Param:
    """One setting of a page's link, as a row of that page's table (`PARAMS`): the URL keys it
    is read from; `read(query, link, warn)`, the link with this setting taken from the query
    (it raises ConfigError or ValueError for a value it cannot take; `warn` reports a part it
    left out); `write(link)`, the setting's keys and texts, empty when it is the default;
    `kept(link)`, what is used instead when the query's value cannot be."""

    keys: tuple[str, ...]
    read: Callable[[Mapping[str, str], Any, Warn], Any]
    write: Callable[[Any], dict[str, str]]
    kept: Callable[[Any], str]


def read_params(link: Any, params: Sequence[Param], query: Mapping[str, str], warnings: list[str]) -> Any:
    """`link` with every row of `params` read from `query` in order, leniently: a value that
    cannot be used keeps what `link` had and adds a warning."""
    for param in params:
        if not any(key in query for key in param.keys):
            continue
        try:
            link = param.read(query, link, warnings.append)
        except (ConfigError, ValueError) as error:
            given = ", ".join(f"{key}={query[key]!r}" for key in param.keys if key in query)
            warnings.append(f"{given} is not valid ({error}); {param.kept(link)}")
    return link


def write_params(link: Any, params: Sequence[Param]) -> dict[str, str]:
    """The URL parameters of every row of `params` that differs from its default."""
    return {key: text for param in params for key, text in param.write(link).items()}


def _own_keys(params: Sequence[Param]) -> set[str]:
    return {key for param in params for key in param.keys}


def _config(query: Mapping[str, str], params: Sequence[Param]) -> tuple[RunConfig, list[str]]:
    """The run config in a link (RunConfig's own table: its fields), the page's own keys left out."""
    own = _own_keys(params)
    return RunConfig.from_query({name: value for name, value in query.items() if name not in own})


def _compared(base: RunConfig, vary: str, value: str) -> object:
    """A compared value parsed; raises ConfigError if the base config cannot take it."""
    parsed = parse_value(vary, value)
    base.replace(**{vary: parsed})
    return parsed


@dataclass(frozen=True)
class CompareLink:
    """Compare: a base config, the setting varied and its values (text forms, as in a link),
    seeds per run, and whether runs keep together by steps or by epochs."""

    base: RunConfig = field(default_factory=RunConfig)
    vary: str = "activation"
    values: tuple[str, ...] = ("sigmoid", "relu")
    seeds: int = 1
    align: str = "steps"

    def __post_init__(self) -> None:
        if self.vary not in FIELDS:
            raise ConfigError(f"unknown setting {self.vary!r} to vary; choose one of: {', '.join(FIELDS)}")
        object.__setattr__(self, "values", tuple(self.values))
        if not 2 <= len(self.values) <= MAX_RUNS:
            raise ConfigError(f"compare 2 to {MAX_RUNS} values, got {len(self.values)}")
        parsed = [_compared(self.base, self.vary, value) for value in self.values]
        if len(set(parsed)) < len(parsed):
            raise ConfigError(f"the values to compare must differ, got {VALUES_SEPARATOR.join(self.values)!r}")
        if self.seeds not in SEEDS:
            raise ConfigError(f"seeds must be {', '.join(map(str, SEEDS[:-1]))} or {SEEDS[-1]}, got {self.seeds!r}")
        if self.align not in ALIGNS:
            raise ConfigError(f"align must be one of: {', '.join(ALIGNS)}; got {self.align!r}")

    def to_query(self) -> dict[str, str]:
        return {**self.base.to_query(), **write_params(self, COMPARE_PARAMS)}

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[CompareLink, list[str]]:
        base, warnings = _config(query, COMPARE_PARAMS)
        return read_params(cls(base=base), COMPARE_PARAMS, query, warnings), warnings

    def comparison(self) -> Comparison:
        """The runs this link describes, untrained."""
        return Comparison(self.base, self.vary, list(self.values), n_seeds=self.seeds, align=self.align)


def _read_variation(query: Mapping[str, str], link: CompareLink, warn: Warn) -> CompareLink:
    """The link varying the query's setting over its values; a value the base cannot take is
    left out (with a warning), and a repeated value counts once."""
    vary = query.get("vary", link.vary)
    if vary not in FIELDS:
        raise ConfigError(f"{vary!r} is not a setting")
    if "values" not in query:
        raise ConfigError(f"vary={vary!r} needs values to compare (values=a|b)")
    chosen: dict[object, str] = {}  # parsed value -> its text form
    for value in query["values"].split(VALUES_SEPARATOR):
        try:
            chosen.setdefault(_compared(link.base, vary, value), value)
        except ConfigError as error:
            warn(f"{vary}={value!r} cannot be compared ({error}); left out")
    return replace(link, vary=vary, values=tuple(chosen.values()))


def _write_variation(link: CompareLink) -> dict[str, str]:
    if (link.vary, link.values) == (CompareLink.vary, CompareLink.values):
        return {}
    return {"vary": link.vary, "values": VALUES_SEPARATOR.join(link.values)}


# Compare's own settings, beside its base config's (RunConfig's fields).
COMPARE_PARAMS = (
    Param(("vary", "values"), _read_variation, _write_variation, lambda link: f"varying {link.vary}"),
    Param(("seeds",), lambda query, link, warn: replace(link, seeds=int(query["seeds"])),
          lambda link: {} if link.seeds == CompareLink.seeds else {"seeds": str(link.seeds)},
          lambda link: f"using {link.seeds}"),
    Param(("align",), lambda query, link, warn: replace(link, align=query["align"]),
          lambda link: {} if link.align == CompareLink.align else {"align": link.align},
          lambda link: f"using {link.align}"),
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
            raise ConfigError(f"unknown surface {self.surface!r}; choose one of: {', '.join(SURFACES)}")
        surface = SURFACES[self.surface]
        object.__setattr__(self, "start", tuple(float(v) for v in (surface.start if self.start is None else self.start)))
        object.__setattr__(self, "steps", surface.steps if self.steps is None else self.steps)
        object.__setattr__(self, "rates", dict(surface.rates if self.rates is None else self.rates))
        (x_low, x_high), (y_low, y_high) = surface.bounds
        x, y = self.start
        if not (x_low <= x <= x_high and y_low <= y <= y_high):  # also False for NaN
            raise ConfigError(f"the start must be on the map: x from {x_low:g} to {x_high:g}, y from {y_low:g} to "
                              f"{y_high:g}; got ({x:g}, {y:g})")
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not (
                MIN_RACE_STEPS <= self.steps <= MAX_RACE_STEPS):
            raise ConfigError(f"steps must be a whole number from {MIN_RACE_STEPS} to {MAX_RACE_STEPS}, got {self.steps!r}")
        unknown = [name for name in self.rates if name not in OPTIMIZERS]
        if unknown or not self.rates:
            raise ConfigError(f"choose one or more optimizers from: {', '.join(OPTIMIZERS)}")
        for name, rate in self.rates.items():
            if not MIN_RATE <= rate <= MAX_RATE:
                raise ConfigError(f"the learning rate for {name} must be from {MIN_RATE:g} to {MAX_RATE:g}, got {rate!r}")

    def own_rate(self, name: str) -> float:
        """The rate `name` races at unless a link says otherwise: the surface's, else its default."""
        return SURFACES[self.surface].rates.get(name, OPTIMIZERS[name].default_lr)

    def to_query(self) -> dict[str, str]:
        return write_params(self, RACE_PARAMS)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[RaceLink, list[str]]:
        own = _own_keys(RACE_PARAMS)
        warnings = [f"unknown setting {name!r} ignored" for name in query
                    if name not in own and name.removeprefix("lr_") not in OPTIMIZERS]
        return read_params(cls(), RACE_PARAMS, query, warnings), warnings


def _read_start(query: Mapping[str, str], link: RaceLink, warn: Warn) -> RaceLink:
    if "x" not in query or "y" not in query:
        raise ConfigError("a start point needs both x and y")
    return replace(link, start=(float(query["x"]), float(query["y"])))


def _read_rates(query: Mapping[str, str], link: RaceLink, warn: Warn) -> RaceLink:
    """The racing optimizers (`opt`, default: the surface's own) at their rates (`lr_<name>`,
    default: the surface's rate for it); an unknown optimizer or a bad rate is left out."""
    names = [name for name in query["opt"].split(",") if name] if "opt" in query else list(link.rates)
    rates = {}
    for name in names:
        if name not in OPTIMIZERS:
            warn(f"optimizer {name!r} is not known; left out")
            continue
        rates[name] = link.own_rate(name)
        text = query.get(f"lr_{name}")
        if text is not None:
            try:
                rates[name] = replace(link, rates={name: float(text)}).rates[name]
            except (ValueError, ConfigError) as error:
                warn(f"lr_{name}={text!r} is not valid ({error}); using {rates[name]:g}")
    if not rates:
        raise ConfigError("no optimizer to race")
    return replace(link, rates=rates)


def _write_rates(link: RaceLink) -> dict[str, str]:
    query = {} if set(link.rates) == set(SURFACES[link.surface].rates) else {"opt": ",".join(link.rates)}
    return query | {f"lr_{name}": _number(rate) for name, rate in link.rates.items() if rate != link.own_rate(name)}


# The race's settings: the surface first, since the others default to the surface's own.
RACE_PARAMS = (
    Param(("surface",), lambda query, link, warn: RaceLink(query["surface"]),
          lambda link: {} if link.surface == DEFAULT_SURFACE else {"surface": link.surface},
          lambda link: f"using {link.surface}"),
    Param(("x", "y"), _read_start,
          lambda link: {} if link.start == tuple(SURFACES[link.surface].start)
          else {"x": _number(link.start[0]), "y": _number(link.start[1])},
          lambda link: "using the surface's own start point"),
    Param(("steps",), lambda query, link, warn: replace(link, steps=int(query["steps"])),
          lambda link: {} if link.steps == SURFACES[link.surface].steps else {"steps": str(link.steps)},
          lambda link: f"using {link.steps}"),
    Param(("opt", *(f"lr_{name}" for name in OPTIMIZERS)), _read_rates, _write_rates,
          lambda link: "using the surface's own optimizers"),
)


@dataclass(frozen=True)
class MnistLink:
    """The MNIST lab: a config on image data, and how many epochs the Train button runs."""

    config: RunConfig = field(default_factory=lambda: RunConfig(dataset="mnist", model="softmax", hidden_sizes=()))
    epochs: int = 1

    def __post_init__(self) -> None:
        if not self.config.images:
            raise ConfigError(f"the MNIST lab needs image data, not {self.config.dataset!r}")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ConfigError(f"epochs must be from 1 to {MAX_EPOCHS}, got {self.epochs}")

    def to_query(self) -> dict[str, str]:
        return {**self.config.to_query(), **write_params(self, MNIST_PARAMS)}

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[MnistLink, list[str]]:
        config, warnings = _config({"dataset": "mnist", **query}, MNIST_PARAMS)
        if not config.images:
            warnings.append(f"dataset={config.dataset!r} is not image data; using mnist")
            config = config.replace(dataset="mnist")
        return read_params(cls(config), MNIST_PARAMS, query, warnings), warnings


# The lab's own setting, beside its config's; `epochs` is always in the link (the Train button's label).
MNIST_PARAMS = (
    Param(("epochs",), lambda query, link, warn: replace(link, epochs=int(query["epochs"])),
          lambda link: {"epochs": str(link.epochs)}, lambda link: f"using {link.epochs}"),
)
