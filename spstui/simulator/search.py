"""`GET /api/audit/sessions`: basic search and advanced (snapshot) search.

Basic search pages with limit/offset over at most the first 10,000 matches;
advanced search pages a frozen snapshot with sort keys and `search_after`.
Both evaluate the same filters: `q`, `content`, `start` and `end`.
"""

from __future__ import annotations

import bisect
import csv
import io
import itertools
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import total_ordering
from typing import Any
from urllib.parse import quote

from spstui.simulator.dates import parse_interval
from spstui.simulator.errors import ApiError
from spstui.simulator.fields import (
    DEFAULT_QUERY_FIELDS,
    FIELDS,
    QUERY_FIELDS,
    STAR_FIELDS,
    Field,
    body_value,
    known_names,
    resolve,
    sort_value,
)
from spstui.simulator.query import QueryError, compile_query, required_terms
from spstui.simulator.sessions import Session, SessionStore

MAX_LIMIT = 500
MAX_RESULTS = 10_000
SNAPSHOT_TTL = 300.0
TIEBREAKER_BASE = 1 << 32
HREF = "/api/audit/sessions"
_QUERY_SPECS = {name: spec for name, (spec, _) in QUERY_FIELDS.items()}


@total_ordering
class _Desc:
    """Reverses the order of a string inside a sort key."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.v == other.v

    def __lt__(self, other: _Desc) -> bool:
        return bool(self.v > other.v)

    def __hash__(self) -> int:
        return hash(self.v)


@dataclass(frozen=True)
class SortSpec:
    field: Field
    written: str  # the name as the request wrote it (search_after keys use it)
    descending: bool

    def component(self, raw: tuple[int, object]) -> tuple[int, object]:
        missing, value = raw
        if not self.descending or missing:
            return raw
        if isinstance(value, int | float):
            return (0, -value)
        return (0, _Desc(value))


@dataclass
class Filters:
    """The parsed q / content / start / end of a request."""

    q: str = ""
    content: str = ""
    start: float | None = None
    end: float | None = None
    predicate: Any = None
    running_only: bool = False  # the query requires active:true

    def select(self, store: SessionStore, sessions: Sequence[Session], t: float) -> list[Session]:
        getters = {name: get for name, (_, get) in QUERY_FIELDS.items()}
        pred = self.predicate
        if self.running_only:  # as an index would: the live view asks this every few seconds
            sessions = store.may_run_at(sessions, t)
        out = []
        for s in sessions:
            if self.start is not None and s.start < self.start:
                continue
            if self.end is not None:
                end = store.end_time(s, t)
                if end is None or end >= self.end:
                    continue
            if pred is not None and not pred(
                lambda name, s=s: getters[name](store, s, t)  # called before the loop moves on
            ):
                continue
            out.append(s)
        return out


def _invalid(message: str, code: str = "InvalidQuery", **details: Any) -> ApiError:
    return ApiError(400, code, message, details or None)


def parse_filters(params: Mapping[str, str], code: str = "InvalidQuery") -> Filters:
    f = Filters(q=params.get("q", "") or "", content=params.get("content", "") or "")
    expr = f.q
    if f.content.strip():
        content = f"screen.content:({f.content})"
        expr = f"({expr}) AND {content}" if expr.strip() else content
    try:
        f.predicate = (
            compile_query(expr, _QUERY_SPECS, DEFAULT_QUERY_FIELDS, parse_interval)
            if expr.strip()
            else None
        )
    except QueryError as err:
        raise _invalid(f"Invalid q: {err}", code, query=f.q, field=err.field) from None
    f.running_only = ("active", "true") in required_terms(f.q)
    for name in ("start", "end"):
        value = params.get(name)
        if value:
            try:
                lo, hi = parse_interval(value)
            except ValueError as err:
                raise _invalid(f"Invalid {name}: {err}", code, parameter=name) from None
            # start: started at or after the date; end: ended before the date's end.
            setattr(f, name, lo if name == "start" else hi)
    return f


def parse_sort(text: str | None, code: str = "InvalidQuery") -> list[SortSpec]:
    specs = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("-+")
        found = resolve(name)
        if found is None:
            raise _invalid(
                f"Invalid sort: unknown field '{name}'. Known fields: {', '.join(known_names())}",
                code, parameter="sort", field=name,
            )
        specs.append(SortSpec(found[0], name, descending))
    return specs


def parse_fields(text: str | None) -> list[tuple[Field, str, str]] | None:
    """(field, written name, CSV label) per requested field; None when not asked."""
    if text is None:
        return None
    out: list[tuple[Field, str, str]] = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            continue
        if name == "*":
            out.extend((FIELDS[n], n, FIELDS[n].label) for n in STAR_FIELDS)
            continue
        found = resolve(name)
        if found is None:
            raise _invalid(
                f"Invalid fields: unknown field '{name}'. "
                f"Known fields: {', '.join(known_names())}",
                parameter="fields", field=name,
            )
        out.append((found[0], name, found[1]))
    # One entry per canonical field, first spelling wins.
    seen: dict[str, tuple[Field, str, str]] = {}
    for item in out:
        seen.setdefault(item[0].name, item)
    return list(seen.values())


def parse_int(params: Mapping[str, str], name: str, default: int, code: str) -> int:
    raw = params.get(name)
    if raw in (None, "", "null"):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _invalid(f"Invalid {name}: '{raw}' is not a whole number", code,
                       parameter=name) from None
    if value < 0 or (name == "limit" and value == 0):
        raise _invalid(f"Invalid {name}: must be {'positive' if name == 'limit' else '0 or more'}",
                       code, parameter=name)
    return value


def order(store: SessionStore, sessions: list[Session], specs: Sequence[SortSpec],
          t: float) -> list[Session]:
    if not specs:
        # Newest first, like the appliance's own search page.
        return sorted(sessions, key=lambda s: s.idx, reverse=True)
    if len(specs) == 1 and specs[0].field.name == "start_time":
        # The usual sort, asked for on every page. idx order is start order, so the
        # general key's result (whole seconds, then idx) comes from two stable sorts of
        # nearly sorted lists, without building 20,000 keys.
        by_idx = sorted(sessions, key=lambda s: s.idx)
        if not specs[0].descending:
            return by_idx
        return sorted(by_idx, key=lambda s: int(s.start), reverse=True)
    return sorted(sessions, key=lambda s: _key(store, s, specs, t))


def _key(store: SessionStore, s: Session, specs: Sequence[SortSpec], t: float) -> tuple[Any, ...]:
    return (*(spec.component(sort_value(spec.field, store, s, t)) for spec in specs), s.idx)


def _body(store: SessionStore, s: Session, t: float,
          fields: list[tuple[Field, str, str]], base_url: str) -> dict[str, Any]:
    body = {f.name: body_value(f, store, s, t, base_url) for f, _, _ in fields}
    return dict(sorted(body.items()))  # the appliance lists body keys alphabetically


def _item(store: SessionStore, s: Session, t: float,
          fields: list[tuple[Field, str, str]] | None, base_url: str) -> dict[str, Any]:
    key = store.key(s)
    item: dict[str, Any] = {}
    if fields:
        item["body"] = _body(store, s, t, fields, base_url)
    item["key"] = key
    item["meta"] = {"href": f"{HREF}/{key}"}
    return item


def _link(params: Sequence[tuple[str, str]], **overrides: str | int) -> str:
    """A link to the same search with some parameters replaced (limit/offset first)."""
    first = [(k, str(v)) for k, v in overrides.items() if k in ("limit", "offset")]
    rest = [(k, v) for k, v in params if k not in overrides]
    last = [(k, str(v)) for k, v in overrides.items() if k not in ("limit", "offset")]
    parts = [f"{k}={quote(v, safe=',:*-')}" for k, v in (*first, *rest, *last)]
    return f"{HREF}?{'&'.join(parts)}"


def basic_search(store: SessionStore, t: float, params: Sequence[tuple[str, str]],
                 base_url: str) -> tuple[dict[str, Any] | str, str]:
    """Returns (JSON document or CSV text, media type)."""
    p = dict(params)
    fmt = (p.get("format") or "json").lower()
    if fmt not in ("json", "csv"):
        raise _invalid(f"Invalid format: '{fmt}'; use json or csv", parameter="format")
    filters = parse_filters(p)
    fields = parse_fields(p.get("fields"))
    specs = parse_sort(p.get("sort"))
    limit = min(parse_int(p, "limit", MAX_LIMIT, "InvalidQuery"), MAX_LIMIT)
    offset = parse_int(p, "offset", 0, "InvalidQuery")
    matches = filters.select(store, store.visible(t), t)
    ordered = order(store, matches, specs, t)
    reachable = min(len(ordered), MAX_RESULTS)
    page = ordered[offset:min(offset + limit, reachable)] if offset < reachable else []
    if fmt == "csv":
        return to_csv(store, t, page, fields or [], base_url), "text/csv"
    items = [_item(store, s, t, fields, base_url) for s in page]
    last_offset = max(0, (reachable - 1) // limit * limit) if reachable else 0
    field_names = [f.name for f, _, _ in fields] if fields else []
    written_fields = ",".join(field_names)
    link_params = [(k, v) for k, v in params if k not in ("limit", "offset", "fields")]
    link_params.insert(0, ("fields", written_fields))
    meta: dict[str, Any] = {
        "fields": field_names,
        "first": _link(link_params, limit=limit, offset=0),
        "href": HREF,
        "last": _link(link_params, limit=limit, offset=last_offset),
        "limit": limit,
        "match_count": len(ordered),
        "next": (_link(link_params, limit=limit, offset=offset + limit)
                 if offset + limit < reachable else None),
        "offset": offset,
        "parent": "/api/audit",
        "previous": _link(link_params, limit=limit, offset=max(0, offset - limit))
        if offset > 0 else None,
    }
    for name in ("start", "end"):
        if p.get(name):
            meta[name] = p[name]
    return {"items": items, "meta": meta}, "application/json"


def to_csv(store: SessionStore, t: float, sessions: Sequence[Session],
           fields: list[tuple[Field, str, str]], base_url: str) -> str:
    """One row per session, or per value of a multi-valued field (all combinations)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["Key", *(label for _, _, label in fields)])
    for s in sessions:
        columns: list[list[str]] = []
        for f, _, _ in fields:
            value = body_value(f, store, s, t, base_url)
            if f.kind == "multi":
                columns.append([str(v) for v in value] or [""])  # type: ignore[attr-defined]
            else:
                columns.append([_csv_cell(value)])
        for row in itertools.product(*columns):
            writer.writerow([store.key(s), *row])
    return out.getvalue()


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- advanced search -----------------------------------------------------------------

