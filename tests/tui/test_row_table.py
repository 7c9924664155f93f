"""RowTable's line cache: a changed cell, a moved cursor and a new theme all show."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult

from spstui.tui.row_table import RowTable


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RowTable(id="t")


def line(table: RowTable, row: int) -> tuple[str, set[Style]]:
    """The text of a row's line on screen, and the base styles its cells are drawn on."""
    strip = table.render_line(row + 1)  # under the header
    return strip.text, {s.style.bgcolor for s in strip if s.style is not None}


async def test_a_line_shows_its_new_cell_and_the_look_of_where_the_cursor_is() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(RowTable)
        table.add_column("name", key="name", width=8)
        table.add_column("time", key="time", width=6)
        for key in ("a", "b", "c"):
            table.add_row(Text(key), Text("0:01", style="red"), key=key)
        table.focus()
        await pilot.pause()
        _, cursor_look = line(table, 0)
        _, plain_look = line(table, 1)
        table.update_cells([("a", "time", Text("0:02")), ("b", "time", Text("0:03"))])
        first_text, first_look = line(table, 0)
        table.move_cursor(row=1)  # the cursor leaves the changed line for the other
        moved_text, moved_look = line(table, 1)
        left_text, left_look = line(table, 0)
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await pilot.pause()
        _, themed_look = line(table, 1)
    assert cursor_look != plain_look  # the test can tell the looks apart
    assert "0:02" in first_text and first_look == cursor_look
    assert "0:03" in moved_text and moved_look == cursor_look
    assert "0:02" in left_text and left_look != cursor_look
    assert themed_look != moved_look  # a new theme repaints from scratch
