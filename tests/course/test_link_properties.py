"""Property-based: whatever a student pastes into a page's address or the CLI's flags, the result is a
valid run (with a warning for each thing left out) or the one clear error, never another exception;
and the link a page then writes reads back as the same settings without a warning."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import UsageError, _train_arguments
from engine.core.config import FIELDS, ConfigError, RunConfig, parse_value
from engine.core.mnist_data import MnistError
from engine.core.problems import ENGLISH, Problem
from engine.course.links import CompareLink, MnistLink, RaceLink, no_settings, playground_config
from tests.course.queries import COMPARE_KEYS, MNIST_KEYS, RACE_KEYS, VALUES, queries, train_flags

# Modest and deadline-free: each example builds a few dataclasses (an epoch count builds a trainer).
LINKS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def said(warnings: list[Problem]) -> None:
    """Every warning is a known message that can be said."""
    for warning in warnings:
        assert isinstance(warning, Problem) and warning.code in ENGLISH and warning.code != "text"
        assert str(warning)


@LINKS
@given(queries())
def test_any_2d_link_gives_a_config_and_warnings(query):
    config, warnings = RunConfig.from_query(query)
    said(warnings)
    assert RunConfig.from_query(config.to_query()) == (config, [])


@LINKS
@given(queries())
def test_any_link_to_the_2d_page_gives_a_run_on_2d_points(query):
    config, warnings = playground_config(query)
    said(warnings)
    assert not config.images
    assert playground_config(config.to_query()) == (config, [])


@LINKS
@given(queries(COMPARE_KEYS))
def test_any_compare_link_gives_runs_on_2d_points(query):
    link, warnings = CompareLink.from_query(query)
    said(warnings)
    runs = [link.base.replace(**{link.vary: parse_value(link.vary, value)}) for value in link.values]
    assert not any(run.images for run in runs)
    assert CompareLink.from_query(link.to_query()) == (link, [])


@LINKS
@given(queries(RACE_KEYS))
def test_any_race_link_gives_a_race(query):
    link, warnings = RaceLink.from_query(query)
    said(warnings)
    assert RaceLink.from_query(link.to_query()) == (link, [])


@LINKS
@given(queries(MNIST_KEYS))
def test_any_mnist_link_gives_a_run_on_images(query):
    link, warnings = MnistLink.from_query(query)
    said(warnings)
    assert link.config.images
    assert MnistLink.from_query(link.to_query()) == (link, [])


@LINKS
@given(queries())
def test_any_link_to_a_page_without_settings_gives_one_warning_at_most(query):
    warnings = no_settings(query)
    said(warnings)
    assert len(warnings) == (1 if query else 0)


@LINKS
@given(st.dictionaries(st.sampled_from(sorted(FIELDS)), VALUES, max_size=8))
def test_any_settings_make_a_config_or_the_one_clear_error(values):
    try:
        config = RunConfig.from_dict(values)
    except ConfigError as error:
        assert error.problem.code in ENGLISH and str(error) == str(error.problem)
    else:
        assert RunConfig.from_dict(config.to_query()) == config


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(train_flags())
def test_any_train_flags_make_a_run_or_the_one_clear_error(argv):
    try:
        _, config, steps, warnings = _train_arguments(argv)
    except (UsageError, ConfigError, MnistError) as error:
        assert str(error)
    else:
        assert isinstance(config, RunConfig) and steps >= 1
        said(warnings)
