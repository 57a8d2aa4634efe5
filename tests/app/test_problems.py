"""The engine's messages on a page: every code in Korean and English, and text from a link shown as text."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.config import ConfigError, RunConfig
from engine.core.problems import ENGLISH, Name, Names, Problem, names
from engine.course.links import CompareLink, MnistLink, RaceLink, playground_config
from playground import i18n
from playground.problems import MAX_SHOWN, say
from tests.course.queries import COMPARE_KEYS, MNIST_KEYS, RACE_KEYS, queries


def placeholders(template: str) -> set[str]:
    return set(re.findall(r"{(\w+)[^}]*}", template))


def korean() -> dict[str, str]:
    return {key.removeprefix("problem."): text for key, text in i18n.catalog("ko").items() if key.startswith("problem.")}


def code_spans(markdown: str) -> list[str]:
    return re.findall(r"`([^`]*)`", markdown)


def outside_code(markdown: str) -> str:
    return re.sub(r"`[^`]*`", "", markdown)


def test_every_engine_code_has_a_korean_text_and_no_other():
    assert sorted(set(ENGLISH) - set(korean())) == [], "missing in playground/texts/ko/problem.toml"
    assert sorted(set(korean()) - set(ENGLISH)) == [], "not a code of engine/core/problems.py"


def test_korean_and_english_fill_in_exactly_the_same_values():
    wrong = {code: (placeholders(ENGLISH[code]), placeholders(text)) for code, text in korean().items()
             if code in ENGLISH and placeholders(ENGLISH[code]) != placeholders(text)}
    assert wrong == {}


def test_english_on_a_page_is_the_engines_own():
    assert i18n.text("problem.range", "en") == ENGLISH["range"]


def test_a_config_error_is_said_in_the_sessions_language():
    with pytest.raises(ConfigError) as caught:
        RunConfig(n_points=3)
    assert say(caught.value, "en") == "`n_points` must be a whole number from 10 to 5000, got 3"
    assert say(caught.value, "ko") == "`n_points` 값은 10부터 5000까지의 정수여야 합니다. 받은 값: 3"


def test_a_message_inside_a_message_is_said_in_the_same_language():
    _, (warning,) = RunConfig.from_query({"noise": "loud"})
    said = say(warning, "ko")
    assert "숫자여야 합니다" in said and "`loud`" in said and "expected" not in said


@pytest.mark.parametrize("value", [
    "[Sign in again](https://example.com/login)",
    "![x](https://example.com/x.png)",
    "# Heading\n\n## More",
    "`code` and ``more``",
    ":red[alarm] $x^2$ <b>bold</b> **strong**",
    "line\nbreak\u202eRTL\u200bzero-width",
])
def test_text_from_a_link_is_one_inline_code_span_and_nothing_else(value):
    said = say(Problem("unknown_settings_ignored", {"names": Names([value])}), "en")
    assert outside_code(said) == "unknown setting(s)  ignored"
    (shown,) = code_spans(said)
    assert "\n" not in said and "\u202e" not in said and "\u200b" not in said


def test_a_long_value_is_cut_to_a_few_dozen_characters():
    said = say(Problem("invalid_setting", {"name": Name("noise"), "value": "x" * 10_000,
                                           "problem": Problem("parse_number", {"value": "x" * 10_000})}), "en")
    assert all(len(span) <= MAX_SHOWN for span in code_spans(said)) and said.count("…") == 2
    assert len(said) < 300


def test_a_long_list_from_a_link_shows_its_first_items_and_the_engines_choices_in_full():
    many = say(Problem("unknown_settings_ignored", {"names": Names(f"key{i}" for i in range(1000))}), "en")
    assert len(code_spans(many)) == 10 and many.count("…") == 1
    choices = say(Problem("one_of", {"name": Name("x"), "choices": names(range(20)), "value": 99}), "en")
    assert choices.count(", ") == 19 and "…" not in choices


def test_an_empty_value_is_still_seen():
    assert '`""`' in say(Problem("parse_number", {"value": ""}), "en")


def test_plain_text_is_shown_as_text():
    said = say("bad [link](https://example.com)", "en")
    assert outside_code(said) == "" and code_spans(said) == ["bad [link](https://example.com)"]


READERS = [RunConfig.from_query, playground_config, CompareLink.from_query, RaceLink.from_query, MnistLink.from_query]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(READERS), queries(COMPARE_KEYS | RACE_KEYS | MNIST_KEYS), st.sampled_from(sorted(i18n.LANGUAGES)))
def test_any_links_warnings_are_said_on_one_line_with_its_text_as_short_code(read, query, lang):
    _, warnings = read(query)
    for warning in warnings:
        said = say(warning, lang)
        assert "\n" not in said and len(said) < 2_000
        assert all(len(span) <= MAX_SHOWN for span in code_spans(said))
        assert not re.search(r"\]\(|!\[|https?:|^#", outside_code(said))
