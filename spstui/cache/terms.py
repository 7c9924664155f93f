"""Written search terms: backslash escapes, wildcards and quoted phrases.

luqum keeps a term as written; here it becomes literal text and wildcard
markers, so an escaped `\\*` stays a literal asterisk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum

_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


class Wildcard(Enum):
    STAR = "*"
    QUESTION = "?"


Piece = str | Wildcard


def split_word(written: str) -> list[Piece]:
    """Literal runs and wildcards of an unquoted word."""
    pieces: list[Piece] = []
    literal: list[str] = []
    chars = iter(written)
    for char in chars:
        if char == "\\":
            literal.append(next(chars, "\\"))
        elif char in "*?":
            if literal:
                pieces.append("".join(literal))
                literal = []
            pieces.append(Wildcard(char))
        else:
            literal.append(char)
    if literal:
        pieces.append("".join(literal))
    return pieces


def unescape(written: str) -> str:
    return _ESCAPE.sub(r"\1", written)


def phrase_text(written: str) -> str:
    """The text of a quoted phrase (quotes removed, escapes resolved)."""
    inner = written[1:-1] if len(written) >= 2 and written[0] == written[-1] == '"' else written
    return unescape(inner)


def has_wildcard(pieces: list[Piece]) -> bool:
    return any(isinstance(p, Wildcard) for p in pieces)


def literal_text(pieces: list[Piece]) -> str:
    return "".join(p for p in pieces if isinstance(p, str))


def glob_pattern(pieces: list[Piece], norm: Callable[[str], str]) -> str:
    """An SQLite GLOB pattern; literal runs normalised, GLOB's own specials escaped."""
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, Wildcard):
            out.append(piece.value)
        else:
            out.extend(f"[{c}]" if c in "*?[" else c for c in norm(piece))
    return "".join(out)
