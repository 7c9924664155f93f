"""SpsApp: the terminal UI's application object."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from spstui.backend import Backend
from spstui.tui.browser import BrowserScreen


class SpsApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "spstui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "show_help_panel", "Keys", id="app.help"),
    ]

    def __init__(self, backend: Backend, *, page_size: int = 500, subtitle: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.page_size = page_size
        self.sub_title = subtitle

    def on_mount(self) -> None:
        self.push_screen(BrowserScreen(self.backend, self.page_size))
