"""The browser's table features: sort, columns, marks, triage, copy, deep pages, states."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import Input, SelectionList, Static
from textual.worker import WorkerCancelled

from spstui.api import trails
from spstui.api.client import Connection, SpsClient
from spstui.api.models import SearchPage
from spstui.api.search import SearchQuery
from spstui.backend import Backend, Freshness
from spstui.cache import CacheStore
from spstui.simulator import Simulator
from spstui.simulator.app import Fault
from spstui.simulator.server import BackgroundServer
from spstui.tui import key_order
from spstui.tui.app import SpsApp
from spstui.tui.browser import BrowserScreen
from spstui.tui.confirm import Confirm
from spstui.tui.detail import DetailPane
from spstui.tui.dialogs import ColumnPicker, TriageDialog
from spstui.tui.options import AppOptions
from spstui.tui.render import CELLS, DEFAULT_COLUMNS
from spstui.tui.row_table import RowTable
from spstui.tui.session_actions import DIVIDER_STEP, MIN_DETAILS, MIN_TABLE
from spstui.tui.session_table import SessionTable
from tests.conftest import make_sim
from tests.tui.keys import burst

SIZE = (160, 45)


def connect(sim: Simulator) -> SpsClient:
    return SpsClient(Connection("https://sps.test", "admin", "admin"),
                     transport=httpx.ASGITransport(app=sim.app))


@pytest.fixture
async def backend(sim: Simulator, tmp_path: Path) -> AsyncIterator[Backend]:
    client = connect(sim)
    with CacheStore(tmp_path / "cache.sqlite3") as cache:
        yield Backend(client, cache)
    await client.aclose()


def browser(app: SpsApp) -> BrowserScreen:
    screen = app.screen
    assert isinstance(screen, BrowserScreen)
    return screen


def status(app: SpsApp) -> str:
    return str(app.screen.query_one("#status", Static).render())


def column(app: SpsApp, column_id: str) -> list[str]:
    table = app.screen.query_one("#sessions", SessionTable)
    index = table.get_column_index(column_id)
    return [str(table.get_cell_at((row, index))) for row in range(table.row_count)]


async def settle(pilot: object, app: SpsApp) -> None:
    for _ in range(2):
        for _attempt in range(10):
            try:
                await app.workers.wait_for_complete()
                break
            except WorkerCancelled:
                continue  # replaced by a newer one (the cursor moved on): wait for that
        await pilot.pause()  # type: ignore[attr-defined]


def recorded_notices(app: SpsApp) -> list[str]:
    """Every notification's text (on-screen ones expire on a wall-clock timer)."""
    seen: list[str] = []
    notify = app.notify

    def record(message: str, *args: Any, **kwargs: Any) -> None:
        seen.append(message)
        notify(message, *args, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    return seen


def seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    total = 0
    for part in parts:
        total = total * 60 + part
    return total


async def test_newest_sessions_come_first_by_default(backend: Backend) -> None:
    app = SpsApp(backend, page_size=30)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        starts = column(app, "start")
        text = status(app)
    assert starts == sorted(starts, reverse=True)
    assert "sort: start (UTC) ▼" in text


async def test_s_sorts_on_the_column_under_the_cursor_and_is_remembered(
        backend: Backend, tmp_path: Path) -> None:
    options = AppOptions(page_size=30, state_path=tmp_path / "state.json")
    app = SpsApp(backend, options=options)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one(SessionTable)
        while table.focused_column_id != "time":
            await pilot.press("right")
        await pilot.press("s")
        await settle(pilot, app)
        ascending = [seconds(t) for t in column(app, "time")]
        await pilot.press("s")
        await settle(pilot, app)
        descending = [seconds(t) for t in column(app, "time")]
        sort_status = status(app)
    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    assert descending[0] > ascending[0]
    assert "sort: time ▼" in sort_status

    again = SpsApp(backend, options=AppOptions(page_size=30, state_path=options.state_path))
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot, again)
        remembered = [seconds(t) for t in column(again, "time")]
    assert remembered == descending


