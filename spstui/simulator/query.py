"""SPS's Lucene-style ``q`` filter language, evaluated over simulated documents.

SPS accepts ``?q=`` expressions such as ``protocol:ssh AND NOT verdict:deny``,
``protocol:(ssh rdp)``, ``name:?dmi*``, ``port:{21 TO 23}`` or
``screen.content:exam*``.  :func:`compile_query` parses such an expression once
(with ``luqum``), checks it against a table of the fields that may be filtered on,
and returns a plain predicate that a caller runs over each document through a
*getter* (field name -> value).

Field kinds and what a getter returns for them:

``keyword``
    ``str``, ``None`` or a list of ``str`` (matches if any element matches).  Whole
    value, case-insensitive equality; ``*`` and ``?`` wildcards in unquoted words.
``text``
    ``str``, a list of ``str``, or a :class:`TextProbe`.  Full-text search over
    lower-cased tokens (runs of ``\\w`` characters).
``int``
    ``int`` or ``None``.  Equality and ranges.
``bool``
    ``bool`` or ``None``.  ``true`` / ``false``.
``date``
    epoch seconds (``float``) or ``None``.  Equality and ranges; the written value
    denotes an interval (a whole second, or whatever the ``parse_date`` callback
    returns, such as a whole day for a date-only value).

``None`` never matches anything, so ``NOT field:x`` is true for a missing value.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser

__all__ = [
    "FieldKind",
    "FieldSpec",
    "Getter",
    "QueryError",
    "TextMatcher",
    "TextProbe",
    "compile_query",
    "required_terms",
]

FieldKind = Literal["keyword", "text", "int", "bool", "date"]

Getter = Callable[[str], object]
Predicate = Callable[[Getter], bool]


@dataclass(frozen=True)
class FieldSpec:
    """One field that may be filtered on."""

    name: str
    kind: FieldKind
    # Optional canonicaliser applied to BOTH the query value and the document value
    # before comparing keyword fields (e.g. verdict: "ACCEPT_TERMINATED" and
    # "accept-terminated" must compare equal).  For a wildcard value it is applied
    # to each literal run between the wildcards.
    normalize: Callable[[str], str] | None = None


class QueryError(ValueError):
    """A q expression that cannot be evaluated.

    ``str(err)`` is a message for a person naming the problem; ``field`` is the
    field concerned, when there is one.
    """

    field: str | None

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --------------------------------------------------------------------------- text

_WILDCARDS = frozenset("*?")
_WORD_CHAR = re.compile(r"\w")


def _token_pattern(token: str) -> str:
    """Regex for one (case-folded) query token; ``*``/``?`` are wildcards."""
    if token and all(c == "*" for c in token):
        return r"\w+"  # a lone * matches any token, never an empty one
    out: list[str] = []
    for c in token:
        if c == "*":
            out.append(r"\w*")
        elif c == "?":
            out.append(r"\w")
        else:
            out.append(re.escape(c))
    return "".join(out)


def _longest_literal(tokens: Sequence[str]) -> str:
    """The longest wildcard-free run in any token: a substring every match contains."""
    runs = [run for t in tokens for run in re.split(r"[*?]", t)]
    return max(runs, key=len, default="")


@dataclass(frozen=True)
class TextMatcher:
    r"""One leaf of a text-field query: a term, a wildcard term or a phrase.

    Text is case-folded and split into tokens, the runs of word characters (``\w``).
    ``tokens`` are the case-folded query tokens; inside them ``*`` (any run of word
    characters) and ``?`` (exactly one word character) are wildcards (they can never
    be literal, since tokens are made of word characters only).  One token matches
    if any token of the text matches it; several tokens form a phrase and must occur
    consecutively.  Hashable and comparable, so callers can cache per matcher.
    """

    tokens: tuple[str, ...]
    _needle: str = field(init=False, compare=False, hash=False, repr=False)
    _search: Callable[[str], re.Match[str] | None] = field(
        init=False, compare=False, hash=False, repr=False
    )
    _token_match: Callable[[str], re.Match[str] | None] | None = field(
        init=False, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.tokens:
            body = r"\W+".join(_token_pattern(t) for t in self.tokens)
            search = re.compile(rf"(?<!\w){body}(?!\w)").search
        else:
            search = re.compile(r"(?!)").search  # nothing to look for: never matches
        object.__setattr__(self, "_search", search)
        # A cheap substring test that rules out most texts before the regex runs.
        object.__setattr__(self, "_needle", _longest_literal(self.tokens))
        token_match = (
            re.compile(_token_pattern(self.tokens[0])).fullmatch if len(self.tokens) == 1 else None
        )
        object.__setattr__(self, "_token_match", token_match)

    @classmethod
    def from_text(cls, text: str, *, wildcards: bool = False) -> TextMatcher:
        """A matcher for ``text`` as written (tokenised; a phrase if several tokens).

        With ``wildcards`` true, ``*`` and ``?`` in ``text`` are wildcards.
        """
        return cls(_tokenize_query([(c, wildcards and c in _WILDCARDS) for c in text]))

    @property
    def wildcard(self) -> bool:
        """True when some token holds a wildcard."""
        return any(c in _WILDCARDS for t in self.tokens for c in t)

    @property
    def phrase(self) -> bool:
        """True when several tokens must occur consecutively."""
        return len(self.tokens) > 1

    def matches(self, text: str) -> bool:
        """Does ``text`` contain this term / phrase?"""
        folded = text.casefold()
        return self._needle in folded and self._search(folded) is not None

    def matches_token(self, token: str) -> bool:
        """For a one-token matcher: does this single (already split) token match?

        Lets an index of distinct tokens answer without the full text.  Always
        false for a phrase or an empty matcher.
        """
        match = self._token_match
        return match is not None and match(token.casefold()) is not None


class TextProbe(Protocol):
    """What a document may return for a ``text`` field instead of the text itself,
    so that it can answer from a precomputed index."""

    def search(self, matcher: TextMatcher) -> bool: ...


def _tokenize_query(chars: Sequence[tuple[str, bool]]) -> tuple[str, ...]:
    """Split (char, is_wildcard) pairs into case-folded tokens.

    Word characters and wildcards make up tokens; everything else separates them.
    """
    tokens: list[str] = []
    current: list[str] = []
    for c, wild in chars:
        for f in (c,) if wild else c.casefold():
            if wild or _WORD_CHAR.match(f):
                current.append(f)
            elif current:
                tokens.append("".join(current))
                current = []
    if current:
        tokens.append("".join(current))
    return tuple(tokens)


# ------------------------------------------------------------------ term values


def _unescape_word(raw: str) -> list[tuple[str, bool]]:
    """A luqum Word value as (char, is_wildcard) pairs, backslash escapes removed."""
    out: list[tuple[str, bool]] = []
    chars = iter(raw)
    for c in chars:
        if c == "\\":
            nxt = next(chars, None)
            if nxt is not None:
                out.append((nxt, False))
        else:
            out.append((c, c in _WILDCARDS))
    return out


def _unescape_phrase(raw: str) -> list[tuple[str, bool]]:
    """A luqum Phrase value (with its quotes) as chars; never any wildcard."""
    inner = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
    return [(c, False) for c, _ in _unescape_word(inner)]


def _term_chars(node: tree.Term) -> list[tuple[str, bool]]:
    if isinstance(node, tree.Phrase):
        return _unescape_phrase(node.value)
    return _unescape_word(node.value)


def _plain(chars: Sequence[tuple[str, bool]]) -> str:
    return "".join(c for c, _ in chars)


def _has_wildcard(chars: Sequence[tuple[str, bool]]) -> bool:
    return any(wild for _, wild in chars)


_INT = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


# ------------------------------------------------------------ predicate helpers


def _always(get: Getter) -> bool:
    return True


def _never(get: Getter) -> bool:
    return False


def _all_of(preds: Sequence[Predicate]) -> Predicate:
    if not preds:
        return _always
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda get: a(get) and b(get)
    if len(preds) == 3:
        a, b, c = preds
        return lambda get: a(get) and b(get) and c(get)
    ps = tuple(preds)
    return lambda get: all(p(get) for p in ps)


def _any_of(preds: Sequence[Predicate]) -> Predicate:
    if not preds:
        return _never
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda get: a(get) or b(get)
    if len(preds) == 3:
        a, b, c = preds
        return lambda get: a(get) or b(get) or c(get)
    ps = tuple(preds)
    return lambda get: any(p(get) for p in ps)


def _then_casefold(normalize: Callable[[str], str]) -> Callable[[str], str]:
    return lambda s: normalize(s).casefold()


def _negate(p: Predicate) -> Predicate:
    return lambda get: not p(get)


def _interval_pred(name: str, lo: float | None, hi: float | None) -> Predicate:
    """Matches lo <= v < hi (either end may be open); None never matches."""
    if lo is not None and hi is not None:
        a, b = lo, hi

        def both(get: Getter) -> bool:
            v = get(name)
            return v is not None and a <= v < b  # type: ignore[operator]

        return both
    if lo is not None:
        a = lo

        def low(get: Getter) -> bool:
            v = get(name)
            return v is not None and a <= v  # type: ignore[operator]

        return low
    if hi is not None:
        b = hi

        def high(get: Getter) -> bool:
            v = get(name)
            return v is not None and v < b  # type: ignore[operator]

        return high
    return lambda get: get(name) is not None


def _position(node: tree.Item) -> str:
    pos = getattr(node, "pos", None)
    return f" (at position {pos})" if isinstance(pos, int) else ""


# ------------------------------------------------------------------- compiler


class _Compiler:
    def __init__(
        self,
        fields: Mapping[str, FieldSpec],
        default_fields: Sequence[str],
        parse_date: Callable[[str], tuple[float, float]] | None,
    ) -> None:
        self.fields = fields
        self.default_fields = tuple(default_fields)
        self.parse_date = parse_date
        # Rough evaluation cost of compiled predicates (default 1), so that AND / OR
        # evaluate cheap operands first; the predicates are pure, so order is free.
        self._costs: dict[Predicate, int] = {}

    def _costly(self, pred: Predicate, cost: int) -> Predicate:
        self._costs[pred] = cost
        return pred

    def _cost(self, pred: Predicate) -> int:
        return self._costs.get(pred, 1)

    def _combine(
        self, combinator: Callable[[Sequence[Predicate]], Predicate], preds: list[Predicate]
    ) -> Predicate:
        preds = sorted(preds, key=self._cost)
        return self._costly(combinator(preds), sum(map(self._cost, preds)))

    def _not(self, pred: Predicate) -> Predicate:
        return self._costly(_negate(pred), self._cost(pred))

    # -- structure

    def compile(self, node: tree.Item, fname: str | None) -> Predicate:
        if isinstance(node, tree.SearchField):
            return self._search_field(node, fname)
        if isinstance(node, tree.Group | tree.FieldGroup | tree.Boost | tree.Plus):
            # Boost only changes scoring; a lone +x is simply required.
            return self.compile(node.children[0], fname)
        if isinstance(node, tree.Not | tree.Prohibit):
            return self._not(self.compile(node.children[0], fname))
        if isinstance(node, tree.AndOperation):
            return self._combine(_all_of, [self.compile(c, fname) for c in node.children])
        if isinstance(node, tree.OrOperation):
            return self._combine(_any_of, [self.compile(c, fname) for c in node.children])
        if isinstance(node, tree.UnknownOperation):
            return self._implicit(node, fname)
        if isinstance(node, tree.Proximity):
            raise QueryError(f'proximity search ("..."~N) is not supported{_position(node)}', fname)
        if isinstance(node, tree.Fuzzy):
            raise QueryError(
                f"fuzzy search (term~N) is not supported{_position(node)}: {node}", fname
            )
        if isinstance(node, tree.Regex):
            raise QueryError(
                f"regular expressions (/.../) are not supported{_position(node)}: "
                f"{node.value}; to search for a value containing '/', put it in "
                'double quotes or escape each "/" as "\\/"',
                fname,
            )
        if isinstance(node, tree.Range | tree.From | tree.To | tree.Word | tree.Phrase):
            if fname is None:
                return self._unfielded(node)
            return self._leaf(self.fields[fname], node)
        raise QueryError(f"unsupported query construct{_position(node)}: {node}", fname)

    def _search_field(self, node: tree.SearchField, outer: str | None) -> Predicate:
        name: str = node.name
        if outer is not None:
            raise QueryError(
                f"field {name!r} cannot appear inside the value of field {outer!r}"
                f"{_position(node)}",
                name,
            )
        expr = node.expr
        if name == "*" and isinstance(expr, tree.Word) and expr.value == "*":
            return _always  # *:* matches every document
        if name not in self.fields:
            valid = ", ".join(sorted(self.fields))
            raise QueryError(
                f"unknown field {name!r}{_position(node)}; valid fields: {valid}", name
            )
        return self.compile(expr, name)

    def _implicit(self, node: tree.UnknownOperation, fname: str | None) -> Predicate:
        """Lucene's implicit operator: +x required, -x / NOT x excluded, others optional."""
        required: list[Predicate] = []
        excluded: list[Predicate] = []
        optional: list[Predicate] = []
        for child in node.children:
            if isinstance(child, tree.Plus):
                required.append(self.compile(child.children[0], fname))
            elif isinstance(child, tree.Prohibit | tree.Not):
                excluded.append(self.compile(child.children[0], fname))
            else:
                optional.append(self.compile(child, fname))
        parts: list[Predicate] = list(required)
        if optional and not required:
            parts.append(self._combine(_any_of, optional))
        if excluded:
            parts.append(self._not(self._combine(_any_of, excluded)))
        return self._combine(_all_of, parts)

    def _unfielded(self, node: tree.Item) -> Predicate:
        if isinstance(node, tree.Word) and node.value in ("&&", "||", "!"):
            word = "AND" if node.value == "&&" else "OR" if node.value == "||" else "NOT"
            raise QueryError(
                f"{node.value!r} is not supported{_position(node)}; write {word} instead"
            )
        if not self.default_fields:
            hint = ""
            if isinstance(node, tree.Word) and '\\"' in node.value:
                hint = (
                    "; to match several words as one value, quote them without "
                    'backslashes: field:"two words"'
                )
            raise QueryError(
                f"{node} has no field{_position(node)}: write it as field:value "
                f"(valid fields: {', '.join(sorted(self.fields))}){hint}"
            )
        preds: list[Predicate] = []
        first_error: QueryError | None = None
        for name in self.default_fields:
            try:
                preds.append(self._leaf(self.fields[name], node))
            except QueryError as err:  # e.g. a word searched in a number field
                first_error = first_error or err
        if not preds:
            assert first_error is not None
            raise first_error
        return self._combine(_any_of, preds)

    # -- leaves

    def _leaf(self, spec: FieldSpec, node: tree.Item) -> Predicate:
        if isinstance(node, tree.Range | tree.From | tree.To):
            return self._range(spec, node)
        assert isinstance(node, tree.Word | tree.Phrase)
        chars = _term_chars(node)
        kind = spec.kind
        if kind == "keyword":
            return self._keyword(spec, chars, node)
        if kind == "text":
            return self._text(spec, chars)
        if isinstance(node, tree.Word) and _has_wildcard(chars):
            raise QueryError(
                f"wildcards only work on string fields; {spec.name!r} is a {kind} field "
                f"(value {node.value!r})",
                spec.name,
            )
        value = _plain(chars)
        if kind == "int":
            n = self._int(spec, value)
            name = spec.name
            return lambda get: get(name) == n
        if kind == "bool":
            b = self._bool(spec, value)
            name = spec.name
            return lambda get: get(name) == b
        if kind == "date":
            lo, hi = self._date(spec, value)
            return _interval_pred(spec.name, lo, hi)
        raise AssertionError(f"unknown field kind {kind!r}")  # pragma: no cover

    def _keyword(
        self, spec: FieldSpec, chars: Sequence[tuple[str, bool]], node: tree.Item
    ) -> Predicate:
        name = spec.name
        norm = spec.normalize
        if isinstance(node, tree.Word) and _has_wildcard(chars):
            # Literal runs between wildcards are canonicalised separately.
            pattern: list[str] = []
            run: list[str] = []

            def flush() -> None:
                if run:
                    text = "".join(run)
                    if norm is not None:
                        text = norm(text)
                    pattern.append(re.escape(text.casefold()))
                    run.clear()

            for c, wild in chars:
                if wild:
                    flush()
                    pattern.append(".*" if c == "*" else ".")
                else:
                    run.append(c)
            flush()
            fullmatch = re.compile("".join(pattern), re.DOTALL).fullmatch
            canon = str.casefold if norm is None else _then_casefold(norm)

            def test(s: str) -> bool:
                return fullmatch(canon(s)) is not None

        else:
            canon = str.casefold if norm is None else _then_casefold(norm)
            target = canon(_plain(chars))

            def test(s: str) -> bool:
                return canon(s) == target

            if norm is None:
                # The common case, inlined: plain case-insensitive equality.
                def equal(get: Getter) -> bool:
                    v = get(name)
                    if isinstance(v, str):
                        return v.casefold() == target
                    if v is None:
                        return False
                    return any(test(x) for x in v if isinstance(x, str))  # type: ignore[attr-defined]

                return equal

        def pred(get: Getter) -> bool:
            v = get(name)
            if isinstance(v, str):
                return test(v)
            if v is None:
                return False
            return any(test(x) for x in v if isinstance(x, str))  # type: ignore[attr-defined]

        return pred

    def _text(self, spec: FieldSpec, chars: Sequence[tuple[str, bool]]) -> Predicate:
        matcher = TextMatcher(_tokenize_query(chars))
        if not matcher.tokens:
            return _never  # nothing searchable (only punctuation)
        name = spec.name
        needle = matcher._needle
        search = matcher._search

        def one(s: str) -> bool:
            folded = s.casefold()
            return needle in folded and search(folded) is not None

        def pred(get: Getter) -> bool:
            v = get(name)
            if isinstance(v, str):
                folded = v.casefold()
                return needle in folded and search(folded) is not None
            if v is None:
                return False
            if isinstance(v, list | tuple):
                return any(isinstance(x, str) and one(x) for x in v)
            return bool(v.search(matcher))  # type: ignore[attr-defined]

        return self._costly(pred, 8)

    def _range(self, spec: FieldSpec, node: tree.Item) -> Predicate:
        if spec.kind not in ("int", "date"):
            raise QueryError(
                f"ranges only work on number and date fields; {spec.name!r} is a "
                f"{spec.kind} field{_position(node)}",
                spec.name,
            )
        low: tree.Item | None
        high: tree.Item | None
        if isinstance(node, tree.Range):
            low, high = node.low, node.high
            include_low, include_high = bool(node.include_low), bool(node.include_high)
        elif isinstance(node, tree.From):  # field:>x, field:>=x
            low, high = node.a, None
            include_low, include_high = bool(node.include), True
        else:  # tree.To: field:<x, field:<=x
            low, high = None, node.a
            include_low, include_high = True, bool(node.include)
        lo_bound = self._bound(spec, low)
        hi_bound = self._bound(spec, high)
        # Each written bound denotes an interval [a, b); see the module docstring.
        lo = None if lo_bound is None else lo_bound[0] if include_low else lo_bound[1]
        hi = None if hi_bound is None else hi_bound[1] if include_high else hi_bound[0]
        return _interval_pred(spec.name, lo, hi)

    def _bound(self, spec: FieldSpec, node: tree.Item | None) -> tuple[float, float] | None:
        if node is None:
            return None
        if isinstance(node, tree.Word) and node.value == "*":
            return None  # open end
        if not isinstance(node, tree.Word | tree.Phrase):
            raise QueryError(f"invalid range bound for field {spec.name!r}: {node}", spec.name)
        value = _plain(_term_chars(node))
        if spec.kind == "int":
            n = self._int(spec, value)
            return (n, n + 1)
        return self._date(spec, value)

    def _int(self, spec: FieldSpec, value: str) -> int:
        if not _INT.fullmatch(value):
            raise QueryError(
                f"field {spec.name!r} holds whole numbers; {value!r} is not one", spec.name
            )
        return int(value)

    def _bool(self, spec: FieldSpec, value: str) -> bool:
        low = value.lower()
        if low == "true":
            return True
        if low == "false":
            return False
        raise QueryError(f"field {spec.name!r} is true or false; {value!r} is neither", spec.name)

    def _date(self, spec: FieldSpec, value: str) -> tuple[float, float]:
        if _NUMBER.fullmatch(value):
            x = float(value)
            return (x, x + 1)
        if self.parse_date is None:
            raise QueryError(
                f"field {spec.name!r} holds dates; {value!r} is not a date (give epoch seconds)",
                spec.name,
            )
        try:
            lo, hi = self.parse_date(value)
        except (ValueError, OverflowError) as err:
            detail = f" ({err})" if str(err) else ""
            raise QueryError(
                f"field {spec.name!r} holds dates; {value!r} is not a date{detail}",
                spec.name,
            ) from err
        return (float(lo), float(hi))


