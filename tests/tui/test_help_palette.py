"""`?` lists the keys that work where you are; ctrl+p offers the screen's actions,
saved queries, themes, profiles and a few built-ins."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from rich.console import Console
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.widgets._toast import Toast

from spstui.api.client import Connection, SpsClient
from spstui.backend import Backend
from spstui.cache import CacheStore
from spstui.settings import config_path, load_settings
from spstui.simulator import Simulator
from spstui.tui.active import ActiveScreen
from spstui.tui.app import SpsApp
from spstui.tui.browser import BrowserScreen
from spstui.tui.footer import KeyFooter
from spstui.tui.help import HelpScreen, KeyTable
from spstui.tui.options import AppOptions
from spstui.tui.palette import palette_commands
from spstui.tui.settings_screen import SettingsScreen

SIZE = (160, 45)
SETTINGS = """\
[profiles.lab]
url = "https://sps.lab.example"

[profiles.prod]
url = "https://sps.example.com"

[saved_queries."root over ssh"]
q = "protocol:ssh AND user.name:root"

[saved_queries."[b]odd"]
q = "verdict:accept"
"""


class VaultScreen(Screen[None]):
    """A tiny screen: one allowed action, one refused (as read-only mode does), one
    bound but unavailable right now, and one without a description."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "greet", "Greet"),
        Binding("x", "erase", "Erase everything"),
        Binding("w", "wait", "Wait a bit"),
        Binding("h", "hidden", ""),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.applied: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("vault")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return {"erase": False, "wait": None}.get(action, True)

    def action_greet(self) -> None:
        self.app.notify("hello")

    def apply_saved_query(self, name: str) -> None:
        self.applied.append(name)


@pytest.fixture
async def backend(sim: Simulator, tmp_path: Path) -> AsyncIterator[Backend]:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    with CacheStore(tmp_path / "cache.sqlite3") as cache:
        yield Backend(client, cache)
    await client.aclose()


def offline_app() -> SpsApp:
    return SpsApp(Backend(None, None, offline=True))


async def settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def help_text(app: SpsApp) -> str:
    """The help screen's tables as the user reads them."""
    assert isinstance(app.screen, HelpScreen)
    console = Console(width=200, record=True, file=io.StringIO())
    for table in app.screen.query(KeyTable):
        console.print(table.render())
    return console.export_text()


def titles(app: SpsApp) -> list[str]:
    """Command titles as the palette shows them (it reads them as markup)."""
    return [Content.from_markup(c.title).plain for c in palette_commands(app, app.screen)]


def toasts(app: SpsApp) -> str:
    return "\n".join(str(toast.render()) for toast in app.screen.query(Toast))


# -- help --------------------------------------------------------------------------------


async def test_question_mark_lists_the_browser_keys_and_escape_closes(backend: Backend) -> None:
    app = SpsApp(backend, page_size=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        text = help_text(app)
        assert "Next page" in text and "]" in text
        assert "Everywhere" in text and "Quit" in text and "Command palette" in text
        assert "protocol:ssh AND server_username:root" in text and "-24h" in text
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)


async def test_the_footer_follows_focus_and_a_click_on_a_key_runs_it(backend: Backend) -> None:
    app = SpsApp(backend, page_size=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)

        def shown() -> set[str]:
            return {key.description for key in footer.keys()[0]}

        assert {"Download", "Next page", "Quit"} <= shown()
        line = str(footer.render())
        assert line.rstrip().endswith("^p palette") and len(line) == SIZE[0]
        await pilot.press("slash")  # in the query bar, its own keys
        await settle(pilot)
        assert {"Save query", "Saved queries"} <= shown() and "Download" not in shown()
        await pilot.press("escape")
        await settle(pilot)
        assert "Download" in shown()
        line = str(footer.render())
        await pilot.click(KeyFooter, offset=(line.index("] Next page"), 0))
        await settle(pilot)
        assert app.screen.page_offset == 50  # type: ignore[attr-defined]
        for width in (60, 10):  # narrower than the keys, than the palette's key even
            await pilot.resize_terminal(width, 30)
            for _ in range(50):
                if footer.size.width == width:
                    break
                await pilot.pause(0.02)
            line = str(footer.render())
            assert len(line) == width and (width < 14 or line.rstrip().endswith("palette"))


def footer_backgrounds(app: SpsApp, footer: KeyFooter) -> list[Any]:
    """The background colour of each column of the footer's line, as drawn."""
    colours = []
    for segment in footer.render().render(app.console):
        colours += [segment.style.bgcolor if segment.style else None] * segment.cell_length
    return colours


