"""KeyGate: the app hands on one key (or paste) at a time, each where focus is by its turn.

Textual forwards a key to the widget focused when the app reads it, and runs the
key's bindings only when it comes back up to the app unhandled. Over SSH a burst
("/sudo", typed fast or pasted) is read at once, so every key went to the session
table before "/" had moved focus to the query bar: "s" sorted the table, "d" started
a download, and the query bar stayed empty. Here a key the app reads while another
is still on its way waits for it, as it would have done had it arrived a moment
later. A key is on its way until a widget stops it or it is back at the app, and
then until the messages it set going are handled: an enter in the query bar
searches and moves focus to the table through three messages, and a "j" read with
it belongs to the table, not the query. KeyOrderedApp is an App with its keys
read through a KeyGate (SpsApp is one).

A screen that is loading what the next keys are meant for (a search's results)
says so through a Loading: keys read meanwhile wait until it is shown, so the "j"
of "/protocol:ssh⏎j" moves in the results, not in the page they replace. Never for
long: a key waits at most TYPE_AHEAD_WAIT from when it was read (then it acts on
what is on screen), and a priority binding (ctrl+q) not at all, so a slow
appliance never holds the keyboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.timer import Timer

# What the app reads from the terminal and hands to the focused widget.
Typed = events.Key | events.Paste

# Only if a key is lost on the way (its widget removed under it): then the ones
# behind it go on after this long rather than never.
STUCK_AFTER = 0.5
# Turns of the event loop to wait, at most, for the messages a key set going to be
# handled; something that keeps posting (an animation) does not hold the keys long.
SETTLE_TURNS = 100
# The longest a key waits for a screen's loading, from when the key was read.
TYPE_AHEAD_WAIT = 1.0


class Loading:
    """A screen's word to the key gate that what it shows is being replaced."""

    def __init__(self) -> None:
        self._shown = asyncio.Event()
        self._shown.set()
        self._load = 0

    def begin(self) -> int:
        """A new load: its number, for `end`."""
        self._load += 1
        self._shown.clear()
        return self._load

    def end(self, load: int) -> bool:
        """Load `load` is shown; the answer of one that was replaced ends nothing.
        True if it was the latest."""
        if load != self._load:
            return False
        self._shown.set()
        return True

    @property
    def under_way(self) -> bool:
        return not self._shown.is_set()

    async def wait(self, until: float) -> None:
        """Until it is shown, or the monotonic time `until`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._shown.wait(), until - time.monotonic())


class KeyGate:
    def __init__(self, app: App[Any], send: Callable[[Typed], Awaitable[None]]) -> None:
        self._app = app
        self._send = send  # Textual's own handling of a key the app has read
        self._held: deque[tuple[Typed, float]] = deque()  # and when each was read
        self._turn = 0  # counts keys handed on; a late word about an earlier one is ignored
        self._busy = False
        self._watchdog: Timer | None = None
        self._arrived = 0  # the last key known to have reached its end (then it settles)
        self._settling: asyncio.Task[None] | None = None  # kept: a task unreferenced may go

    async def read(self, key: Typed) -> None:
        """The app has read `key` (or a paste) from the terminal."""
        if self._busy:
            self._held.append((key, time.monotonic()))
            if self._watchdog is None:
                self._start_watchdog()
            return
        await self._hand_on(key, time.monotonic())

    def _start_watchdog(self) -> None:
        """Time the key on its way now (not the whole burst)."""
        if self._watchdog is not None:
            self._watchdog.stop()
        # Through the app's queue: a key let go runs in order with the app's messages,
        # not in the timer's own task.
        turn = self._turn
        self._watchdog = self._app.set_timer(
            STUCK_AFTER, lambda: self._app.call_later(self._unstick, turn))

    async def _hand_on(self, key: Typed, read_at: float) -> None:
        self._busy = True
        self._turn += 1
        turn = self._turn
        until = read_at + TYPE_AHEAD_WAIT
        loading = getattr(self._app.screen, "page_loading", None)
        if (isinstance(loading, Loading) and loading.under_way
                and time.monotonic() < until and not self._urgent(key)):
            # It waits first in line, in a task (waiting here would hold up the app's
            # queue); waiting is not being lost, so the watchdog leaves it be.
            self._held.appendleft((key, read_at))
            self._arrived = turn
            self._settling = asyncio.create_task(self._wait_for(loading, until, turn))
            return
        if self._held or self._watchdog is not None:
            self._start_watchdog()
        target = self._app.focused or self._app.screen
        await self._send(key)  # priority bindings, else on to `target`
        if key.is_forwarded:
            self._follow(key, target, turn, scheduled=False)
        else:
            self._done(turn)

    def _follow(self, key: Typed, node: MessagePump, turn: int, *,
                scheduled: bool = True) -> None:
        """Runs in `node`'s queue right behind `key`: it has been handled there."""
        if turn != self._turn:
            return
        if scheduled:
            parent = node._parent
            # As Textual bubbles: a key stops short of its sender's children, yet
            # still goes up to the sender itself (the app, for what it read).
            stopped = key._stop_propagation and key._sender is not parent
            bubbles = (not stopped and node is not self._app and node.is_parent_active
                       and getattr(node, "is_attached", True))
            if not bubbles or parent is None:
                self._done(turn)
                return
            node = parent
        # Behind the key in that queue (bubbling posted it there before this runs).
        if not node.call_later(self._follow, key, node, turn):
            self._done(turn)  # that queue is closing: the key goes no further

    def _done(self, turn: int) -> None:
        if turn == self._turn:
            # Not lost: however long it took, what it set going is waited for (a settle
            # ends by itself), not cut short by the watchdog.
            self._arrived = turn
            self._settling = asyncio.create_task(self._settle(turn))

    async def _settle(self, turn: int) -> None:
        """Wait for the messages the key set going (a submit, a screen closing, a focus
        change) to be handled; then hand on the next, in the app's queue. A task of its
        own: waiting in a queue would hold up that queue's messages."""
        for _ in range(SETTLE_TURNS):
            await asyncio.sleep(0)  # everyone else takes a step
            if turn != self._turn:
                return
            if self._settled():
                break
        self._app.call_later(self._next, turn)

    async def _wait_for(self, loading: Loading, until: float, turn: int) -> None:
        await loading.wait(until)
        self._app.call_later(self._next, turn)

    def _urgent(self, key: Typed) -> bool:
        """A priority binding (ctrl+q quits) never waits for a screen's loading."""
        if not isinstance(key, events.Key):
            return False
        active = self._app.screen.active_bindings.get(key.key)
        return active is not None and active.binding.priority

    def _settled(self) -> bool:
        """No message is waiting in the app, its screens or the current screen's widgets."""
        app = self._app
        screens = app.screen_stack
        if not screens:  # the app is closing: nothing is left to wait for
            return True
        if app.message_queue_size or any(s.message_queue_size for s in screens):
            return False
        return not any(node.message_queue_size for node in screens[-1].walk_children())

    async def _next(self, turn: int) -> None:
        if turn != self._turn:
            return
        self._busy = False
        if self._held:
            await self._hand_on(*self._held.popleft())
        elif self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None

    async def _unstick(self, turn: int) -> None:
        if turn != self._turn or turn == self._arrived:
            return  # that key got there; the one now on its way has its own timer
        self._watchdog = None
        if self._busy:
            self._turn += 1  # whatever is still on its way no longer holds the rest
            await self._next(self._turn)


ReturnType = TypeVar("ReturnType")


class KeyOrderedApp(App[ReturnType]):
    """An app that hands on what it reads from the terminal one key at a time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_gate = KeyGate(self, super().on_event)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            await self.key_gate.read(event)  # read from the terminal: one at a time
        else:
            await super().on_event(event)
