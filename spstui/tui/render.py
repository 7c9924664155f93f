"""Turning appliance data into screen text, literally.

Recorded commands and window titles are typed by the people being audited:
they may hold escape sequences or text that looks like Rich markup. Every cell
goes through `literal`, which escapes control characters and returns a
`rich.text.Text` (never parsed as markup).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import UTC, datetime

from rich.cells import cell_len, chop_cells
from rich.text import Text

from spstui.api.models import SessionRow
from spstui.output import safe_text, truncate

INTERESTING_COMMANDS = ("chmod", "ssh", "shutdown", "sudo", "su", "mount", "adduser",
                        "addgroup")
INTERESTING_TITLES = ("Management Console", "Control Panel", "Server Manager", "PowerShell",
                      "Security Settings", "Windows Security Center")


def literal(value: object, style: str = "") -> Text:
    return Text(safe_text(value), style=style, no_wrap=True)


def wrap_cells(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells: at spaces where it can, mid-word where it must
    (session keys have none); wide characters count double. Never no line."""
    if not all(cell_len(char) == 1 for char in text):  # textwrap counts characters
        return chop_cells(text, width) or [""]
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


VERDICT_STYLES = {"accept": "", "accept-terminated": "yellow"}
VERDICT_LABELS = {"accept-terminated": "terminated", "user-mapping-fail": "map-fail"}

# Short labels keep the table narrow enough to sit beside the detail pane.
INDEX_LABELS = {"CHANNEL_OPEN": "open", "NOT_INDEXED": "queued", "INDEXING_IN_PROGRESS": "indexing",
                "INDEXED": "indexed", "INDEXING_NOT_REQUIRED": "n/a", "INDEXING_FAILED": "failed",
                "NO_TRAIL": "no trail"}


def _user(row: SessionRow) -> Text:
    user = row.name or ""
    if row.server_username and row.server_username != row.name:
        user = f"{user} → {row.server_username}"
    return literal(truncate(safe_text(user), 17))


def _route(row: SessionRow) -> Text:
    route = f"{row.client_address or '?'} → {row.server_address or '?'}:{row.server_port or ''}"
    return literal(truncate(safe_text(route), 25))


def _short_time(value: datetime | None) -> Text:
    return literal(value.astimezone(UTC).strftime("%m-%d %H:%M") if value else "")


def _verdict(row: SessionRow) -> Text:
    verdict = row.verdict.normalized if row.verdict else ""
    return literal(VERDICT_LABELS.get(verdict, verdict), VERDICT_STYLES.get(verdict, "red"))


def _risk(row: SessionRow) -> Text:
    risk = row.score
    return literal("" if risk is None else risk, "bold red" if (risk or 0) >= 60 else "")


# Every column the session table can show: id -> (label, appliance sort field, cell).
CELLS: dict[str, tuple[str, str | None, Callable[[SessionRow], Text]]] = {
    "start": ("start (UTC)", "start_time", lambda r: _short_time(r.start_time)),
    "end": ("end (UTC)", "end_time", lambda r: _short_time(r.end_time)),
    "user": ("user", "name", _user),
    "route": ("client → server", "client.address", _route),
    "proto": ("proto", "protocol", lambda r: literal(r.protocol)),
    "verdict": ("verdict", "verdict", _verdict),
    "time": ("time", "duration", lambda r: literal(duration(r.duration))),
    "active": ("●", "active", lambda r: literal("●" if r.active else "", "green")),
    "index": ("index", "index_status",
              lambda r: literal(INDEX_LABELS.get(r.index_status or "", r.index_status))),
    "risk": ("risk", "analytics.score.aggregated", _risk),
    "policy": ("policy", "connection_policy", lambda r: literal(truncate(
        safe_text(r.connection_policy or ""), 16))),
    "session_id": ("session id", "session_id", lambda r: literal(r.session_id)),
}


def sort_label(sort: str) -> str:
    """A sort as the table names its columns: "-analytics.score.aggregated" reads
    "risk ▼" (fields given with commas, each in turn)."""
    labels = []
    for part in filter(None, (p.strip() for p in sort.split(","))):
        field, descending = part.lstrip("-+"), part.startswith("-")
        label = next((c[0] for c in CELLS.values() if c[1] == field), field)
        labels.append(f"{label} {'▼' if descending else '▲'}")
    return ", ".join(labels)


DEFAULT_COLUMNS = ("start", "user", "route", "proto", "verdict", "time", "active", "index",
                   "risk")
COLUMNS = tuple(CELLS[c][0] for c in DEFAULT_COLUMNS)


# Display widths of the session table's columns. Fixed widths keep the columns from
# jumping between pages, and let the table skip measuring every cell (below).
WIDTHS = {"start": 11, "end": 11, "user": 16, "route": 24, "proto": 6, "verdict": 10,
          "time": 7, "active": 1, "index": 8, "risk": 4, "policy": 16, "session_id": 36}


class TableCell(Text):
    """A cell of a fixed-width column.

    DataTable measures every cell of every new row, which was most of the time a
    500-row page took to show; a fixed-width column has no use for the answer. Rich
    and Textual both read a missing `__rich_measure__` as "no natural width"."""

    __rich_measure__ = None  # type: ignore[assignment]


def column_width(column_id: str) -> int:
    """Room for the widest cell and for the header with its sort arrow."""
    return max(WIDTHS[column_id], cell_len(CELLS[column_id][0]) + 2)


def column_cell(column_id: str, row: SessionRow) -> Text:
    text = CELLS[column_id][2](row)
    plain = truncate(text.plain, column_width(column_id))
    return TableCell(plain, style=text.style, no_wrap=True, end="")


def interesting(action: str | None, kind: str | None) -> bool:
    """The commands and window titles the appliance's own search page highlights."""
    if not action:
        return False
    if kind == "command":
        words = action.split()
        return any(w in INTERESTING_COMMANDS for w in words[:2])
    return any(title in action for title in INTERESTING_TITLES)