@dataclass
class Snapshot:
    id: str
    client: tuple[str, str]
    taken_at: float
    visible: int
    last_used: float
    # Sorted results per (filters, sort), computed once: the snapshot is frozen.
    cache: dict[tuple[str, ...], tuple[list[Session], list[tuple[Any, ...]]]] = field(
        default_factory=dict
    )


class Snapshots:
    def __init__(self) -> None:
        self.by_id: dict[str, Snapshot] = {}

    def _expire(self, now: float) -> None:
        for sid in [sid for sid, s in self.by_id.items() if now - s.last_used >= SNAPSHOT_TTL]:
            del self.by_id[sid]

    def open(self, store: SessionStore, client: tuple[str, str], now: float) -> dict[str, Any]:
        self._expire(now)
        mine = next((s for s in self.by_id.values() if s.client == client), None)
        if mine is not None:
            if "" in client:
                # Unidentified callers share whatever snapshot is cached for them.
                mine.last_used = now
                return _snapshot_doc(mine.id)
            wait = int(SNAPSHOT_TTL - (now - mine.last_used)) + 1
            raise ApiError(
                429, "AdvancedSearchSnapshotQuotaExceeded",
                "An open snapshot already exists for this client; a new one can be opened "
                f"once it has not been used for 5 minutes (in {wait} s).",
                {"time_to_elapse": wait},
            )
        snap = Snapshot(secrets.token_hex(5), client, now, store.visible_count(now), now)
        self.by_id[snap.id] = snap
        return _snapshot_doc(snap.id)

    def get(self, sid: str, now: float) -> Snapshot | None:
        self._expire(now)
        snap = self.by_id.get(sid.strip('"'))
        if snap is not None:
            snap.last_used = now  # every query extends the snapshot's life
        return snap


