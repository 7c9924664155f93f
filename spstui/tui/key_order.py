"""KeyGate: the app hands on one key (or paste) at a time, each where focus is by its turn.

Textual forwards a key to the widget focused when the app reads it, and runs the
key's bindings only when it comes back up to the app unhandled. Over SSH a burst
("/sudo", typed fast or pasted) is read at once, so every key went to the session
table before "/" had moved focus to the query bar: "s" sorted the table, "d" started
a download, and the query bar stayed empty. Here a key the app reads while another
is still on its way waits for it, as it would have done had it arrived a moment
later. A key is on its way until a widget stops it, or it is back at the app and
what its binding asked for (a focus change is itself queued on the app) is done.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.timer import Timer

# What the app reads from the terminal and hands to the focused widget.
Typed = events.Key | events.Paste

# Only if a key is lost on the way (its widget removed under it): then the ones
# behind it go on after this long rather than never.
STUCK_AFTER = 0.5


class KeyGate:
    def __init__(self, app: App[object], send: Callable[[Typed], Awaitable[None]]) -> None:
        self._app = app
        self._send = send  # Textual's own handling of a key the app has read
        self._held: deque[Typed] = deque()
        self._turn = 0  # counts keys handed on; a late word about an earlier one is ignored
        self._busy = False
        self._watchdog: Timer | None = None

    async def read(self, key: Typed) -> None:
        """The app has read `key` (or a paste) from the terminal."""
        if self._busy:
            self._held.append(key)
            if self._watchdog is None:
                self._watchdog = self._app.set_timer(STUCK_AFTER, self._unstick)
            return
        await self._hand_on(key)

    async def _hand_on(self, key: Typed) -> None:
        self._busy = True
        self._turn += 1
        turn = self._turn
        if self._held and self._watchdog is None:
            self._watchdog = self._app.set_timer(STUCK_AFTER, self._unstick)
        elif self._watchdog is not None:
            self._watchdog.reset()  # it times this key, not the whole burst
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
            # Queued on the app, behind whatever the key's action queued there.
            self._app.call_later(self._next, turn)

    async def _next(self, turn: int) -> None:
        if turn != self._turn:
            return
        self._busy = False
        if self._held:
            await self._hand_on(self._held.popleft())
        elif self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None

    async def _unstick(self) -> None:
        self._watchdog = None
        if self._busy:
            self._turn += 1  # whatever is still on its way no longer holds the rest
            await self._next(self._turn)

