"""The appliance's `q` language, evaluated offline over cached session rows.

An expression is parsed with luqum and compiled to an SQL condition over the
normalised columns of the `sessions` table (alias `s`), so filtering, sorting
and paging all run inside SQLite. This is a separate implementation from the
simulator's on purpose: tests compare the two, so they must not share code.

What a term means depends on its field's kind:

- keyword: the whole value, case-insensitive, `*` and `?` wildcards in
  unquoted words (a quoted phrase is literal);
- verdict: a keyword compared in its documented spelling (ACCEPT == Accepted
  == accept);
- int and date: equality and [ ] { } ranges with TO and `*`; dates are epoch
  seconds or ISO 8601, and cover their precision (a date alone: the whole day);
- bool: true / false;
- screen.content: full-text search over the session's cached events.

`field:*` on any field means "has a value". A missing value never matches a
term, so `NOT name:x` keeps sessions without a name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser

from spstui.api.verdicts import normalize
from spstui.cache import dates, fulltext
from spstui.cache.fields import CONTENT_FIELD, FILTERABLE, Column, filter_column, sort_column
from spstui.cache.rows import keyword
from spstui.cache.sql import MATCH_ALL, Condition
from spstui.cache.terms import (
    Wildcard,
    glob_pattern,
    has_wildcard,
    literal_text,
    phrase_text,
    split_word,
    unescape,
)

# luqum's parser (ply) keeps state between calls: one parse at a time.
_PARSE_LOCK = threading.Lock()
DEFAULT_SORT = ("-start_time",)


class OfflineQueryError(ValueError):
    """A query the offline evaluator cannot run; the message says why for a person,
    `field` names the field concerned when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def compile_query(q: str) -> Condition:
    """The condition for a `q` expression; every term needs a field."""
    return _Compiler(default_field=None).compile_text(q)


def compile_content(content: str) -> Condition:
    """The condition for `content=`: unfielded terms search screen content."""
    return _Compiler(default_field=CONTENT_FIELD).compile_text(content)


def start_condition(start: str) -> Condition:
    """`start=`: sessions that started at or after the moment."""
    low, _ = _date_window(start, "start")
    return Condition("IFNULL(s.start_time >= ?, 0)", (low,))


def end_condition(end: str) -> Condition:
    """`end=`: sessions that ended before the moment; a date alone means before
    the end of that day."""
    low, high = _date_window(end, "end")
    return Condition("IFNULL(s.end_time < ?, 0)", (high if dates.is_date_only(end) else low,))


def order_by(sort: Sequence[str]) -> str:
    """An ORDER BY list for the appliance's `sort` (comma-separated, `-` for
    descending); newest start first by default, missing values last."""
    names = [part.strip() for item in sort for part in item.split(",") if part.strip()]
    terms: list[str] = []
    for name in names or DEFAULT_SORT:
        descending = name.startswith("-")
        bare = name.lstrip("+-").strip()
        col = sort_column(bare)
        if col is None:
            raise OfflineQueryError(f"cannot sort by unknown field '{bare}'", bare)
        terms.append(f"(s.{col.column} IS NULL), s.{col.column} {'DESC' if descending else 'ASC'}")
    terms.append("s.key ASC")  # a stable order for paging
    return ", ".join(terms)


def _date_window(text: str, field: str) -> tuple[float, float]:
    try:
        return dates.window(text)
    except dates.DateError as err:
        raise OfflineQueryError(f"{field}: {err}", field) from None


def _and(parts: Sequence[Condition]) -> Condition:
    return _join(parts, " AND ")


def _or(parts: Sequence[Condition]) -> Condition:
    return _join(parts, " OR ")


def _join(parts: Sequence[Condition], word: str) -> Condition:
    if len(parts) == 1:
        return parts[0]
    return Condition("(" + word.join(p.sql for p in parts) + ")",
                     tuple(v for p in parts for v in p.params))


def _not(part: Condition) -> Condition:
    return Condition(f"(NOT {part.sql})", part.params)