def _snapshot_doc(sid: str) -> dict[str, Any]:
    return {"body": {"snapshot": sid}, "key": "_snapshot",
            "meta": {"href": f"{HREF}/_snapshot", "parent": HREF}}


def client_id(headers: Mapping[str, str]) -> tuple[str, str]:
    """Advanced search tells callers apart by the Remote-Addr and User-Agent headers."""
    addr = headers.get("remote-addr", "")
    agent = headers.get("user-agent", "")
    if len(addr) > 45:
        raise ApiError(400, "InvalidSearchClientId",
                       "The search client identifier is invalid: the Remote-Addr header is "
                       "longer than 45 characters.", {"header": "Remote-Addr"})
    if len(agent) > 128:
        raise ApiError(400, "InvalidSearchClientId",
                       "The search client identifier is invalid: the User-Agent header is "
                       "longer than 128 characters.", {"header": "User-Agent"})
    return (addr, agent) if addr and agent else ("", "")


def count(store: SessionStore, snaps: Snapshots, params: Mapping[str, str],
          now: float) -> dict[str, Any]:
    snap = snaps.get(params.get("snapshot", ""), now)
    if snap is None:
        raise ApiError(404, "CountQuerySnapshotNotFound",
                       "The snapshot given in the snapshot parameter does not exist or has "
                       "expired; open one at /api/audit/sessions/_snapshot.")
    filters = parse_filters(params, "InvalidAdvancedSearchCountQuery")
    n = len(filters.select(store, store.sessions[: snap.visible], snap.taken_at))
    return {"count": n, "meta": {"href": f"{HREF}/_count", "parent": HREF}}


