"""Keys read in one burst are handed on one at a time, each to where focus is by then."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from spstui.backend import Backend
from spstui.tui import app as app_module
from spstui.tui.app import SpsApp
from spstui.tui.key_order import STUCK_AFTER, KeyOrderedApp, Loading
from tests.tui.keys import burst


class Vanishing(Static, can_focus=True):
    """Removes itself on "x" and lets the key go on up (its queue closes under it)."""

    def on_key(self, event: events.Key) -> None:
        if event.key == "x":
            self.remove()


class TwoScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Vanishing("x removes me", id="vanishing")
        yield Input(id="field")


class TwoApp(SpsApp):
    CSS_PATH = Path(app_module.__file__).with_name("app.tcss")

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # no browser screen
        self.push_screen(TwoScreen())


async def test_keys_behind_one_whose_widget_went_away_still_arrive() -> None:
    app = TwoApp(Backend(None, None, offline=True))
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        app.screen.query_one("#vanishing").focus()
        await pilot.pause()
        burst(app, "x", "abc")
        # Well before the watchdog would let them go: the removal itself does.
        for _ in range(int(STUCK_AFTER / 2 / 0.05)):
            await asyncio.sleep(0.05)
            if app.screen.query_one("#field", Input).value == "abc":
                break
        typed = app.screen.query_one("#field", Input).value
        gone = not app.screen.query("#vanishing")
    assert gone and typed == "abc"


class Stuck(Static, can_focus=True):
    """On "x" moves focus to the field, then stays busy until let go."""

    let_go: asyncio.Event  # set by the test

    async def on_key(self, event: events.Key) -> None:
        if event.key == "x":
            self.app.set_focus(self.screen.query_one("#field"))
            await self.let_go.wait()


class StuckScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Stuck("x holds me up", id="stuck")
        yield Input(id="field")


class StuckApp(TwoApp):
    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()
        self.push_screen(StuckScreen())


async def test_keys_behind_one_that_is_held_up_go_on_after_a_while() -> None:
    app = StuckApp(Backend(None, None, offline=True))
    Stuck.let_go = asyncio.Event()
    async with app.run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        app.screen.query_one("#stuck").focus()
        await pilot.pause()
        burst(app, "x", "abc")
        field = app.screen.query_one("#field", Input)
        for _ in range(100):  # "x" is still being handled all this while
            await asyncio.sleep(0.05)
            if field.value == "abc":
                break
        typed = field.value
        Stuck.let_go.set()
    assert typed == "abc"


class Hop(Message):
    def __init__(self, left: int) -> None:
        super().__init__()
        self.left = left


class Relay(Input):
    """Passes a Hop on to the other relay until none are left, then focuses #to."""

    def on_hop(self, message: Hop) -> None:
        if message.left:
            other = "#relay-2" if self.id == "relay-1" else "#relay-1"
            self.screen.query_one(other).post_message(Hop(message.left - 1))
        else:
            self.app.call_later(self.screen.query_one("#to").focus)


class SlowApp(KeyOrderedApp[None]):
    """f5 blocks for longer than the watchdog waits, then moves focus by many messages
    (a first open of a heavy screen on a slow machine does both)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("f5", "slow_move")]

    def compose(self) -> ComposeResult:
        yield Relay(id="relay-1")
        yield Relay(id="relay-2")
        yield Input(id="to")
        yield Input(id="from")

    def action_slow_move(self) -> None:
        time.sleep(STUCK_AFTER * 1.5)
        self.query_one("#relay-1").post_message(Hop(20))


async def test_a_key_slower_than_the_watchdog_still_has_its_messages_handled_first() -> None:
    app = SlowApp()
    async with app.run_test(size=(60, 10)) as pilot:
        app.query_one("#from").focus()
        await pilot.pause()
        app.post_message(events.Key("f5", None))  # and in the same read:
        burst(app, "xyz")
        for _ in range(60):
            await asyncio.sleep(0.05)
            if len(app.query_one("#to", Input).value) == 3:
                break
        await pilot.pause()
        moved_to = app.query_one("#to", Input).value
        left_in = app.query_one("#from", Input).value
    assert (moved_to, left_in) == ("xyz", "")


async def test_the_answer_of_a_replaced_load_does_not_end_loading() -> None:
    # A page asked for and then replaced (r pressed again) may still be answered:
    # keys held for the new page must go on waiting for that one.
    loading = Loading()
    first = loading.begin()
    second = loading.begin()
    replaced = loading.end(first)
    still = loading.under_way
    latest = loading.end(second)
    assert still and not replaced and latest and not loading.under_way
