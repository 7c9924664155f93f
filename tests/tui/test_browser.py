"""The browser screen, driven with Textual's pilot against the simulator in-process."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from rich.cells import cell_len
from rich.text import Text
from textual.css.query import NoMatches
from textual.widgets import Input, Static

from spstui.api.client import Connection, SpsClient
from spstui.api.search import SearchQuery, search_page
from spstui.backend import Backend
from spstui.cache import CacheStore
from spstui.simulator import Fault, Simulator
from spstui.tui.app import SpsApp
from spstui.tui.browser import BrowserScreen
from spstui.tui.detail import DetailPane
from spstui.tui.lifecycle import unless_gone
from spstui.tui.render import wrap_cells
from spstui.tui.row_table import RowTable
from spstui.tui.session_table import SessionTable
from tests.conftest import make_sim

SIZE = (160, 45)


@pytest.fixture
async def backend(sim: Simulator, tmp_path: Path) -> AsyncIterator[Backend]:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    with CacheStore(tmp_path / "cache.sqlite3") as cache:
        yield Backend(client, cache)
    await client.aclose()


def screen_of(app: SpsApp) -> BrowserScreen:
    screen = app.screen
    assert isinstance(screen, BrowserScreen)
    return screen


def status(app: SpsApp) -> str:
    return str(app.screen.query_one("#status", Static).render())


async def settle(pilot: object, app: SpsApp) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def test_a_slow_page_says_it_is_loading_until_it_comes(sim: Simulator,
                                                             backend: Backend) -> None:
    sim.faults.append(Fault(path="/api/audit/sessions", delay=1.5))
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(50):  # the screen is up well before the page can be
            if status(app):
                break
            await pilot.pause(0.02)
        assert status(app).startswith("Loading…")
        assert app.screen.query_one("#sessions", SessionTable).row_count == 0
        await settle(pilot, app)
        assert status(app).startswith("1–20 of ")


async def test_first_page_is_shown_with_a_status_line(backend: Backend) -> None:
    app = SpsApp(backend, page_size=100)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        table = app.screen.query_one("#sessions", SessionTable)
        assert table.row_count == 100
        assert status(app).startswith("1–100 of 3,0")


async def test_in_a_terminal_the_heap_is_settled_once_the_first_page_is_shown(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    from spstui.tui import app as app_module

    shown: list[int] = []
    monkeypatch.setattr(app_module, "settle_heap", lambda: shown.append(
        app.screen.query_one("#sessions", SessionTable).row_count))
    monkeypatch.setattr(SpsApp, "is_headless", property(lambda self: False))
    app = SpsApp(backend, page_size=30)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
        assert status(app).startswith("31–60 of")
    assert shown == [30]  # once, after the first page had been put in the table


async def test_an_appliance_that_never_answers_does_not_keep_the_collector_off(
        backend: Backend, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from spstui.tui import app as app_module

    settled: list[str] = []
    monkeypatch.setattr(app_module, "settle_heap", lambda: settled.append(status(app)))
    monkeypatch.setattr(app_module, "SETTLE_AT_THE_LATEST", 0.2)
    monkeypatch.setattr(SpsApp, "is_headless", property(lambda self: False))
    sim.faults.append(Fault(path="/api/audit/sessions", delay=30))
    app = SpsApp(backend, page_size=30)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if settled:
                break
            await pilot.pause(0.02)
        assert len(settled) == 1 and settled[0].startswith("Loading…")  # still loading
        app.workers.cancel_all()


def test_settling_the_heap_turns_the_collector_back_on() -> None:
    from spstui.tui.app import settle_heap

    gc.disable()  # as `spstui` starts the app
    try:
        settle_heap()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what start-up made is out of its sight
    finally:
        gc.unfreeze()
        gc.enable()


async def test_submitted_query_replaces_the_rows(backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, page_size=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        assert app.focused is not None and app.focused.id == "q"
        await pilot.press(*"protocol:telnet")
        await pilot.press("enter")
        await settle(pilot, app)
        table = app.screen.query_one("#sessions", SessionTable)
        protocols = {str(table.get_cell_at((i, table.get_column_index("proto"))))
                     for i in range(table.row_count)}
    assert protocols == {"TELNET"}


async def test_syntax_error_is_shown_while_typing_and_not_sent(backend: Backend,
                                                              sim: Simulator) -> None:
    app = SpsApp(backend, page_size=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        sent_before = len(sim.request_log)
        await pilot.press("slash", *"protocol:(ssh")
        await pilot.pause()
        error = str(app.screen.query_one("#query-error", Static).render())
        await pilot.press("enter")
        await settle(pilot, app)
        searches = [r for r in list(sim.request_log)[sent_before:]
                    if r.path.startswith("/api/audit/sessions?")]
    assert "ends too early" in error
    assert searches == []


async def test_appliance_error_for_a_query_is_shown_not_crashed(backend: Backend) -> None:
    app = SpsApp(backend, page_size=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"nosuchfield:1", "enter")
        await settle(pilot, app)
        error = str(app.screen.query_one("#query-error", Static).render())
        still_browsing = isinstance(app.screen, BrowserScreen)
    assert "nosuchfield" in error and still_browsing


async def test_brackets_page_forward_and_back(backend: Backend) -> None:
    app = SpsApp(backend, page_size=100)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        first_page = list(screen_of(app).keys)
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
        assert status(app).startswith("101–200 of")
        second_page = list(screen_of(app).keys)
        await pilot.press("left_square_bracket")
        await settle(pilot, app)
        assert screen_of(app).keys == first_page
    assert not set(first_page) & set(second_page)


async def test_tab_moves_between_the_query_inputs(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", "tab")
        assert app.focused is not None and app.focused.id == "start"


async def test_recorded_escape_sequences_and_markup_are_shown_literally(
        sim: Simulator, tmp_path: Path) -> None:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    page = await search_page(client, SearchQuery(q="verdict:accept",
                                                 content="owned OR ALERT OR evil OR bold OR link",
                                                 limit=1))
    assert page.items, "the simulated data holds hostile recorded content"
    hostile_key = page.items[0].key
    with CacheStore(tmp_path / "c.sqlite3") as cache:
        app = SpsApp(Backend(client, cache), page_size=20)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            screen_of(app).load_detail(hostile_key)
            await settle(pilot, app)
            await pilot.press("3")
            await pilot.pause()
            events = app.screen.query_one(DetailPane).query_one("#table-events", RowTable)
            cells = [events.get_row_at(i) for i in range(events.row_count)]
    await client.aclose()
    texts = [c.plain for row in cells for c in row if isinstance(c, Text)]
    assert texts and not any("\x1b" in t or "\x07" in t for t in texts)
    assert any("\\x1b" in t or "[bold" in t or "[link=" in t or "[red]" in t for t in texts)
    # Markup-like text is kept as text: no span styles come from the recorded content.
    assert all(not c.spans for row in cells for c in row if isinstance(c, Text))


async def first_overview(app: SpsApp, pilot: object) -> tuple[str, RowTable]:
    """The first session's key, and its Overview once the cursor has settled on it."""
    await settle(pilot, app)
    key = screen_of(app).keys[0]
    await pilot.press("j", "k")  # type: ignore[attr-defined]
    await settle(pilot, app)
    return key, app.screen.query_one("#table-overview", RowTable)


