"""Links to Compare and the optimizer race: settings to URL parameters and back, leniently."""

import pytest

from engine import ConfigError, RunConfig
from engine.course.links import MAX_RACE_STEPS, CompareLink, RaceLink
from engine.experiments.race import SURFACES


@pytest.mark.parametrize("link", [
    CompareLink(),
    CompareLink(RunConfig(dataset="xor"), "hidden_sizes", ("", "4")),
    CompareLink(RunConfig(dataset="moons", hidden_sizes=(8, 8)), "batch_size", ("10", "full"), seeds=4, align="epochs"),
    CompareLink(RunConfig(), "learning_rate", ("0.001", "0.1", "3"), seeds=16),
])
def test_a_compare_link_reads_back_as_the_same_comparison(link):
    assert CompareLink.from_query(link.to_query()) == (link, [])


def test_the_default_comparison_leaves_its_own_settings_out_of_the_link():
    assert CompareLink().to_query() == RunConfig().to_query()
    query = CompareLink(align="epochs").to_query()
    assert query["align"] == "epochs" and "vary" not in query and "seeds" not in query


def test_hidden_sizes_values_keep_their_commas_and_the_empty_perceptron():
    link, warnings = CompareLink.from_query({"dataset": "xor", "vary": "hidden_sizes", "values": "|4|8,8"})
    assert warnings == []
    assert link.base.dataset == "xor" and link.values == ("", "4", "8,8")
    assert [run.config.hidden_sizes for run in link.comparison().runs] == [(), (4,), (8, 8)]


def test_the_comparison_keeps_the_links_alignment_and_seeds():
    comparison = CompareLink(RunConfig(dataset="xor"), "batch_size", ("10", "full"), seeds=4, align="epochs").comparison()
    assert comparison.align == "epochs"
    assert [seeds.n_seeds for seeds in comparison.seed_runs] == [4, 4]


@pytest.mark.parametrize(("query", "expected", "warned"), [
    ({"vary": "colour", "values": "red|blue"}, ("activation", ("sigmoid", "relu")), "colour"),
    ({"vary": "activation", "values": "relu|swish|tanh"}, ("activation", ("relu", "tanh")), "swish"),
    ({"vary": "activation", "values": "relu"}, ("activation", ("sigmoid", "relu")), "2 to 4"),
    ({"vary": "learning_rate", "values": "0.1|0.10"}, ("activation", ("sigmoid", "relu")), "2 to 4"),
    ({"vary": "hidden_sizes"}, ("activation", ("sigmoid", "relu")), "needs values"),
    ({"values": "tanh|gelu"}, ("activation", ("tanh", "gelu")), None),
])
def test_a_bad_variation_is_left_out_with_a_warning(query, expected, warned):
    link, warnings = CompareLink.from_query(query)
    assert (link.vary, link.values) == expected
    if warned is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warned in str(warnings[0])


@pytest.mark.parametrize(("name", "value"), [("seeds", "3"), ("seeds", "many"), ("align", "seconds")])
def test_bad_seeds_or_alignment_fall_back_to_the_default_with_a_warning(name, value):
    link, warnings = CompareLink.from_query({"vary": "optimizer", "values": "sgd|adam", name: value})
    assert (link.vary, link.values, link.seeds, link.align) == ("optimizer", ("sgd", "adam"), 1, "steps")
    assert len(warnings) == 1 and str(warnings[0]).startswith(f"{name}={value!r}")


def test_a_bad_base_setting_warns_and_keeps_the_variation():
    link, warnings = CompareLink.from_query({"noise": "loud", "vary": "optimizer", "values": "sgd|adam"})
    assert link.base.noise == RunConfig().noise and link.values == ("sgd", "adam")
    assert len(warnings) == 1 and "noise" in str(warnings[0])


def test_a_compare_link_rejects_what_cannot_be_compared():
    with pytest.raises(ConfigError, match="differ"):
        CompareLink(vary="activation", values=("relu", "relu"))
    with pytest.raises(ConfigError, match="seeds"):
        CompareLink(seeds=5)
    with pytest.raises(ConfigError, match="align"):
        CompareLink(align="time")


@pytest.mark.parametrize("link", [
    RaceLink(),
    RaceLink("rosenbrock"),
    RaceLink("saddle", start=(0.25, -0.015625), steps=250),
    RaceLink("beale", rates={"sgd": 0.0123456789, "adam": 0.2}),
    RaceLink("himmelblau", start=(-4.0, 4.5), steps=1000, rates={"nadam": 1e-05, "momentum": 100.0}),
])
def test_a_race_link_reads_back_as_the_same_race(link):
    assert RaceLink.from_query(link.to_query()) == (link, [])


def test_a_race_link_holds_only_what_differs_from_the_surfaces_own_story():
    assert RaceLink().to_query() == {}
    assert RaceLink("rosenbrock").to_query() == {"surface": "rosenbrock"}
    own_adam = SURFACES["rosenbrock"].rates["adam"]
    query = RaceLink("rosenbrock", rates={"sgd": 0.001, "adam": own_adam}).to_query()
    assert query == {"surface": "rosenbrock", "opt": "sgd,adam", "lr_sgd": "0.001"}


def test_optimizers_named_without_rates_take_the_surfaces_rates():
    link, warnings = RaceLink.from_query({"surface": "rosenbrock", "opt": "sgd,adam"})
    assert warnings == []
    assert link.rates == {"sgd": SURFACES["rosenbrock"].rates["sgd"], "adam": SURFACES["rosenbrock"].rates["adam"]}
    assert (link.start, link.steps) == (SURFACES["rosenbrock"].start, SURFACES["rosenbrock"].steps)


@pytest.mark.parametrize(("query", "warned"), [
    ({"surface": "volcano"}, "volcano"),
    ({"x": "1.5"}, "start point"),
    ({"x": "100", "y": "0"}, "on the map"),
    ({"x": "nan", "y": "0"}, "on the map"),
    ({"steps": "5"}, "steps"),
    ({"steps": str(MAX_RACE_STEPS + 1)}, "steps"),
    ({"steps": "ten"}, "steps"),
    ({"opt": "sgd,teleport"}, "teleport"),
    ({"opt": "sgd", "lr_sgd": "-1"}, "lr_sgd"),
    ({"opt": "sgd", "lr_sgd": "fast"}, "lr_sgd"),
    ({"opt": ","}, "no optimizer"),
    ({"speed": "11"}, "speed"),
])
def test_a_bad_race_value_gives_a_warning_and_a_race_that_runs(query, warned):
    link, warnings = RaceLink.from_query(query)
    assert len(warnings) == 1 and warned in str(warnings[0])
    surface = SURFACES[link.surface]
    assert link.steps == surface.steps and link.start == surface.start
    assert link.rates and all(0 < rate <= 100 for rate in link.rates.values())


def test_a_bad_rate_keeps_the_optimizer_at_the_surfaces_rate():
    link, _ = RaceLink.from_query({"surface": "beale", "opt": "sgd,adam", "lr_adam": "0"})
    assert link.rates == {"sgd": SURFACES["beale"].rates["sgd"], "adam": SURFACES["beale"].rates["adam"]}


def test_a_race_link_rejects_a_start_off_the_map_and_steps_out_of_range():
    with pytest.raises(ConfigError, match="on the map"):
        RaceLink("saddle", start=(0.0, 3.0))
    with pytest.raises(ConfigError, match="steps"):
        RaceLink(steps=0)
    with pytest.raises(ConfigError, match="optimizers"):
        RaceLink(rates={})
