"""Every text the playground shows, in Korean and English.

Texts live in one place per language: `playground/texts/<lang>/<section>.toml`. A key is
`<section>.<name>` (nested tables add dots), e.g. `t("playground.title")`. Values are
`str.format` templates: `t("lessons.idea", n=1)`. Korean keeps the English technical
term in brackets, as the course does: 활성화 함수 (activation function).

The engine's messages are `problem.<code>` (see playground/problems.py): their English is
the engine's own (`engine.core.problems.ENGLISH`, also what the CLI prints), not repeated
here; their Korean is texts/ko/problem.toml.

A key missing from the chosen language falls back to English (and a test fails on it);
a key missing from English raises `KeyError`, so a typo never reaches a page silently.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from engine.core.problems import ENGLISH

TEXTS = Path(__file__).with_name("texts")
LANGUAGES = {"ko": "한국어", "en": "English"}
DEFAULT_LANGUAGE = "en"
STATE_KEY = "lang"


def _flatten(table: dict[str, Any], prefix: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


@cache
def catalog(lang: str) -> dict[str, Any]:
    """All texts of one language, by dotted key."""
    texts: dict[str, Any] = {f"problem.{code}": template for code, template in ENGLISH.items()} if lang == "en" else {}
    for path in sorted((TEXTS / lang).glob("*.toml")):
        with path.open("rb") as file:
            texts.update(_flatten(tomllib.load(file), f"{path.stem}."))
    return texts


def current_language() -> str:
    """The session's language (English outside a Streamlit session, e.g. in plain tests)."""
    try:
        import streamlit as st

        lang = st.session_state.get(STATE_KEY, DEFAULT_LANGUAGE)
    except Exception:  # no Streamlit runtime
        return DEFAULT_LANGUAGE
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, lang: str | None = None) -> Any:
    """The raw value (a string, or a list for choices) of `key` in `lang`."""
    lang = lang or current_language()
    value = catalog(lang).get(key)
    return catalog(DEFAULT_LANGUAGE)[key] if value is None else value


def t(key: str, lang: str | None = None, **values: Any) -> str:
    """The text of `key` in the session's language, filled in with `values`."""
    template = text(key, lang)
    return template.format(**values) if values else template


def language_from(query_lang: str | None, locale: str | None) -> str:
    """`lang=ko|en` from the URL wins; else the browser's language if we have it; else English."""
    if query_lang in LANGUAGES:
        return query_lang
    if locale and locale.split("-")[0].lower() in LANGUAGES:
        return locale.split("-")[0].lower()
    return DEFAULT_LANGUAGE
