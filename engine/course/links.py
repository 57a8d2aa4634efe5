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

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.core.config import FIELDS, ConfigError, RunConfig, format_value, parse_value
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


def _config(query: Mapping[str, str], own: tuple[str, ...]) -> tuple[RunConfig, list[str]]:
    return RunConfig.from_query({name: value for name, value in query.items() if name not in own})


def _compared(base: RunConfig, vary: str, value: str) -> object:
    """A compared value parsed; raises ConfigError if the base config cannot take it."""
    parsed = parse_value(vary, value)
    base.replace(**{vary: parsed})
    return parsed


def _number(value: float) -> str:
    """A number's shortest text form that reads back as the same float ("0.002", not "0.0020000")."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


@dataclass(frozen=True)
class CompareLink:
    """Compare: a base config, the setting varied and its values (text forms, as in a link),
    seeds per run, and whether runs keep together by steps or by epochs."""

    base: RunConfig = field(default_factory=RunConfig)
    vary: str = "activation"
    values: tuple[str, ...] = ("sigmoid", "relu")
    seeds: int = 1
    align: str = "steps"

    OWN = ("vary", "values", "seeds", "align")

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
        query = self.base.to_query()
        if (self.vary, self.values) != (CompareLink.vary, CompareLink.values):
            query.update(vary=self.vary, values=VALUES_SEPARATOR.join(self.values))
        if self.seeds != CompareLink.seeds:
            query["seeds"] = str(self.seeds)
        if self.align != CompareLink.align:
            query["align"] = self.align
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[CompareLink, list[str]]:
        base, warnings = _config(query, cls.OWN)
        link = cls(base=base)
        if "vary" in query or "values" in query:
            link = cls._with_variation(link, query, warnings)
        if "seeds" in query:
            try:
                link = cls(base, link.vary, link.values, seeds=int(query["seeds"]))
            except (ValueError, ConfigError) as error:
                warnings.append(f"seeds={query['seeds']!r} is not valid ({error}); using {link.seeds}")
        if "align" in query:
            try:
                link = cls(base, link.vary, link.values, link.seeds, align=query["align"])
            except ConfigError as error:
                warnings.append(f"align={query['align']!r} is not valid ({error}); using {link.align}")
        return link, warnings

    @classmethod
    def _with_variation(cls, link: CompareLink, query: Mapping[str, str], warnings: list[str]) -> CompareLink:
        """`link` varying the query's setting over its values; a bad value is left out (with a
        warning), and too few good ones fall back to the default variation."""
        vary = query.get("vary", link.vary)
        if vary not in FIELDS:
            warnings.append(f"vary={vary!r} is not a setting; varying {link.vary}")
            return link
        if "values" not in query:
            warnings.append(f"vary={vary!r} needs values to compare (values=a|b); varying {link.vary}")
            return link
        chosen: dict[object, str] = {}  # parsed value -> its text form; a repeated value counts once
        for value in query["values"].split(VALUES_SEPARATOR):
            try:
                chosen.setdefault(_compared(link.base, vary, value), value)
            except ConfigError as error:
                warnings.append(f"{vary}={value!r} cannot be compared ({error}); left out")
        try:
            return cls(link.base, vary, tuple(chosen.values()))
        except ConfigError as error:
            warnings.append(f"values={query['values']!r} is not a comparison ({error}); varying {link.vary}")
            return link

    def comparison(self) -> Comparison:
        """The runs this link describes, untrained."""
        return Comparison(self.base, self.vary, list(self.values), n_seeds=self.seeds, align=self.align)


@dataclass(frozen=True)
class RaceLink:
    """The optimizer race: a surface, a start point, a number of steps, and the racing
    optimizers with their learning rates (each left out, or None: the surface's own story;
    an optimizer named without a rate: the surface's rate for it, else its default)."""

    surface: str = DEFAULT_SURFACE
    start: tuple[float, float] | None = None
    steps: int | None = None
    rates: Mapping[str, float] | None = None

    OWN = ("surface", "x", "y", "steps", "opt")

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

    def _own_rate(self, name: str) -> float:
        return SURFACES[self.surface].rates.get(name, OPTIMIZERS[name].default_lr)

    def to_query(self) -> dict[str, str]:
        surface = SURFACES[self.surface]
        query = {} if self.surface == DEFAULT_SURFACE else {"surface": self.surface}
        if self.start != tuple(surface.start):
            query.update(x=_number(self.start[0]), y=_number(self.start[1]))
        if self.steps != surface.steps:
            query["steps"] = str(self.steps)
        if set(self.rates) != set(surface.rates):
            query["opt"] = ",".join(self.rates)
        query.update({f"lr_{name}": _number(rate) for name, rate in self.rates.items() if rate != self._own_rate(name)})
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[RaceLink, list[str]]:
        warnings = [f"unknown setting {name!r} ignored" for name in query
                    if name not in cls.OWN and name.removeprefix("lr_") not in OPTIMIZERS]
        surface = query.get("surface", DEFAULT_SURFACE)
        if surface not in SURFACES:
            warnings.append(f"surface={surface!r} is not valid; using {DEFAULT_SURFACE}")
            surface = DEFAULT_SURFACE
        link = cls(surface)
        if "x" in query or "y" in query:
            try:
                link = cls(surface, start=(float(query["x"]), float(query["y"])))
            except (KeyError, ValueError, ConfigError) as error:
                warnings.append(f"x={query.get('x')!r}, y={query.get('y')!r} is not a start point ({error}); "
                                f"using the surface's own")
        if "steps" in query:
            try:
                link = cls(surface, link.start, steps=int(query["steps"]))
            except (ValueError, ConfigError) as error:
                warnings.append(f"steps={query['steps']!r} is not valid ({error}); using {link.steps}")
        names = [name for name in query["opt"].split(",") if name] if "opt" in query else list(link.rates)
        rates = {}
        for name in names:
            if name not in OPTIMIZERS:
                warnings.append(f"optimizer {name!r} is not known; left out")
                continue
            rates[name] = link._own_rate(name)
            text = query.get(f"lr_{name}")
            if text is not None:
                try:
                    rates[name] = cls(surface, link.start, link.steps, {name: float(text)}).rates[name]
                except (ValueError, ConfigError) as error:
                    warnings.append(f"lr_{name}={text!r} is not valid ({error}); using {rates[name]:g}")
        if not rates:
            warnings.append("no optimizer to race; using the surface's own")
            return link, warnings
        return cls(surface, link.start, link.steps, rates), warnings


@dataclass(frozen=True)
class MnistLink:
    """The MNIST lab: a config on image data, and how many epochs the Train button runs."""

    config: RunConfig = field(default_factory=lambda: RunConfig(dataset="mnist", model="softmax", hidden_sizes=()))
    epochs: int = 1

    OWN = ("epochs",)

    def __post_init__(self) -> None:
        if not self.config.images:
            raise ConfigError(f"the MNIST lab needs image data, not {self.config.dataset!r}")
        if not 1 <= self.epochs <= MAX_EPOCHS:
            raise ConfigError(f"epochs must be from 1 to {MAX_EPOCHS}, got {self.epochs}")

    def to_query(self) -> dict[str, str]:
        return {**self.config.to_query(), "epochs": str(self.epochs)}

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> tuple[MnistLink, list[str]]:
        config, warnings = _config({"dataset": "mnist", **query}, cls.OWN)
        if not config.images:
            warnings.append(f"dataset={config.dataset!r} is not image data; using mnist")
            config = config.replace(dataset="mnist")
        try:
            return cls(config, int(query.get("epochs", 1))), warnings
        except (ValueError, ConfigError) as error:
            warnings.append(f"epochs={query.get('epochs')!r} is not valid ({error}); using 1")
            return cls(config), warnings


def format_values(field_name: str, values: list) -> tuple[str, ...]:
    """Native values of a field as the text forms a link carries."""
    return tuple(format_value(field_name, value) for value in values)
