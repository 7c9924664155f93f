"""The session fields the cache keeps in columns, and the names that reach them.

Three spellings meet here. Search bodies use the displayable names
("connection_policy", "server_local.address"); `q` uses the documented
filterable names, some under `psm.` ("psm.connection_policy"); the guide's own
examples use still others ("client.ip", "user.gateway_username"). Cached rows
are stored under the displayable names, so rows from search pages and rows
derived from full documents merge into one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["keyword", "verdict", "int", "bool", "date"]


@dataclass(frozen=True)
class Column:
    row_name: str  # the key in a cached flat row
    column: str  # the SQL column holding its normalised value
    kind: Kind


COLUMNS: tuple[Column, ...] = (
    Column("start_time", "start_time", "date"),
    Column("end_time", "end_time", "date"),
    Column("active", "active", "bool"),
    Column("protocol", "protocol", "keyword"),
    Column("verdict", "verdict", "verdict"),
    Column("name", "name", "keyword"),
    Column("server_username", "server_username", "keyword"),
    Column("client.address", "client_address", "keyword"),
    Column("client.port", "client_port", "int"),
    Column("server.address", "server_address", "keyword"),
    Column("server.port", "server_port", "int"),
    Column("target.address", "target_address", "keyword"),
    Column("target.port", "target_port", "int"),
    Column("server_local.address", "local_address", "keyword"),
    Column("server_local.port", "local_port", "int"),
    Column("session_id", "session_id", "keyword"),
    Column("auth_method", "auth_method", "keyword"),
    Column("channel_policy", "channel_policy", "keyword"),
    Column("connection_policy", "connection_policy", "keyword"),
    Column("index_status", "index_status", "keyword"),
    Column("duration", "duration", "int"),
    Column("analytics.score.aggregated", "score", "int"),
)
BY_ROW_NAME = {c.row_name: c for c in COLUMNS}

# Other spellings of row fields -> the displayable name rows are stored under.
ROW_ALIASES: dict[str, str] = {
    "client.ip": "client.address",
    "server.ip": "server.address",
    "target.ip": "target.address",
    "server_local.ip": "server_local.address",
    "psm.target.address": "target.address",
    "psm.target.port": "target.port",
    "psm.server_local.address": "server_local.address",
    "psm.server_local.port": "server_local.port",
    "psm.connection_policy": "connection_policy",
    "recording.connection_policy": "connection_policy",
    "recording.channel_policy": "channel_policy",
    "recording.auth_method": "auth_method",
    "recording.index_status": "index_status",
    "recording.session_id": "session_id",
    "recording.archived": "archived",
    "psm.session_id": "session_id",
    "user.name": "name",
    "user.gateway_username": "name",
    "psm.gateway_username": "name",
    "gateway_username": "name",
    "user.server_username": "server_username",
    "psm.server_username": "server_username",
    "analytics.score": "analytics.score.aggregated",
}

# `q` accepts exactly the documented filterable names (so a query that works
# offline also works against the appliance), mapped to their row names.
FILTERABLE: dict[str, str] = {
    "active": "active",
    "auth_method": "auth_method",
    "channel_policy": "channel_policy",
    "client.address": "client.address",
    "client.port": "client.port",
    "psm.connection_policy": "connection_policy",
    "end_time": "end_time",
    "name": "name",
    "protocol": "protocol",
    "server.address": "server.address",
    "psm.server_local.address": "server_local.address",
    "psm.server_local.port": "server_local.port",
    "server.port": "server.port",
    "server_username": "server_username",
    "session_id": "session_id",
    "start_time": "start_time",
    "target.address": "target.address",
    "target.port": "target.port",
    "verdict": "verdict",
}
CONTENT_FIELD = "screen.content"


def row_name(name: str) -> str:
    """The displayable name a flat field is stored under."""
    return ROW_ALIASES.get(name, name)


def filter_column(name: str) -> Column | None:
    """The column a `q` field filters on; None for an unknown field."""
    target = FILTERABLE.get(name)
    return BY_ROW_NAME[target] if target else None


def sort_column(name: str) -> Column | None:
    """The column a `sort` field orders by: any cached column under any spelling."""
    return BY_ROW_NAME.get(row_name(FILTERABLE.get(name, name)))
