"""The browser screen: query bar, session table, detail pane, status line."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from spstui.api.dates import resolve_date
from spstui.api.errors import SpsError
from spstui.api.querycheck import query_problem
from spstui.api.search import BASIC_SEARCH_CAP, SearchQuery
from spstui.backend import PARTS, Backend
from spstui.tui.detail import DetailPane
from spstui.tui.messages import DetailFailed, DetailLoaded, PageFailed, PageLoaded
from spstui.tui.render import COLUMNS, literal, row_cells

DETAIL_DELAY = 0.15  # wait for the cursor to settle before fetching details


class BrowserScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_query", "Query", id="browser.focus-query"),
        Binding("right_square_bracket", "page(1)", "Next page", id="browser.next-page"),
        Binding("left_square_bracket", "page(-1)", "Prev page", id="browser.prev-page"),
        Binding("z", "zoom", "Zoom", id="browser.zoom"),
        Binding("j", "cursor(1)", "Down", show=False, id="browser.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="browser.up"),
        Binding("g", "cursor_edge(0)", "First", show=False, id="browser.first"),
        Binding("G", "cursor_edge(1)", "Last", show=False, id="browser.last"),
        Binding("escape", "back", "Back", id="browser.back"),
        *(Binding(str(n), f"tab({n})", f"Tab {n}", show=False, id=f"browser.tab-{n}")
          for n in range(1, 7)),
    ]

    def __init__(self, backend: Backend, page_size: int = 500) -> None:
        super().__init__()
        self.backend = backend
        self.page_size = page_size
        self.query_value = SearchQuery(limit=page_size)
        self.page_offset = 0
        self.match_count: int | None = None
        self.keys: list[str] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="query-bar"):
            yield Input(placeholder="q  e.g. protocol:ssh AND NOT verdict:accept", id="q")
            yield Input(placeholder="start (-24h, 2026-11-01)", id="start")
            yield Input(placeholder="end", id="end")
            yield Input(placeholder="content", id="content")
        yield Static("", id="query-error")
        with Horizontal(id="main"):
            table: DataTable[Any] = DataTable(id="sessions", cursor_type="row",
                                              zebra_stripes=True)
            yield table
            yield DetailPane(id="detail")
        yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#sessions", DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.load_page(self.query_value, 0)

    # -- loading ------------------------------------------------------------------------

    def set_status(self, text: str, style: str = "") -> None:
        self.query_one("#status", Static).update(literal(text, style))

    @work(exclusive=True, group="page")
    async def load_page(self, query: SearchQuery, offset: int) -> None:
        self.set_status("Loading…", "italic")
        try:
            page, freshness = await self.backend.page(query, offset)
        except SpsError as err:
            self.post_message(PageFailed(query, offset, str(err)))
            return
        self.post_message(PageLoaded(query, offset, page, freshness))

    @on(PageLoaded)
    def page_loaded(self, message: PageLoaded) -> None:
        self.query_value, self.page_offset = message.query, message.offset
        page = message.page
        self.match_count = page.meta.match_count
        table = self.query_one("#sessions", DataTable)
        table.clear()
        self.keys = []
        for row in page.items:
            table.add_row(*row_cells(row), key=row.key)
            self.keys.append(row.key)
        total = self.match_count or 0
        if not page.items:
            self.set_status("No sessions match." if total == 0 else "No more sessions.")
            return
        first, last = message.offset + 1, message.offset + len(page.items)
        text = f"{first:,}–{last:,} of {total:,}"
        if total > BASIC_SEARCH_CAP:
            text += f" (pages reach the first {BASIC_SEARCH_CAP:,}; export for all)"
        fresh = message.freshness
        if fresh.stale:
            text += f" · {fresh.describe(self.backend.now())}"
        self.set_status(text, "yellow" if fresh.stale else "")

    @on(PageFailed)
    def page_failed(self, message: PageFailed) -> None:
        self.set_status(message.error, "bold red")
        if "Invalid q" in message.error or "InvalidQuery" in message.error:
            self.query_one("#query-error", Static).update(literal(message.error, "red"))

    # -- details --------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#sessions")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key:
            self.query_one(DetailPane).show_loading(key)
            self.load_detail(key)

    @work(exclusive=True, group="detail")
    async def load_detail(self, key: str) -> None:
        await asyncio.sleep(DETAIL_DELAY)
        try:
            session, freshness = await self.backend.session(key)
            results = await asyncio.gather(*(self.backend.part(key, p) for p in PARTS),
                                           return_exceptions=True)
        except SpsError as err:
            self.post_message(DetailFailed(key, str(err)))
            return
        parts = {name: (r[0] if not isinstance(r, BaseException) else [])
                 for name, r in zip(PARTS, results, strict=True)}
        self.post_message(DetailLoaded(key, session, parts, freshness))

    @on(DetailLoaded)
    def detail_loaded(self, message: DetailLoaded) -> None:
        note = "" if not message.freshness.stale else message.freshness.describe(
            self.backend.now())
        self.query_one(DetailPane).show(message.session, message.parts, note)

    @on(DetailFailed)
    def detail_failed(self, message: DetailFailed) -> None:
        self.query_one(DetailPane).show_error(message.error)

    # -- query bar ------------------------------------------------------------------------

    @on(Input.Changed, "#q")
    def check_query(self, event: Input.Changed) -> None:
        problem = query_problem(event.value)
        self.query_one("#query-error", Static).update(literal(problem or "", "red"))

    @on(Input.Submitted, "#q, #start, #end, #content")
    def submit_query(self) -> None:
        value = {name: self.query_one(f"#{name}", Input).value.strip()
                 for name in ("q", "start", "end", "content")}
        if query_problem(value["q"]):
            return  # the error is already shown next to the query
        query = replace(self.query_value, q=value["q"], content=value["content"] or None,
                        start=resolve_date(value["start"]) if value["start"] else None,
                        end=resolve_date(value["end"]) if value["end"] else None)
        self.query_one("#query-error", Static).update("")
        self.query_one("#sessions", DataTable).focus()
        self.load_page(query, 0)

    # -- actions --------------------------------------------------------------------------

    def action_focus_query(self) -> None:
        self.query_one("#q", Input).focus()

    def action_page(self, step: int) -> None:
        offset = self.page_offset + step * self.page_size
        reachable = min(self.match_count or 0, BASIC_SEARCH_CAP)
        if 0 <= offset < reachable:
            self.load_page(self.query_value, offset)
        else:
            self.notify("No more pages that way.", timeout=2)

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#sessions", DataTable)
        table.move_cursor(row=table.cursor_row + step)

    def action_cursor_edge(self, last: int) -> None:
        table = self.query_one("#sessions", DataTable)
        table.move_cursor(row=table.row_count - 1 if last else 0)

    def action_zoom(self) -> None:
        self.query_one("#sessions").toggle_class("hidden")

    def action_tab(self, n: int) -> None:
        self.query_one(DetailPane).show_tab(n)

    def action_back(self) -> None:
        table = self.query_one("#sessions", DataTable)
        if table.has_class("hidden"):
            table.remove_class("hidden")
        table.focus()
