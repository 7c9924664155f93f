"""The active-sessions view: `active:true`, followed live.

Every refresh interval the view asks for the active sessions again and changes
the table in place: new sessions are added at the bottom (oldest first, so rows
never move) and marked "new" for a few refreshes; rows already shown have only
their changed cells rewritten; sessions that are no longer active are fetched
once more for their final verdict and duration, marked "ended" and removed a
minute later (or at once with `c`). Cursor and scroll position stay put.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker

from spstui.api.errors import SpsError
from spstui.api.models import Session, SessionRow
from spstui.api.search import SearchQuery
from spstui.backend import Backend, Freshness
from spstui.output import truncate
from spstui.tui.detail import TABS, DetailPane
from spstui.tui.footer import KeyFooter
from spstui.tui.lifecycle import unless_gone
from spstui.tui.render import CELLS, DEFAULT_COLUMNS, TableCell, column_width, literal
from spstui.tui.row_table import RowTable
from spstui.tui.session_actions import SessionActions
from spstui.tui.transfers import TransfersSummary

if TYPE_CHECKING:
    pass

ACTIVE_QUERY = "active:true"
NEW_SECONDS = 15.0  # how long a new session stays marked "new"
ENDED_SECONDS = 60.0  # how long an ended session stays in the list
MARK_COLUMN = "mark"  # "new" / "ended"; not a CELLS id, so it never clashes


STATE_MARKS = {"new": ("new", "bold green"), "ended": ("ended", "dim")}
STATE_STYLES = {"new": "bold", "ended": "dim"}


class _Reads:
    """Stands in for a row and notes which fields a cell function reads: a cell is
    made again only when one of those changed (a refresh changes few cells)."""

    __slots__ = ("_row", "names")

    def __init__(self, row: SessionRow) -> None:
        self._row = row
        self.names: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        self.names.add(name)
        return getattr(self._row, name)


def _values(row: SessionRow) -> dict[str, Any]:
    return {**row.__dict__, **(row.__pydantic_extra__ or {})}


@dataclass
class Entry:
    """One row of the view: the session as last seen and what the view says of it."""

    row: SessionRow
    state: str = "active"  # "new", "active" or "ended"
    age: int = 0  # refreshes since the state began
    cells: list[Text] = field(default_factory=list)  # the mark, then the columns
    reads: list[frozenset[str]] = field(default_factory=list)  # fields each column read
    shown: tuple[SessionRow, str] | None = None  # the row and state the cells show


@dataclass
class Snapshot:
    """What one refresh fetched; applying it changes the table."""

    rows: list[SessionRow] = field(default_factory=list)
    match_count: int | None = None
    freshness: Freshness | None = None
    ended: dict[str, Session | None] = field(default_factory=dict)
    error: str | None = None


def ended_row(row: SessionRow, session: Session | None) -> SessionRow:
    """The row of a session that left the active list, with its final values."""
    if session is None:  # could not ask: it is not active any more, that much is known
        return row.model_copy(update={"active": False})
    b = session.body
    update: dict[str, Any] = {"active": b.active, "verdict": b.verdict or row.verdict,
                              "duration": b.duration, "end_time": b.end_time,
                              "index_status": b.recording.index_status or row.index_status}
    if b.analytics.score is not None:
        update["score"] = b.analytics.score.aggregated
    return row.model_copy(update=update)


def _same(a: Text, b: Text) -> bool:
    return a.plain == b.plain and a.style == b.style and a.spans == b.spans


def _every(seconds: float) -> str:
    return f"{seconds:g} s" if seconds < 60 else f"{seconds / 60:g} min"


def _cycles(seconds: float, interval: float) -> int:
    return max(1, math.ceil(seconds / max(interval, 0.001)))


class ActiveScreen(SessionActions):
    """Active sessions, refreshed every `options.refresh_interval` seconds; the session
    actions (download, follow, terminate, copy the key) work on the highlighted row."""

    DEFAULT_CSS = """
    ActiveScreen #active-main { height: 1fr; }
    ActiveScreen #active-left { width: 3fr; max-width: 127; }
    ActiveScreen #active { height: 1fr; }
    ActiveScreen.zoomed #active { display: none; }
    ActiveScreen.zoomed #active-left { dock: bottom; width: 100%; max-width: 100%; height: 1; }
    ActiveScreen.zoomed DetailPane { width: 1fr; }
    ActiveScreen #active-status { width: 1fr; height: 1; padding: 0 1; background: $boost; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pause", "Pause/resume", id="active.pause"),
        Binding("r", "refresh", "Refresh now", id="active.refresh"),
        Binding("c", "clear_ended", "Clear ended", id="active.clear-ended"),
        Binding("z", "zoom", "Zoom", id="active.zoom"),
        Binding("escape", "back", "Back", id="active.back"),
        Binding("j", "cursor(1)", "Down", show=False, id="active.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="active.up"),
        Binding("g", "cursor_edge(0)", "First", show=False, id="active.first"),
        Binding("G", "cursor_edge(1)", "Last", show=False, id="active.last"),
        *(Binding(str(n), f"tab({n})", f"{title} tab", show=False, id=f"active.tab-{n}")
          for n, (_, title) in enumerate(TABS, start=1)),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[str, Entry] = {}
        self.paused = False
        self.refreshed_at: float | None = None
        self.last: Snapshot | None = None  # the last successful refresh
        self.error: str | None = None
        self._timer: Timer | None = None
        self._worker: Worker[None] | None = None
        self._detail_key: str | None = None
        self.column_ids: list[str] = list(DEFAULT_COLUMNS)

    @property
    def backend(self) -> Backend:
        return self.sps.backend

    @property
    def interval(self) -> float:
        return self.sps.options.refresh_interval

    @property
    def query_value(self) -> SearchQuery:
        # Oldest first: sessions that start later land below the rows already shown.
        return SearchQuery(q=ACTIVE_QUERY, sort=("start_time",),
                           limit=self.sps.options.page_size)

    def compose(self) -> ComposeResult:
        with Horizontal(id="active-main"):
            # The status line under the table, not across the details too: a refresh
            # (changed cells, a new status) then repaints only this side of the screen.
            with Vertical(id="active-left"):
                yield RowTable(id="active")
                yield Static("Loading active sessions…", id="active-status")
            yield DetailPane(id="detail")
        yield TransfersSummary(id="active-transfers")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.session_table()
        # The columns the user chose for the browser, in the same order.
        chosen = [c for c in (self.sps.ui_state.columns or ()) if c in CELLS]
        self.column_ids = chosen or list(DEFAULT_COLUMNS)
        table.add_column("", width=5, key=MARK_COLUMN)
        for column_id in self.column_ids:
            table.add_column(CELLS[column_id][0], key=column_id,
                             width=column_width(column_id))
        table.focus()
        self._timer = self.set_interval(self.interval, self.tick)
        self.refresh_sessions()

    # -- refreshing ----------------------------------------------------------------------

    def current_key(self) -> str | None:
        """The key of the highlighted session (None when the list is empty)."""
        return self.session_table().cursor_key

    def session_table(self) -> RowTable:
        return self.query_one("#active", RowTable)

    def divider_left(self) -> Widget:
        return self.query_one("#active-left")

    def current_row(self) -> SessionRow | None:
        """The highlighted session as last listed."""
        key = self.current_key()
        entry = self.entries.get(key) if key else None
        return entry.row if entry else None

    def session_ended(self, key: str) -> None:
        """Told that a session was terminated from here: show it at once."""
        self.refresh_sessions()

    def tick(self) -> None:
        """What the timer calls: refresh, unless paused, hidden under another screen or
        a refresh is still under way (a slow appliance's answer is left to arrive)."""
        if (self.paused or not self.is_current
                or (self._worker is not None and self._worker.is_running)):
            return
        self.refresh_sessions()

    def on_screen_resume(self) -> None:
        # Back from a screen opened over this one: catch up now, not at the next tick.
        if self.last is not None and not self.paused:
            self.refresh_sessions()

    def refresh_sessions(self) -> Worker[None]:
        """Fetch and apply once now, in a worker (the timer and `r` call this)."""
        worker: Worker[None] = self._refresh()
        self._worker = worker
        return worker

    @work(exclusive=True, group="active-refresh")
    async def _refresh(self) -> None:
        """One whole refresh: ask the appliance, then update the table."""
        snapshot = await self.fetch_snapshot()
        with unless_gone(self):
            self.apply_snapshot(snapshot)

    async def fetch_snapshot(self) -> Snapshot:
        """The active sessions now, plus the final state of those that left the list."""
        try:
            page, freshness = await self.backend.page(self.query_value, 0)
        except SpsError as err:
            return Snapshot(error=str(err))
        present = {row.key for row in page.items}
        gone = [key for key, entry in self.entries.items()
                if key not in present and entry.state != "ended"]
        results = await asyncio.gather(*(self.backend.session(k) for k in gone),
                                       return_exceptions=True)
        ended = {key: (r[0] if not isinstance(r, BaseException) else None)
                 for key, r in zip(gone, results, strict=True)}
        return Snapshot(list(page.items), page.meta.match_count, freshness, ended)

    def apply_snapshot(self, snap: Snapshot) -> None:
        """Change the table in place to match a fetched snapshot."""
        if snap.error is not None:
            self.error = snap.error  # keep the rows: the last good state is still useful
            self._show_status()
            return
        self.error = None
        first = self.last is None
        new_for = _cycles(NEW_SECONDS, self.interval)
        keep_ended = _cycles(ENDED_SECONDS, self.interval)
        table = self.session_table()
        changes: list[tuple[str, str, Text]] = []  # cells to rewrite, all in one go
        expired: list[str] = []
        for aging in self.entries.values():
            aging.age += 1
            if aging.state == "new" and aging.age >= new_for:
                aging.state = "active"
            elif aging.state == "ended" and aging.age >= keep_ended:
                expired.append(aging.row.key)
        for row in snap.rows:
            entry = self.entries.get(row.key)
            if entry is None:
                entry = Entry(row, "active" if first else "new")
                self.entries[row.key] = entry
                table.add_row(*self._make_cells(entry), key=row.key)
                continue
            entry.row = row
            if entry.state == "ended":  # listed as active again
                entry.state, entry.age = "active", 0
            self._update(entry, changes)
        for key, session in snap.ended.items():
            entry = self.entries.get(key)
            if entry is None:
                continue
            entry.row = ended_row(entry.row, session)
            if not entry.row.active:
                entry.state, entry.age = "ended", 0
            self._update(entry, changes)
        table.update_cells(changes)
        self._remove(expired)
        self.last = snap
        self.refreshed_at = self.backend.now()
        self._show_status()

    def _cell(self, column_id: str, entry: Entry) -> tuple[Text, frozenset[str]]:
        probe = _Reads(entry.row)
        made = CELLS[column_id][2](cast(SessionRow, probe))
        text = TableCell(truncate(made.plain, column_width(column_id)), style=made.style,
                         no_wrap=True, end="")
        style = STATE_STYLES.get(entry.state)
        if style:
            text.stylize(style)
        return text, frozenset(probe.names)

    @staticmethod
    def _mark(state: str) -> Text:
        mark = STATE_MARKS.get(state)
        return literal(*mark) if mark else Text("")

    def _make_cells(self, entry: Entry) -> list[Text]:
        made = [self._cell(column_id, entry) for column_id in self.column_ids]
        entry.cells = [self._mark(entry.state), *(text for text, _ in made)]
        entry.reads = [reads for _, reads in made]
        entry.shown = (entry.row, entry.state)
        return entry.cells

    def _update(self, entry: Entry, changes: list[tuple[str, str, Text]]) -> None:
        """Note, in `changes`, the cells whose text or style changed."""
        assert entry.shown is not None
        shown_row, shown_state = entry.shown
        restyle = entry.state != shown_state
        before, after = _values(shown_row), _values(entry.row)
        changed = {name for name, value in after.items() if before.get(name) != value}
        key = entry.row.key
        if restyle:
            entry.cells[0] = self._mark(entry.state)
            changes.append((key, MARK_COLUMN, entry.cells[0]))
        fields = after.keys()
        for i, column_id in enumerate(self.column_ids):
            reads = entry.reads[i]
            # A name that is no field (a property, say) cannot be compared: make it again.
            if restyle or reads & changed or not fields >= reads:
                text, entry.reads[i] = self._cell(column_id, entry)
                if not _same(text, entry.cells[i + 1]):
                    entry.cells[i + 1] = text
                    changes.append((key, column_id, text))
        entry.shown = (entry.row, entry.state)

    def _remove(self, keys: list[str]) -> None:
        if not keys:
            return
        table = self.session_table()
        current = self.current_key()
        index = table.cursor_row
        for key in keys:
            table.remove_row(key)
            del self.entries[key]
        if current in self.entries:
            # Rows above the cursor went away: stay on the same session.
            table.move_cursor(row=table.get_row_index(current), animate=False)
        elif table.row_count:
            table.move_cursor(row=min(index, table.row_count - 1), animate=False)
            self._show_detail(self.current_key())

    # -- status line ---------------------------------------------------------------------

    def _show_status(self) -> None:
        parts: list[str] = []
        style = ""
        if self.error is not None:
            parts.append(f"Refresh failed: {self.error}")
            style = "bold red"
        if self.paused:
            parts.append("paused (p resumes)")
        active = sum(1 for e in self.entries.values() if e.state != "ended")
        count = f"{active} active"
        snap = self.last
        if snap is not None and (snap.match_count or 0) > len(snap.rows):
            count += f" (the first {len(snap.rows):,} of {snap.match_count:,})"
        parts.append(count)
        new = sum(1 for e in self.entries.values() if e.state == "new")
        ended = sum(1 for e in self.entries.values() if e.state == "ended")
        if new:
            parts.append(f"{new} new (G: at the bottom)")
        if ended:
            parts.append(f"{ended} ended (kept {_every(ENDED_SECONDS)}; c clears)")
        if snap is not None and snap.freshness is not None and snap.freshness.stale:
            # From the cache: when it was cached is what matters, not when it was read.
            parts.append(snap.freshness.describe(self.backend.now()))
            style = style or "yellow"
        elif self.refreshed_at is not None:
            at = datetime.fromtimestamp(self.refreshed_at, UTC).strftime("%H:%M:%S")
            parts.append(f"refreshed {at} UTC")
        if not self.paused and not self.backend.offline:  # offline, nothing new comes
            parts.append(f"every {_every(self.interval)}")
        line = literal(" · ".join(parts), style)
        self.query_one("#active-status", Static).update(line, layout=False)

    # -- details -------------------------------------------------------------------------

    @on(RowTable.RowHighlighted, "#active")
    def row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        if event.row_key != self._detail_key:
            self._show_detail(event.row_key)

    def _show_detail(self, key: str | None) -> None:
        self._detail_key = key
        if key:
            self.load_detail(key)

    def load_detail(self, key: str) -> None:
        self.query_one(DetailPane).load(self.backend, key)

    # -- actions -------------------------------------------------------------------------

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.query_one(DetailPane).tail_paused = self.paused
        if self.paused:
            if self._timer is not None:
                self._timer.pause()
            self.workers.cancel_group(self, "active-refresh")
        else:
            if self._timer is not None:
                self._timer.resume()
            self.refresh_sessions()  # catch up at once
        self._show_status()

    def action_refresh(self) -> None:
        self.refresh_sessions()

    def action_clear_ended(self) -> None:
        self._remove([k for k, e in self.entries.items() if e.state == "ended"])
        self._show_status()

    def action_back(self) -> None:
        if self.has_class("zoomed"):
            self.set_zoomed(False)
            self.session_table().focus()
            return
        self.app.pop_screen()