_parse_lock = threading.Lock()  # luqum's parser object is shared, module-level state


def compile_query(
    q: str,
    fields: Mapping[str, FieldSpec],
    default_fields: Sequence[str] = (),
    parse_date: Callable[[str], tuple[float, float]] | None = None,
) -> Callable[[Getter], bool]:
    """Parse and validate ``q`` once; return a fast predicate over getters.

    ``fields`` maps every field name that may be filtered on to its spec;
    ``default_fields`` are searched (any of them) for terms written without a field;
    ``parse_date(s)`` turns a written date into the half-open interval
    ``[lo, hi)`` of epoch seconds it denotes, raising ``ValueError`` when it is not
    a date.  Raises :class:`QueryError` for anything that cannot be evaluated.
    """
    unknown_defaults = [name for name in default_fields if name not in fields]
    if unknown_defaults:
        raise ValueError(f"default fields not in the field table: {unknown_defaults}")
    if not q.strip():
        return _always
    try:
        with _parse_lock:
            root = parser.parse(q)
    except ParseError as err:
        raise QueryError(f"invalid query syntax: {err}") from err
    except RecursionError as err:
        raise QueryError("query is too deeply nested") from err
    try:
        return _Compiler(fields, default_fields, parse_date).compile(root, None)
    except RecursionError as err:
        raise QueryError("query is too deeply nested") from err