async def test_in_80_columns_the_footer_shows_whole_keys_and_keeps_help(
        backend: Backend) -> None:
    app = SpsApp(backend, page_size=50)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        line = str(footer.render())
        keys = footer.keys()[0]
        drawn = [k for k in keys if f" {k.display} {k.description} " in line]
        pieces = sum(len(f" {k.display} {k.description} ") for k in drawn)
    assert len(keys) > len(drawn)  # not all fit in 80 columns...
    assert line.rstrip().endswith("^p palette")
    assert "? Keys" in line  # ...and the key that lists them all is there
    # Every key drawn is whole: nothing else on the line but them and the palette's.
    assert pieces + len("▏ ^p palette ") >= len(line.rstrip()) - 1


async def test_the_footer_highlights_the_key_under_the_mouse_and_shows_its_tooltip(
        backend: Backend) -> None:
    from textual.widgets._tooltip import Tooltip

    app = SpsApp(backend, page_size=50)
    app.TOOLTIP_DELAY = 0.05
    async with app.run_test(size=SIZE, tooltips=True) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        line = str(footer.render())
        plain = footer_backgrounds(app, footer)
        next_page, download = line.index("] Next page"), line.index("d Download")

        await pilot.hover(KeyFooter, offset=(next_page + 3, 0))
        await pilot.pause(0.2)  # the tooltip shows after a moment
        lit = footer_backgrounds(app, footer)
        tooltip = app.screen.query_one(Tooltip)
        tip = tooltip.display, str(tooltip.render())

        await pilot.hover(KeyFooter, offset=(download, 0))
        moved = footer_backgrounds(app, footer)
        app.screen.query_one("#q").focus()  # other keys now: none is under the mouse yet
        await pilot.pause()
        refocused = footer.hovered, footer.tooltip
        app.screen.query_one("#sessions").focus()
        await pilot.pause()
        await pilot.hover("#sessions")
        await pilot.pause()
        left = footer_backgrounds(app, footer)

    # The whole key, " ] Next page ", and nothing else, in one other colour.
    key = range(next_page - 1, next_page + len("] Next page") + 1)
    assert [i for i, colour in enumerate(lit) if colour != plain[i]] == list(key)
    hover = lit[next_page]
    assert all(lit[i] == hover for i in key)
    assert tip == (True, "Next page")
    assert moved[download] == hover and moved[next_page] == plain[next_page]
    assert refocused == (None, None)
    assert left == plain  # the mouse went elsewhere: nothing highlighted


@pytest.mark.parametrize("read_only", [False, True])
async def test_question_mark_on_the_active_view_lists_its_own_keys(
        backend: Backend, read_only: bool) -> None:
    app = SpsApp(backend, options=AppOptions(page_size=50, read_only=read_only))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ActiveScreen)
        await pilot.press("question_mark")
        text = help_text(app)
        assert {"Pause/resume", "Refresh now", "Clear ended", "Zoom"} <= described(text)
        assert "Next page" not in text and "Sort" not in described(text)  # the browser's
        # Terminating changes the appliance: read-only mode has no such key.
        assert ("Terminate" in described(text)) is not read_only
        await pilot.press("escape")
        assert isinstance(app.screen, ActiveScreen)


async def test_question_mark_on_the_settings_screen_lists_its_keys(backend: Backend) -> None:
    app = SpsApp(backend, page_size=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        field = app.focused
        assert isinstance(field, Input)  # the first form field: ? is typed there...
        before = field.value
        await pilot.press("question_mark")
        assert isinstance(app.screen, SettingsScreen) and field.value.endswith("?")
        field.value = before
        await pilot.press("f1")  # ...and F1 shows the keys
        text = help_text(app)
        assert {"Save", "Next tab", "Reload", "Back"} <= described(text)
        assert "Download" not in described(text)
        await pilot.press("f1")
        assert isinstance(app.screen, SettingsScreen) and field.value == before


def described(text: str) -> set[str]:
    """The descriptions in the help's key tables (a key, then what it does)."""
    found = set()
    for line in text.splitlines():
        parts = [p.strip() for p in re.split(r"\s{2,}", line.strip()) if p.strip()]
        found.update(parts[1:])
    return found


async def test_help_shows_only_the_actions_the_screen_allows() -> None:
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(VaultScreen())
        await pilot.press("question_mark")
        lines = help_text(app).splitlines()
        assert any("y" in line and "Greet" in line for line in lines)
        assert not any("Erase everything" in line for line in lines)  # check_action: False
        assert any("Wait a bit (not now)" in line for line in lines)  # check_action: None
        await pilot.press("question_mark")  # ? closes it too
        assert isinstance(app.screen, VaultScreen)
        await pilot.press("question_mark", "q")  # and so does q, without quitting
        assert isinstance(app.screen, VaultScreen)
        assert app.is_running


async def test_help_scrolls_on_a_small_terminal() -> None:
    app = offline_app()
    async with app.run_test(size=(90, 20)) as pilot:
        await pilot.press("question_mark")
        scroll = app.screen.query_one("#help-scroll", VerticalScroll)
        assert scroll.max_scroll_y > 0  # more keys than rows: they must be reachable
        await pilot.press("end")
        assert scroll.scroll_y == scroll.max_scroll_y
        assert scroll.region.bottom <= 20


# -- palette -----------------------------------------------------------------------------


async def test_palette_commands_fit_the_screen_and_the_settings() -> None:
    config_path().write_text(SETTINGS, encoding="utf-8")
    app = offline_app()
    async with app.run_test(size=SIZE):
        await app.push_screen(VaultScreen())
        shown = titles(app)
    assert "Greet" in shown
    assert "Erase everything" not in shown and "Wait a bit" not in shown
    assert {"Run saved query: root over ssh", "Run saved query: [b]odd"} <= set(shown)
    assert {"Theme: spstui-dark", "Theme: spstui-light", "Theme: spstui-high-contrast"} <= set(
        shown)
    assert {"Profile: lab", "Profile: prod"} <= set(shown)
    assert {"Quit", "Keys", "Screenshot"} <= set(shown)
    assert "Theme" not in shown  # Textual's theme picker would be a duplicate


async def test_palette_offers_the_browser_actions(backend: Backend) -> None:
    app = SpsApp(backend, page_size=50)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shown = titles(app)
    assert {"Next page", "Prev page", "Query"} <= set(shown)


async def test_typing_a_theme_in_the_palette_switches_and_keeps_it() -> None:
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"ui-li")  # fuzzy: only "Theme: spstui-light"
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.theme == "spstui-light"
        assert not isinstance(app.screen, CommandPalette)
    assert load_settings().theme == "spstui-light"


