"""Flat session rows: from search results and from full documents, and the
normalised column values offline search compares against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spstui.api.models import INDEX_STATUSES
from spstui.api.timestamps import parse_timestamp
from spstui.api.verdicts import normalize
from spstui.cache.fields import COLUMNS, row_name

_MISSING = object()

# Row field <- path in a full session body; the first path present wins.
_DOCUMENT_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "start_time": (("start_time",),),
    "end_time": (("end_time",),),
    "active": (("active",),),
    "protocol": (("protocol",),),
    "verdict": (("verdict",), ("recording", "verdict")),
    "duration": (("duration",),),
    "name": (("user", "name"), ("user", "gateway_username")),
    "server_username": (("user", "server_username"),),
    "client.address": (("client", "ip"), ("client", "address")),
    "client.port": (("client", "port"),),
    "server.address": (("server", "ip"), ("server", "address")),
    "server.port": (("server", "port"),),
    "target.address": (("recording", "target", "ip"), ("recording", "target", "address")),
    "target.port": (("recording", "target", "port"),),
    "server_local.address": (("recording", "server_local", "ip"),
                             ("recording", "server_local", "address")),
    "server_local.port": (("recording", "server_local", "port"),),
    "session_id": (("recording", "session_id"),),
    "auth_method": (("recording", "auth_method"),),
    "channel_policy": (("recording", "channel_policy"),),
    "connection_policy": (("recording", "connection_policy"),),
    "index_status": (("recording", "index_status"),),
    "archived": (("recording", "archived"),),
    "analytics.score.aggregated": (("analytics", "score", "aggregated"),),
    "analytics.interesting_events": (("analytics", "interesting_events"),),
}


def row_from_item(body: Mapping[str, Any]) -> dict[str, Any]:
    """A search result's flat body under the stored spellings."""
    return {row_name(name): value for name, value in body.items() if name != "key"}


def row_from_document(body: Mapping[str, Any]) -> dict[str, Any]:
    """The flat fields a full session body implies (only those it holds)."""
    row: dict[str, Any] = {}
    for name, paths in _DOCUMENT_PATHS.items():
        for path in paths:
            value = _dig(body, path)
            if value is not _MISSING:
                row[name] = value
                break
    if isinstance(row.get("index_status"), int):
        # Older releases number the index states.
        number = row["index_status"]
        row["index_status"] = (INDEX_STATUSES[number] if 0 <= number < len(INDEX_STATUSES)
                               else str(number))
    if row.get("session_id") is not None:
        row["session_id"] = str(row["session_id"])
    return row


def _dig(body: Mapping[str, Any], path: tuple[str, ...]) -> object:
    node: object = body
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def is_active(row: Mapping[str, Any]) -> bool:
    return as_bool(row.get("active")) is True


def column_values(row: Mapping[str, Any]) -> dict[str, object]:
    """Each column's normalised value: what `q` and `sort` compare."""
    values: dict[str, object] = {}
    for col in COLUMNS:
        raw = row.get(col.row_name)
        if col.kind == "keyword":
            values[col.column] = None if raw is None else keyword(str(raw))
        elif col.kind == "verdict":
            values[col.column] = None if raw is None else normalize(str(raw))
        elif col.kind == "int":
            values[col.column] = as_int(raw)
        elif col.kind == "bool":
            flag = as_bool(raw)
            values[col.column] = None if flag is None else int(flag)
        else:
            values[col.column] = as_epoch(raw)
    if values["active"] is None and values["end_time"] is not None:
        # Rows fetched without the active field: an ended session is not active.
        values["active"] = 0
    return values


def keyword(text: str) -> str:
    """Keyword fields compare case-insensitively."""
    return text.casefold()


def as_int(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return int(raw)
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            return None
    return None


def as_bool(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    if isinstance(raw, int):
        return bool(raw)
    return None


def as_epoch(raw: object) -> float | None:
    try:
        moment = parse_timestamp(raw)
    except ValueError:
        return None
    return None if moment is None else moment.timestamp()
