"""Turning appliance data into screen text, literally.

Recorded commands and window titles are typed by the people being audited:
they may hold escape sequences or text that looks like Rich markup. Every cell
goes through `literal`, which escapes control characters and returns a
`rich.text.Text` (never parsed as markup).
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from spstui.api.models import SessionRow
from spstui.output import safe_text, truncate

INTERESTING_COMMANDS = ("chmod", "ssh", "shutdown", "sudo", "su", "mount", "adduser",
                        "addgroup")
INTERESTING_TITLES = ("Management Console", "Control Panel", "Server Manager", "PowerShell",
                      "Security Settings", "Windows Security Center")


def literal(value: object, style: str = "") -> Text:
    return Text(safe_text(value), style=style, no_wrap=True)


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

COLUMNS = ("start (UTC)", "user", "client → server", "proto", "verdict", "time", "●",
           "index", "risk")
# Short labels keep the table narrow enough to sit beside the detail pane.
INDEX_LABELS = {"CHANNEL_OPEN": "open", "NOT_INDEXED": "queued", "INDEXING_IN_PROGRESS": "indexing",
                "INDEXED": "indexed", "INDEXING_NOT_REQUIRED": "n/a", "INDEXING_FAILED": "failed",
                "NO_TRAIL": "no trail"}


def row_cells(row: SessionRow) -> list[Text]:
    user = row.name or ""
    if row.server_username and row.server_username != row.name:
        user = f"{user} → {row.server_username}"
    route = f"{row.client_address or '?'} → {row.server_address or '?'}:{row.server_port or ''}"
    start = row.start_time.astimezone(UTC).strftime("%m-%d %H:%M") if row.start_time else ""
    verdict = row.verdict.normalized if row.verdict else ""
    verdict_style = VERDICT_STYLES.get(verdict, "red")
    risk = row.score
    return [
        literal(start),
        literal(truncate(safe_text(user), 18)),
        literal(truncate(safe_text(route), 28)),
        literal(row.protocol),
        literal(VERDICT_LABELS.get(verdict, verdict), verdict_style),
        literal(duration(row.duration)),
        literal("●" if row.active else "", "green"),
        literal(INDEX_LABELS.get(row.index_status or "", row.index_status)),
        literal("" if risk is None else risk, "bold red" if (risk or 0) >= 60 else ""),
    ]


def interesting(action: str | None, kind: str | None) -> bool:
    """The commands and window titles the appliance's own search page highlights."""
    if not action:
        return False
    if kind == "command":
        words = action.split()
        return any(w in INTERESTING_COMMANDS for w in words[:2])
    return any(title in action for title in INTERESTING_TITLES)
