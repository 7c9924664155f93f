"""TextField: Textual's Input, keeping keys that arrive in one burst in order.

Textual hands each key to the focused widget's queue as it arrives, but runs key
bindings (backspace, ctrl+u, the arrows, enter, tab) only once the key has come back
up to the app, after the characters behind it have been typed in. Over a slow SSH
link keys do arrive in bursts: "ab<backspace>c" read "ab", and what was typed after
a Tab landed in the field just left. Here a field runs the bindings in its own queue,
in order, and passes on keys that reach it after focus has moved elsewhere."""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input


class TextField(Input):
    def _moved_on(self) -> Widget | None:
        """Where focus is, if it left this field while keys were on their way here.
        (Not has_focus: that changes only when the Blur behind these keys is handled.)"""
        focused = self.app.focused
        return focused if focused is not None and focused is not self else None

    async def _on_key(self, event: events.Key) -> None:
        if (focused := self._moved_on()) is not None:
            event.stop()
            event.prevent_default()
            focused._forward_event(events.Key(event.key, event.character))
            return
        if event.is_printable:
            return  # Input types it in
        self._restart_blink()  # as Input does on any key, which is not called here
        # The same bindings the app would look up for this key (this field's, then its
        # containers' and the screen's), run now rather than after the keys behind it.
        if await self.app._check_bindings(event.key):
            event.stop()
            event.prevent_default()

    async def _on_paste(self, event: events.Paste) -> None:
        if (focused := self._moved_on()) is not None:
            event.stop()
            event.prevent_default()
            focused._forward_event(events.Paste(event.text))
        # Otherwise Input's own handler (called after this one) pastes it.
