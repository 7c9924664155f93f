"""RowTable: a table of whole rows that paints only the lines on screen.

Textual's DataTable tags its render caches with an update counter, so adding a
row or changing one cell makes it render every visible cell again, and it keeps
every row as widgets' worth of bookkeeping: a 500-row page took about half a
second to show and an active-view refresh about 0.2 s. This table keeps, per
row, the cells it was given (or makes them on first paint, through `row_cells`),
caches one rendered line per row, and a changed row repaints only its own line.

The header is the first line and stays put while the rows scroll under it. The
cursor is a row cursor: whole sessions are what the user moves between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

PADDING = 1  # a blank cell each side of every column, as DataTable draws them

RowCells = Callable[[str], list[Text]]
# The looks of a line, and the component class that styles each.
LOOKS = {"header": "header", "cursor": "cursor", "even": "even-row"}


MAX_AUTO_WIDTH = 400  # a column sized to its content stops growing here


@dataclass
class Column:
    key: str
    label: Text
    width: int
    auto: bool = False  # grows to fit the widest cell added


class RowTable(ScrollView, can_focus=True):
    """Rows keyed by a string; columns of a fixed width, or as wide as their cells."""

    DEFAULT_CSS = """
    RowTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .row-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .row-table--header { background-tint: $foreground 5%; }
        }
        & > .row-table--header { text-style: bold; background: $panel; color: $foreground; }
        &:ansi > .row-table--header { background: ansi_bright_blue; color: ansi_default; }
        & > .row-table--even-row { background: $surface-lighten-1 50%; }
        &:dark > .row-table--even-row { background: $surface-darken-1 40%; }
        & > .row-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-table--header", "row-table--even-row", "row-table--cursor",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
    ]

    class RowHighlighted(Message):
        """The cursor is on another row (or the rows under it changed)."""

        def __init__(self, table: RowTable, cursor_row: int, row_key: str) -> None:
            super().__init__()
            self.table = table
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> RowTable:
            return self.table

    class HeaderSelected(Message):
        """A column header was clicked."""

        def __init__(self, table: RowTable, column_key: str, column_index: int) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key
            self.column_index = column_index

        @property
        def control(self) -> RowTable:
            return self.table

    def __init__(self, *, zebra_stripes: bool = True, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.zebra_stripes = zebra_stripes
        self.columns: list[Column] = []
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._cells: dict[str, list[Text]] = {}
        self._row_cells: RowCells | None = None  # makes a row's cells on first paint
        self._lines: dict[tuple[str, str], Strip] = {}  # (row key, look) -> whole line
        # (row key, column) -> the cell as rendered: a line made again after one cell
        # changed (an active session's duration) renders and styles only that cell.
        self._segments: dict[tuple[str, int], _Rendered] = {}
        self._header: Strip | None = None
        self._looks: dict[str, Style] = {}
        self.cursor_row = 0
        self._serial = 0

    # -- columns -----------------------------------------------------------------------

    @property
    def ordered_columns(self) -> list[Column]:
        return self.columns

    def add_column(self, label: str | Text, *, key: str | None = None,
                   width: int | None = None) -> None:
        """A column; without a width it grows to fit its cells (rows given as cells,
        not through `set_rows`, whose cells are made only when painted)."""
        text = Text(label) if isinstance(label, str) else label
        auto = width is None
        self.columns.append(Column(key or text.plain, text,
                                   text.cell_len if width is None else width, auto))
        self._changed_layout()

    def add_columns(self, *labels: str) -> None:
        for label in labels:
            self.add_column(label)

    def set_label(self, key: str, label: Text) -> None:
        self.columns[self.get_column_index(key)].label = label
        self._header = None
        self.refresh(Region(0, 0, self.size.width, 1))

    def get_column_index(self, key: str) -> int:
        for index, column in enumerate(self.columns):
            if column.key == key:
                return index
        raise KeyError(key)

    def _column_span(self, index: int) -> tuple[int, int]:
        """Where a column starts and ends on the (unscrolled) line."""
        start = sum(c.width + 2 * PADDING for c in self.columns[:index])
        return start, start + self.columns[index].width + 2 * PADDING

    # -- rows --------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def row_keys(self) -> list[str]:
        return list(self._keys)

    def clear(self, columns: bool = False) -> None:
        self._keys, self._index, self._cells = [], {}, {}
        self._row_cells = None
        self._lines.clear()
        self._segments.clear()
        if columns:
            self.columns = []
        self.cursor_row = 0
        self._changed_layout()

    def set_rows(self, keys: Sequence[str], row_cells: RowCells) -> None:
        """Show these rows, their cells made by `row_cells(key)` when first painted:
        a page of 500 costs only the rows the screen shows."""
        self._keys = list(keys)
        self._index = {key: i for i, key in enumerate(self._keys)}
        self._cells = {}
        self._row_cells = row_cells
        self._lines.clear()
        self._segments.clear()
        self.cursor_row = 0
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._changed_layout()
        self._highlighted()

    def add_row(self, *cells: Text, key: str | None = None) -> None:
        if key is None:  # never reused, not even after a clear: a rebuilt row is new
            self._serial += 1
            key = f"row-{self._serial}"
        self._index[key] = len(self._keys)
        self._keys.append(key)
        self._cells[key] = list(cells)
        self._fit(cells)
        self._changed_layout()
        if len(self._keys) == 1:
            self._highlighted()
        else:
            self.refresh_row(len(self._keys) - 1)

    def remove_row(self, key: str) -> None:
        index = self._index.pop(key)
        del self._keys[index]
        self._cells.pop(key, None)
        self._forget(key)
        for column in range(len(self.columns)):
            self._segments.pop((key, column), None)
        for later in self._keys[index:]:
            self._index[later] -= 1
        self.cursor_row = max(0, min(self.cursor_row, len(self._keys) - 1))
        self._changed_layout()
        self.refresh()  # every row below moved up

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def row_key(self, index: int) -> str:
        return self._keys[index]

    def get_row(self, key: str) -> list[Text]:
        cells = self._cells.get(key)
        if cells is None:
            if self._row_cells is None:
                raise KeyError(key)
            cells = self._cells[key] = self._row_cells(key)
        return cells

    def get_row_at(self, index: int) -> list[Text]:
        return self.get_row(self._keys[index])

    def get_cell(self, key: str, column_key: str) -> Text:
        return self.get_row(key)[self.get_column_index(column_key)]

    def get_cell_at(self, coordinate: tuple[int, int]) -> Text:
        row, column = coordinate
        return self.get_row_at(row)[column]

    def update_cell(self, key: str, column_key: str, value: Text) -> None:
        self.update_cells([(key, column_key, value)])

    def update_cells(self, changes: Iterable[tuple[str, str, Text]]) -> None:
        """Change cells, given as (row key, column key, cell), and repaint just those
        on screen: a refresh that changes one column of every row then repaints (and
        sends to the terminal) that column only. One call for many changes works out
        where the screen is once, not once per cell."""
        columns = {column.key: i for i, column in enumerate(self.columns)}
        cells: list[tuple[int, int]] = []
        widened = False
        for key, column_key, value in changes:
            index = columns[column_key]
            self.get_row(key)[index] = value
            self._forget(key)
            widened = _widen(self.columns[index], value) or widened
            cells.append((self._index[key], index))
        if widened:
            self._lines.clear()
            self._changed_layout()
        elif cells:
            self.refresh_cells(cells)

    def refresh_cell(self, row: int, column: int) -> None:
        """Repaint one cell, if it is on screen."""
        self.refresh_cells([(row, column)])

    def refresh_cells(self, cells: Iterable[tuple[int, int]]) -> None:
        """Repaint these (row index, column index) cells, those that are on screen."""
        scroll_x, scroll_y = self.scroll_offset
        width, height = self.size
        spans: dict[int, tuple[int, int]] = {}
        regions = []
        for row, column in cells:
            y = row - scroll_y + 1
            span = spans.get(column)
            if span is None:
                span = spans[column] = self._column_span(column)
            x = span[0] - scroll_x
            if 0 < y < height and x < width and x + span[1] - span[0] > 0:
                regions.append(Region(x, y, span[1] - span[0], 1))
        if regions:
            self.refresh(*regions)

    def refresh_row(self, index: int) -> None:
        """Repaint one row's line, if it is on screen."""
        y = index - self.scroll_offset.y + 1
        if 0 < y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _forget(self, key: str) -> None:
        for look in ("cursor", "even", "odd"):
            self._lines.pop((key, look), None)

    def _fit(self, cells: Sequence[Text]) -> bool:
        """Widen the auto-sized columns for these cells; True if one grew."""
        grew = False
        for column, cell in zip(self.columns, cells, strict=False):
            grew = _widen(column, cell) or grew
        if grew:
            self._lines.clear()
        return grew

    def _changed_layout(self) -> None:
        self._header = None
        width = sum(c.width + 2 * PADDING for c in self.columns)
        self.virtual_size = Size(width, len(self._keys) + 1)
        self.refresh()

    # -- the cursor --------------------------------------------------------------------

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self.cursor_row] if self._keys else None

    def move_cursor(self, *, row: int, scroll: bool = True, animate: bool = False) -> None:
        if not self._keys:
            return
        row = max(0, min(row, len(self._keys) - 1))
        before = self.cursor_row
        self.cursor_row = row
        if scroll:
            self.scroll_to_row(row)
        if row != before:
            self.refresh_row(before)
            self.refresh_row(row)
            self._highlighted()

    def scroll_to_row(self, row: int) -> None:
        shown = max(1, self.size.height - 1)  # lines under the header
        top = self.scroll_offset.y
        if row < top:
            self.scroll_to(y=row, animate=False, immediate=True)
        elif row >= top + shown:
            self.scroll_to(y=row - shown + 1, animate=False, immediate=True)

    def scroll_to_column(self, index: int) -> None:
        start, end = self._column_span(index)
        left = self.scroll_offset.x
        if start < left:
            self.scroll_to(x=start, animate=False, immediate=True)
        elif end > left + self.size.width:
            self.scroll_to(x=end - self.size.width, animate=False, immediate=True)

    def _highlighted(self) -> None:
        if self._keys:
            self.post_message(self.RowHighlighted(self, self.cursor_row,
                                                  self._keys[self.cursor_row]))

    def action_move(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step * max(1, self.size.height - 2))

    def action_edge(self, last: int) -> None:
        self.move_cursor(row=len(self._keys) - 1 if last else 0)

    # -- the mouse -----------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x + self.scroll_offset.x
            for index in range(len(self.columns)):
                start, end = self._column_span(index)
                if start <= x < end:
                    self.post_message(self.HeaderSelected(self, self.columns[index].key, index))
                    return
            return
        self.move_cursor(row=self.scroll_offset.y + offset.y - 1)

    # -- painting ----------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()  # a theme change: every line is made again
        self._looks.clear()
        self._header = None

    def on_focus(self) -> None:
        self._looks.clear()
        self._repaint_cursor()

    def on_blur(self) -> None:
        self._looks.clear()
        self._repaint_cursor()

    def _repaint_cursor(self) -> None:
        if self._keys:
            self._forget(self._keys[self.cursor_row])
            self.refresh_row(self.cursor_row)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self._look("odd")
        key: str | None = None
        if y == 0:
            line = self._header_line()
            style = self._look("header")
        else:
            index = scroll_y + y - 1
            if index >= len(self._keys):
                return Strip.blank(width, base)
            line, style = self._row_line(index)
            key = self._keys[index]
        # The row's colours run on to the right edge, past the last column.
        shown = line.crop_extend(scroll_x, scroll_x + width, style)
        if line.cell_length > width:  # wider than the table: an edge may cut a value
            cells = [c.label for c in self.columns] if key is None else self.get_row(key)
            shown = self._mark_cuts(shown, cells, scroll_x, width)
        return shown

    def _mark_cuts(self, shown: Strip, cells: Sequence[Text], scroll_x: int,
                   width: int) -> Strip:
        """An ellipsis where the table's edge cuts a value, so a cut one does not read
        as a shorter one ("ssh_pro" of "ssh_prod")."""
        left_cut = right_cut = False
        start = 0
        for column, cell in zip(self.columns, cells, strict=False):
            text_start = start + PADDING
            text_end = text_start + min(cell.cell_len, column.width)
            left_cut |= text_start < scroll_x < text_end
            right_cut |= text_start < scroll_x + width < text_end
            start += column.width + 2 * PADDING
        if right_cut:
            last = shown.crop(width - 1, width)
            shown = Strip.join([shown.crop(0, width - 1), _ellipsis(last)])
        if left_cut:
            first = shown.crop(0, 1)
            shown = Strip.join([_ellipsis(first), shown.crop(1, width)])
        return shown

    def _look(self, look: str) -> Style:
        """The base style of a line: the cells' own styles go on top of it, so a red
        verdict stays red on the cursor and on a zebra stripe. Kept until the styles
        or the focus change (working one out walks up the DOM)."""
        style = self._looks.get(look)
        if style is None:
            style = self.rich_style
            if look != "odd":
                style += self.get_component_rich_style(f"row-table--{LOOKS[look]}")
            self._looks[look] = style
        return style

    def _header_line(self) -> Strip:
        if self._header is None:
            self._header = self._line([c.label for c in self.columns], self._look("header"))
        return self._header

    def _row_line(self, index: int) -> tuple[Strip, Style]:
        key = self._keys[index]
        if index == self.cursor_row:
            look = "cursor"
        else:
            look = "even" if self.zebra_stripes and index % 2 == 0 else "odd"
        style = self._look(look)
        line = self._lines.get((key, look))
        if line is None:
            line = self._lines[(key, look)] = self._line(self.get_row(key), style, key)
        return line, style

    def _line(self, cells: Sequence[Text], style: Style, key: str | None = None) -> Strip:
        console = self.app.console
        segments: list[Segment] = []
        length = 0
        for i, (column, cell) in enumerate(zip(self.columns, cells, strict=False)):
            hit = self._segments.get((key, i)) if key is not None else None
            if hit is None or hit.cell is not cell or hit.width != column.width:
                # Text.render leaves out the text's own style (its spans only): it goes
                # under them here, as printing the Text would put it.
                own = console.get_style(cell.style) if cell.style else None
                rendered = Segment.adjust_line_length(
                    list(Segment.apply_style(cell.render(console), own)), column.width)
                pad = Segment(" " * PADDING)
                hit = _Rendered(cell, column.width, [pad, *rendered, pad])
                if key is not None:
                    self._segments[(key, i)] = hit
            segments.extend(hit.styled(style))
            length += column.width + 2 * PADDING
        return Strip(segments, length)


def _ellipsis(cell: Strip) -> Strip:
    """One cell of a line written over with an ellipsis, in that cell's own style."""
    styles = [segment.style for segment in cell]
    return Strip([Segment("…", styles[0] if styles else None)], 1)


@dataclass
class _Rendered:
    """One cell rendered at a width, padded, and styled as each look of line wants it
    (the line's style goes under the cell's own, as Strip.apply_style does)."""

    cell: Text
    width: int
    segments: list[Segment]
    looks: dict[Style, list[Segment]] = field(default_factory=dict)

    def styled(self, style: Style) -> list[Segment]:
        found = self.looks.get(style)
        if found is None:
            found = self.looks[style] = list(Segment.apply_style(self.segments, style))
        return found


def _widen(column: Column, cell: Text) -> bool:
    """Make an auto-sized column fit a cell; True if it grew."""
    if not column.auto or column.width >= MAX_AUTO_WIDTH:
        return False
    width = min(cell.cell_len, MAX_AUTO_WIDTH)
    if width <= column.width:
        return False
    column.width = width
    return True