async def test_the_default_columns_and_their_sort_arrow_fit_a_160_column_terminal(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=100)  # more rows than lines: a vertical scrollbar
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        table = browser(app).table
        for _ in range(len(table.column_ids) - 1):  # to the last column, and sort on it
            await pilot.press("l")
        await pilot.press("s")
        await settle(pilot, app)
        needed, room = table.virtual_size.width, table.scrollable_content_region.width
        header = table.render_line(0).text
    assert SIZE[0] == 160 and needed <= room  # nothing to scroll sideways to
    assert header.rstrip().endswith("risk ▲")


async def test_the_column_picker_ticks_only_the_columns_shown(backend: Backend) -> None:
    # The box's X marks a column that is shown; colour alone does not carry that.
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("v")
        await pilot.pause()
        picker = app.screen.query_one("#column-list", SelectionList)
        ticked = {}
        for i in range(picker.option_count):
            text = picker.render_line(i).text
            ticked[str(picker.get_option_at_index(i).value)] = "X" in text.split()[0]
    assert ticked == {c: c in DEFAULT_COLUMNS for c in CELLS}


async def test_column_picker_changes_and_remembers_columns(backend: Backend,
                                                          tmp_path: Path) -> None:
    options = AppOptions(page_size=20, state_path=tmp_path / "state.json")
    app = SpsApp(backend, options=options)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ColumnPicker)
        # The list is in catalogue order: start, end, user, ... ; toggle "end" on.
        await pilot.press("down", "space", "enter")
        await settle(pilot, app)
        ids = browser(app).table.column_ids
        ends = column(app, "end")
    assert "end" in ids and len(ends) == 20
    assert app.ui_state.columns == ids

    again = SpsApp(backend, options=AppOptions(page_size=20, state_path=options.state_path))
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot, again)
        assert browser(again).table.column_ids == ids