def _search_after(text: str, specs: Sequence[SortSpec]) -> tuple[Any, ...]:
    pairs: list[tuple[str, str]] = []
    for part in text.split(","):
        if ":" not in part:
            raise _invalid(f"'{part}' in search_after is not a key:value pair.",
                           "InvalidSearchAfterKeyValueFormat")
        key, value = part.split(":", 1)
        pairs.append((key.strip(), value))
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise _invalid(f"search_after names '{dup}' more than once.", "DuplicatedSearchAfterKey")
    if "tiebreaker" not in keys:
        raise _invalid("search_after needs a tiebreaker:<value> pair.",
                       "MissingSearchAfterTiebreaker")
    # Values are checked before the keys are matched against sort: the guide's own
    # example (sort=start_time&search_after=client.ip:<not-an-ip>,tiebreaker:42348)
    # answers InvalidSearchAfterKeyValue.
    for key, value in pairs:
        found = resolve(key) if key != "tiebreaker" else None
        if found is not None:
            _after_value(SortSpec(found[0], key, False), value)
    sort_keys = [spec.written for spec in specs]
    given = [k for k in keys if k != "tiebreaker"]
    if len(given) < len(sort_keys) or not set(sort_keys) <= set(given):
        missing = [k for k in sort_keys if k not in given]
        if missing:
            raise _invalid(f"search_after has no value for the sort field(s) {', '.join(missing)}.",
                           "MissingSearchAfterKeyValue")
    if len(given) != len(sort_keys):
        raise _invalid(f"search_after has {len(given)} sort value(s) but sort names "
                       f"{len(sort_keys)} field(s).", "InconsistentSearchAfterParameters")
    if keys != [*sort_keys, "tiebreaker"]:
        raise _invalid("The keys of search_after must follow the order of sort, "
                       "with tiebreaker last.", "InconsistentSearchAfterOrder")
    values = dict(pairs)
    components: list[Any] = []
    for spec in specs:
        components.append(spec.component(_after_value(spec, values[spec.written])))
    try:
        tiebreaker = int(values["tiebreaker"])
    except ValueError:
        raise _invalid(f"tiebreaker '{values['tiebreaker']}' is not valid.",
                       "InvalidSearchAfterQuery") from None
    return (*components, tiebreaker - TIEBREAKER_BASE)