async def test_a_saved_query_from_the_palette_goes_to_the_screen() -> None:
    config_path().write_text(SETTINGS, encoding="utf-8")
    app = offline_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        vault = VaultScreen()
        await app.push_screen(vault)
        await pilot.press("ctrl+p", *"root")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert vault.applied == ["root over ssh"]
        await app.push_screen(Screen())  # a screen that cannot run saved queries
        command = next(c for c in palette_commands(app, app.screen)
                       if c.title.endswith("root over ssh"))
        command.callback()
        await pilot.pause()
        assert "runs in the session browser" in toasts(app)


async def test_a_profile_from_the_palette_becomes_the_default() -> None:
    config_path().write_text(SETTINGS, encoding="utf-8")
    app = offline_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        command = next(c for c in palette_commands(app, app.screen)
                       if c.title == "Profile: prod")
        command.callback()
        await pilot.pause()
        assert "takes effect at the next start" in toasts(app)
    assert load_settings().default_profile == "prod"


async def test_connecting_to_another_profile_ends_the_app_for_a_restart_on_it() -> None:
    config_path().write_text(SETTINGS, encoding="utf-8")
    app = SpsApp(Backend(None, None, offline=True), options=AppOptions(profile="prod"))
    async with app.run_test(size=SIZE) as pilot:
        shown = titles(app)
        assert "Connect: lab" in shown and "Connect: prod" not in shown  # prod is in use
        await pilot.press("ctrl+p", *"Connect: lab", "enter")
        await pilot.pause()
    assert app.return_value == "lab"  # the command line starts again on it


async def test_a_screen_action_runs_from_the_palette() -> None:
    app = offline_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await app.push_screen(VaultScreen())
        await pilot.press("ctrl+p", *"Greet")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert "hello" in toasts(app)


def test_help_over_the_browser(snap_compare: Any, sim: Simulator, tmp_path: Path) -> None:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    app = SpsApp(Backend(client, CacheStore(tmp_path / "cache.sqlite3")), page_size=50)

    async def open_help(pilot: Any) -> None:
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_help)


async def test_every_query_tip_in_the_help_is_accepted_by_the_appliance(sim: Simulator) -> None:
    from spstui.api.search import SearchQuery, search_page
    from spstui.tui.help import TIPS

    queries = [example for example, _ in TIPS
               if not example.startswith(("start", "content"))]
    async with SpsClient(Connection("https://sps.test", "admin", "admin"),
                         transport=httpx.ASGITransport(app=sim.app)) as client:
        for q in queries:  # an unknown field or bad syntax raises InvalidRequest
            page = await search_page(client, SearchQuery(q=q, limit=1))
            assert page.meta.match_count is not None, q
    assert len(queries) >= 3


async def test_notices_show_appliance_text_literally(backend: Backend) -> None:
    app = SpsApp(backend, page_size=20)
    hostile = "Could not terminate [bold red]svc-1[/] : [link=http://x]here[/link]"
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        app.screen.notify(hostile, severity="error")  # a screen's notify, as actions do
        await pilot.pause()
        shown = toasts(app)
    assert "[bold red]svc-1[/]" in shown and "[link=http://x]" in shown
