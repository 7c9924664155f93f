"""The session table: chosen columns, a mark column, and a column cursor for sorting.

The table keeps a row cursor (whole sessions are what the user moves between);
left/right move a separate *sort column* marker, shown in the header, which `s`
sorts on. Rows are keyed by session key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message

from spstui.api.models import SessionRow
from spstui.cache import Triage
from spstui.tui.render import CELLS, DEFAULT_COLUMNS, column_cell, column_width, literal
from spstui.tui.row_table import RowTable

MARK_COLUMN = "mark"
TRIAGE_SYMBOLS = {"reviewed": ("✓", "green"), "suspicious": ("!", "bold red")}


def mark_cell(selected: bool, triage: Triage | None) -> Text:
    """Two characters: ◆ when marked for a batch, then the triage flag (✎ a note only)."""
    text = Text("◆" if selected else " ", style="bold magenta")
    if triage is not None and triage.flag in TRIAGE_SYMBOLS:
        symbol, style = TRIAGE_SYMBOLS[triage.flag]
        text.append(symbol, style)
    elif triage is not None and triage.note:
        text.append("✎", "cyan")
    else:
        text.append(" ")
    return text


def parse_sort(sort: str | None) -> tuple[str | None, bool]:
    """"-duration" -> ("duration", descending)."""
    if not sort:
        return None, False
    return sort.lstrip("-"), sort.startswith("-")


class SessionTable(RowTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "sort_column(-1)", "Column ←", show=False, id="table.col-left"),
        Binding("right,l", "sort_column(1)", "Column →", show=False, id="table.col-right"),
    ]

    class SortColumnMoved(Message):
        """The sort-column marker moved (the screen shows which)."""

    def __init__(self, columns: Sequence[str] = DEFAULT_COLUMNS, sort: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(zebra_stripes=True, **kwargs)
        self.column_ids: list[str] = [c for c in columns if c in CELLS] or list(DEFAULT_COLUMNS)
        self.sort = sort
        self.focus_column = 0
        self._rows: dict[str, SessionRow] = {}
        self._selected: set[str] = set()
        self._marks: Mapping[str, Triage] = {}

    def on_mount(self) -> None:
        self.build_columns()

    # -- columns ------------------------------------------------------------------------

    def build_columns(self) -> None:
        self.clear(columns=True)
        self.add_column(" ", key=MARK_COLUMN, width=2)
        for column_id in self.column_ids:
            self.add_column(self._label(column_id), key=column_id,
                            width=column_width(column_id))
        self.focus_column = min(self.focus_column, len(self.column_ids) - 1)

    def _label(self, column_id: str) -> Text:
        label, field, _ = CELLS[column_id]
        sorted_on, descending = parse_sort(self.sort)
        text = Text(label)
        if field is not None and field == sorted_on:
            text.append(" ▼" if descending else " ▲", "bold")
        if self.column_ids and column_id == self.column_ids[self.focus_column]:
            text.stylize("underline")
        return text

    def relabel(self) -> None:
        for column_id in self.column_ids:
            self.set_label(column_id, self._label(column_id))

    @property
    def focused_column_id(self) -> str:
        return self.column_ids[self.focus_column]

    def action_sort_column(self, step: int) -> None:
        self.focus_column = (self.focus_column + step) % len(self.column_ids)
        self.relabel()
        self.scroll_to_column(self.focus_column + 1)
        self.post_message(self.SortColumnMoved())

    # -- rows ----------------------------------------------------------------------------

    def fill(self, rows: Sequence[SessionRow], selected: set[str],
             marks: Mapping[str, Triage]) -> None:
        """Show a page; a row's cells are made when it is first painted."""
        if any(c.key == "message" for c in self.columns):
            self.build_columns()
        self._rows = {row.key: row for row in rows}
        self._selected, self._marks = selected, marks
        self.set_rows(list(self._rows), self._cells_of)

    def _cells_of(self, key: str) -> list[Text]:
        row = self._rows[key]
        return [mark_cell(key in self._selected, self._marks.get(key)),
                *(column_cell(c, row) for c in self.column_ids)]

    def set_mark(self, key: str, selected: bool, triage: Triage | None) -> None:
        if key in self._rows:
            self.update_cell(key, MARK_COLUMN, mark_cell(selected, triage))

    def show_message(self, text: str, style: str = "dim") -> None:
        """An empty table says why (no matches, an error) instead of staying blank.

        The message gets one wide column of its own; the next fill puts the session
        columns back."""
        self.clear(columns=True)
        self.add_column(" ", key=MARK_COLUMN, width=2)
        self.add_column("", key="message", width=max(20, cell_len(text)))
        self._rows = {}
        self.add_row(Text(""), literal(text, style), key="__message__")
