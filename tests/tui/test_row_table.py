"""RowTable's line cache: a changed cell, a moved cursor and a new theme all show."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

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


async def test_a_cell_keeps_its_own_style_on_every_look_of_line() -> None:
    # A red verdict or a highlighted command stays so, on the cursor and off it.
    app = TableApp()
    async with app.run_test(size=(60, 10)) as pilot:
        table = app.query_one(RowTable)
        table.add_column("action", key="action", width=12)
        table.add_column("note", key="note", width=12)
        for key in ("a", "b"):
            table.add_row(Text("sudo -i", style="bold yellow"),
                          Text.assemble("x ", ("y", "italic")), key=key)
        table.focus()
        await pilot.pause()
        looks = []
        for row in (0, 1):  # the cursor's line, then a plain one
            strip = table.render_line(row + 1)
            flagged = [s.style for s in strip if s.text == "sudo -i"]
            spanned = [s.style for s in strip if s.text == "y"]
            looks.append((flagged[0], spanned[0]))
    for flagged, spanned in looks:
        assert flagged is not None and flagged.bold and flagged.color is not None
        assert flagged.color.name == "yellow"
        assert spanned is not None and spanned.italic


async def test_changed_cells_repaint_where_they_are_on_screen_when_scrolled() -> None:
    app = TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(RowTable)
        for key in ("a", "b", "c"):
            table.add_column(key, key=key, width=20)  # 66 columns: wider than the table
        for i in range(100):
            table.add_row(Text(f"a{i}"), Text(f"b{i}"), Text(f"c{i}"), key=f"r{i}")
        await pilot.pause()
        table.scroll_to(x=15, y=50, animate=False, immediate=True)
        await pilot.pause()
        repainted: list[Region] = []
        repaint = table.refresh

        def noting(*regions: Region, **kwargs: Any) -> Any:
            repainted.extend(regions)
            return repaint(*regions, **kwargs)

        table.refresh = noting  # type: ignore[method-assign]
        # Above the rows shown, among them (two cells), below them.
        table.update_cells([("r49", "b", Text("x")), ("r52", "b", Text("y")),
                            ("r52", "c", Text("z")), ("r70", "b", Text("w"))])
        shown = table.get_row("r52")
    # Columns start at 0, 22 and 44 (a blank each side), the view at x=15 and row 50.
    assert repainted == [Region(22 - 15, 52 - 50 + 1, 22, 1), Region(44 - 15, 3, 22, 1)]
    assert [cell.plain for cell in shown] == ["a52", "y", "z"]


async def test_a_value_the_tables_edge_cuts_ends_in_an_ellipsis() -> None:
    # "ssh_pro" of "ssh_prod" would read as a policy of its own.
    app = TableApp()
    async with app.run_test(size=(20, 10)) as pilot:
        table = app.query_one(RowTable)
        table.add_column("user", key="user", width=8)
        table.add_column("policy", key="policy", width=12)
        table.add_row(Text("alice"), Text("ssh_production"[:12]), key="long")
        table.add_row(Text("bob"), Text("ssh"), key="short")
        await pilot.pause()
        width = table.size.width
        long_text, _ = line(table, 0)
        short_text, _ = line(table, 1)
        header = table.render_line(0).text
        table.scroll_to(x=12, animate=False, immediate=True)  # into "policy" from the left
        await pilot.pause()
        scrolled_text, _ = line(table, 0)
    assert width < 10 + 12 + 2  # the test's premise: the edge cuts "policy"'s column
    assert long_text.endswith("ssh_prod…")
    assert not short_text.rstrip().endswith("…")  # "ssh" is whole: nothing is cut
    assert not header.rstrip().endswith("…")  # "policy" fits before the edge
    assert scrolled_text.startswith("…")  # cut on the left now
