"""Checking what people type before it is sent: `q` syntax (to point at the error
as they type) and the `start` / `end` dates."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from luqum.exceptions import IllegalCharacterError, ParseError
from luqum.parser import parser

from spstui.api.dates import resolve_date

_LOCK = threading.Lock()  # luqum's parser is shared state
_AT = re.compile(r"position (\d+)")
_TOKEN = re.compile(r"unexpected\s+'(.*)' at position")
_ILLEGAL = re.compile(r"Illegal character '(.*)' at position")
ENDS_EARLY = ("the query ends too early (an unclosed parenthesis or quote, or a dangling "
              "AND/OR?)")
DATE_FORMS = "use an ISO date, -24h, -7d or today"


@dataclass(frozen=True)
class QueryProblem:
    """Where a query stops parsing and why.

    `position` is the 0-based index into the query where it breaks (the query's
    length when it ends too early), or None when the parser did not say."""

    message: str
    position: int | None = None

    @property
    def column(self) -> int | None:
        return None if self.position is None else self.position + 1

    def __str__(self) -> str:
        if self.position is None or self.message == ENDS_EARLY:
            return self.message
        return f"syntax error at column {self.column}: {self.message}"


def find_problem(q: str) -> QueryProblem | None:
    """None when q parses; otherwise what is wrong and where."""
    if not q.strip():
        return None
    try:
        with _LOCK:
            parser.parse(q)
    except ParseError as err:
        return _describe(q, err)
    return None


def query_problem(q: str) -> str | None:
    """None when q parses; otherwise a short message saying where it breaks."""
    problem = find_problem(q)
    return None if problem is None else str(problem)


def _describe(q: str, err: ParseError) -> QueryProblem:
    text = str(err)
    if "end of expression" in text:
        return QueryProblem(ENDS_EARLY, len(q))
    at = _AT.search(text)
    if at is None:
        return QueryProblem(f"syntax error: {text}")
    position = min(int(at.group(1)), len(q))
    illegal = _ILLEGAL.search(text) if isinstance(err, IllegalCharacterError) else None
    if illegal:
        fragment = illegal.group(1)
        hint = " (an unclosed quote?)" if fragment.startswith('"') else ""
        return QueryProblem(f"cannot read {_short(fragment)}{hint}", position)
    token = _TOKEN.search(text)
    if token and token.group(1):
        return QueryProblem(f"unexpected {_short(token.group(1))}", position)
    return QueryProblem("unexpected character", position)


def _short(fragment: str, limit: int = 20) -> str:
    return repr(fragment if len(fragment) <= limit else fragment[:limit] + "…")


class DateProblem(ValueError):
    """A start or end date that cannot be read; str() says which and why."""


def read_date(text: str, now: datetime | None = None) -> str:
    """`resolve_date`, refusing text that is neither a relative form nor ISO 8601
    (which the appliance would refuse later, less clearly)."""
    resolved = resolve_date(text, now)
    try:
        datetime.fromisoformat(resolved.replace("z", "Z"))
    except ValueError:
        raise DateProblem(f"cannot read {text.strip()!r} ({DATE_FORMS})") from None
    return resolved


def as_moment(resolved: str) -> datetime:
    """A date from `read_date` as an aware datetime (no zone means UTC)."""
    moment = datetime.fromisoformat(resolved.replace("z", "Z"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window_problem(start: str | None, end: str | None) -> str | None:
    """A message when both dates are given and the end is before the start."""
    if start and end and as_moment(end) < as_moment(start):
        return f"end ({end}) is before start ({start})"
    return None
