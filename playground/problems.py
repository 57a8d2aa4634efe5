"""The engine's messages (`engine.core.problems`) said on a page, in the session's language.

    st.error(t("controls.invalid", error=say(error)))      # a ConfigError, a Problem or a plain string

A message's template is `problem.<code>`: Korean from playground/texts/ko/problem.toml, English
from the engine's own `ENGLISH` (playground.i18n reads it). Its parameters may come from a link
anyone can paste, so a page shows them as text, never as Markdown: every text parameter is
inline code, on one line, without backticks of its own, and cut to `MAX_SHOWN` characters;
`/playground?dataset=[Sign in again](https://example.com/login)` shows the link's words, not a
link, and a 10,000-character value shows its first few dozen. Numbers are shown as numbers.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from engine.core.problems import EngineError, Name, Names, Problem, english_value
from playground.i18n import text

MAX_SHOWN = 60  # characters of one text parameter; a longer one ends in "…"
MAX_LISTED = 10  # items of a list from a link (unknown settings, say); more end in "…"
MAX_MESSAGE = 300  # characters of a plain-text message (no code), shown whole as code
BACKTICK_STAND_IN = "ˋ"  # looks like a backtick but cannot close the inline code around it


def say(message: Problem | EngineError | str, lang: str | None = None) -> str:
    """`message` as Markdown in `lang` (default: the session's language), safe to show."""
    if isinstance(message, EngineError):
        message = message.problem
    if not isinstance(message, Problem):
        return _code(str(message), MAX_MESSAGE)
    return _said(message, lang)


def _said(problem: Problem, lang: str | None) -> str:
    values = _Params({name: _param(value, lang) for name, value in problem.params.items()})
    return text(f"problem.{problem.code}", lang).format_map(values)


class _Params(dict):
    """A template's values; a placeholder with no value shows "?" instead of failing the page."""

    def __missing__(self, key: str) -> str:
        return "?"


def _param(value: Any, lang: str | None) -> str:
    if isinstance(value, EngineError):
        value = value.problem
    if isinstance(value, Problem):
        return _said(value, lang)
    if isinstance(value, Names):  # the engine's own choices in full; what a link listed, its first few
        listed = len(value) if all(isinstance(item, (Name, int)) for item in value) else MAX_LISTED
        shown = [_param(item, lang) for item in value[:listed]]
        return ", ".join(shown + (["…"] if len(value) > listed else []))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _cut(english_value(value), MAX_SHOWN)
    if isinstance(value, Name) and "/" in value and len(value) > MAX_SHOWN:  # a long path: its end names the file
        return _code("…" + value[-(MAX_SHOWN - 1):], MAX_SHOWN)
    # Text (given or the engine's own), lists and anything else: as the code it is.
    return _code(str(value) if isinstance(value, (str, Name)) else english_value(value), MAX_SHOWN)


def _cut(words: str, limit: int) -> str:
    return words if len(words) <= limit else words[:limit - 1] + "…"


def _code(words: str, limit: int) -> str:
    """`words` as Markdown inline code on one line: control and invisible formatting characters
    become spaces, backticks a look-alike, and the whole is cut to `limit` characters."""
    shown = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in _cut(words, limit))
    shown = shown.replace("`", BACKTICK_STAND_IN)
    return f"`{shown}`" if shown.strip() else '`""`'
