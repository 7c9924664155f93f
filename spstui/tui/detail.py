"""The detail pane: one session in six tabs (Overview, Channels, Events,
Indexing, Alerts, Downloads), with a live tail of the events of an active session."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent, TabPane

from spstui.api import sessions
from spstui.api.errors import SpsError
from spstui.api.models import Event, Session
from spstui.backend import PARTS, Backend, Freshness
from spstui.cache import Triage
from spstui.output import counted, safe_text
from spstui.tui.lifecycle import unless_gone
from spstui.tui.render import duration, interesting, literal, when, wrap_cells
from spstui.tui.row_table import PADDING, RowTable

TABS = (("overview", "Overview"), ("channels", "Channels"), ("events", "Events"),
        ("indexing", "Indexing"), ("alerts", "Alerts"), ("downloads", "Downloads"))
PART_OF_TAB = {"channels": "channels", "events": "events", "indexing": "indexing",
               "alerts": "alerts", "downloads": "trail_downloads"}
HIDDEN_FIELDS = frozenset({"config", "version", "key"})
# The Indexing tab shows the indexer configuration each run used.
SHOWN_ON = {"indexing": frozenset({"config"})}
# Columns read first, in this order (the appliance sends its fields alphabetically):
# when, then what happened; the rest follow as they come.
LEADING_COLUMNS = {
    "events": ("time", "type", "action", "content"),
    "alerts": ("time", "rule_name", "alert_type", "matched_action", "matched_content"),
    "downloads": ("time", "username", "ip_address"),
    "indexing": ("status",),
}
DEFAULT_TAIL_INTERVAL = 5.0
DETAIL_DELAY = 0.15  # wait for the cursor to settle before fetching details
MIN_VALUE_WIDTH = 12
MIN_LABEL_WIDTH = 10
SCROLLBAR = 2


@dataclass
class Details:
    """A session and its parts, as fetched for the pane."""

    session: Session
    parts: dict[str, list[Any]]
    freshness: Freshness
    failures: dict[str, str] = field(default_factory=dict)  # part -> why it is missing


async def load_details(backend: Backend, key: str) -> Details:
    """A session and all its parts. The session failing raises; a part failing leaves
    that part empty, with the reason in `failures` for its tab to show."""
    session, freshness = await backend.session(key)
    results = await asyncio.gather(*(backend.part(key, p) for p in PARTS),
                                   return_exceptions=True)
    parts: dict[str, list[Any]] = {}
    failures: dict[str, str] = {}
    for name, result in zip(PARTS, results, strict=True):
        if isinstance(result, BaseException):
            parts[name], failures[name] = [], str(result) or type(result).__name__
        else:
            parts[name] = result[0]
    return Details(session, parts, freshness, failures)


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
            ("Titles extracted", r.window_title_extracted),
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


def _record(item: Any) -> dict[str, Any]:
    return item.model_dump(exclude_none=True) if hasattr(item, "model_dump") else dict(item)


def _matches(record: dict[str, Any], text_filter: str) -> bool:
    needle = text_filter.lower()
    return not needle or any(needle in str(v).lower() for v in record.values())


def _plain(value: object) -> object:
    """Nested values (an indexer run's statistics and config) as `name=value, ...`."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(_plain(v)) for v in value)
    return when(value) if isinstance(value, datetime) else value


def _cells(tab_id: str, record: dict[str, Any], columns: list[str],
           day: date | None = None) -> list[Text]:
    """A row's cells. A time on `day` (the session's first, UTC) shows as the time of
    day alone: beside the details, the date would leave no room for the command."""
    flagged = tab_id == "events" and interesting(record.get("action"), record.get("type"))
    style = "bold yellow" if flagged else ""
    cells = []
    for column in columns:
        value = record.get(column)
        if column == "time" and isinstance(value, datetime) and day is not None \
                and value.astimezone(UTC).date() == day:
            value = value.astimezone(UTC).strftime("%H:%M:%S")
        cells.append(literal(_plain(value), style))
    return cells


class DetailPane(Vertical):
    """Shows one session; the screen feeds it (attributes down).

    While the shown session is active, the Events tab is kept up to date: every
    refresh interval the pane asks for the events after the last one it has and
    appends them (`poll_tail` does one such poll). Set `tail_paused` to stop the
    polling without forgetting the session (the active view's pause does)."""

    # One line: a long server name ends in an ellipsis instead of vanishing.
    DEFAULT_CSS = """
    DetailPane #detail-title { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, *children: Widget, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self._parts: dict[str, list[Any]] = {}
        self._columns: dict[str, list[str]] = {}
        self._session: Session | None = None
        self._triage: Triage | None = None  # the shown session's local mark, if any
        self._title = Text("")
        self._tail_key: str | None = None
        self._tail_timer: Timer | None = None
        self._tail_error = ""
        self._tail_paused = False
        self._failures: dict[str, str] = {}
        self._overview_width = 0
        self._overview_fields: list[tuple[str, str]] = []
        self._error = ""  # why no session is shown, laid out again when the width changes

    def compose(self) -> ComposeResult:
        yield Static("Select a session.", id="detail-title")
        with TabbedContent(id="tabs"):
            for tab_id, title in TABS:
                with TabPane(title, id=f"tab-{tab_id}"):
                    if tab_id == "events":
                        yield Input(placeholder="filter events (plain text)",
                                        id="events-filter")
                    yield RowTable(id=f"table-{tab_id}")

    # -- what the screen calls ---------------------------------------------------------

    @property
    def session_key(self) -> str | None:
        """The key of the session shown (None while none is)."""
        return self._session.key if self._session else None

    @property
    def tailing(self) -> bool:
        return self._tail_key is not None

    @property
    def tail_paused(self) -> bool:
        return self._tail_paused

    @tail_paused.setter
    def tail_paused(self, paused: bool) -> None:
        self._tail_paused = paused
        self._show_title()

    def load(self, backend: Backend, key: str) -> None:
        """Show session `key`: "Loading…" now, its details once they arrive. A newer
        call replaces an older one still waiting (the cursor moved on)."""
        self.show_loading(key)
        self._load(backend, key)

    @work(exclusive=True, group="detail")
    async def _load(self, backend: Backend, key: str) -> None:
        await asyncio.sleep(DETAIL_DELAY)
        try:
            loaded = await load_details(backend, key)
        except SpsError as err:
            with unless_gone(self):
                self.show_error(str(err))
            return
        note = "" if not loaded.freshness.stale else loaded.freshness.describe(backend.now())
        mark = backend.triage([key]).get(key)
        with unless_gone(self):
            self.show(loaded.session, loaded.parts, note, loaded.failures, mark)

    def show_loading(self, key: str) -> None:
        if key != self._tail_key:
            self._stop_tail()
        self.query_one("#detail-title", Static).update(literal(f"Loading {key}…"), layout=False)

    def show_error(self, message: str) -> None:
        """Why the session cannot be shown, whole (the title line would cut it), in
        every tab: none of them shows the session before."""
        self._stop_tail()
        self._session, self._parts, self._error = None, {}, message
        self.query_one("#detail-title", Static).update(literal(message, "bold red"), layout=False)
        self._fill_error()

    def _fill_error(self) -> None:
        self._overview_width = self.size.width
        lines = wrap_cells(safe_text(self._error),
                           max(MIN_VALUE_WIDTH, self.size.width - SCROLLBAR - 4))
        for tab_id, _ in TABS:
            table = self.query_one(f"#table-{tab_id}", RowTable)
            table.clear(columns=True)
            table.add_column("")
            for line in lines:
                table.add_row(literal(line, "red"))

    def show(self, session: Session, parts: dict[str, list[Any]], note: str = "",
             failures: dict[str, str] | None = None, triage: Triage | None = None) -> None:
        b = session.body
        self._title = Text.assemble(
            literal(f"{b.protocol or '?'} · {b.user.name or '?'} → "
                    f"{b.server.label if b.server else '?'}", "bold"),
            literal(f"  {note}" if note else "", "italic"))
        self._session, self._triage, self._error = session, triage, ""
        self._fill_overview(session)
        self._parts = parts
        self._failures = failures or {}
        for tab_id, part in PART_OF_TAB.items():
            self._fill_part(tab_id, parts.get(part, []), self._filter(tab_id))
        if b.active:
            self._start_tail(session.key)
        else:
            self._stop_tail()
        self._show_title()

    def show_tab(self, index: int) -> None:
        if 1 <= index <= len(TABS):
            self.query_one(TabbedContent).active = f"tab-{TABS[index - 1][0]}"

    @property
    def shown_key(self) -> str | None:
        """The session whose details are shown (the cursor may be on the next one,
        still loading)."""
        return self._session.key if self._session is not None else None

    def downloaded(self, backend: Backend, key: str) -> None:
        """The user fetched `key`'s trail: the appliance lists that download now, so
        the Downloads tab of that session, if shown, is read again."""
        if key == self.shown_key:
            self._reload_downloads(backend, key)

    @work(group="detail-downloads")
    async def _reload_downloads(self, backend: Backend, key: str) -> None:
        try:
            items, _ = await backend.part(key, "trail_downloads")
        except SpsError:
            return  # the list shown stays; the next look at the session reads it again
        with unless_gone(self):
            if key == self.shown_key:
                self._parts["trail_downloads"] = items
                self._fill_part("downloads", items)

    def show_triage(self, mark: Triage | None) -> None:
        """The shown session's local triage mark changed (`t`): show the new one."""
        self._triage = mark
        if self._session is not None:
            self._fill_overview(self._session, keep_cursor=True)

    def current_table(self) -> RowTable | None:
        """The table of the tab shown."""
        pane = self.query_one(TabbedContent).active_pane
        return pane.query(RowTable).first() if pane is not None else None

    # -- filling the tabs --------------------------------------------------------------

    def _show_title(self) -> None:
        if not self.is_mounted or self._session is None:
            return
        # The marker goes first: a long server name would crop it at the end.
        marker = Text("")
        if self._tail_key is not None:
            marker = (literal("‖ paused ", "yellow") if self._tail_paused
                      else literal("● live ", "bold green"))
            if self._tail_error:
                marker.append_text(literal(f"{self._tail_error} ", "red"))
        title = Text.assemble(marker, self._title)
        self.query_one("#detail-title", Static).update(title, layout=False)

    def _filter(self, tab_id: str) -> str:
        return self.query_one("#events-filter", Input).value if tab_id == "events" else ""

    def _fill_overview(self, session: Session, keep_cursor: bool = False) -> None:
        table = self.query_one("#table-overview", RowTable)
        groups = overview_groups(session)
        if self._triage is not None:  # the auditor's own mark comes first
            groups.insert(0, ("Triage (local only)", [
                ("Flag", self._triage.flag or "none"), ("Note", self._triage.note or "")]))
        # Beside the session table the pane is narrow: both columns wrap in its width
        # (the pane's, as a hidden tab has none), the names giving way first so that
        # no value is ever cut at the edge; `z` (or <) gives them more.
        self._overview_width = self.size.width
        natural = max(max(cell_len(group), 2 + max(cell_len(name) for name, _ in rows))
                      for group, rows in groups)
        usable = self.size.width - SCROLLBAR - 4 * PADDING  # two columns' text
        labels = min(natural, max(MIN_LABEL_WIDTH, usable - MIN_VALUE_WIDTH))
        room = max(1, usable - labels)
        cursor = table.cursor_row
        was_on = self._overview_fields[cursor] if cursor < len(self._overview_fields) else None
        table.clear(columns=True)
        table.add_columns("field", "value")
        fields: list[tuple[str, str]] = []  # the (group, field) of each row
        for group, rows in groups:
            for line in wrap_cells(group, labels):
                table.add_row(literal(line, "bold underline"), Text(""))
                fields.append((group, ""))
            for name, value in rows:
                names = wrap_cells(name, labels - 2)
                values = wrap_cells(safe_text(value), room)
                for i in range(max(len(names), len(values))):
                    table.add_row(literal(f"  {names[i]}" if i < len(names) else ""),
                                  literal(values[i] if i < len(values) else ""))
                    fields.append((group, name))
        self._overview_fields = fields
        if keep_cursor:  # the same session laid out again: stay on the same field
            # (wrapped to another width, or with the triage group come or gone above)
            table.move_cursor(row=fields.index(was_on) if was_on in fields else cursor)

    def on_resize(self) -> None:
        if self.size.width == self._overview_width:
            return
        if self._session is not None:
            self._fill_overview(self._session, keep_cursor=True)
        elif self._error:
            self._fill_error()

    def _fill_part(self, tab_id: str, items: list[Any], text_filter: str = "") -> None:
        table = self.query_one(f"#table-{tab_id}", RowTable)
        table.clear(columns=True)
        records = [_record(i) for i in items]
        hidden = HIDDEN_FIELDS - SHOWN_ON.get(tab_id, frozenset())
        present = dict.fromkeys(k for rec in records for k in rec if k not in hidden)
        leading = [c for c in LEADING_COLUMNS.get(tab_id, ()) if c in present]
        columns = leading + [c for c in present if c not in leading]
        self._columns[tab_id] = columns
        if not records:
            failed = self._failures.get(PART_OF_TAB.get(tab_id, ""))
            table.add_column("")
            table.add_row(literal(f"Could not load: {failed}", "red") if failed
                          else literal("nothing here", "dim"))
            return
        if tab_id == "channels":
            self._fill_channels(table, records)
            return
        shown = [rec for rec in records if _matches(rec, text_filter)]
        if not shown:  # the filter is kept from session to session: say it is there
            # No columns: the tail lays the tab out again (count, or the first match).
            self._columns[tab_id] = []
            table.add_column("")
            table.add_row(literal(f"{counted(len(records), 'event')}, none with "
                                  f"{text_filter!r} (the filter above)", "dim"))
            return
        table.add_columns(*columns)
        for rec in shown:
            table.add_row(*_cells(tab_id, rec, columns, self._day(tab_id)))

    def _day(self, tab_id: str) -> date | None:
        """The UTC day the shown session started on, for the tabs of what happened in
        it (a download comes days later: its date always shows)."""
        if tab_id not in ("events", "alerts"):
            return None
        start = self._session.body.start_time if self._session is not None else None
        return start.astimezone(UTC).date() if start is not None else None

    @staticmethod
    def _fill_channels(table: RowTable, records: list[dict[str, Any]]) -> None:
        """Channel types carry different fields (an exec its command, scp its path, RDP
        its device): one group of field/value rows per channel, with the fields it has."""
        table.add_columns("field", "value")
        for number, rec in enumerate(records, 1):
            title = f"#{rec.get('key') or number} {rec.get('type') or 'channel'}"
            table.add_row(literal(title, "bold underline"), Text(""))
            for name, value in rec.items():
                if name not in HIDDEN_FIELDS and name != "type" and value not in (None, ""):
                    table.add_row(literal(f"  {name}"), literal(_plain(value)))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "events-filter" and self._session is not None:
            self._fill_part("events", self._parts.get("events", []), event.value)

    # -- live tail of the events ---------------------------------------------------------

    def append_events(self, items: list[Any]) -> None:
        """Add newly recorded events at the bottom, keeping the filter; follow the
        tail when the cursor was on the last row."""
        if not items:
            return
        events = self._parts.setdefault("events", [])
        events.extend(items)
        records = [_record(i) for i in items]
        columns = self._columns.get("events", [])
        text_filter = self._filter("events")
        table = self.query_one("#table-events", RowTable)
        following = table.row_count == 0 or table.cursor_row >= table.row_count - 1
        if not columns or any(k not in columns for rec in records for k in rec
                              if k not in HIDDEN_FIELDS):
            # The first events, or a field not seen before: the columns change.
            self._fill_part("events", events, text_filter)
        else:
            for rec in records:
                if _matches(rec, text_filter):
                    table.add_row(*_cells("events", rec, columns, self._day("events")))
        if following and table.row_count:
            table.move_cursor(row=table.row_count - 1)

    def poll_tail(self) -> None:
        """Ask once now for events newer than the last one shown (unless paused)."""
        if self._tail_key is not None and not self._tail_paused:
            self._poll(self._tail_key)

    def _tick(self) -> None:
        # Under another screen (the active view over the browser) the pane waits; the
        # first poll after coming back asks for everything since the last event shown.
        if self.screen.is_current:
            self.poll_tail()

    def _start_tail(self, key: str) -> None:
        if self._tail_key == key and self._tail_timer is not None:
            return
        self._stop_tail()
        options = getattr(self.app, "options", None)
        interval = getattr(options, "refresh_interval", DEFAULT_TAIL_INTERVAL)
        self._tail_key = key
        self._tail_timer = self.set_interval(interval, self._tick)

    def _stop_tail(self, cancel_poll: bool = True) -> None:
        if self._tail_timer is not None:
            self._tail_timer.stop()
            self._tail_timer = None
        if self._tail_key is not None and cancel_poll:
            self.workers.cancel_group(self, "tail")
        self._tail_key = None
        self._tail_error = ""

    @work(exclusive=True, group="tail")
    async def _poll(self, key: str) -> None:
        backend: Backend | None = getattr(self.app, "backend", None)
        if backend is None or backend.offline or backend.client is None:
            return  # the cache cannot say what happened since
        known = self._parts.get("events", [])
        record_ids = [e.record_id for e in known
                      if isinstance(e, Event) and e.record_id is not None]
        after = max(record_ids) if record_ids else None
        try:
            # The session first: if it has ended, the events asked for next are all there is.
            session, _ = await backend.session(key)
            found = await sessions.events(backend.client, key, after_record=after)
        except SpsError as err:
            if self._tail_key == key:
                self._tail_error = f"tail: {err.message}"
                self._show_title()
            return
        if self._tail_key != key:
            return  # another session is shown now
        self._tail_error = ""
        with unless_gone(self):
            # Without record ids to ask "after", the whole list came back.
            self.append_events(found if after is not None or not known else found[len(known):])
            if not session.body.active:
                self._stop_tail(cancel_poll=False)  # this poll is the last; let it finish
                self._session = session
                self._fill_overview(session)
            self._show_title()
