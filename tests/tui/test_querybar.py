"""The query bar: syntax errors pointed at, dates checked and resolved, completion,
history across runs, saved queries, and appliance errors shown literally."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from textual import events, on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static

from spstui.api.querycheck import find_problem
from spstui.backend import Backend
from spstui.settings import SavedQuery, Settings, config_path, load_settings, save_settings
from spstui.tui import app as app_module
from spstui.tui.app import SpsApp
from spstui.tui.completion import candidates, complete
from spstui.tui.options import AppOptions
from spstui.tui.querybar import HistoryCursor, QueryBar
from spstui.tui.savedqueries import SavedQueriesScreen, SaveQueryScreen
from tests.tui.keys import burst

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()
SIZE = (120, 30)


class BarScreen(Screen[None]):
    """Only the query bar, recording what it submits."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[QueryBar.Submitted] = []

    def compose(self) -> ComposeResult:
        yield QueryBar(now=lambda: T0)

    @on(QueryBar.Submitted)
    def record(self, message: QueryBar.Submitted) -> None:
        self.submitted.append(message)


class BarApp(SpsApp):
    """The real app object (settings, UI state) showing only the query bar."""

    CSS_PATH = Path(app_module.__file__).with_name("app.tcss")  # not beside this file

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # no browser screen, no searches
        self.push_screen(BarScreen())


@asynccontextmanager
async def running(state: Path | None = None) -> AsyncIterator[tuple[BarApp, Any, BarScreen]]:
    backend = Backend(None, None, offline=True, now=lambda: T0)
    app = BarApp(backend, options=AppOptions(state_path=state))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BarScreen)
        screen.query_one(QueryBar).focus_query()
        yield app, pilot, screen


async def settle(app: SpsApp, pilot: Any) -> None:
    await app.workers.wait_for_complete()  # suggestions are computed in workers
    await pilot.pause()