def required_terms(q: str) -> set[tuple[str, str]]:
    """``(field, value)`` pairs written as plain ``field:value`` that every match of a
    valid ``q`` must have (``active:true`` in ``active:true AND protocol:ssh``).

    A caller may use them to look at fewer documents; the predicate still decides.
    Values are lower-cased; anything not plainly required is left out."""
    try:
        with _parse_lock:
            root = parser.parse(q)
    except (ParseError, RecursionError):
        return set()
    found: set[tuple[str, str]] = set()

    def visit(node: tree.Item) -> None:
        if isinstance(node, tree.Group | tree.Plus):
            visit(node.children[0])
        elif isinstance(node, tree.AndOperation):
            for child in node.children:
                visit(child)
        elif isinstance(node, tree.UnknownOperation):
            # Implicit operator: +x is required; a lone optional term is too.
            plus = [c for c in node.children if isinstance(c, tree.Plus)]
            optional = [c for c in node.children
                        if not isinstance(c, tree.Plus | tree.Prohibit | tree.Not)]
            for child in plus or (optional if len(optional) == 1 else []):
                visit(child)
        elif isinstance(node, tree.SearchField) and isinstance(node.expr, tree.Word):
            found.add((node.name, node.expr.value.lower()))

    visit(root)
    return found
