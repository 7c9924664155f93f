"""The browser screen: query bar, session table, detail pane, status line."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static

from spstui.api.errors import SpsError
from spstui.api.models import ListMeta, SearchPage, SessionRow
from spstui.api.search import BASIC_SEARCH_CAP, SearchQuery
from spstui.backend import Backend, Freshness
from spstui.cache import Triage
from spstui.output import counted
from spstui.tui.deep_pages import DeepPager
from spstui.tui.detail import TABS, DetailPane
from spstui.tui.dialogs import ColumnPicker, TriageChoice, TriageDialog
from spstui.tui.export_dialog import ExportDialog, ExportSpec
from spstui.tui.footer import KeyFooter
from spstui.tui.key_order import Loading
from spstui.tui.messages import PageFailed, PageLoaded
from spstui.tui.querybar import QueryBar
from spstui.tui.render import CELLS, DEFAULT_COLUMNS, literal, sort_label
from spstui.tui.row_table import RowTable
from spstui.tui.session_actions import SessionActions
from spstui.tui.session_table import SessionTable, parse_sort
from spstui.tui.state import DEFAULT_SORT, first_query
from spstui.tui.transfers import Transfers

TRIAGE_FILTERS = (None, "suspicious", "reviewed", "any")


def quote_term(value: str) -> str:
    """A value as a quoted q term (session IDs hold '/' and ':')."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class BrowserScreen(SessionActions):
    # The table takes the keys from the start. (Textual would focus the query bar
    # first, and its hint line's restyle, undone at once, cost the first frame ~10 ms.)
    AUTO_FOCUS = "#sessions"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_query", "Query", id="browser.focus-query"),
        Binding("right_square_bracket", "page(1)", "Next page", id="browser.next-page"),
        Binding("left_square_bracket", "page(-1)", "Prev page", id="browser.prev-page"),
        Binding("r", "reload", "Reload", show=False, id="browser.reload"),
        Binding("s", "sort", "Sort", id="browser.sort"),
        Binding("v", "columns", "Columns", show=False, id="browser.columns"),
        Binding("space", "mark", "Mark", show=False, id="browser.mark"),
        Binding("t", "triage", "Triage", id="browser.triage"),
        Binding("T", "triage_filter", "Triage filter", show=False,
                id="browser.triage-filter"),
        Binding("e", "export", "Export", show=False, id="browser.export"),
        Binding("a", "active", "Active", id="browser.active"),
        Binding("c", "settings", "Settings", id="browser.settings"),
        Binding("z", "zoom", "Zoom", id="browser.zoom"),
        Binding("j", "cursor(1)", "Down", show=False, id="browser.down"),
        Binding("k", "cursor(-1)", "Up", show=False, id="browser.up"),
        Binding("g", "cursor_edge(0)", "First", show=False, id="browser.first"),
        Binding("G", "cursor_edge(1)", "Last", show=False, id="browser.last"),
        Binding("escape", "back", "Back", id="browser.back"),
        *(Binding(str(n), f"tab({n})", f"{title} tab", show=False, id=f"browser.tab-{n}")
          for n, (_, title) in enumerate(TABS, start=1)),
    ]

    def __init__(self, backend: Backend, page_size: int = 500) -> None:
        super().__init__()
        self.backend = backend
        self.page_size = page_size
        self.sort = DEFAULT_SORT
        self.columns: list[str] = list(DEFAULT_COLUMNS)
        self.query_value = SearchQuery(limit=page_size, sort=(self.sort,))
        self.page_offset = 0
        # The page last asked for (shown, or on its way): `]` typed ahead moves on
        # from it, so "]]]" goes three pages on, not one.
        self.wanted: tuple[SearchQuery, int] = (self.query_value, 0)
        self.match_count: int | None = None
        self.keys: list[str] = []
        self.rows: dict[str, SessionRow] = {}
        self.selected: set[str] = set()  # marked for a batch (space)
        self.marks: dict[str, Triage] = {}  # triage marks of the rows shown
        self.triage_filter: str | None = None
        self.page_text = ""
        self.deep: DeepPager | None = None
        self.page_loading = Loading()  # the key gate holds keys typed meanwhile

    def compose(self) -> ComposeResult:
        state = getattr(self.app, "ui_state", None)
        if state is not None:
            self.query_value = first_query(state, self.page_size)
            self.sort = self.query_value.sort[0]
            self.columns = [c for c in (state.columns or DEFAULT_COLUMNS) if c in CELLS] \
                or list(DEFAULT_COLUMNS)
        yield QueryBar(now=self.backend.now)
        with Horizontal(id="main"):
            yield SessionTable(self.columns, self.sort, id="sessions")
            yield DetailPane(id="detail")
        yield Transfers(id="transfers")
        yield Static("", id="status")
        yield KeyFooter()

    @property
    def table(self) -> SessionTable:
        return self.query_one("#sessions", SessionTable)

    def session_table(self) -> RowTable:
        return self.table

    def divider_left(self) -> Widget:
        return self.table

    def on_mount(self) -> None:
        self.load_page(self.query_value, 0)

    # -- loading ------------------------------------------------------------------------

    def set_status(self, text: str, style: str = "") -> None:
        self.page_text = text
        self._paint_status(style)

    def _paint_status(self, style: str = "") -> None:
        extras = []
        # Named as its column is ("risk", not "analytics.score.aggregated").
        extras.append(f"sort: {sort_label(self.sort)}")
        if self.selected:
            extras.append(f"{len(self.selected)} marked")
        if self.triage_filter:
            extras.append(f"triage filter: {self.triage_filter}")
        status = literal(self.page_text, style)
        status.append(literal("   " + " · ".join(extras), "dim"))
        self.query_one("#status", Static).update(status, layout=False)

    def effective_query(self) -> SearchQuery | None:
        """The query as sent: the triage filter becomes a session_id clause (the
        appliance knows nothing of local marks). None: no session has that mark."""
        query = self.query_value
        if not self.triage_filter or self.backend.cache is None:
            return query
        wanted = None if self.triage_filter == "any" else self.triage_filter
        ids = [sid for sid in self.backend.cache.triaged(wanted).values() if sid]
        if not ids:
            return None
        clause = f"session_id:({' OR '.join(quote_term(i) for i in ids)})"
        return replace(query, q=f"({query.q}) AND {clause}" if query.q.strip() else clause)

    def load_page(self, query: SearchQuery, offset: int) -> None:
        """Show that page in place of this one; keys typed meanwhile wait for it."""
        self.wanted = (query, offset)
        self._load_page(query, offset, self.page_loading.begin())

    @work(exclusive=True, group="page")
    async def _load_page(self, query: SearchQuery, offset: int, load: int) -> None:
        self.set_status("Loading…", "italic")
        sent = self.effective_query() if query == self.query_value else query
        try:
            if sent is None:
                page = SearchPage(items=[], meta=ListMeta(match_count=0, offset=0))
                freshness = Freshness("cache", self.backend.now())
            elif offset >= BASIC_SEARCH_CAP:
                page, freshness = await self._deep_page(sent, offset)
            else:
                # Basic search stops at 10,000: a page never reaches past it.
                limited = replace(sent, limit=min(sent.limit, BASIC_SEARCH_CAP - offset))
                page, freshness = await self.backend.page(limited, offset)
        except SpsError as err:
            self.post_message(PageFailed(query, offset, str(err), load))
            return
        self.post_message(PageLoaded(query, offset, page, freshness, load))

    async def _deep_page(self, query: SearchQuery, offset: int) -> tuple[SearchPage, Freshness]:
        client = self.backend.client
        if client is None or self.backend.offline:
            raise SpsError("Pages past 10,000 need the appliance (advanced search); "
                           "the cache cannot list them.")
        if self.deep is None or not self.deep.matches(query):
            self.deep = DeepPager(client, query)
            self.app.notify(f"Past {BASIC_SEARCH_CAP:,} matches: continuing through advanced "
                            "search, which reads in order — the first deep page takes a "
                            "moment.", title="Advanced search", timeout=8)
        rows = await self.deep.page(offset, query.limit)
        meta = ListMeta(match_count=self.match_count, offset=offset, limit=query.limit)
        return SearchPage(items=rows, meta=meta), Freshness("appliance", self.backend.now())

    @on(PageLoaded)
    def page_loaded(self, message: PageLoaded) -> None:
        self.page_loading.end(message.load)  # held keys go on once this handler is done
        self.query_value, self.page_offset = message.query, message.offset
        page = message.page
        self.match_count = page.meta.match_count
        self.keys = [row.key for row in page.items]
        self.rows = {row.key: row for row in page.items}
        self.marks = self.backend.triage(self.keys)
        total = self.match_count or 0
        if not page.items:
            self._show_empty(total)
            return
        self.table.fill(page.items, self.selected, self.marks)
        first, last = message.offset + 1, message.offset + len(page.items)
        text = f"{first:,}–{last:,} of {total:,}"
        if self.deep is not None and message.offset >= BASIC_SEARCH_CAP:
            text += " (advanced search)"
        fresh = message.freshness
        if fresh.stale:
            text += f" · {fresh.describe(self.backend.now())}"
        self.set_status(text, "yellow" if fresh.stale else "")

    def _show_empty(self, total: int) -> None:
        if self.triage_filter and total == 0:
            why = f"No session with the triage mark '{self.triage_filter}' matches."
        elif total == 0:
            why = "No sessions match. Widen the dates or change the query (/)."
        else:
            why = "No more sessions."
        self.table.show_message(why)
        self.query_one(DetailPane).show_error("")
        self.set_status(why.split(".")[0] + ".")

    @on(PageFailed)
    def page_failed(self, message: PageFailed) -> None:
        if self.page_loading.end(message.load):  # not a replaced load's failure
            self.wanted = (self.query_value, self.page_offset)  # still what is shown
        self.set_status(f"{message.error}  (r retries)", "bold red")
        if "Invalid q" in message.error or "InvalidQuery" in message.error:
            self.query_one(QueryBar).show_error(message.error)
        if not self.keys:
            self.table.show_message(f"Could not load sessions: {message.error}", "red")

    # -- details --------------------------------------------------------------------------

    @on(RowTable.RowHighlighted, "#sessions")
    def row_highlighted(self, event: RowTable.RowHighlighted) -> None:
        key = event.row_key
        if key in self.rows:
            self.load_detail(key)

    def load_detail(self, key: str) -> None:
        self.query_one(DetailPane).load(self.backend, key)

    # -- query bar ------------------------------------------------------------------------

    @on(QueryBar.Submitted)
    def submit_query(self, message: QueryBar.Submitted) -> None:
        query = replace(self.query_value, q=message.q, content=message.content,
                        start=message.start, end=message.end)
        if message.sort:  # a saved query brings its own sort
            self._set_sort(message.sort)
            query = replace(query, sort=(self.sort,))
        # The results are what a search is for: show the table even if the details
        # had the screen (a hidden table would take the keys unseen).
        self.set_zoomed(False)
        self.table.focus()
        self.load_page(query, 0)

    def apply_saved_query(self, name: str) -> None:
        """Fill the query bar from a saved query and run it (the palette calls this)."""
        if not self.query_one(QueryBar).apply_saved(name):
            self.notify(f"No saved query named {name!r}.", severity="error")

    # -- table actions --------------------------------------------------------------------

    def current_key(self) -> str | None:
        table = self.table
        if not self.keys or not 0 <= table.cursor_row < table.row_count:
            return None
        key = table.cursor_key
        return key if key in self.rows else None

    def current_row(self) -> SessionRow | None:
        key = self.current_key()
        return self.rows.get(key) if key else None

    def row_for(self, key: str) -> SessionRow | None:
        return self.rows.get(key)  # any row of the page: a batch has marked ones

    def session_ended(self, key: str) -> None:
        self.action_reload()

    def target_keys(self) -> list[str]:
        """What a batch action works on: the marked rows, else the highlighted one."""
        if self.selected:
            return sorted(self.selected)
        key = self.current_key()
        return [key] if key else []

    def on_screen_resume(self) -> None:
        # Back from the settings screen: a new page size applies from the page the
        # cursor was on (the page that holds its first row).
        size = self.sps.options.page_size
        if size != self.page_size:
            self.page_size = size
            self.query_value = replace(self.query_value, limit=size)
            self.load_page(self.query_value, self.page_offset - self.page_offset % size)

    def action_focus_query(self) -> None:
        self.query_one(QueryBar).focus_query()

    def action_page(self, step: int) -> None:
        query, base = self.wanted
        offset = base + step * self.page_size
        if step < 0 and offset < 0 < base:
            offset = 0
        if 0 <= offset < (self.match_count or 0):
            self.load_page(query, offset)
        else:
            self.notify("No more pages that way.", timeout=2)

    def action_reload(self) -> None:
        self.load_page(self.query_value, self.page_offset)

    def action_sort(self) -> None:
        column_id = self.table.focused_column_id
        field = CELLS[column_id][1]
        if field is None:
            self.notify("This column cannot be sorted.", severity="warning")
            return
        sorted_on, descending = parse_sort(self.sort)
        self._set_sort(f"-{field}" if sorted_on == field and not descending else field)
        self.load_page(replace(self.query_value, sort=(self.sort,)), 0)

    @on(RowTable.HeaderSelected, "#sessions")
    def header_clicked(self, message: RowTable.HeaderSelected) -> None:
        """A click on a column header sorts on it, as `s` on that column does."""
        column_id = message.column_key
        if column_id in self.table.column_ids:
            self.table.focus_column = self.table.column_ids.index(column_id)
            self.table.relabel()
            self.action_sort()

    def _set_sort(self, sort: str) -> None:
        """Sort on the appliance, shown in the header and remembered across runs."""
        self.sort = sort
        self.table.sort = sort
        self.table.relabel()
        self.deep = None
        if hasattr(self.app, "ui_state"):
            self.sps.ui_state.sort = sort
            self.sps.save_ui_state()

    def action_columns(self) -> None:
        def chosen(columns: list[str] | None) -> None:
            if not columns:
                return
            self.columns = columns
            table = self.table
            table.column_ids = list(columns)
            table.build_columns()
            table.fill([self.rows[k] for k in self.keys], self.selected, self.marks)
            if hasattr(self.app, "ui_state"):
                self.sps.ui_state.columns = list(columns)
                self.sps.save_ui_state()

        self.app.push_screen(ColumnPicker(self.columns), chosen)

    def action_mark(self) -> None:
        key = self.current_key()
        if key is None:
            return
        self.selected.symmetric_difference_update({key})
        self.table.set_mark(key, key in self.selected, self.marks.get(key))
        self.table.move_cursor(row=self.table.cursor_row + 1)
        self._paint_status()

    def action_triage(self) -> None:
        keys = self.target_keys()
        cache = self.backend.cache
        if not keys:
            return
        if cache is None:
            self.notify("Triage marks live in the cache, which is not available.",
                        severity="error")
            return

        def chosen(choice: TriageChoice | None) -> None:
            if choice is None:
                return
            for key in keys:
                cache.set_triage(key, choice.flag, choice.note)
            self.marks.update(cache.triage(keys))
            for key in keys:
                if key not in cache.triage([key]):
                    self.marks.pop(key, None)
                self.table.set_mark(key, key in self.selected, self.marks.get(key))
            # The details show the mark too; those still loading read it when they come.
            pane = self.query_one(DetailPane)
            shown = pane.shown_key
            if shown is not None and shown in keys:
                pane.show_triage(self.marks.get(shown))
            what = choice.flag or ("note" if choice.note else "no mark")
            self.notify(f"Marked {counted(len(keys), 'session')}: {what}.", timeout=3)

        self.app.push_screen(TriageDialog(keys[0] if len(keys) == 1 else
                                          f"{len(keys)} marked sessions",
                                          self.marks.get(keys[0])), chosen)

    def action_triage_filter(self) -> None:
        index = TRIAGE_FILTERS.index(self.triage_filter)
        self.triage_filter = TRIAGE_FILTERS[(index + 1) % len(TRIAGE_FILTERS)]
        self.notify(f"Triage filter: {self.triage_filter or 'off'}", timeout=2)
        self.load_page(self.query_value, 0)

    def action_export(self) -> None:
        page_rows = [{"key": k, **self.rows[k].raw} for k in self.keys if k in self.rows]

        def chosen(spec: ExportSpec | None) -> None:
            if spec is not None:
                self.query_one(Transfers).start_export(spec)

        self.app.push_screen(ExportDialog(self.effective_query() or self.query_value,
                                          page_rows, marked=sorted(self.selected),
                                          match_count=self.match_count,
                                          now=datetime.fromtimestamp(self.backend.now())),
                             chosen)

    def action_active(self) -> None:
        from spstui.tui.active import ActiveScreen

        self.app.push_screen(ActiveScreen())

    def action_settings(self) -> None:
        self.sps.open_settings()

    def action_back(self) -> None:
        table = self.table
        if self.has_class("zoomed"):
            self.set_zoomed(False)
        elif self.selected:
            for key in list(self.selected):
                self.selected.discard(key)
                table.set_mark(key, False, self.marks.get(key))
            self.notify("Marks cleared.", timeout=2)
            self._paint_status()
        table.focus()
