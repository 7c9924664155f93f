"""The detail pane: one session in six tabs (Overview, Channels, Events,
Indexing, Alerts, Downloads)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane

from spstui.api.models import Session
from spstui.tui.render import duration, interesting, literal, when

TABS = (("overview", "Overview"), ("channels", "Channels"), ("events", "Events"),
        ("indexing", "Indexing"), ("alerts", "Alerts"), ("downloads", "Downloads"))
PART_OF_TAB = {"channels": "channels", "events": "events", "indexing": "indexing",
               "alerts": "alerts", "downloads": "trail_downloads"}


def overview_groups(session: Session) -> list[tuple[str, list[tuple[str, object]]]]:
    """Every field, grouped like the appliance's own session details."""
    b = session.body
    r = b.recording
    archive = r.audit_trail.archive if r.audit_trail and not isinstance(
        r.audit_trail, str) else None
    score = b.analytics.score
    return [
        ("Quick look", [
            ("Key", session.key), ("Session ID", r.session_id), ("Protocol", b.protocol),
            ("Active", b.active), ("Verdict", b.verdict), ("Recording verdict", r.verdict),
            ("Start", when(b.start_time)), ("End", when(b.end_time)),
            ("Duration", duration(b.duration)), ("Gateway user", b.user.name),
            ("Server user", b.user.server_username),
        ]),
        ("Network", [
            ("Client", b.client.label if b.client else None),
            ("Server", b.server.label if b.server else None),
            ("Target", r.target.label if r.target else None),
            ("SPS", r.server_local.label if r.server_local else None),
            ("Connection policy", r.connection_policy), ("Channel policy", r.channel_policy),
            ("Authentication", r.auth_method),
        ]),
        ("Recording and archive", [
            ("Has audit trail", r.has_trail), ("Index status", r.index_status),
            ("Commands extracted", r.command_extracted),
            ("Window titles extracted", r.window_title_extracted),
            ("Archived", r.archived),
            ("Archive date", when(archive.date) if archive else None),
            ("Archive server", archive.server if archive else None),
            ("Archive path", archive.path if archive else None),
            ("Node", b.node_id), ("Origin", b.origin), ("Revision", b.revision),
        ]),
        ("Analytics", [
            ("Risk score", score.aggregated if score else None),
            ("Interesting events", ", ".join(b.analytics.interesting_events)),
            ("Scripted", b.analytics.scripted), ("Tags", ", ".join(b.analytics.tags)),
        ]),
    ]


class DetailPane(Vertical):
    """Shows one session; the screen feeds it (attributes down)."""

    def compose(self) -> ComposeResult:
        yield Static("Select a session.", id="detail-title")
        with TabbedContent(id="tabs"):
            for tab_id, title in TABS:
                with TabPane(title, id=f"tab-{tab_id}"):
                    if tab_id == "events":
                        yield Input(placeholder="filter events (plain text)",
                                    id="events-filter")
                    yield DataTable(id=f"table-{tab_id}", cursor_type="row",
                                    zebra_stripes=True)

    def on_mount(self) -> None:
        self._parts: dict[str, list[Any]] = {}

    def show_loading(self, key: str) -> None:
        self.query_one("#detail-title", Static).update(literal(f"Loading {key}…"))

    def show_error(self, message: str) -> None:
        self.query_one("#detail-title", Static).update(literal(message, "bold red"))

    def show(self, session: Session, parts: dict[str, list[Any]], note: str = "") -> None:
        b = session.body
        title = Text.assemble(
            literal(f"{b.protocol or '?'} · {b.user.name or '?'} → "
                    f"{b.server.label if b.server else '?'}", "bold"),
            literal(f"  {note}" if note else "", "italic"))
        self.query_one("#detail-title", Static).update(title)
        self._fill_overview(session)
        self._parts = parts
        for tab_id, part in PART_OF_TAB.items():
            self._fill_part(tab_id, parts.get(part, []))

    def _fill_overview(self, session: Session) -> None:
        table = self.query_one("#table-overview", DataTable)
        table.clear(columns=True)
        table.add_columns("field", "value")
        for group, rows in overview_groups(session):
            table.add_row(literal(group, "bold underline"), Text(""))
            for name, value in rows:
                table.add_row(literal(f"  {name}"), literal(value))

    def _fill_part(self, tab_id: str, items: list[Any], text_filter: str = "") -> None:
        table = self.query_one(f"#table-{tab_id}", DataTable)
        table.clear(columns=True)
        records = [i.model_dump(exclude_none=True) if hasattr(i, "model_dump") else dict(i)
                   for i in items]
        hidden = {"config", "version", "key"}
        columns = list(dict.fromkeys(k for rec in records for k in rec if k not in hidden))
        if not records:
            table.add_column("")
            table.add_row(literal("nothing here", "dim"))
            return
        table.add_columns(*columns)
        for rec in records:
            if text_filter and not any(text_filter.lower() in str(v).lower()
                                       for v in rec.values()):
                continue
            flagged = tab_id == "events" and interesting(rec.get("action"), rec.get("type"))
            style = "bold yellow" if flagged else ""
            table.add_row(*(literal(when(v) if hasattr(v, "astimezone") else v, style)
                            for v in (rec.get(c) for c in columns)))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "events-filter":
            self._fill_part("events", self._parts.get("events", []), event.value)

    def show_tab(self, index: int) -> None:
        if 1 <= index <= len(TABS):
            self.query_one(TabbedContent).active = f"tab-{TABS[index - 1][0]}"