def _after_value(spec: SortSpec, raw: str) -> tuple[int, object]:
    kind = spec.field.kind
    if raw == "null":
        return (1, 0)
    try:
        if kind in ("int", "date"):
            return (0, int(raw))  # dates are written as epoch seconds
        if kind == "bool":
            if raw.lower() not in ("true", "false", "0", "1"):
                raise ValueError
            return (0, int(raw.lower() in ("true", "1")))
        if spec.field.name.endswith(".address"):
            import ipaddress

            ipaddress.ip_address(raw)
    except ValueError:
        raise _invalid(f"'{raw}' is not a valid value for {spec.written} in search_after"
                       f"{' (dates are epoch seconds)' if kind == 'date' else ''}.",
                       "InvalidSearchAfterKeyValue") from None
    return (0, raw)


def _after_text(store: SessionStore, s: Session, specs: Sequence[SortSpec], t: float) -> str:
    parts = []
    for spec in specs:
        missing, value = sort_value(spec.field, store, s, t)
        if missing:
            text = "null"
        elif spec.field.kind == "bool":
            text = "true" if value else "false"
        else:
            text = str(value)
        parts.append(f"{spec.written}:{text}")
    parts.append(f"tiebreaker:{TIEBREAKER_BASE + s.idx}")
    return ",".join(parts)


def snapshot_search(store: SessionStore, snaps: Snapshots, t: float,
                    params: Sequence[tuple[str, str]], base_url: str) -> dict[str, Any]:
    p = dict(params)
    if "snapshot" not in p:
        raise _invalid("search_after needs the snapshot parameter.", "MissingSearchAfterSnapshot")
    if not p.get("sort"):
        raise _invalid("Querying a snapshot needs the sort parameter.", "MissingSearchAfterSort")
    if (p.get("format") or "json").lower() != "json":
        raise _invalid("Advanced search answers in JSON only.", "InvalidSearchAfterResponseFormat")
    if p.get("offset") not in (None, "", "0"):
        raise _invalid("offset is not supported with a snapshot; leave it out or set it to 0.",
                       "InvalidSearchAfterOffset")
    snap = snaps.get(p["snapshot"], t)
    if snap is None:
        raise ApiError(404, "SearchQuerySnapshotNotFound",
                       "The snapshot given in the snapshot parameter does not exist or has "
                       "expired; open a new one at /api/audit/sessions/_snapshot.")
    specs = parse_sort(p.get("sort"), "InvalidSearchAfterQuery")
    fields = parse_fields(p.get("fields"))
    filters = parse_filters(p, "InvalidSearchAfterQuery")
    limit = min(parse_int(p, "limit", MAX_LIMIT, "InvalidSearchAfterQuery"), MAX_LIMIT)
    after = _search_after(p["search_after"], specs) if p.get("search_after") else None
    at = snap.taken_at
    cache_key = (filters.q, filters.content, p.get("start", ""), p.get("end", ""), p["sort"])
    if cache_key not in snap.cache:
        matches = filters.select(store, store.sessions[: snap.visible], at)
        keyed = sorted(((_key(store, s, specs, at), s) for s in matches), key=lambda ks: ks[0])
        snap.cache[cache_key] = ([s for _, s in keyed], [k for k, _ in keyed])
    ordered, keys = snap.cache[cache_key]
    begin = bisect.bisect_right(keys, after) if after is not None else 0
    page = ordered[begin:begin + limit]
    more = begin + limit < len(ordered)
    after_text = _after_text(store, page[-1], specs, at) if page else None
    field_names = [f.name for f, _, _ in fields] if fields else []
    meta: dict[str, Any] = {
        "fields": field_names,
        "first": None,
        "href": HREF,
        "last": None,
        "limit": limit,
        "next": _link([(k, v) for k, v in params if k != "search_after"],
                      search_after=after_text or "") if more and after_text else None,
        "parent": "/api/audit",
        "previous": None,
        "search_after": after_text,
    }
    for name in ("start", "end"):
        if p.get(name):
            meta[name] = p[name]
    items = [_item(store, s, at, fields, base_url) for s in page]
    return {"items": items, "meta": dict(sorted(meta.items()))}
