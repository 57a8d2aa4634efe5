"""Links anyone can paste: what a page could not use is said once, as text, in the page's language,
and no link gives a traceback. Driven by Streamlit's AppTest (no browser)."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from playground.urls import APP_KEYS

HANGUL = re.compile("[\uac00-\ud7a3]")
INJECTED_LINK = "[Sign in again](https://example.com/login)"


def warnings(at: AppTest) -> list[str]:
    return [warning.value for warning in at.warning]


def outside_code(markdown: str) -> str:
    """The Markdown that is not inline code: what a browser would render as Markdown."""
    return re.sub(r"`[^`]*`", "", markdown)


def test_a_link_in_a_value_is_shown_as_its_words_not_as_a_link(open_page):
    at = open_page("race", {"surface": INJECTED_LINK})
    (warning,) = warnings(at)
    assert f"`{INJECTED_LINK}`" in warning
    assert "](" not in outside_code(warning) and "Sign in" not in outside_code(warning)
    assert "example.com" not in outside_code(warning)


def test_a_crafted_key_makes_no_heading_and_no_image(open_page):
    at = open_page("compare", {"\n# You have been logged out\n![x](https://example.com/x.png)": "1"})
    (warning,) = warnings(at)
    shown = outside_code(warning)
    assert "#" not in shown and "![" not in shown and "\n" not in warning
    assert "logged out" in warning  # said, as text


def test_a_ten_thousand_character_value_is_cut_short(open_page):
    at = open_page("compare", {"noise": "9" * 10_000})
    (warning,) = warnings(at)
    assert "…" in warning and len(warning) < 600


@pytest.mark.parametrize(("page", "query", "named"), [
    ("race", {"lang": "xx"}, "`xx`"),
    ("race", {"present": "2"}, "`2`"),
    ("race", {"lesson": "bogus"}, "`bogus`"),
    ("race", {"lesson": "perceptron"}, "another page"),
    ("lessons", {"zoom": "2"}, "`zoom`"),
    ("lessons", {"lesson": "perceptron"}, "another page"),
    ("backprop", {"zoom": "2"}, "`zoom`"),
    ("playground", {"model": "softmax", "hidden_sizes": "4,4"}, "hidden"),
], ids=["lang", "present", "unknown-lesson", "other-page-lesson", "lessons-key", "lessons-lesson", "backprop-key",
        "softmax-hidden"])
def test_each_silent_fallback_gives_one_warning(open_page, page, query, named):
    at = open_page(page, query)
    (warning,) = warnings(at)
    assert named in warning


def test_a_fallback_is_said_once_and_the_address_bar_drops_it(open_page):
    at = open_page("lessons", {"lang": "xx", "present": "maybe", "zoom": "2"})
    assert len(warnings(at)) == 3
    assert at.query_params["lang"] in ("en", ["en"]) and "present" not in at.query_params and "zoom" not in at.query_params
    at.run()
    assert warnings(at) == []


def test_link_warnings_are_said_in_korean_with_the_value_as_text(open_page):
    at = open_page("race", {"steps": "ten"}, lang="ko")
    (warning,) = warnings(at)
    assert HANGUL.search(warning) and "`ten`" in warning


@pytest.mark.parametrize("query", [{"dataset": "mnist"}, {"dataset": "mnist", "model": "cnn"},
                                   {"dataset": "mnist", "present": "1"}], ids=["mnist", "cnn", "present"])
def test_the_2d_page_falls_back_to_2d_data_from_an_image_link(open_page, query):
    at = open_page("playground", query)  # no exception (the fixture checks)
    assert at.session_state["cfg.dataset"] != "mnist"
    assert any("`mnist`" in warning and "2D" in warning for warning in warnings(at))


@pytest.mark.parametrize("query", [{"vary": "dataset", "values": "xor|mnist"}, {"dataset": "mnist"}],
                         ids=["varied", "base"])
def test_compare_leaves_image_data_out_with_a_warning(open_page, query):
    at = open_page("compare", query)  # no exception (the fixture checks)
    assert at.session_state["cfg.dataset"] != "mnist"
    assert any("`mnist`" in warning for warning in warnings(at))


@pytest.mark.parametrize("page", ["playground", "compare", "race", "mnist", "backprop", "lessons"])
def test_the_link_a_page_writes_reads_back_without_a_warning(open_page, page):
    written = open_page(page).query_params
    query = {name: value for name, value in written.items() if name not in APP_KEYS}
    at = open_page(page, query)
    assert warnings(at) == []


@pytest.mark.parametrize(("page", "query"), [("playground", {"dropout": "0.95"}),
                                             ("compare", {"dropout": "0.95", "vary": "optimizer", "values": "sgd|adam"})])
def test_a_value_beyond_the_sidebars_range_but_valid_keeps_its_widget(open_page, page, query):
    at = open_page(page, query)  # no exception (the fixture checks): the slider reaches the link's value
    assert warnings(at) == [] and at.slider(key="cfg.dropout").max >= 0.95
