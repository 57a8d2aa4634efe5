"""Every text exists in Korean and English, and every key the code asks for exists."""

import ast
import re
from pathlib import Path

import pytest

from playground import i18n, labels

ROOT = Path(__file__).resolve().parents[2]


def placeholders(value) -> set[str]:
    texts = value if isinstance(value, list) else [value]
    return {name for text in texts if isinstance(text, str) for name in re.findall(r"{(\w+)[^}]*}", text)}


def test_both_languages_have_the_same_keys():
    english, korean = i18n.catalog("en"), i18n.catalog("ko")
    assert sorted(set(english) - set(korean)) == [], "missing in Korean"
    assert sorted(set(korean) - set(english)) == [], "missing in English"


def test_both_languages_fill_in_the_same_values():
    english, korean = i18n.catalog("en"), i18n.catalog("ko")
    wrong = [key for key in english if placeholders(english[key]) != placeholders(korean.get(key, english[key]))]
    assert wrong == []


def test_lists_of_choices_have_the_same_length():
    english, korean = i18n.catalog("en"), i18n.catalog("ko")
    wrong = [key for key, value in english.items() if isinstance(value, list) and len(value) != len(korean[key])]
    assert wrong == []


def keys_used_in_code() -> set[str]:
    """Literal keys passed to t(...) or text(...) anywhere in the playground."""
    used = set()
    for path in (ROOT / "playground").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("t", "text")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                used.add(node.args[0].value)
    return used


def test_every_key_the_code_uses_exists():
    assert keys_used_in_code(), "the scan found no t(...) calls"
    assert sorted(keys_used_in_code() - set(i18n.catalog("en"))) == []


@pytest.mark.parametrize("table", [labels.DATASETS, labels.ACTIVATIONS, labels.INITS, labels.OPTIMIZERS, labels.FIELDS])
def test_every_engine_name_has_a_label_in_both_languages(table):
    for name in table:
        for lang in i18n.LANGUAGES:
            assert i18n.catalog(lang)[f"label.{table._section}.{name}"]


def test_korean_labels_keep_the_english_term():
    assert i18n.t("label.field.activation", lang="ko") == "활성화 함수 (activation function)"


@pytest.mark.parametrize(("query", "locale", "expected"), [
    ("ko", "en-US", "ko"), ("en", "ko-KR", "en"), (None, "ko-KR", "ko"), ("xx", "de-DE", "en"), (None, None, "en"),
])
def test_language_from_link_then_browser_then_english(query, locale, expected):
    assert i18n.language_from(query, locale) == expected
