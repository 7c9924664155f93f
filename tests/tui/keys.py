"""Keys as a slow SSH link delivers them: several in one read."""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.keys import _character_to_key

KEY_NAMES = {"tab", "shift+tab", "backspace", "ctrl+u", "ctrl+q", "left", "enter", "up", "down"}


def burst(app: App[object], *keys: str) -> None:
    """Hand `keys` to the app all at once, before any of them is handled (pilot.press
    waits between keys). A key is a name ("backspace", "tab") or text typed a
    character at a time."""
    for key in keys:
        if key in KEY_NAMES:
            app.post_message(events.Key(key, None))
        else:
            for char in key:  # named as the terminal driver names it ("/" is "slash")
                app.post_message(events.Key(_character_to_key(char), char))
