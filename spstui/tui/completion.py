"""Completing the word being typed at the end of a `q` query: field names, and after
`field:` the values that field is known to take."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.suggester import Suggester

from spstui.api.verdicts import DOCUMENTED as VERDICTS
from spstui.cache.fields import CONTENT_FIELD, FILTERABLE

# The most used fields first: a ghost completion shows only the first match.
_FIRST = ("protocol", "verdict", "name", "server_username", "client.address",
          "server.address", "target.address", "active", "start_time", "end_time",
          "session_id")
FIELDS: tuple[str, ...] = (*_FIRST, *sorted(set(FILTERABLE) - set(_FIRST)), CONTENT_FIELD)
# The connection types the guide covers, the common ones first.
PROTOCOLS = ("ssh", "rdp", "telnet", "vnc", "http", "ica", "mssql")
BOOLEANS = ("true", "false")
VALUES: dict[str, tuple[str, ...]] = {
    "protocol": PROTOCOLS,
    "verdict": VERDICTS,
    "active": BOOLEANS,
}
# Characters that end a word in Lucene syntax (a value may hold `.`, `-`, `*`, `?`).
_WORD = re.compile(r"[^\s()\"':\[\]{}^~]*$")
_FIELD_BEFORE = re.compile(r"([\w.]+):$")


@dataclass(frozen=True)
class Candidates:
    """What the word at the end of a query could become."""

    label: str  # "fields" or "<field> values"
    word: str  # the partial word being completed
    items: tuple[str, ...]  # matches, best first
    suffix: str = ""  # added after a completed word (":" after a field name)


def candidates(text: str) -> Candidates | None:
    """The completions for the word at the end of `text`; None inside quotes, ranges
    or after an unknown field."""
    if text.count('"') % 2:
        return None  # inside a quoted phrase: free text
    match = _WORD.search(text)
    assert match is not None  # the pattern matches the empty string at the end
    word = match.group().lstrip("+-!")  # required / prohibited marks are not the word
    before = text[: len(text) - len(word)]
    field = _value_field(before)
    if field is not None:
        known = VALUES.get(field)
        if known is None:
            return None
        return Candidates(f"{field} values", word, _matching(known, word))
    if before and not before[-1].isspace() and before[-1] not in "(+-!":
        return None  # right after a quote, bracket or other operator character
    return Candidates("fields", word, _matching(FIELDS, word), ":")


def complete(text: str) -> str | None:
    """`text` with its last word completed by the first candidate, or None when
    there is no word begun or nothing would be added."""
    found = candidates(text)
    if found is None or not found.word or not found.items:
        return None
    best = found.items[0] + found.suffix
    if len(best) <= len(found.word):
        return None
    return text[: len(text) - len(found.word)] + best


def _matching(options: tuple[str, ...], prefix: str) -> tuple[str, ...]:
    folded = prefix.casefold()
    return tuple(o for o in options if o.casefold().startswith(folded))


def _value_field(before: str) -> str | None:
    """The field whose value is being typed: `field:` right before the word, or
    `field:(` before an unclosed group holding it (`protocol:(ssh r`)."""
    direct = _FIELD_BEFORE.search(before)
    if direct:
        return direct.group(1)
    depth = 0
    for index in range(len(before) - 1, -1, -1):
        char = before[index]
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                group = _FIELD_BEFORE.search(before[:index])
                return group.group(1) if group else None
            depth -= 1
    return None


class QuerySuggester(Suggester):
    """Inline (ghost) completion for the `q` input; right arrow or tab accepts it."""

    def __init__(self) -> None:
        # Case-sensitive so the text before the word keeps its case (AND, OR, values):
        # matching itself ignores case.
        super().__init__(use_cache=True, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value)
