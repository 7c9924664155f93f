"""The session fields that search can show, sort on and filter by.

Three documented lists meet here: the fields `?fields=` can display, the ones
`?q=` can filter on (a smaller set, some under `psm.` names), and the header
labels of `?format=csv`. Other spellings used in the guide's own examples
(`client.ip`, `user.gateway_username`, `recording.session_id`, ...) are
accepted as aliases of the canonical name.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from spstui.simulator import events as ev
from spstui.simulator import vocab
from spstui.simulator.dates import iso
from spstui.simulator.query import FieldSpec, TextMatcher
from spstui.simulator.sessions import SPS_IP, Session, SessionStore

Getter = Callable[[SessionStore, Session, float], object]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # keyword | int | bool | date | multi
    get: Getter  # raw value: dates as epoch floats, None when absent


def _verdict(store: SessionStore, s: Session, t: float) -> str:
    # Top-level verdict is upper case with underscores, as in the samples ("ACCEPT").
    return s.verdict.upper().replace("-", "_")


def target_ip(s: Session) -> str:
    return s.server.ip if s.transparent else SPS_IP


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("active", "Active", "bool", lambda st, s, t: st.is_active(s, t)),
        Field("archived", "Archived", "bool", lambda st, s, t: st.archived(s, t)),
        Field("auth_method", "Authentication method", "keyword", lambda st, s, t: s.auth_method),
        Field("channel_policy", "Channel policy", "keyword", lambda st, s, t: s.channel_policy),
        Field("client.address", "Client IP", "keyword", lambda st, s, t: s.client.ip),
        Field("client.port", "Client port", "int", lambda st, s, t: s.client_port),
        Field("connection_policy", "Connection policy", "keyword", lambda st, s, t: s.policy),
        Field("duration", "Duration", "int", lambda st, s, t: st.duration(s, t)),
        Field("end_time", "End time", "date", lambda st, s, t: st.end_time(s, t)),
        Field("name", "Gateway username", "keyword", lambda st, s, t: s.user),
        Field("protocol", "Protocol", "keyword", lambda st, s, t: s.protocol),
        Field("server.address", "Server IP", "keyword", lambda st, s, t: s.server.ip),
        Field("server_local.address", "SPS IP", "keyword", lambda st, s, t: SPS_IP),
        Field("server_local.port", "SPS port", "int",
              lambda st, s, t: vocab.SERVICE_PORTS[s.protocol]),
        Field("server.port", "Server port", "int", lambda st, s, t: s.server_port),
        Field("server_username", "Server username", "keyword", lambda st, s, t: s.server_user),
        Field("session_id", "Session ID", "keyword", lambda st, s, t: st.session_id(s)),
        Field("start_time", "Start time", "date", lambda st, s, t: s.start),
        Field("target.address", "Target IP", "keyword", lambda st, s, t: target_ip(s)),
        Field("target.port", "Target port", "int", lambda st, s, t: s.server_port),
        Field("verdict", "Verdict", "keyword", _verdict),
        # Not in the documented list, but shown in session details; handy for clients.
        Field("index_status", "Index status", "keyword", lambda st, s, t: st.index_status(s, t)),
        Field("analytics.score.aggregated", "Risk score", "int",
              lambda st, s, t: ev.risk_score(st, s, t)),
        Field("analytics.interesting_events", "Analytics Interesting events", "multi",
              lambda st, s, t: ev.interesting_events(st, s, t)),
        Field("analytics.similar_sessions", "Similar Sessions", "multi", lambda st, s, t: []),
        Field("trail_download_link", "Audit trail download link", "link",
              lambda st, s, t: s.has_trail),
    )
}

# What `fields=*` expands to: the documented displayable list (plus verdict,
# which the guide's own examples request).
STAR_FIELDS = (
    "active", "archived", "auth_method", "channel_policy", "client.address", "client.port",
    "connection_policy", "duration", "end_time", "name", "protocol", "server.address",
    "server_local.address", "server_local.port", "server.port", "server_username",
    "session_id", "start_time", "target.address", "target.port", "verdict",
)

# Other spellings -> (canonical name, CSV label when it differs).
ALIASES: dict[str, tuple[str, str | None]] = {
    "client.ip": ("client.address", None),
    "server.ip": ("server.address", None),
    "target.ip": ("target.address", None),
    "server_local.ip": ("server_local.address", None),
    "psm.target.address": ("target.address", None),
    "psm.target.port": ("target.port", None),
    "psm.server_local.address": ("server_local.address", None),
    "psm.server_local.port": ("server_local.port", None),
    "psm.connection_policy": ("connection_policy", None),
    "recording.connection_policy": ("connection_policy", None),
    "recording.channel_policy": ("channel_policy", None),
    "recording.auth_method": ("auth_method", None),
    "recording.archived": ("archived", None),
    "recording.index_status": ("index_status", None),
    "recording.session_id": ("session_id", "Recording Session ID"),
    "psm.session_id": ("session_id", None),
    "psm.gateway_username": ("name", None),
    "user.gateway_username": ("name", None),
    "gateway_username": ("name", None),
    "user.name": ("name", None),
    "psm.server_username": ("server_username", None),
    "user.server_username": ("server_username", None),
    "analytics.score": ("analytics.score.aggregated", None),
}


def resolve(name: str) -> tuple[Field, str] | None:
    """The field a written name means, and its CSV label; None if unknown."""
    if name in FIELDS:
        f = FIELDS[name]
        return f, f.label
    if name in ALIASES:
        canonical, label = ALIASES[name]
        f = FIELDS[canonical]
        return f, label or f.label
    return None


def known_names() -> list[str]:
    return sorted(set(FIELDS) | set(ALIASES))


def body_value(field: Field, store: SessionStore, s: Session, t: float, base_url: str) -> object:
    """A field's value as a search result body shows it."""
    value = field.get(store, s, t)
    if field.kind == "date":
        return None if value is None else iso(float(value))  # type: ignore[arg-type]
    if field.kind == "link":
        return f"{base_url}/api/audit/sessions/{store.key(s)}/audit_trail" if value else None
    return value