async def test_space_marks_rows_and_escape_clears_them(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        keys = browser(app).keys
        await pilot.press("space", "space")
        marked = set(browser(app).selected)
        marks = column(app, "mark")
        text = status(app)
        await pilot.press("escape")
        cleared = set(browser(app).selected)
    assert marked == set(keys[:2])
    assert marks[0].startswith("◆") and marks[1].startswith("◆") and marks[2].strip() == ""
    assert "2 marked" in text
    assert cleared == set()


async def test_triage_flag_is_stored_shown_and_filters(backend: Backend) -> None:
    assert backend.cache is not None
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        key = browser(app).keys[1]
        await pilot.press("j", "t")
        await pilot.pause()
        assert isinstance(app.screen, TriageDialog)
        await pilot.press("down")  # Reviewed -> Suspicious
        await pilot.press("tab", *"odd sudo", "enter")
        await settle(pilot, app)
        stored = backend.cache.triage([key])[key]
        mark = column(app, "mark")[1]
        await pilot.press("T")  # filter: suspicious
        await settle(pilot, app)
        filtered = list(browser(app).keys)
        filtered_status = status(app)
        await pilot.press("T")  # filter: reviewed — none
        await settle(pilot, app)
        none_reviewed = column(app, "message")
    assert stored.flag == "suspicious" and stored.note == "odd sudo"
    assert mark.endswith("!")
    assert filtered == [key] and "triage filter: suspicious" in filtered_status
    # The table says why instead of showing rows.
    assert none_reviewed == ["No session with the triage mark 'reviewed' matches."]


def overview_rows(app: SpsApp) -> list[tuple[str, str]]:
    table = app.screen.query_one("#table-overview", RowTable)
    return [(str(r[0]).strip(), str(r[1])) for r in
            (table.get_row_at(i) for i in range(table.row_count))]


async def test_the_details_show_the_triage_mark_and_note(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        before = overview_rows(app)
        burst(app, "t", "down", "tab", "odd sudo", "enter")  # suspicious, with a note
        await settle(pilot, app)
        after = overview_rows(app)
        await pilot.press("j", "k")  # away and back: read again, from the cache
        await settle(pilot, app)
        again = overview_rows(app)
    assert ("Triage (local only)", "") not in before
    for rows in (after, again):
        assert rows[:3] == [("Triage (local only)", ""), ("Flag", "suspicious"),
                            ("Note", "odd sudo")]


async def test_a_mark_set_while_the_next_details_load_goes_on_that_session_only(
        backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        second = browser(app).keys[1]
        sim.faults.append(Fault(path=f"/api/audit/sessions/{second}", delay=1.5, times=20))
        await pilot.press("j")  # the details of the first stay up while these load
        burst(app, "t", "down", "enter")  # suspicious, on the second
        while not isinstance(app.screen, BrowserScreen):  # the dialog has closed
            await pilot.pause(0.05)
        await pilot.pause()
        while_loading = overview_rows(app)
        title_loading = str(app.screen.query_one("#detail-title", Static).render())
        await settle(pilot, app)
        loaded = overview_rows(app)
        title = str(app.screen.query_one("#detail-title", Static).render())
    assert ("Triage (local only)", "") not in while_loading
    assert title_loading.startswith(f"Loading {second}")
    assert loaded[:2] == [("Triage (local only)", ""), ("Flag", "suspicious")]
    assert "Loading" not in title


async def test_the_details_cursor_stays_on_its_field_when_a_mark_is_set(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("z")  # zoomed, j moves in the details
        await pilot.pause()
        protocol_row = [name for name, _ in overview_rows(app)].index("Protocol")
        await pilot.press(*["j"] * protocol_row)
        await pilot.pause()
        table = app.screen.query_one("#table-overview", RowTable)
        before = overview_rows(app)[table.cursor_row]
        burst(app, "t", "down", "enter")  # suspicious: the triage group comes above
        await settle(pilot, app)
        after = overview_rows(app)[table.cursor_row]
        moved = table.cursor_row - protocol_row
    assert before[0] == after[0] == "Protocol" and moved == 3  # the group, flag and note


async def test_y_copies_the_session_key(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    notes = recorded_notices(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("y")
        key = browser(app).keys[0]
    assert app.clipboard == key
    assert any(key in n for n in notes)


async def test_empty_result_is_said_plainly(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"protocol:nosuchprotocol", "enter")
        await settle(pilot, app)
        text = status(app)
        table = app.screen.query_one(SessionTable)
        cells = [str(c) for c in table.get_row_at(0)]
    assert text.startswith("No sessions match.")
    assert any("No sessions match" in c for c in cells)


async def test_appliance_error_is_shown_and_r_retries(backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        sim.faults.append(Fault("/api/audit/sessions", status=500, times=1))
        await pilot.press("r")
        await settle(pilot, app)
        failed = status(app)
        await pilot.press("r")
        await settle(pilot, app)
        recovered = status(app)
    assert "r retries" in failed
    assert recovered.startswith("1–20 of")


async def test_pages_past_10000_continue_through_advanced_search(tmp_path: Path) -> None:
    sim = make_sim(sessions=10_700)
    client = connect(sim)
    with CacheStore(tmp_path / "cache.sqlite3") as cache:
        app = SpsApp(Backend(client, cache), page_size=500)
        notes = recorded_notices(app)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            screen = browser(app)
            screen.load_page(screen.query_value, 9_500)
            await settle(pilot, app)
            below = list(screen.keys)
            await pilot.press("right_square_bracket")
            await settle(pilot, app)
            deep = list(screen.keys)
            deep_status = status(app)
            await pilot.press("right_square_bracket")
            await settle(pilot, app)
            last = list(screen.keys)
            starts = column(app, "start")
    await client.aclose()
    assert len(deep) == 500 and len(last) == 200
    assert not set(below) & set(deep) and not set(deep) & set(last)
    assert deep_status.startswith("10,001–10,500 of 10,700 (advanced search)")
    assert any("advanced search" in n for n in notes)
    assert starts == sorted(starts, reverse=True)


# -- actions that reach the appliance --------------------------------------------------------

def active(sim: Simulator, key: str) -> bool:
    now = sim.clock.now()
    session = sim.store.find(key, now)
    assert session is not None
    return sim.store.is_active(session, now)


def first_active_row(app: SpsApp) -> int:
    screen = browser(app)
    return next(i for i, k in enumerate(screen.keys) if screen.rows[k].active)


async def test_x_terminates_an_active_session_after_confirmation(
        backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, page_size=50)
    notes = recorded_notices(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        row = first_active_row(app)
        key = browser(app).keys[row]
        browser(app).table.move_cursor(row=row)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")  # no: nothing happens
        await settle(pilot, app)
        assert active(sim, key)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot, app)
    assert not active(sim, key)
    assert key in notes  # the notice, titled "Session terminated", names the session


async def test_read_only_hides_and_refuses_terminate(backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, options=AppOptions(page_size=50, read_only=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        row = first_active_row(app)
        key = browser(app).keys[row]
        browser(app).table.move_cursor(row=row)
        shown = {b.binding.action for b in app.screen.active_bindings.values()
                 if app.screen.check_action(b.binding.action, ()) is not False}
        await pilot.press("x")
        await settle(pilot, app)
        top = app.screen
    assert "terminate" not in shown and "download" in shown
    assert not isinstance(top, Confirm)
    assert active(sim, key)


@pytest.fixture
async def served_backend(server: BackgroundServer, tmp_path: Path
                         ) -> AsyncIterator[Backend]:
    """Downloads stream, so they go through a real loopback server."""
    client = SpsClient(Connection(server.url, "admin", "admin"))
    with CacheStore(tmp_path / "cache.sqlite3") as cache:
        yield Backend(client, cache)
    await client.aclose()


async def test_d_downloads_the_marked_trails(served_backend: Backend, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    app = SpsApp(served_backend, options=AppOptions(page_size=20, download_dir=folder))
    notes = recorded_notices(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        screen = browser(app)
        ended = [i for i, k in enumerate(screen.keys) if not screen.rows[k].active
                 and screen.rows[k].verdict and screen.rows[k].verdict.normalized == "accept"][:2]
        for row in ended:
            screen.table.move_cursor(row=row)
            await pilot.press("space")
        keys = sorted(screen.selected)
        await pilot.press("d")
        await settle(pilot, app)
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 2 and all(f.endswith(".zat") for f in files)
    assert all(any(k in f for f in files) for k in keys)
    assert sum("Downloaded" in n for n in notes) == 2


async def test_d_on_a_session_that_was_not_recorded_says_so_and_downloads_nothing(
        backend: Backend, sim: Simulator, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    app = SpsApp(backend, options=AppOptions(page_size=50, download_dir=folder))
    notes = recorded_notices(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        screen = browser(app)
        row = next(i for i, k in enumerate(screen.keys)
                   if screen.rows[k].index_status == "NO_TRAIL")
        key = screen.keys[row]
        screen.table.move_cursor(row=row)
        since = len(sim.request_log)
        await pilot.press("d")
        await settle(pilot, app)
        asked = [r.path for r in list(sim.request_log)[since:]]
    assert f"{key} has no audit trail: it was not recorded." in notes
    assert not any("Downloading" in n or "failed" in n for n in notes)
    assert not [p for p in asked if "/audit_trail" in p]
    assert not folder.exists() or not any(folder.iterdir())


async def test_e_exports_the_page_to_csv(backend: Backend, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    app = SpsApp(backend, options=AppOptions(page_size=25, download_dir=folder))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app)
    files = list(folder.iterdir())
    assert len(files) == 1 and files[0].suffix == ".csv"
    lines = files[0].read_text().splitlines()
    assert len(lines) == 26  # header + the page


async def test_the_export_choices_show_which_is_chosen_without_colour(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=25)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#export-format").focus()
        await pilot.press("right")  # JSON
        await pilot.pause()
        dots = {b.id: b.render().plain.count("●") for b in app.screen.query("RadioButton")}
    assert dots == {"scope-page": 1, "scope-all": 0, "fmt-csv": 0, "fmt-json": 1}


async def test_q_asks_while_a_follow_runs_and_yes_cancels(served_backend: Backend,
                                                          tmp_path: Path) -> None:
    folder = tmp_path / "follow"
    options = AppOptions(page_size=50, download_dir=folder, player_command="true {file}")
    app = SpsApp(served_backend, options=options)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        browser(app).table.move_cursor(row=first_active_row(app))
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        asked = isinstance(app.screen, Confirm)
        await pilot.press("y")
        await pilot.pause()
    assert asked
    # What arrived stays as .live.srs; nothing claims to be the complete trail.
    assert not [p for p in folder.glob("*.srs") if not p.name.endswith(".live.srs")]


async def test_clicking_a_column_header_sorts_on_it(backend: Backend) -> None:
    app = SpsApp(backend, page_size=30)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one(SessionTable)
        x = 0
        for col in table.ordered_columns:
            if col.key == "proto":
                break
            x += col.width + 2  # a blank cell each side
        await pilot.click(SessionTable, offset=(x + 1, 0))
        await settle(pilot, app)
        protocols = column(app, "proto")
        sort_status = status(app)
    assert "sort: proto ▲" in sort_status
    assert protocols == sorted(protocols)


async def test_a_batch_download_skips_the_marked_sessions_that_were_not_recorded(
        served_backend: Backend, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    app = SpsApp(served_backend, options=AppOptions(page_size=50, download_dir=folder))
    notes = recorded_notices(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        screen = browser(app)
        rows = screen.rows
        unrecorded = next(i for i, k in enumerate(screen.keys)
                          if rows[k].index_status == "NO_TRAIL")
        recorded = next(i for i, k in enumerate(screen.keys) if not rows[k].active
                        and rows[k].index_status == "INDEXED")
        for row in (unrecorded, recorded):
            screen.table.move_cursor(row=row)
            await pilot.press("space")
        screen.table.move_cursor(row=recorded)  # the cursor is on the recorded one
        await pilot.press("d")
        await settle(pilot, app)
    skipped, fetched = screen.keys[unrecorded], screen.keys[recorded]
    assert f"{skipped} has no audit trail: it was not recorded." in notes
    assert [p.name for p in folder.iterdir()] == [trails.safe_filename(fetched, "zat")]


async def test_keys_typed_after_slash_in_one_burst_go_to_the_query_bar(backend: Backend) -> None:
    # Over SSH "/sudo" comes in one read: before, "s" sorted the table, "d" started a
    # download and the query bar stayed empty.
    app = SpsApp(backend, page_size=20)
    notes = recorded_notices(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        burst(app, "/", "sudo")
        await settle(pilot, app)
        typed = app.screen.query_one("#q", Input).value
        sort_status = status(app)
        running = [w for w in app.workers if w.group == "transfers"]
    assert typed == "sudo"
    assert "sort: start (UTC) ▼" in sort_status
    assert running == [] and not any(".zat" in n for n in notes)


async def test_a_key_behind_the_enter_that_searches_goes_to_the_table(backend: Backend) -> None:
    # Enter searches and moves focus to the table through messages of its own; "j"
    # read with it waits for them instead of landing in the query bar.
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        burst(app, "/", "protocol:ssh", "enter", "j")
        await settle(pilot, app)
        typed = app.screen.query_one("#q", Input).value
        table = browser(app).session_table()
        on_table, row = app.focused is table, table.cursor_row
    assert typed == "protocol:ssh"
    assert on_table and row == 1


async def test_a_key_behind_the_enter_that_closes_a_dialog_reaches_the_table(
        backend: Backend) -> None:
    assert backend.cache is not None
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        key = browser(app).keys[0]
        burst(app, "t", "tab", "odd", "enter", "j")
        await settle(pilot, app)
        stored = backend.cache.triage([key])[key]
        row = browser(app).session_table().cursor_row
    assert stored.note == "odd"
    assert row == 1


async def test_a_dialog_opened_in_a_burst_gets_the_keys_behind_it(backend: Backend) -> None:
    # The flag, the note typed whole, and its enter: all in the read that opened it.
    assert backend.cache is not None
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        key = browser(app).keys[0]
        burst(app, "t", "down", "tab", "odd sudo", "enter")
        await settle(pilot, app)
        stored = backend.cache.triage([key])[key]
        back_home = isinstance(app.screen, BrowserScreen)
    assert stored.flag == "suspicious" and stored.note == "odd sudo"
    assert back_home


def hold_searches(backend: Backend, q: str) -> asyncio.Event:
    """Pages asked for with query `q` are answered once the event is set."""
    answer = asyncio.Event()
    page = backend.page

    async def held(query: SearchQuery, offset: int = 0) -> tuple[SearchPage, Freshness]:
        if query.q == q:
            await answer.wait()
        return await page(query, offset)

    backend.page = held  # type: ignore[method-assign]
    return answer


async def until_loading(app: SpsApp) -> None:
    """Until the burst's enter has started the search (the keys go one at a time)."""
    for _ in range(500):
        if status(app).startswith("Loading"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the search did not start: {status(app)!r}")


async def test_keys_typed_while_a_search_loads_move_in_its_results(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        answer = hold_searches(backend, "protocol:ssh")
        burst(app, "/", "protocol:ssh", "enter", "j", "j")
        await until_loading(app)
        await asyncio.sleep(0.2)  # time the j's would have had to move the old page
        loading, row_while_loading = status(app), browser(app).session_table().cursor_row
        answer.set()
        await settle(pilot, app)
        screen = browser(app)
        row, protocol = screen.session_table().cursor_row, screen.current_row()
    assert loading.startswith("Loading") and row_while_loading == 0
    assert row == 2 and protocol is not None and protocol.protocol == "SSH"


async def test_a_search_that_takes_long_holds_keys_only_for_a_moment(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(key_order, "TYPE_AHEAD_WAIT", 0.2)
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        answer = hold_searches(backend, "protocol:ssh")
        burst(app, "/", "protocol:ssh", "enter", "j")
        await until_loading(app)
        await asyncio.sleep(0.6)
        still_loading = status(app).startswith("Loading")
        row = browser(app).session_table().cursor_row  # on the page still shown
        answer.set()
        await settle(pilot, app)
    assert still_loading and row == 1


async def test_keys_read_together_wait_for_loading_once_not_once_per_load(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each "r" starts a load on an appliance that does not answer: the keys read with
    # them wait once, counted from when they were read, not a wait for every load.
    monkeypatch.setattr(key_order, "TYPE_AHEAD_WAIT", 0.3)
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        answer = hold_searches(backend, "")
        burst(app, "r", "r", "r", "r", "j")
        await asyncio.sleep(0.8)  # four waits of their own would be 1.2 s
        row = browser(app).session_table().cursor_row
        answer.set()
        await settle(pilot, app)
    assert row == 1


async def test_ctrl_q_quits_at_once_while_a_page_loads(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        hold_searches(backend, "")
        burst(app, "r", "ctrl+q")
        for _ in range(50):  # well within TYPE_AHEAD_WAIT
            await asyncio.sleep(0.01)
            if not app.is_running:
                break
        quit_early = not app.is_running
    assert quit_early


async def test_pages_typed_ahead_each_move_on_from_the_one_before(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    # "]]]" on a slow appliance: each "]" moves on from the page the one before asked
    # for, not from the page still on screen.
    monkeypatch.setattr(key_order, "TYPE_AHEAD_WAIT", 0.1)
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        answer = hold_searches(backend, "")
        burst(app, "]", "]", "]")
        await asyncio.sleep(0.5)
        answer.set()
        await settle(pilot, app)
        shown = status(app)
    assert shown.startswith("61–80 of")


def detail_width(app: SpsApp) -> int:
    return app.screen.query_one(DetailPane).outer_size.width


async def test_less_and_greater_move_the_divider_and_it_is_remembered(
        backend: Backend, tmp_path: Path) -> None:
    options = AppOptions(page_size=20, state_path=tmp_path / "state.json")
    app = SpsApp(backend, options=options)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        usual = detail_width(app)
        burst(app, "<<<")  # typed in one read, each key moves it a step
        await settle(pilot, app)
        wider = detail_width(app)
        table = app.screen.query_one("#sessions", SessionTable).outer_size.width
        await pilot.press("greater_than_sign")
        await settle(pilot, app)
        narrower = detail_width(app)
    assert wider == usual + 3 * DIVIDER_STEP and narrower == wider - DIVIDER_STEP
    assert table + wider == 160  # the table takes the rest, no gap
    again = SpsApp(backend, options=AppOptions(page_size=20, state_path=options.state_path))
    async with again.run_test(size=(160, 45)) as pilot:
        await settle(pilot, again)
        remembered = detail_width(again)
        await pilot.press("equals_sign")
        await settle(pilot, again)
        back = detail_width(again)
    assert remembered == narrower
    assert back == usual and again.ui_state.detail_width is None


async def test_the_divider_leaves_each_side_its_minimum(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press(*["less_than_sign"] * 20)
        await settle(pilot, app)
        widest = detail_width(app)
        await pilot.press(*["greater_than_sign"] * 20)
        await settle(pilot, app)
        narrowest = detail_width(app)
    assert widest == 160 - MIN_TABLE and narrowest == MIN_DETAILS


async def test_zoomed_or_narrow_the_details_ignore_the_chosen_width(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    said = recorded_notices(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("less_than_sign", "z")
        await settle(pilot, app)
        zoomed = detail_width(app)
        await pilot.press("escape")
        await settle(pilot, app)
        beside = detail_width(app)
        await pilot.resize_terminal(90, 30)
        await settle(pilot, app)
        await pilot.press("less_than_sign")
        await settle(pilot, app)
        narrow_table = app.screen.query_one("#sessions", SessionTable).outer_size.width
    assert zoomed == 160  # the whole width, as z promises
    assert beside == app.ui_state.detail_width
    assert narrow_table == 90  # narrow, the table has the whole width still
    assert any("side by side" in notice for notice in said)


async def test_the_overview_wraps_every_value_whole_however_narrow_the_details(
        backend: Backend) -> None:
    """Names give way first: no value is cut at the pane's edge (a long triage note, the
    triage group's title and the narrowest divider all at once)."""
    note = "ran sudo cat /etc/shadow then removed the bash history of the session"
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        key = browser(app).current_key()
        assert key is not None and backend.cache is not None
        backend.cache.set_triage(key, "suspicious", note)
        await pilot.press(*["greater_than_sign"] * 20, "j", "k")  # narrowest; shown again
        await settle(pilot, app)
        overview = app.screen.query_one(DetailPane).query_one("#table-overview", RowTable)
        rows = [[str(cell) for cell in overview.get_row_at(i)] for i in range(overview.row_count)]
        fits = overview.virtual_size.width <= overview.size.width
    values: dict[str, str] = {}
    name = ""
    for label, value in rows:
        name = label.strip() or name  # a wrapped name goes on below its first line
        if label.startswith("  ") or not label:
            values[name] = values.get(name, "") + ("" if not values.get(name) else " ") + value
    assert fits  # nothing is past the right edge
    assert values["Key"].replace(" ", "") == key
    assert values["Note"] == note


async def test_the_divider_moved_in_the_active_view_holds_in_the_browser(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("a")
        await settle(pilot, app)
        await pilot.press("less_than_sign", "less_than_sign")
        await settle(pilot, app)
        active = detail_width(app)
        await pilot.press("escape")
        await settle(pilot, app)
        in_browser = isinstance(app.screen, BrowserScreen)
        browser_width = detail_width(app)
    assert in_browser and browser_width == active == app.ui_state.detail_width


async def test_equals_gives_the_details_their_usual_width_even_from_a_narrow_terminal(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        usual = detail_width(app)
        await pilot.press("less_than_sign")
        await pilot.resize_terminal(90, 30)
        await settle(pilot, app)
        await pilot.press("equals_sign")
        await pilot.resize_terminal(160, 45)
        await settle(pilot, app)
        back = detail_width(app)
    assert app.ui_state.detail_width is None and back == usual


async def test_a_download_shows_in_the_sessions_downloads_tab(
        served_backend: Backend, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    app = SpsApp(served_backend, options=AppOptions(page_size=20, download_dir=folder))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        screen = browser(app)
        row = next(i for i, k in enumerate(screen.keys) if not screen.rows[k].active
                   and screen.rows[k].verdict and screen.rows[k].verdict.normalized == "accept")
        screen.table.move_cursor(row=row)
        await settle(pilot, app)
        downloads = app.screen.query_one(DetailPane).query_one("#table-downloads", RowTable)
        before = downloads.row_count if downloads.ordered_columns[0].label.plain else 0
        await pilot.press("d", "6")
        for _ in range(3):
            await settle(pilot, app)
        after = [[str(c) for c in downloads.get_row_at(i)] for i in range(downloads.row_count)]
        headers = [str(c.label) for c in downloads.ordered_columns]
    assert len(after) == before + 1
    mine = after[-1]
    assert mine[headers.index("username")] == "admin"
    assert mine[headers.index("from_api")] == "yes"
