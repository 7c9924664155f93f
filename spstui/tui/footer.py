"""The key footer: the keys that work where you are, on the bottom line.

It shows what Textual's Footer shows (the bindings with `show=True` that are active
on the screen, disabled ones dimmed, the command palette's key on the right); keys
can be clicked, and the one under the mouse is highlighted, its tooltip shown after
a moment. But it is one widget that draws one line: Textual's builds a widget per
key and builds them all again each time the bindings may have changed (each focus
move, each page loaded), which took about 75 ms of start-up.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

HELP_KEY = "question_mark"


class FooterKey(NamedTuple):
    key: str  # as bound, e.g. "right_square_bracket"
    display: str  # as shown, e.g. "]"
    description: str
    enabled: bool
    tooltip: str = ""  # the binding's, if it has one


class KeyFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-footer--key", "key-footer--description", "key-footer--bar", "key-footer--hover"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--bar { color: $foreground 20%; }
        & > .key-footer--hover { background: $block-hover-background; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[list[FooterKey], FooterKey | None] = ([], None)
        self._spans: list[tuple[int, int, FooterKey]] = []  # where each key was drawn
        self.hovered: str | None = None  # the key under the mouse, highlighted

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._shown = self.keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        shown = self.keys()
        if shown != self._shown:  # a focus move that changes nothing repaints nothing
            self._shown = shown
            # The keys moved under the mouse: its next move says which one it is on.
            self._hover(None)
            self.refresh()

    def keys(self) -> tuple[list[FooterKey], FooterKey | None]:
        """The keys shown, left to right (one per action), and the palette's key."""
        app = self.app
        palette_key = app.COMMAND_PALETTE_BINDING if app.ENABLE_COMMAND_PALETTE else None
        keys: dict[str, FooterKey] = {}
        palette: FooterKey | None = None
        for key, (_node, binding, enabled, _tooltip) in self.screen.active_bindings.items():
            shown = FooterKey(key, app.get_key_display(binding), binding.description, enabled,
                              binding.tooltip)
            if key == palette_key:
                palette = shown
            elif binding.show and binding.action not in keys:
                keys[binding.action] = shown
        return list(keys.values()), palette

    def render(self) -> Text:
        keys, palette = self._shown
        self._spans = []
        line = Text(no_wrap=True, overflow="crop", end="")
        room = self.size.width - (self._piece(palette).cell_len + 1 if palette else 0)
        for shown in self._fitting(keys, room):
            piece = self._piece(shown)
            self._spans.append((line.cell_len, line.cell_len + piece.cell_len, shown))
            line.append_text(piece)
        if palette is not None:  # at the right end, after a bar; the others make room
            piece = self._piece(palette)
            room = max(0, self.size.width - 1 - piece.cell_len)
            line.truncate(room)
            line.pad_right(room - line.cell_len)
            self._spans = [span for span in self._spans if span[1] <= room]
            line.append("▏", self.get_component_rich_style("key-footer--bar"))
            self._spans.append((line.cell_len, line.cell_len + piece.cell_len, palette))
            line.append_text(piece)
            line.truncate(self.size.width)  # narrower than the palette's key itself
        return line

    def _fitting(self, keys: list[FooterKey], room: int) -> list[FooterKey]:
        """The keys that fit whole, in order; in a narrow terminal (80 columns over
        SSH) the last ones go, never half a key, and `?` stays: it lists them all."""
        if sum(self._piece(k).cell_len for k in keys) <= room:
            return keys
        help_key = next((k for k in keys if k.key == HELP_KEY), None)
        left = room - (self._piece(help_key).cell_len if help_key else 0)
        fitting: list[FooterKey] = []
        for shown in keys:
            if shown is help_key:
                continue
            width = self._piece(shown).cell_len
            if width > left:
                break
            fitting.append(shown)
            left -= width
        return fitting + ([help_key] if help_key else [])

    def _piece(self, shown: FooterKey) -> Text:
        extra = Style(dim=True) if not shown.enabled else Style()
        if shown.key == self.hovered:  # as Textual's footer does: the key's background
            extra += Style(bgcolor=self.get_component_rich_style("key-footer--hover").bgcolor)
        return Text.assemble(
            (f" {shown.display} ", self.get_component_rich_style("key-footer--key") + extra),
            (f"{shown.description} ",
             self.get_component_rich_style("key-footer--description") + extra), end="")

    def key_at(self, x: int) -> FooterKey | None:
        """The key drawn at column `x`, if any."""
        for start, end, shown in self._spans:
            if start <= x < end:
                return shown
        return None

    def on_click(self, event: events.Click) -> None:
        shown = self.key_at(event.x)
        if shown is not None:
            if shown.enabled:
                self.app.simulate_key(shown.key)
            else:
                self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(self.key_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._hover(None)

    def _hover(self, shown: FooterKey | None) -> None:
        key = shown.key if shown is not None else None
        if key == self.hovered:
            return  # moving within a key repaints nothing
        self.hovered = key
        # The screen shows the tooltip of the widget under the mouse, after a moment:
        # here, the key's (its binding's tooltip, else what it does).
        self.tooltip = Text(shown.tooltip or shown.description) if shown is not None else None
        self.styles.pointer = "pointer" if shown is not None else "default"
        self.refresh()