def sort_value(field: Field, store: SessionStore, s: Session, t: float) -> tuple[int, object]:
    """A comparable sort key; dates compare as whole epoch seconds (as search_after writes
    them) and missing values sort last."""
    value = field.get(store, s, t)
    if value is None:
        return (1, 0)
    if field.kind == "date":
        return (0, int(float(value)))  # type: ignore[arg-type]
    if field.kind == "bool":
        return (0, int(bool(value)))
    if field.kind == "multi":
        return (0, ",".join(map(str, value)))  # type: ignore[call-overload]
    if field.kind == "link":
        return (0, int(bool(value)))
    return (0, value)


# -- q ------------------------------------------------------------------------------

def _norm_verdict(v: str) -> str:
    return v.strip().lower().replace("_", "-")


# The documented filterable fields, by the name q uses.
QUERY_FIELDS: dict[str, tuple[FieldSpec, Getter]] = {}
for _qname, _canonical in (
    ("active", "active"), ("auth_method", "auth_method"), ("channel_policy", "channel_policy"),
    ("client.address", "client.address"), ("client.port", "client.port"),
    ("psm.connection_policy", "connection_policy"), ("end_time", "end_time"), ("name", "name"),
    ("protocol", "protocol"), ("server.address", "server.address"),
    ("psm.server_local.address", "server_local.address"),
    ("psm.server_local.port", "server_local.port"), ("server.port", "server.port"),
    ("server_username", "server_username"), ("session_id", "session_id"),
    ("start_time", "start_time"), ("target.address", "target.address"),
    ("target.port", "target.port"), ("verdict", "verdict"),
):
    _f = FIELDS[_canonical]
    QUERY_FIELDS[_qname] = (
        FieldSpec(_qname, _f.kind, _norm_verdict if _qname == "verdict" else None),  # type: ignore[arg-type]
        _f.get,
    )
# psm.server_local.port is documented as a string; it holds a port, so compare as a number.


class ContentProbe:
    """Answers screen.content leaves from the session's vocabulary mask.

    The mask holds the entries a session *may* use; its events draw from them at
    random, so a hit in the mask is confirmed against the entries its events
    really hold (`used`, computed on demand: only for the few sessions that pass
    the cheap mask test)."""

    __slots__ = ("mask", "prompt", "used", "words")

    def __init__(self, mask: int, prompt: str, words: tuple[str, ...],
                 used: Callable[[], int] | None = None) -> None:
        self.mask = mask
        self.prompt = prompt
        self.words = words
        self.used = used

    def search(self, matcher: TextMatcher) -> bool:
        hits = self.mask & _matching_vocab(matcher, self.words)
        if hits and (self.used is None or hits & self.used()):
            return True
        return bool(self.prompt) and matcher.matches(self.prompt)


@lru_cache(maxsize=1024)
def _matching_vocab(matcher: TextMatcher, words: tuple[str, ...]) -> int:
    """Bit mask of the vocabulary entries a content matcher matches."""
    mask = 0
    for i, word in enumerate(words):
        if matcher.matches(word):
            mask |= 1 << i
    return mask


# Per store: session idx -> bit mask of the vocabulary entries its events hold.
# Only asked for searchable (ended) sessions, whose events no longer change.
_USED: weakref.WeakKeyDictionary[SessionStore, dict[int, int]] = weakref.WeakKeyDictionary()


def _used_mask(store: SessionStore, s: Session, t: float, words: tuple[str, ...]) -> int:
    cache = _USED.setdefault(store, {})
    mask = cache.get(s.idx)
    if mask is None:
        index = {w: i for i, w in enumerate(words)}
        mask = 0
        for e in ev.events_at(store, s, t):
            mask |= 1 << index[str(e["action"])]
        cache[s.idx] = mask
    return mask


def _content(store: SessionStore, s: Session, t: float) -> object:
    if not store.content_searchable(s, t):
        return None
    words = ev.vocabulary(s)
    prompt = ev.prompt(s) if words is ev.TERMINAL_VOCAB else ""
    return ContentProbe(ev.vocab_mask(s), prompt, words,
                        lambda: _used_mask(store, s, t, words))


QUERY_FIELDS["screen.content"] = (FieldSpec("screen.content", "text"), _content)

# Where an unfielded term looks: the names and addresses a person would type.
DEFAULT_QUERY_FIELDS = (
    "name", "server_username", "protocol", "client.address", "server.address",
    "target.address", "session_id", "psm.connection_policy", "channel_policy",
)

EVENT_FIELDS: dict[str, FieldSpec] = {
    "channels_id": FieldSpec("channels_id", "int"),
    "content": FieldSpec("content", "text"),
    "record_id": FieldSpec("record_id", "int"),
    "time": FieldSpec("time", "date"),
    "type": FieldSpec("type", "keyword"),
    "action": FieldSpec("action", "text"),
}