def text_of(app: SpsApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def value(app: SpsApp, selector: str) -> str:
    return app.screen.query_one(selector, Input).value


async def type_into(app: SpsApp, pilot: Any, selector: str, text: str) -> None:
    """Focus an input and put text in it as pasting would (each key press costs time)."""
    widget = app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = text
    widget.cursor_position = len(text)
    await settle(app, pilot)


# -- syntax and dates -----------------------------------------------------------------


async def test_syntax_error_is_pointed_at_with_a_caret_and_not_submitted() -> None:
    async with running() as (app, pilot, screen):
        await type_into(app, pilot, "#q", "protocol:ssh OR OR x")
        excerpt, caret = text_of(app, "#query-error").split("\n")
        await pilot.press("enter")
        await pilot.pause()
    column = caret.index("^")
    assert excerpt[column:].startswith("OR x") and excerpt[:column].endswith("ssh OR ")
    assert "column 17: unexpected 'OR'" in caret
    assert screen.submitted == []


async def test_a_query_that_ends_too_early_gets_the_caret_at_its_end() -> None:
    async with running() as (app, pilot, _):
        await type_into(app, pilot, "#q", "protocol:(ssh")
        excerpt, caret = text_of(app, "#query-error").split("\n")
    assert caret.index("^") == len(excerpt.rstrip())
    assert "ends too early" in caret


def test_problems_name_the_position_the_parser_reports() -> None:
    problem = find_problem('name:"admin')
    assert problem is not None and problem.position == 5
    assert "unclosed quote" in problem.message
    assert find_problem("protocol:(ssh rdp) AND NOT verdict:accept") is None


async def test_an_unreadable_date_is_named_and_nothing_is_submitted() -> None:
    async with running() as (app, pilot, screen):
        await type_into(app, pilot, "#start", "xyz")
        await pilot.press("enter")
        await pilot.pause()
        error = text_of(app, "#query-error")
    assert error == "start: cannot read 'xyz' (use an ISO date, -24h, -7d or today)"
    assert screen.submitted == []


async def test_an_end_before_the_start_is_refused() -> None:
    async with running() as (app, pilot, screen):
        await type_into(app, pilot, "#start", "2026-11-10")
        await type_into(app, pilot, "#end", "-30d")
        await pilot.press("enter")
        await pilot.pause()
        error = text_of(app, "#query-error")
    assert "end (2026-10-21T12:00:00+00:00) is before start (2026-11-10)" in error
    assert screen.submitted == []


async def test_relative_dates_are_resolved_in_the_submitted_query() -> None:
    async with running() as (app, pilot, screen):
        await type_into(app, pilot, "#q", "protocol:ssh")
        await type_into(app, pilot, "#start", "-24h")
        await type_into(app, pilot, "#end", "today")
        await type_into(app, pilot, "#content", "sudo")
        await pilot.press("enter")
        await pilot.pause()
    [sent] = screen.submitted
    assert (sent.q, sent.start, sent.end, sent.content) == (
        "protocol:ssh", "2026-11-19T12:00:00+00:00", "2026-11-20T00:00:00+00:00", "sudo")


# -- completion -----------------------------------------------------------------------


async def test_a_field_name_completes_with_right_arrow_and_a_value_with_tab() -> None:
    async with running() as (app, pilot, _):
        await pilot.press(*"PROTO")
        await settle(app, pilot)
        await pilot.press("right")
        assert value(app, "#q") == "protocol:"
        await pilot.press("t")
        await settle(app, pilot)
        hint = text_of(app, "#query-hint")
        await pilot.press("tab")
        assert value(app, "#q") == "protocol:telnet"
        assert app.focused is not None and app.focused.id == "q"
        hint_while_typing = app.screen.query_one("#query-hint").display
        app.screen.set_focus(None)
        await pilot.pause()
        hint_after = app.screen.query_one("#query-hint").display
    assert hint.startswith("protocol values: telnet")
    assert hint_while_typing and not hint_after


async def test_completion_keeps_the_text_before_the_word() -> None:
    async with running() as (app, pilot, _):
        await type_into(app, pilot, "#q", "protocol:(SSH r")
        await pilot.press("tab")
        first = value(app, "#q")
        await type_into(app, pilot, "#q", first + ") AND NOT verdict:user")
        await pilot.press("right")
        second = value(app, "#q")
    assert first == "protocol:(SSH rdp"
    assert second == "protocol:(SSH rdp) AND NOT verdict:user-mapping-fail"


async def test_tab_moves_on_when_there_is_nothing_to_complete() -> None:
    async with running() as (app, pilot, _):
        await pilot.press("tab")
        assert app.focused is not None and app.focused.id == "start"


async def test_keys_typed_after_a_tab_in_one_burst_land_in_the_next_field() -> None:
    async with running() as (app, pilot, _):
        burst(app, "protocol:ssh", "tab", "-24h", "tab", "tab", "sudo")
        await settle(app, pilot)
        typed = value(app, "#q"), value(app, "#start"), value(app, "#end"), \
            value(app, "#content")
        burst(app, "x", "tab", "shift+tab", "y")  # on, and back at once
        await settle(app, pilot)
        back = app.focused.id if app.focused else None, value(app, "#content")
    assert typed == ("protocol:ssh", "-24h", "", "sudo")
    assert back == ("content", "y")  # focused by Tab, its text selected: "y" replaced it


async def test_editing_keys_in_one_burst_act_in_the_order_typed() -> None:
    async with running() as (app, pilot, _):
        burst(app, "protocol:sshx", "backspace", " AND a")
        await settle(app, pilot)
        corrected = value(app, "#q")
        burst(app, "ctrl+u", "xy", "left", "z")
        await settle(app, pilot)
        inserted = value(app, "#q")
    assert corrected == "protocol:ssh AND a"
    assert inserted == "xzy"


async def test_a_paste_or_a_query_sent_in_one_burst_goes_where_it_was_meant() -> None:
    async with running() as (app, pilot, screen):
        burst(app, "ab", "tab")
        app.post_message(events.Paste("-24h"))  # pasted into the next field
        await settle(app, pilot)
        pasted = value(app, "#q"), value(app, "#start")
        app.screen.query_one("#q").focus()
        await pilot.pause()
        burst(app, "ctrl+u", "protocol:telnet", "enter", "jj")
        await settle(app, pilot)
    assert pasted == ("ab", "-24h")
    # The search is what was typed before enter, not the keys right behind it.
    assert screen.submitted[-1].q == "protocol:telnet"


async def test_the_cursor_shows_while_moving_with_the_arrows() -> None:
    async with running() as (app, pilot, _):
        field = app.screen.query_one("#q", Input)
        burst(app, "abc")
        await settle(app, pilot)
        field._cursor_visible = False  # the blink's off phase
        burst(app, "left")
        await settle(app, pilot)
        shown = field._cursor_visible
    assert shown


def test_candidates_list_the_fields_and_the_known_values() -> None:
    fields = candidates("verdict:deny OR s")
    assert fields is not None and fields.label == "fields"
    assert {"server_username", "session_id", "start_time", "screen.content"} <= \
        set(fields.items)
    assert complete("active:F") == "active:false"
    assert complete("name:adm") is None  # free text: nothing known to offer
    assert complete('q:"pro') is None  # inside a quoted phrase


# -- history --------------------------------------------------------------------------


async def test_history_walks_up_and_down_and_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    async with running(state) as (app, pilot, _):
        for query in ("protocol:ssh", "verdict:deny"):
            await type_into(app, pilot, "#q", query)
            await pilot.press("enter")
            await pilot.pause()
        saved_at_once = state.read_text()  # not only on quit: a crash keeps it too
    assert "verdict:deny" in saved_at_once
    async with running(state) as (app, pilot, _):
        await pilot.press(*"act")
        seen = []
        for key in ("up", "up", "up", "down", "down"):
            await pilot.press(key)
            seen.append(value(app, "#q"))
    assert seen == ["verdict:deny", "protocol:ssh", "protocol:ssh", "verdict:deny", "act"]


async def test_history_keys_in_one_burst_walk_as_far_as_pressed(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    async with running(state) as (app, pilot, _):
        for query in ("protocol:ssh", "verdict:deny", "active:true"):
            await type_into(app, pilot, "#q", query)
            await pilot.press("enter")
            await pilot.pause()
        burst(app, "ctrl+u", "draft", "up", "up")
        await settle(app, pilot)
        two_back = value(app, "#q")
        burst(app, "up", "down", "down", "down")
        await settle(app, pilot)
        draft = value(app, "#q")
    assert two_back == "verdict:deny"
    assert draft == "draft"  # the text being written before the walk, kept


def test_typing_after_recalling_starts_a_new_draft() -> None:
    cursor, entries = HistoryCursor(), ["a", "b"]
    assert cursor.older(entries, "") == "b"
    cursor.reset()  # what an edit does
    assert cursor.older(entries, "b x") == "b"
    assert cursor.newer(entries, "b") == "b x"
    assert cursor.newer(entries, "b x") is None


# -- saved queries --------------------------------------------------------------------


async def test_saving_a_query_writes_the_settings_file() -> None:
    async with running() as (app, pilot, _):
        await type_into(app, pilot, "#q", "protocol:ssh")
        await type_into(app, pilot, "#start", "-24h")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SaveQueryScreen)
        await pilot.press("enter")
        await pilot.pause()
        empty_name = text_of(app, "#save-error")
        await pilot.press(*"ssh today", "enter")
        await pilot.pause()
        closed = not isinstance(app.screen, SaveQueryScreen)
    assert empty_name == "Give the query a name."
    assert closed
    saved = load_settings().saved_queries["ssh today"]
    assert (saved.q, saved.start, saved.end) == ("protocol:ssh", "-24h", None)


async def test_saving_over_an_existing_name_asks_first() -> None:
    save_settings(Settings(saved_queries={"mine": SavedQuery(q="verdict:deny")}))
    async with running() as (app, pilot, _):
        await type_into(app, pilot, "#q", "protocol:rdp")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press(*"mine", "enter")
        await pilot.pause()
        warning = text_of(app, "#save-error")
        before = load_settings().saved_queries["mine"].q
        await pilot.press("enter")
        await pilot.pause()
    assert "named 'mine' exists" in warning and "enter again to replace" in warning
    assert before == "verdict:deny"
    assert load_settings().saved_queries["mine"].q == "protocol:rdp"


async def test_an_invalid_settings_file_is_not_overwritten_by_a_save() -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("theme = = broken\n")
    async with running() as (app, pilot, _):
        await type_into(app, pilot, "#q", "protocol:ssh")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press(*"x", "enter")
        await pilot.pause()
        error = text_of(app, "#save-error")
        still_asking = isinstance(app.screen, SaveQueryScreen)
    assert "TOML syntax error" in error and still_asking
    assert path.read_text() == "theme = = broken\n"


async def test_apply_saved_fills_the_inputs_and_submits() -> None:
    save_settings(Settings(saved_queries={
        "week": SavedQuery(q="protocol:ssh", start="-7d", content="sudo", sort="-duration")}))
    async with running() as (app, pilot, screen):
        bar = screen.query_one(QueryBar)
        assert bar.apply_saved("week")
        bar.show_error("Invalid q: no such field")  # an answer faster than the inputs
        await pilot.pause()
        answer = text_of(app, "#query-error")
        filled = [value(app, f"#{name}") for name in ("q", "start", "end", "content")]
        missing = bar.apply_saved("nope")
        await pilot.pause()
        error = text_of(app, "#query-error")
    assert filled == ["protocol:ssh", "-7d", "", "sudo"]
    [sent] = screen.submitted
    assert (sent.q, sent.start, sent.content, sent.sort) == (
        "protocol:ssh", "2026-11-13T12:00:00+00:00", "sudo", "-duration")
    assert answer == "Invalid q: no such field"
    assert not missing and "no saved query named 'nope'" in error


async def test_the_saved_list_applies_one_and_deletes_one_after_confirming() -> None:
    save_settings(Settings(saved_queries={"a": SavedQuery(q="protocol:ssh"),
                                          "b": SavedQuery(q="protocol:rdp")}))
    async with running() as (app, pilot, screen):
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, SavedQueriesScreen)
        await pilot.press("down", "enter")
        await pilot.pause()
        applied = [m.q for m in screen.submitted]
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        asked = text_of(app, "#saved-error")
        kept = set(load_settings().saved_queries)
        await pilot.press("delete")
        await pilot.pause()
        left = app.screen.query_one(OptionList).option_count
    assert applied == ["protocol:rdp"]
    assert "Delete the saved query 'a'?" in asked and kept == {"a", "b"}
    assert set(load_settings().saved_queries) == {"b"} and left == 1


# -- appliance errors -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["[bold]x[/bold] is not a field", "bad \x1b[31m escape"])
async def test_an_appliance_error_is_shown_literally_until_the_query_changes(
        text: str) -> None:
    async with running() as (app, pilot, _):
        bar = app.screen.query_one(QueryBar)
        bar.show_error(text)
        await pilot.pause()
        shown = text_of(app, "#query-error")
        await pilot.press("a")
        await pilot.pause()
        after_typing = text_of(app, "#query-error")
        bar.show_error(text)
        bar.clear_error()
        await pilot.pause()
        cleared = text_of(app, "#query-error")
    assert shown in ("[bold]x[/bold] is not a field", "bad \\x1b[31m escape")
    assert after_typing == "" and cleared == ""


def test_a_saved_querys_sort_reads_as_the_tables_columns() -> None:
    from spstui.settings import SavedQuery
    from spstui.tui.savedqueries import describe

    assert describe(SavedQuery(q="protocol:ssh", sort="-name")) == \
        "q: protocol:ssh · sort: user ▼"
    assert describe(SavedQuery(sort="analytics.score.aggregated,-start_time")) == \
        "sort: risk ▲, start (UTC) ▼"
