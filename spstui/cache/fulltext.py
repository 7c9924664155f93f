"""Full-text search over cached events (SQLite FTS5).

Events are indexed with the unicode61 tokenizer: letters and digits make
tokens, everything else separates them, case and diacritics are folded. A
content term becomes an FTS5 expression; terms with `?` or inner `*` wildcards
(which FTS5 cannot express) narrow the candidates by their literal prefix and
are then confirmed by a regular expression over the event text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from spstui.cache.sql import MATCH_NONE, Condition
from spstui.cache.terms import Piece, Wildcard

TOKENIZER = "unicode61 remove_diacritics 2"
MATCH_FUNCTION = "spstui_content_match"
_TOKEN = r"[^\W_]"  # one character of a unicode61 token
_SEPARATOR = r"[\W_]+"


def event_text(item: Mapping[str, Any]) -> str:
    """The searchable text of one event: its content, and its action when the
    content does not already hold it."""
    body = item.get("body")
    event: Mapping[str, Any] = body if isinstance(body, Mapping) else item
    content = str(event.get("content") or "")
    action = str(event.get("action") or "")
    return content if action in content else f"{content}\n{action}".strip()


def fold(text: str) -> str:
    """Text as the tokenizer sees it: case-folded, without diacritics."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _has_token(text: str) -> bool:
    return re.search(_TOKEN, fold(text)) is not None


def phrase_condition(text: str) -> Condition:
    """A quoted phrase: its tokens next to each other, in order."""
    if not _has_token(text):
        return MATCH_NONE
    return _fts(_quote(text))


def term_condition(pieces: list[Piece]) -> Condition:
    """An unquoted word, possibly with wildcards."""
    wild = [i for i, piece in enumerate(pieces) if isinstance(piece, Wildcard)]
    literal = "".join(p for p in pieces if isinstance(p, str))
    if not wild:
        return phrase_condition(literal) if literal else MATCH_NONE
    prefix = "".join(p for p in pieces[: wild[0]] if isinstance(p, str))
    if not _has_token(prefix):
        raise ValueError("a content search term must not begin with a wildcard")
    if wild == [len(pieces) - 1] and pieces[-1] is Wildcard.STAR:
        return _fts(_quote(prefix) + " *")
    # FTS5 finds the candidates by the literal prefix; the pattern confirms them.
    return Condition(
        f"s.key IN (SELECT e.key FROM events_fts JOIN events e ON e.id = events_fts.rowid "
        f"WHERE events_fts MATCH ? AND {MATCH_FUNCTION}(?, e.text))",
        (_quote(prefix) + " *", _pattern(pieces)))


def _fts(expression: str) -> Condition:
    return Condition(
        "s.key IN (SELECT e.key FROM events_fts JOIN events e ON e.id = events_fts.rowid "
        "WHERE events_fts MATCH ?)",
        (expression,))


def _pattern(pieces: list[Piece]) -> str:
    parts: list[str] = []
    for piece in pieces:
        if piece is Wildcard.STAR:
            parts.append(f"{_TOKEN}*")
        elif piece is Wildcard.QUESTION:
            parts.append(_TOKEN)
        else:
            for char in fold(piece):
                is_token = re.fullmatch(_TOKEN, char) is not None
                if is_token:
                    parts.append(re.escape(char))
                elif not parts or parts[-1] != _SEPARATOR:
                    parts.append(_SEPARATOR)
    # Whole tokens only: no token character may touch either end.
    return f"(?<!{_TOKEN})" + "".join(parts) + f"(?!{_TOKEN})"


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def content_match(pattern: str, text: str | None) -> bool:
    """The SQL function confirming wildcard candidates."""
    return text is not None and _compiled(pattern).search(fold(text)) is not None
