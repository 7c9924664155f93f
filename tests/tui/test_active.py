"""The active-sessions view and the live tail of the Events tab, against the simulator.

The simulator's clock only moves when a test advances it, and the refresh interval
is long, so every refresh here is triggered by the test (as the timer would)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual import events
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, Static

from spstui.api.client import Connection, SpsClient
from spstui.api.models import Event
from spstui.backend import Backend
from spstui.cache import CacheStore
from spstui.simulator import Simulator
from spstui.simulator import events as sim_events
from spstui.simulator.app import Fault
from spstui.tui import app as app_module
from spstui.tui.active import ActiveScreen, Snapshot
from spstui.tui.app import SpsApp
from spstui.tui.detail import DetailPane
from spstui.tui.options import AppOptions
from spstui.tui.render import duration
from spstui.tui.row_table import RowTable

SIZE = (160, 45)
STEP = 120.0  # seconds: enough for sessions to start and end in the simulator


@pytest.fixture
async def backend(sim: Simulator, tmp_path: Path) -> AsyncIterator[Backend]:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    with CacheStore(tmp_path / "cache.sqlite3") as cache:
        yield Backend(client, cache, now=sim.now)
    await client.aclose()


class ActiveApp(SpsApp):
    """The app started straight on the active view (quicker than loading the browser)."""

    CSS_PATH = Path(app_module.__file__).parent / "app.tcss"

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # not SpsApp's: that opens the browser
        self.push_screen(ActiveScreen())


def make_app(backend: Backend, interval: float = 600.0) -> SpsApp:
    return ActiveApp(backend, options=AppOptions(page_size=100, refresh_interval=interval))


async def settle(pilot: Any) -> None:
    for _ in range(3):  # a refresh, then the details it leads to, then their messages
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def open_active(pilot: Any) -> ActiveScreen:
    """The active view, loaded."""
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ActiveScreen)
    return screen


def active_keys(sim: Simulator, at: float | None = None) -> set[str]:
    t = sim.now() if at is None else at
    return {sim.store.key(s) for s in sim.store.visible(t) if sim.store.is_active(s, t)}


def table_of(screen: ActiveScreen) -> RowTable:
    return screen.query_one("#active", RowTable)


def shown_keys(screen: ActiveScreen) -> list[str]:
    table = table_of(screen)
    return [table.row_key(i) for i in range(table.row_count)]


def cell(screen: ActiveScreen, key: str, column: str) -> str:
    return str(table_of(screen).get_cell(key, column))


def status(screen: ActiveScreen) -> str:
    return str(screen.query_one("#active-status", Static).render())


def searches(sim: Simulator, since: int) -> list[str]:
    return [r.path for r in list(sim.request_log)[since:]
            if r.path.startswith("/api/audit/sessions?")]


async def test_view_lists_exactly_the_active_sessions(backend: Backend, sim: Simulator) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        keys = shown_keys(screen)
        text = status(screen)
        marks = {cell(screen, k, "mark") for k in keys}
        live = {cell(screen, k, "active") for k in keys}
    assert set(keys) == active_keys(sim) and len(keys) == len(set(keys))
    assert text.startswith(f"{len(keys)} active · refreshed 12:00:00 UTC · every 10 min")
    assert marks == {""} and live == {"●"}  # nothing is "new" on the first load


async def test_refresh_adds_new_rows_and_marks_ended_ones_in_place(
        backend: Backend, sim: Simulator) -> None:
    later = sim.now() + STEP
    still_active = active_keys(sim, later)
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        before = shown_keys(screen)
        ended = [k for k in before if k not in still_active]
        staying = [k for k in before if k in still_active]
        target = staying[len(staying) // 2]
        table_of(screen).move_cursor(row=before.index(target))
        await settle(pilot)
        time_before = cell(screen, target, "time")

        sim.clock.advance(STEP)
        await screen.refresh_sessions().wait()
        await settle(pilot)
        after = shown_keys(screen)
        time_after = cell(screen, target, "time")
        new = after[len(before):]
        new_marks = {cell(screen, k, "mark") for k in new}
        ended_marks = {cell(screen, k, "mark") for k in ended}
        ended_live = {cell(screen, k, "active") for k in ended}
        ended_times = {k: cell(screen, k, "time") for k in ended}
        cursor_after_refresh = screen.current_key()
        text = status(screen)

        await pilot.press("c")  # clear the ended ones now
        await settle(pilot)
        after_clear = shown_keys(screen)
        cursor_after_clear = screen.current_key()
        await pilot.press("r")  # "new" lasts 15 s: one refresh at this interval
        await settle(pilot)
        marks_later = {cell(screen, k, "mark") for k in shown_keys(screen)}
    assert ended and new, "the simulator starts and ends sessions within STEP"
    assert after[:len(before)] == before  # rows keep their keys and places
    assert set(new) == still_active - set(before)
    assert new_marks == {"new"}
    assert ended_marks == {"ended"} and ended_live == {""}
    for key in ended:  # the final duration, fetched once the session left the list
        s = sim.store.find(key, sim.now())
        assert s is not None
        assert ended_times[key] == duration(sim.store.duration(s, sim.now()))
    assert cursor_after_refresh == target
    staying_session = sim.store.find(target, sim.now())
    assert staying_session is not None
    assert time_before != time_after == duration(sim.store.duration(staying_session,
                                                                     sim.now()))
    assert f"{len(new)} new" in text and f"{len(ended)} ended" in text
    assert set(after_clear) == active_keys(sim) and cursor_after_clear == target
    assert marks_later == {""}


async def test_p_pauses_refreshing_and_resumes(backend: Backend, sim: Simulator) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        before = set(shown_keys(screen))
        await pilot.press("p")
        paused_text = status(screen)
        sim.clock.advance(STEP)
        sent = len(sim.request_log)
        screen.tick()  # what the timer does
        screen.query_one(DetailPane).poll_tail()  # the Events tail pauses too
        await settle(pilot)
        while_paused = list(sim.request_log)[sent:]
        rows_while_paused = set(shown_keys(screen))

        await pilot.press("p")
        await settle(pilot)
        resumed_text = status(screen)
        resumed_searches = searches(sim, sent)
        rows_resumed = set(shown_keys(screen))
    assert "paused" in paused_text and "every" not in paused_text
    assert while_paused == [] and rows_while_paused == before
    assert "paused" not in resumed_text and "every 10 min" in resumed_text
    assert resumed_searches and rows_resumed > before


async def test_failed_refresh_keeps_rows_and_says_why(backend: Backend, sim: Simulator) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        before = shown_keys(screen)
        sim.faults.append(Fault(path="/api/audit/sessions", method="GET", status=500))
        await pilot.press("r")
        await settle(pilot)
        failed = status(screen)
        rows_after_failure = shown_keys(screen)
        await pilot.press("r")  # the fault was for one request: the next refresh works
        await settle(pilot)
        recovered = status(screen)
    assert failed.startswith("Refresh failed:") and "Simulated failure" in failed
    assert rows_after_failure == before
    assert "failed" not in recovered and recovered.startswith(f"{len(before)} active")


async def wait_for(pilot: Any, condition: Callable[[], bool]) -> bool:
    """Let the app run until `condition` holds (bounded; no settling, as timers keep
    starting workers)."""
    for _ in range(200):
        if condition():
            return True
        await pilot.pause(0.02)
    return condition()


async def test_the_view_refreshes_itself_at_the_interval(backend: Backend,
                                                         sim: Simulator) -> None:
    app = make_app(backend, interval=0.05)
    async with app.run_test(size=SIZE) as pilot:
        loaded = await wait_for(pilot, lambda: "refreshed" in status(pilot.app.screen))
        screen = pilot.app.screen
        assert isinstance(screen, ActiveScreen)
        sim.clock.advance(STEP)
        refreshed = await wait_for(pilot, lambda: any(
            cell(screen, k, "mark") == "new" for k in shown_keys(screen)))
    assert loaded and refreshed


def hold_answers(screen: ActiveScreen) -> asyncio.Event:
    """Refreshes fetch, then wait for the event before their answer is applied."""
    answer = asyncio.Event()
    fetch = screen.fetch_snapshot

    async def held() -> Snapshot:
        snapshot = await fetch()
        await answer.wait()
        return snapshot

    screen.fetch_snapshot = held  # type: ignore[method-assign]
    return answer


async def test_a_refresh_answered_as_the_app_quits_is_dropped_quietly(
        backend: Backend, sim: Simulator) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        answer = hold_answers(screen)
        worker = screen.refresh_sessions()  # answered...
        await screen.remove_children()  # ...once quitting has taken the table down
        answer.set()
        await app.workers.wait_for_complete()  # WorkerFailed here if it were not
        assert worker.error is None and not screen.children


async def test_a_refresh_repaints_only_the_cells_that_changed(
        backend: Backend, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        table = table_of(screen)
        repainted: list[Region] = []
        repaint = RowTable.refresh

        def noting(self: RowTable, *regions: Region, **kwargs: Any) -> Any:
            if self is table:
                repainted.extend(regions)
            return repaint(self, *regions, **kwargs)

        monkeypatch.setattr(RowTable, "refresh", noting)
        sim.clock.advance(1)  # one second on: the running sessions' durations change
        screen.apply_snapshot(await screen.fetch_snapshot())
        index = table.get_column_index("time")
        start = sum(c.width + 2 for c in table.columns[:index])  # a space each side
        span = {(r.x, r.width, r.height) for r in repainted}
        lines = min(table.size.height - 1, table.row_count)  # on screen, under the header
    assert len({r.y for r in repainted}) == lines  # every running session's line
    assert span == {(start, table.columns[index].width + 2, 1)}


async def test_a_refresh_paints_nothing_of_the_details_beside_the_table(
        backend: Backend, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    # The status line is under the table, not under the details too: changed cells
    # and a new status fit in a box that leaves the detail pane out of the repaint.
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        pane, table = screen.query_one(DetailPane), table_of(screen)
        painted: list[Widget] = []
        render_lines = Widget.render_lines

        def noting(self: Widget, crop: Region) -> Any:
            painted.append(self)
            return render_lines(self, crop)

        before = status(screen)
        monkeypatch.setattr(Widget, "render_lines", noting)
        sim.clock.advance(1)
        screen.apply_snapshot(await screen.fetch_snapshot())
        await pilot.pause()
        after = status(screen)
        # (The pane's own frame is redrawn, from Textual's cache, with its parent's.)
        details = [w for w in painted if pane in w.ancestors]
    assert table in painted and after != before
    assert details == []


async def test_a_refresh_answered_as_the_view_closes_changes_nothing(
        backend: Backend, sim: Simulator) -> None:
    app = SpsApp(backend, options=AppOptions(page_size=100, refresh_interval=600.0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("a")
        screen = await open_active(pilot)
        answer = hold_answers(screen)
        worker = screen.refresh_sessions()
        await pilot.pause()
        table = table_of(screen)
        app.pop_screen()
        for _ in range(10_000):  # the answer lands once the table is gone, the view not yet
            if not table.is_attached:
                break
            await asyncio.sleep(0)
        answer.set()
        await app.workers.wait_for_complete()  # WorkerFailed here if it were not
        await pilot.pause()
        back = type(app.screen).__name__
    assert not table.is_attached and back == "BrowserScreen"
    assert worker.error is None or isinstance(worker.error, asyncio.CancelledError)


def growing_session(sim: Simulator, keys: list[str]) -> str:
    """An active session that has events now and records more within STEP."""
    now, later = sim.now(), sim.now() + STEP
    for key in keys:
        s = sim.store.find(key, now)
        assert s is not None
        if not sim.store.is_active(s, later):
            continue
        count_now = len(sim_events.events_at(sim.store, s, now))
        if 0 < count_now < len(sim_events.events_at(sim.store, s, later)):
            return key
    raise AssertionError("no active session records events within STEP")


def events_table(screen: ActiveScreen) -> RowTable:
    return screen.query_one(DetailPane).query_one("#table-events", RowTable)


async def test_events_tab_tails_an_active_session(backend: Backend, sim: Simulator) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        key = growing_session(sim, shown_keys(screen))
        table_of(screen).move_cursor(row=shown_keys(screen).index(key))
        await settle(pilot)
        await pilot.press("3")
        pane = screen.query_one(DetailPane)
        events = events_table(screen)
        first_rows = events.row_keys
        events.move_cursor(row=events.row_count - 1)
        title = str(pane.query_one("#detail-title", Static).render())

        sim.clock.advance(STEP)
        pane.poll_tail()
        await settle(pilot)
        s = sim.store.find(key, sim.now())
        assert s is not None
        expected = len(sim_events.events_at(sim.store, s, sim.now()))
        rows_now = events.row_keys
        cursor_row = events.cursor_row

        sim.clock.advance(s.planned_end - sim.now() + 1)  # the session ends
        pane.poll_tail()
        await settle(pilot)
        ended_title = str(pane.query_one("#detail-title", Static).render())
        still_tailing = pane.tailing
    assert "● live" in title
    assert len(rows_now) == expected > len(first_rows)
    assert rows_now[:len(first_rows)] == first_rows  # appended, not rebuilt
    assert cursor_row == len(rows_now) - 1  # it was on the last row: it follows
    assert "● live" not in ended_title and not still_tailing


async def test_the_tail_keeps_the_events_filter(backend: Backend, sim: Simulator) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        key = growing_session(sim, shown_keys(screen))
        table_of(screen).move_cursor(row=shown_keys(screen).index(key))
        await settle(pilot)
        await pilot.press("3")
        pane = screen.query_one(DetailPane)
        pane.query_one("#events-filter", Input).value = "no event says this"
        await pilot.pause()
        sim.clock.advance(STEP)
        pane.poll_tail()
        await settle(pilot)
        filtered = [str(events_table(screen).get_row_at(i)[0])
                    for i in range(events_table(screen).row_count)]
        # An event that does match comes in: it is shown, in the events' own columns.
        pane.append_events([Event(record_id=10**9, type="command",
                                  content="echo no event says this")])
        await pilot.pause()
        matched = [str(cell) for cell in events_table(screen).get_row_at(0)]
        pane.query_one("#events-filter", Input).value = ""
        await pilot.pause()
        unfiltered = events_table(screen).row_count
        s = sim.store.find(key, sim.now())
        assert s is not None
    recorded = len(sim_events.events_at(sim.store, s, sim.now()))
    # The message counts the events the tail brought too, not those first shown.
    assert filtered == [f"{recorded} events, none with 'no event says this' (the filter above)"]
    assert "echo no event says this" in matched
    assert unfiltered == recorded + 1


async def test_escape_unzooms_then_leaves_the_view(backend: Backend) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        await pilot.press("z")
        await pilot.pause()
        zoomed = not table_of(screen).display
        line = screen.query_one("#active-status").region  # still in sight, full width
        await pilot.press("escape")
        unzoomed = table_of(screen).display and app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        left = screen not in app.screen_stack
    assert zoomed and unzoomed and left
    assert line.width == SIZE[0] and line.y == SIZE[1] - 2  # above the footer


async def test_in_an_80_column_terminal_the_active_list_has_the_width(backend: Backend) -> None:
    app = make_app(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_active(pilot)
        pane = screen.query_one(DetailPane)
        listed = (table_of(screen).size.width, pane.display)
        await pilot.press("enter")
        await pilot.pause()
        details = (pane.display, pane.size.width, table_of(screen).display)
    assert listed == (80, False)
    assert details[0] and details[1] >= 78 and not details[2]


def test_active_view_snapshot(snap_compare: Any, sim: Simulator, tmp_path: Path) -> None:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    backend = Backend(client, CacheStore(tmp_path / "cache.sqlite3"), now=sim.now)

    async def after_a_refresh(pilot: Any) -> None:
        screen = await open_active(pilot)
        sim.clock.advance(STEP)
        await screen.refresh_sessions().wait()
        await settle(pilot)
        await pilot.press("G", "3")  # the newest session, its events tailed live
        await settle(pilot)

    assert snap_compare(make_app(backend), terminal_size=SIZE, run_before=after_a_refresh)


async def test_terminate_works_from_the_active_view_after_confirmation(
        backend: Backend, sim: Simulator) -> None:
    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        key = screen.current_key()
        assert key is not None and key in active_keys(sim)
        await pilot.press("x")
        await pilot.pause()
        asked = type(app.screen).__name__
        await pilot.press("y")
        await settle(pilot)
        row = screen.current_row() if screen.current_key() == key else None
    assert asked == "Confirm"
    assert key not in active_keys(sim)
    assert row is None or row.active is False


async def test_f_follows_the_highlighted_active_session(
        server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spstui.tui.transfers import find_transfers

    monkeypatch.setenv("PATH", "")  # no player: the .srs is written all the same
    client = SpsClient(Connection(server.url, "admin", "admin"))
    folder = tmp_path / "trails"
    app = SpsApp(Backend(client, None),
                 options=AppOptions(page_size=50, refresh_interval=600.0,
                                    download_dir=folder))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        screen = await open_active(pilot)
        key = screen.current_key()
        await pilot.press("f")
        await pilot.pause()
        transfers = find_transfers(app)
        following = transfers.running() if transfers else 0
        for _ in range(100):  # the live file appears once the stream starts
            if folder.exists() and any(folder.iterdir()):
                break
            await pilot.pause(0.05)
        written = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
        await pilot.pause(0.6)  # the summary line repaints twice a second or so
        summary = screen.query_one("#active-transfers", Static)
        summary_shown = summary.display, str(summary.render())
        await pilot.press("ctrl+x")
        await settle(pilot)
    await client.aclose()
    assert key is not None and following == 1
    assert any(name.endswith(".live.srs") for name in written), written
    # The progress shows on the active view too, not only on the browser under it.
    assert summary_shown[0] and summary_shown[1].startswith("follow svc-")  # said once


async def test_the_palette_opens_the_settings_from_the_active_view(backend: Backend) -> None:
    from spstui.tui.palette import palette_commands

    app = make_app(backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        [settings] = [c for c in palette_commands(app, screen) if c.title == "Settings"]
        settings.callback()
        await settle(pilot)
        opened = type(app.screen).__name__
    assert opened == "SettingsScreen"


async def test_f_on_a_session_that_was_not_recorded_says_so_and_asks_nothing(
        backend: Backend, sim: Simulator) -> None:
    from spstui.tui.transfers import find_transfers

    app = SpsApp(backend, options=AppOptions(page_size=50, refresh_interval=600.0))
    notes: list[tuple[str, str]] = []
    notify = app.notify

    def record(message: str, *args: Any, **kwargs: Any) -> None:
        notes.append((kwargs.get("severity", "information"), message))
        notify(message, *args, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        screen = await open_active(pilot)
        keys = shown_keys(screen)
        unrecorded = [k for k in keys if (s := sim.store.find(k, sim.now())) is not None
                      and not s.has_trail]
        assert unrecorded, "the simulator records most sessions, not all"
        key = unrecorded[0]
        table_of(screen).move_cursor(row=keys.index(key))
        await settle(pilot)
        row = screen.current_row()
        since = len(sim.request_log)
        await pilot.press("f")
        await settle(pilot)
        transfers = find_transfers(app)
        running = transfers.running() if transfers else -1
        asked = [r.path for r in list(sim.request_log)[since:]]
    assert row is not None and row.index_status == "NO_TRAIL"
    assert ("warning", f"{key} has no audit trail: it was not recorded.") in notes
    assert running == 0 and not any("failed" in m for _, m in notes)
    assert not [p for p in asked if "/audit_trail" in p or p.endswith(key)]


async def test_offline_the_status_says_how_old_the_cached_list_is_not_when_it_was_read(
        sim: Simulator, backend: Backend) -> None:
    online = make_app(backend)
    async with online.run_test(size=SIZE) as pilot:
        await open_active(pilot)  # the active sessions are cached
    offline = make_app(Backend(None, backend.cache, offline=True, now=sim.now))
    async with offline.run_test(size=SIZE) as pilot:
        screen = await open_active(pilot)
        shown = status(screen)
        rows = screen.session_table().row_count
    assert rows > 0
    assert "cached" in shown and "ago (offline mode)" in shown
    assert "refreshed" not in shown and "every" not in shown
