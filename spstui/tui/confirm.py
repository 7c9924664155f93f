"""A yes/no question in a modal: quitting while transfers run, terminating a session."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from spstui.tui.render import literal


class Confirm(ModalScreen[bool]):
    """Ask `question`; dismisses with True on `y`, False on `n`, escape or enter.

    Enter answers no: a reflex key must never confirm something that cannot be
    undone. The question may quote the appliance, so it is shown literally."""

    DEFAULT_CSS = """
    Confirm {
        align: center middle;
    }
    Confirm > Vertical {
        width: auto;
        min-width: 40;
        max-width: 90%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    Confirm.-danger > Vertical {
        border: thick $error;
    }
    Confirm #confirm-question {
        width: auto;
        margin-bottom: 1;
    }
    Confirm #confirm-keys {
        width: auto;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape,enter", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, yes_label: str = "Yes", danger: bool = False) -> None:
        super().__init__(classes="-danger" if danger else None)
        self.question = question
        self.yes_label = yes_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        style = "bold red" if self.danger else "bold"
        lines = [literal(line, style) for line in self.question.split("\n")]
        keys = Text.assemble(("y", "bold"), " ", literal(self.yes_label),
                             "   ", ("n", "bold"), " No (default)")
        with Vertical():
            yield Static(Text("\n").join(lines), id="confirm-question")
            yield Static(keys, id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