def overview_values(overview: RowTable) -> dict[str, str]:
    """Field -> value as shown; a value wrapped onto more lines is joined again."""
    values: dict[str, str] = {}
    field = ""
    for i in range(overview.row_count):
        label, value = (str(cell) for cell in overview.get_row_at(i))
        if label.strip():
            field = label.strip()
            values[field] = value
        else:
            values[field] += value
    return values


async def test_detail_shows_overview_groups_for_the_highlighted_session(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        key, overview = await first_overview(app, pilot)
        cells = [str(overview.get_row_at(i)[0]).strip() for i in range(overview.row_count)]
        values = overview_values(overview)
    assert {"Quick look", "Network", "Recording and archive", "Analytics"} <= set(cells)
    assert values["Key"] == key


def field_at(overview: RowTable, row: int) -> str:
    """The name of the Overview field on `row` (a wrapped value's later lines have none)."""
    while row > 0 and not str(overview.get_row_at(row)[0]).strip():
        row -= 1
    return str(overview.get_row_at(row)[0]).strip()


async def test_overview_values_wrap_in_the_narrow_pane_and_not_when_zoomed(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        key, overview = await first_overview(app, pilot)
        rows = overview.row_count
        pane_width = app.screen.query_one(DetailPane).size.width
        widest = overview.columns[0].width + overview.columns[1].width + 4  # with padding
        assert widest <= pane_width - 2  # nothing hides past the pane's right edge
        assert overview_values(overview)["Key"] == key  # whole, over several lines
        assert len(key) > overview.columns[1].width
        overview.move_cursor(row=5)
        on_field = field_at(overview, 5)
        await pilot.press("z")
        await pilot.pause()
        assert overview.row_count < rows  # wide enough: one line each
        assert field_at(overview, overview.cursor_row) == on_field  # laid out again, not reset
        assert [str(overview.get_row_at(i)[1]) for i in range(overview.row_count)].count(
            key) == 1


async def test_zoomed_the_keys_move_in_the_details_not_to_another_session(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        key, overview = await first_overview(app, pilot)
        sessions = app.screen.query_one("#sessions", SessionTable)
        await pilot.press("z")
        await pilot.pause()
        focused_zoomed = app.focused
        await pilot.press("G")
        await pilot.pause()
        last, rows = overview.cursor_row, overview.row_count
        still = screen_of(app).current_key()
        await pilot.press("3")
        await pilot.pause()
        events = app.screen.query_one("#table-events", RowTable)
        focused_events = app.focused
        await pilot.press("escape")
        await pilot.pause()
        focused_back = app.focused
    assert focused_zoomed is overview and last == rows - 1 and still == key
    assert focused_events is events
    assert focused_back is sessions


async def test_a_search_typed_while_zoomed_shows_its_results_in_the_table(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await first_overview(app, pilot)
        sessions = app.screen.query_one("#sessions", SessionTable)
        await pilot.press("z", "slash", *"protocol:rdp", "enter")
        await settle(pilot, app)
        zoomed, focused = screen_of(app).has_class("zoomed"), app.focused
        shown = sessions.display
        protocols = {str(row.protocol).lower() for row in screen_of(app).rows.values()}
    assert not zoomed and shown and focused is sessions
    assert protocols == {"rdp"}


@pytest.mark.parametrize("text", [
    "svc-AmezV9mXYZabcdefghijklmno-ssh_jump-50",  # no space to break at
    "mount, sudo, chmod, ssh, adduser",
    "日本語のテキストです",  # two cells a character
    "界" * 12 + "a" + "\u200b" * 12,  # wide and zero-width ones that even out in count
    "", "   ",
])
def test_wrapped_values_fit_and_lose_nothing_visible(text: str) -> None:
    lines = wrap_cells(text, 12)
    assert lines and all(cell_len(line) <= 12 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_make_sim_is_deterministic_for_screens() -> None:
    a, b = make_sim(), make_sim()
    assert [a.store.key(s) for s in a.store.sessions[:5]] == \
        [b.store.key(s) for s in b.store.sessions[:5]]


async def test_z_gives_the_detail_pane_the_whole_width_and_escape_gives_it_back(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        pane = app.screen.query_one(DetailPane)
        table = app.screen.query_one("#sessions", SessionTable)
        beside = pane.size.width
        await pilot.press("z")
        await pilot.pause()
        zoomed, table_shown_zoomed = pane.size.width, table.display
        await pilot.press("escape")
        await pilot.pause()
        back, table_shown_back = pane.size.width, table.display
    assert beside < SIZE[0] // 2
    assert zoomed >= SIZE[0] - 2 and not table_shown_zoomed
    assert back == beside and table_shown_back


async def test_enter_opens_the_details_of_the_highlighted_session(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "enter")
        await settle(pilot, app)
        pane = app.screen.query_one(DetailPane)
        title = str(pane.query_one("#detail-title", Static).render())
        row = screen_of(app).current_row()
        opened = pane.size.width
    assert row is not None and row.name and row.name in title
    assert opened >= SIZE[0] - 2


async def test_in_an_80_column_terminal_table_and_details_take_turns(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        pane = app.screen.query_one(DetailPane)
        table = app.screen.query_one("#sessions", SessionTable)
        first = (table.size.width, pane.display)
        await pilot.press("enter")
        await pilot.pause()
        details = (pane.size.width, table.display)
        await pilot.press("escape")
        await pilot.pause()
        back = (table.size.width, pane.display)
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        wide = (table.display, pane.display)
    assert first == (80, False)  # the table has the whole width
    assert details[0] >= 78 and details[1] is False
    assert back == first
    assert wide == (True, True)  # side by side again once there is room


async def test_an_answer_the_client_cannot_read_is_reported_not_crashed() -> None:
    def appliance(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/authentication":
            return httpx.Response(200, json={}, headers={"set-cookie": "session_id=x"})
        # A session whose start time is no time at all.
        return httpx.Response(200, json={"items": [{"key": "a", "body": {
            "start_time": "garbage"}}], "meta": {"match_count": 1}})

    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.MockTransport(appliance))
    app = SpsApp(Backend(client, None), page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        still_running = app.is_running
        shown = status(app)
    await client.aclose()
    assert still_running
    assert "cannot read" in shown and "start_time" in shown


async def test_indexing_tab_shows_statistics_and_config_as_plain_text(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        page = await backend.page(SearchQuery(q="verdict:accept AND active:false", limit=20))
        indexed = [r.key for r in page[0].items if r.index_status == "INDEXED"]
        assert indexed, "an indexed session to look at"
        screen_of(app).load_detail(indexed[0])
        await settle(pilot, app)
        await pilot.press("4")
        await pilot.pause()
        table = app.screen.query_one(DetailPane).query_one("#table-indexing", RowTable)
        headers = [str(c.label) for c in table.ordered_columns]
        cells = [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]
    assert "config" in headers and "statistics" in headers
    assert cells and not any("datetime.datetime(" in c or "{'" in c for c in cells)
    assert any("=" in c for c in cells)  # nested values as name=value


async def test_details_arriving_as_the_app_quits_are_dropped_quietly(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        pane = app.screen.query_one(DetailPane)
        pane.load(backend, screen_of(app).keys[1])  # answered in 0.15 s or so...
        await pane.remove_children()  # ...once quitting has taken the tables down
        await app.workers.wait_for_complete()  # WorkerFailed here if it were not
        assert app.is_running and not pane.children


async def test_a_table_missing_while_the_app_runs_is_an_error_but_not_once_it_quits(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        pane = app.screen.query_one(DetailPane)
        with pytest.raises(NoMatches), unless_gone(pane):
            pane.query_one("#no-such-table")
        # Quitting takes the innermost widgets first: the pane still has its children.
        with monkeypatch.context() as quitting:
            quitting.setattr(SpsApp, "is_running", property(lambda _: False))
            with unless_gone(pane):
                pane.query_one("#no-such-table")
        assert pane.children


async def test_a_part_that_fails_to_load_says_why_in_its_tab(backend: Backend,
                                                            sim: Simulator) -> None:
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        key = screen_of(app).keys[3]
        sim.faults.append(Fault(path=f"/api/audit/sessions/{key}/channels", status=403,
                                code="Forbidden", times=10))
        screen_of(app).load_detail(key)
        await settle(pilot, app)
        pane = app.screen.query_one(DetailPane)
        channels = pane.query_one("#table-channels", RowTable)
        said = [str(c) for i in range(channels.row_count) for c in channels.get_row_at(i)]
        values = overview_values(pane.query_one("#table-overview", RowTable))
    assert values["Key"] == key  # the session itself loaded
    assert len(said) == 1 and said[0].startswith("Could not load:")


# At 80 columns the details are hidden until `z`: the reason is laid out again then.
@pytest.mark.parametrize("size", [SIZE, (80, 30)])
async def test_offline_a_session_not_in_the_cache_says_so_in_the_details(
        sim: Simulator, tmp_path: Path, size: tuple[int, int]) -> None:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    with CacheStore(tmp_path / "cache.sqlite3", now=sim.now) as cache:
        online = SpsApp(Backend(client, cache, now=sim.now), page_size=20)
        async with online.run_test(size=SIZE) as pilot:
            await settle(pilot, online)  # the page and its first session are cached
            uncached = screen_of(online).keys[5]
        offline = SpsApp(Backend(None, cache, offline=True, now=sim.now), page_size=20)
        async with offline.run_test(size=size) as pilot:
            await settle(pilot, offline)
            screen_of(offline).load_detail(uncached)
            await settle(pilot, offline)
            await pilot.press("z")  # the details get the whole width
            await pilot.pause()
            pane = offline.screen.query_one(DetailPane)
            pane.query_one("#events-filter", Input).value = "sudo"  # still no events to filter
            await pilot.pause()
            said = {tab: [str(t.get_row_at(i)[0]) for i in range(t.row_count)]
                    for tab in ("overview", "events")
                    for t in [pane.query_one(f"#table-{tab}", RowTable)]}
    await client.aclose()
    assert all("not in the cache" in " ".join(lines) for lines in said.values())
    widest = max(cell_len(line) for lines in said.values() for line in lines)
    assert 40 < widest <= size[0]  # the width shown, not a hidden pane's few cells


async def test_offline_the_cached_page_is_shown_with_its_age(sim: Simulator,
                                                             tmp_path: Path) -> None:
    clock = sim.clock
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    with CacheStore(tmp_path / "cache.sqlite3", now=sim.now) as cache:
        online = SpsApp(Backend(client, cache, now=sim.now), page_size=20)
        async with online.run_test(size=SIZE) as pilot:
            await settle(pilot, online)
            keys_online = list(screen_of(online).keys)
        clock.advance(7200)  # type: ignore[attr-defined]
        offline = SpsApp(Backend(None, cache, offline=True, now=sim.now), page_size=20)
        async with offline.run_test(size=SIZE) as pilot:
            await settle(pilot, offline)
            keys_offline = list(screen_of(offline).keys)
            shown = status(offline)
    await client.aclose()
    assert keys_offline == keys_online
    assert "cached 2 h ago" in shown and "offline" in shown


async def test_interesting_commands_are_highlighted_in_the_events_tab(
        sim: Simulator, tmp_path: Path) -> None:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    page = await search_page(client, SearchQuery(q="protocol:ssh AND verdict:accept",
                                                 content="sudo", limit=1))
    with CacheStore(tmp_path / "c.sqlite3") as cache:
        app = SpsApp(Backend(client, cache), page_size=20)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            screen_of(app).load_detail(page.items[0].key)
            await settle(pilot, app)
            await pilot.press("3")
            await pilot.pause()
            events = app.screen.query_one(DetailPane).query_one("#table-events", RowTable)
            action = [str(c.label) for c in events.ordered_columns].index("action")
            rows = [events.get_row_at(i) for i in range(events.row_count)]
    await client.aclose()
    flagged = {r[action].plain for r in rows if "bold" in str(r[action].style)}
    plain = {r[action].plain for r in rows if "bold" not in str(r[action].style)}
    assert any(a.startswith("sudo") for a in flagged)
    assert not any(a.split()[0] in {"sudo", "su", "chmod", "ssh", "mount"} for a in plain)


async def test_number_keys_show_channels_alerts_and_downloads_of_the_session(
        sim: Simulator, tmp_path: Path) -> None:
    from textual.widgets import TabbedContent

    from spstui.api import sessions

    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    page = await search_page(client, SearchQuery(q="verdict:accept AND active:false",
                                                 limit=60))
    # A session with alerts and downloads, so every tab has something to show.
    key = ""
    for row in page.items:
        if await sessions.alerts(client, row.key) and \
                await sessions.trail_downloads(client, row.key):
            key = row.key
            break
    assert key, "the simulated data has sessions with alerts and trail downloads"
    expected = {"channels": len(await sessions.channels(client, key)),
                "alerts": len(await sessions.alerts(client, key)),
                "downloads": len(await sessions.trail_downloads(client, key))}
    shown: dict[str, tuple[str, int, list[str]]] = {}
    with CacheStore(tmp_path / "c.sqlite3") as cache:
        app = SpsApp(Backend(client, cache), page_size=20)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            screen_of(app).load_detail(key)
            await settle(pilot, app)
            pane = app.screen.query_one(DetailPane)
            for digit, tab in (("2", "channels"), ("5", "alerts"), ("6", "downloads")):
                await pilot.press(digit)
                await pilot.pause()
                table = pane.query_one(f"#table-{tab}", RowTable)
                shown[tab] = (pane.query_one(TabbedContent).active, table.row_count,
                              [str(c.label) for c in table.ordered_columns])
    await client.aclose()
    for tab, (active, rows, _) in shown.items():
        assert active == f"tab-{tab}", tab
        if tab != "channels":
            assert rows == expected[tab], tab
    # Channels: a titled group per channel, then the fields that channel has.
    assert shown["channels"][2] == ["field", "value"]
    assert shown["channels"][1] > expected["channels"] >= 1
    assert "matched_action" in shown["alerts"][2] and "rule_name" in shown["alerts"][2]


async def test_channels_show_the_fields_of_their_own_type() -> None:
    import json

    from spstui.api.models import Channel

    pane = DetailPane()
    app = SpsApp(Backend(None, None, offline=True), page_size=20)
    fixture = Path(__file__).parents[1] / "fixtures" / "reference" / "channels_ssh.json"
    channels = [Channel.model_validate(c) for c in json.loads(fixture.read_text())]
    async with app.run_test(size=SIZE) as pilot:
        await app.screen.mount(pane)
        await pilot.pause()
        pane._fill_part("channels", channels)
        table = pane.query_one("#table-channels", RowTable)
        rows = [(str(r[0]).strip(), str(r[1])) for r in
                (table.get_row_at(i) for i in range(table.row_count))]
    groups: dict[str, list[str]] = {}
    current = ""
    for field, _value in rows:
        if field.startswith("#"):
            current = field
            groups[current] = []
        else:
            groups[current].append(field)
    assert "#2 session exec" in groups and "command" in groups["#2 session exec"]
    assert "#3 session exec scp" in groups and "scp_path" in groups["#3 session exec scp"]
    assert "command" not in groups["#3 session exec scp"]  # no sparse columns
    assert ("command", "ls") in rows


async def test_event_alert_and_download_lists_read_time_first(backend: Backend) -> None:
    """The appliance sends fields alphabetically; the tabs lead with when, then what."""
    page, _ = await backend.page(SearchQuery(q="active:false AND protocol:ssh", limit=100))
    found = None
    for row in page.items:
        alerts, _ = await backend.part(row.key, "alerts")
        downloads, _ = await backend.part(row.key, "trail_downloads")
        if alerts and downloads:
            found = row.key
            break
    assert found is not None, "a session with alerts and trail downloads to look at"
    app = SpsApp(backend, page_size=20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        screen_of(app).load_detail(found)
        await settle(pilot, app)
        pane = app.screen.query_one(DetailPane)
        headers = {tab: [str(c.label) for c in
                         pane.query_one(f"#table-{tab}", RowTable).ordered_columns]
                   for tab in ("events", "alerts", "downloads")}
        events = pane.query_one("#table-events", RowTable)
        first_time = str(events.get_row_at(0)[0])
        downloaded = str(pane.query_one("#table-downloads", RowTable).get_row_at(0)[0])
        session, _ = await backend.session(found)
        event_list, _ = await backend.part(found, "events")
    assert headers["events"][:4] == ["time", "type", "action", "content"]
    assert headers["alerts"][:2] == ["time", "rule_name"]
    assert headers["downloads"][:3] == ["time", "username", "ip_address"]
    assert "record_id" in headers["events"]  # the rest still shown, after them
    # On the session's own day the time of day is enough (beside the details the
    # date left no room for the command); another day's event keeps its date.
    start = session.body.start_time
    assert start is not None and event_list[0].time is not None
    assert event_list[0].time.astimezone(UTC).date() == start.astimezone(UTC).date()
    assert first_time == event_list[0].time.astimezone(UTC).strftime("%H:%M:%S")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", downloaded)  # always dated


def test_an_event_on_another_day_than_the_sessions_start_keeps_its_date() -> None:
    from spstui.tui.detail import _cells

    late = datetime(2026, 11, 21, 0, 0, 5, tzinfo=UTC)
    record = {"time": late, "action": "ls"}
    same_day, day_before = late.date(), late.date() - timedelta(days=1)
    assert [str(c) for c in _cells("events", record, ["time", "action"], same_day)] \
        == ["00:00:05", "ls"]
    assert [str(c) for c in _cells("events", record, ["time", "action"], day_before)] \
        == ["2026-11-21 00:00:05", "ls"]


async def test_offline_terminate_says_it_needs_the_appliance_before_asking(
        sim: Simulator, tmp_path: Path) -> None:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    with CacheStore(tmp_path / "cache.sqlite3", now=sim.now) as cache:
        online = SpsApp(Backend(client, cache, now=sim.now), page_size=50)
        async with online.run_test(size=SIZE) as pilot:
            await settle(pilot, online)  # the page, with active sessions, is cached
        offline = SpsApp(Backend(None, cache, offline=True, now=sim.now), page_size=50)
        said: list[str] = []
        notify = offline.notify
        offline.notify = lambda message, **kw: (said.append(message),  # type: ignore
                                                notify(message, **kw))
        async with offline.run_test(size=SIZE) as pilot:
            await settle(pilot, offline)
            screen = screen_of(offline)
            active = next(i for i, key in enumerate(screen.keys) if screen.rows[key].active)
            await pilot.press(*["j"] * active, "x")
            await pilot.pause()
            asked = type(offline.screen).__name__
    await client.aclose()
    assert asked == "BrowserScreen"  # no question it could not act on
    assert any("needs the appliance" in message for message in said)
