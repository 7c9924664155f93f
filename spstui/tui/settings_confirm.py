"""The settings screen's yes/no questions (save these changes? discard edits?), with lines
of detail rendered literally."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from spstui.tui.render import literal


class SettingsConfirm(ModalScreen[bool]):
    """Dismissed with True (y, or the first button) or False (n, escape, the second).

    The second button has the focus, so a reflex Enter never confirms."""

    DEFAULT_CSS = """
    SettingsConfirm {
        align: center middle;
    }
    SettingsConfirm > Vertical {
        width: 100;
        max-width: 90%;
        height: auto;
        max-height: 80%;
        border: thick $accent;
        background: $surface;
        padding: 1 2;
    }
    SettingsConfirm #confirm-title {
        text-style: bold;
        margin-bottom: 1;
    }
    SettingsConfirm #confirm-lines {
        height: auto;
        max-height: 20;
    }
    SettingsConfirm #confirm-hint {
        margin-top: 1;
    }
    SettingsConfirm #confirm-buttons {
        height: auto;
        margin-top: 1;
    }
    SettingsConfirm Button {
        margin-right: 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="settings-confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="settings-confirm.no"),
    ]

    def __init__(self, title: str, lines: list[str], yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(self.title_text), id="confirm-title")
            with VerticalScroll(id="confirm-lines", can_focus=False):
                for line in self.lines:
                    text = literal(line)
                    text.no_wrap = False  # long values wrap instead of being cut
                    yield Static(text, classes="confirm-line")
            yield Static(literal(f"y: {self.yes}    n / Escape: {self.no}", "dim"),
                         id="confirm-hint")
            with Horizontal(id="confirm-buttons"):
                yield Button(self.yes, id="confirm-yes", variant="primary")
                yield Button(self.no, id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