def _leaf(sql: str, *params: object) -> Condition:
    # NULL (a missing value) counts as "no match", so NOT stays two-valued.
    return Condition(f"IFNULL({sql}, 0)", params)


class _Compiler:
    def __init__(self, default_field: str | None) -> None:
        self.default_field = default_field

    def compile_text(self, text: str) -> Condition:
        if not text.strip():
            return MATCH_ALL
        try:
            with _PARSE_LOCK:
                node = parser.parse(text)
        except ParseError as err:
            raise OfflineQueryError(f"cannot parse the query '{text}': {err}") from None
        return self.node(node, None)

    def node(self, node: object, field: str | None) -> Condition:
        if isinstance(node, tree.SearchField):
            return self.search_field(node, field)
        if isinstance(node, tree.Group | tree.FieldGroup | tree.Boost):
            return self.node(node.expr, field)
        if isinstance(node, tree.Not | tree.Prohibit):
            return _not(self.node(node.a, field))
        if isinstance(node, tree.Plus):
            return self.node(node.a, field)
        if isinstance(node, tree.AndOperation):
            return _and([self.node(child, field) for child in node.children])
        if isinstance(node, tree.OrOperation | tree.UnknownOperation):
            return self.either(node.children, field)
        if isinstance(node, tree.Word | tree.Phrase | tree.Range | tree.From | tree.To):
            term_field = field or self.default_field
            if term_field is None:
                raise OfflineQueryError(
                    f"'{node}' has no field: write it as field:value "
                    f"(filterable fields: {', '.join(sorted(FILTERABLE))})")
            return self.term(node, term_field)
        if isinstance(node, tree.Regex):
            raise OfflineQueryError(
                f"'{node}' reads as a regular expression, which is not supported offline: "
                "quote the value or escape / as \\/", field)
        if isinstance(node, tree.Fuzzy | tree.Proximity):
            raise OfflineQueryError(f"'{node}': fuzzy and proximity searches are not "
                                    "supported offline", field)
        raise OfflineQueryError(f"'{node}' is not supported in an offline search", field)

    def search_field(self, node: tree.SearchField, outer: str | None) -> Condition:
        name = str(node.name)
        if outer is not None:
            raise OfflineQueryError(f"field '{name}' cannot be nested inside field '{outer}'",
                                    name)
        if name != CONTENT_FIELD and filter_column(name) is None:
            raise OfflineQueryError(
                f"unknown field '{name}' (filterable fields: "
                f"{', '.join(sorted((*FILTERABLE, CONTENT_FIELD)))})", name)
        return self.node(node.expr, name)

    def either(self, children: Sequence[object], field: str | None) -> Condition:
        """OR, and the implicit operator: Lucene's must / should / must-not."""
        must = [self.node(c.a, field) for c in children if isinstance(c, tree.Plus)]
        must_not = [self.node(c.a, field) for c in children if isinstance(c, tree.Prohibit)]
        should = [self.node(c, field) for c in children
                  if not isinstance(c, tree.Plus | tree.Prohibit)]
        if not must and not must_not:
            return _or(should)
        parts = must + [_not(c) for c in must_not]
        if should and not must:
            parts.append(_or(should))
        return _and(parts)

    def term(self, node: object, field: str) -> Condition:
        if field == CONTENT_FIELD:
            return self.content(node)
        col = filter_column(field)
        assert col is not None  # checked by search_field
        if isinstance(node, tree.Word) and split_word(node.value) == [Wildcard.STAR]:
            return Condition(f"(s.{col.column} IS NOT NULL)")
        if col.kind in ("keyword", "verdict"):
            return self.keyword(node, field, col)
        if col.kind == "bool":
            return self.boolean(node, field, col)
        parse = self.number if col.kind == "int" else self.date
        if isinstance(node, tree.Range | tree.From | tree.To):
            if isinstance(node, tree.Range):
                sides = [*self.bound(node.low, field, col, parse, above=True,
                                     inclusive=node.include_low),
                         *self.bound(node.high, field, col, parse, above=False,
                                     inclusive=node.include_high)]
            else:
                sides = self.bound(node.a, field, col, parse, above=isinstance(node, tree.From),
                                   inclusive=node.include)
            # [* TO *] asks for any value, like field:*.
            return _and(sides) if sides else Condition(f"(s.{col.column} IS NOT NULL)")
        low, high = parse(node, field)
        if col.kind == "int":
            return _leaf(f"s.{col.column} = ?", low)
        return _leaf(f"(s.{col.column} >= ? AND s.{col.column} < ?)", low, high)

    def bound(self, node: object, field: str, col: Column,
              parse: Callable[[object, str], tuple[float, float]], *, above: bool,
              inclusive: bool) -> list[Condition]:
        """One side of a range; an open side (`*`) adds nothing."""
        if isinstance(node, tree.Word) and node.value == "*":
            return []
        low, high = parse(node, field)
        c = f"s.{col.column}"
        if col.kind == "int":
            op = (">=" if inclusive else ">") if above else ("<=" if inclusive else "<")
            return [_leaf(f"{c} {op} ?", low)]
        # A date covers [low, high): "from" it starts at low, or after high when
        # excluded; "up to" it ends at high, or before low when excluded.
        if above:
            return [_leaf(f"{c} >= ?", low if inclusive else high)]
        return [_leaf(f"{c} < ?", high if inclusive else low)]

    def number(self, node: object, field: str) -> tuple[float, float]:
        text = self.value_text(node, field)
        try:
            value = int(text)
        except ValueError:
            raise OfflineQueryError(f"{field}: '{text}' is not a whole number", field) from None
        return (value, value)

    def date(self, node: object, field: str) -> tuple[float, float]:
        return _date_window(self.value_text(node, field), field)

    def value_text(self, node: object, field: str) -> str:
        if isinstance(node, tree.Phrase):
            return phrase_text(node.value)
        if isinstance(node, tree.Word):
            pieces = split_word(node.value)
            if has_wildcard(pieces):
                raise OfflineQueryError(
                    f"{field}: wildcards work on text fields only ('{node.value}')", field)
            return literal_text(pieces)
        raise OfflineQueryError(f"{field}: '{node}' is not a value", field)

    def keyword(self, node: object, field: str, col: Column) -> Condition:
        # Verdicts: the documented spelling; wildcard runs fold case and "_" only.
        exact = normalize if col.kind == "verdict" else keyword
        runs = (lambda s: s.casefold().replace("_", "-")) if col.kind == "verdict" else keyword
        c = f"s.{col.column}"
        if isinstance(node, tree.Phrase):
            return _leaf(f"{c} = ?", exact(phrase_text(node.value)))
        if isinstance(node, tree.Word):
            pieces = split_word(node.value)
            if has_wildcard(pieces):
                return _leaf(f"{c} GLOB ?", glob_pattern(pieces, runs))
            return _leaf(f"{c} = ?", exact(unescape(node.value)))
        raise OfflineQueryError(
            f"{field}: ranges work on numbers and dates only, '{field}' is text", field)

    def boolean(self, node: object, field: str, col: Column) -> Condition:
        text = self.value_text(node, field).strip().lower()
        if text not in ("true", "false"):
            raise OfflineQueryError(f"{field}: '{text}' is not true or false", field)
        return _leaf(f"s.{col.column} = ?", int(text == "true"))

    def content(self, node: object) -> Condition:
        try:
            if isinstance(node, tree.Phrase):
                found = fulltext.phrase_condition(phrase_text(node.value))
            elif isinstance(node, tree.Word):
                found = fulltext.term_condition(split_word(node.value))
            else:
                raise ValueError(f"'{node}' is not a word or a phrase")
        except ValueError as err:
            raise OfflineQueryError(f"{CONTENT_FIELD}: {err}", CONTENT_FIELD) from None
        return found
