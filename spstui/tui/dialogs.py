"""Small modal dialogs of the browser: the triage mark and the column picker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import Checkbox, Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist

from spstui.cache import Triage
from spstui.tui.render import CELLS, literal


@dataclass(frozen=True)
class TriageChoice:
    flag: str | None  # "reviewed", "suspicious" or None
    note: str | None


class TriageDialog(ModalScreen[TriageChoice | None]):
    """Set the local triage mark of a session: a flag and/or a note."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="triage.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="triage.apply"),
    ]
    FLAGS = (("reviewed", "Reviewed"), ("suspicious", "Suspicious"), (None, "No flag"))

    def __init__(self, key: str, current: Triage | None) -> None:
        super().__init__()
        self.key = key
        self.current = current

    def compose(self) -> ComposeResult:
        flag = self.current.flag if self.current else None
        with Vertical(classes="dialog"):
            yield Static(literal(f"Triage mark for {self.key}", "bold"))
            # Static, not Label: it wraps in the dialog's width instead of being cut.
            yield Static("Kept only in this computer's cache; never sent to the appliance.")
            options = OptionList(*(label for _, label in self.FLAGS), id="triage-flag")
            # A new mark starts on "Reviewed", the commonest verdict of a look.
            options.highlighted = ([value for value, _ in self.FLAGS].index(flag)
                                   if self.current else 0)
            yield options
            yield Input((self.current.note or "") if self.current else "",
                            placeholder="note (optional)", id="triage-note")
            yield Label("↑/↓ flag · tab to the note · enter apply · escape cancel",
                        classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_apply(self) -> None:
        if isinstance(self.focused, Input):
            # In the note, its own enter applies (note_entered): after the keys typed
            # before it, even when they all came in one burst.
            raise SkipAction()
        self._apply(self.query_one("#triage-note", Input).value)

    @on(Input.Submitted, "#triage-note")
    def note_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply(event.value)

    def _apply(self, note: str) -> None:
        index = self.query_one(OptionList).highlighted
        flag = self.FLAGS[index][0] if index is not None else None
        self.dismiss(TriageChoice(flag, note.strip() or None))


class TickList(SelectionList[str]):
    """A selection list whose box shows its X only when ticked: Textual's shows one in
    every box, told apart by colour alone, which a monochrome terminal does not carry."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return line
        segments = list(line)
        if (option.value in self.selected or len(segments) < 2
                or segments[1].text != Checkbox.BUTTON_INNER):
            return line
        segments[1] = Segment(" " * len(segments[1].text), segments[1].style)
        return Strip(segments, line.cell_length)


class ColumnPicker(ModalScreen[list[str] | None]):
    """Choose the session table's columns (space toggles, enter applies)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel", id="columns.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="columns.apply"),
    ]

    def __init__(self, chosen: list[str]) -> None:
        super().__init__()
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Columns", classes="title")
            yield TickList(
                *((label, column_id, column_id in self.chosen)
                  for column_id, (label, _, _) in CELLS.items()),
                id="column-list")
            yield Static("", id="column-error")
            yield Label("space toggles · enter applies · escape cancels", classes="hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        picked = list(self.query_one(SelectionList).selected)
        if not picked:
            self.query_one("#column-error", Static).update(
                literal("Pick at least one column.", "red"))
            return
        order = list(CELLS)
        self.dismiss(sorted(picked, key=order.index))
