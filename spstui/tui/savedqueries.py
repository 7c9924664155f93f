"""Saved queries: naming the current query, and picking or deleting saved ones.

The dialogs only ask; the query bar does the saving (through the app's
`update_settings`) and hands back any error, which the dialog shows in place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from spstui.settings import SavedQuery
from spstui.tui.render import literal, sort_label

# Returns an error message, or None when it worked.
Action = Callable[[str], str | None]

_DIALOG_CSS = """
{name} {{
    align: center middle;
}}
{name} > Vertical {{
    width: 80;
    height: auto;
    max-height: 80%;
    border: thick $accent;
    background: $panel;
    padding: 0 1;
}}
{name} .dialog-title {{
    text-style: bold;
}}
{name} .dialog-error {{
    color: $error;
    height: auto;
}}
{name} .dialog-keys {{
    color: $text-muted;
}}
"""


def describe(saved: SavedQuery) -> str:
    """A one-line summary of a saved query's parts."""
    parts = [f"{key}: {value}" for key, value in
             (("q", saved.q), ("start", saved.start), ("end", saved.end),
              ("content", saved.content), ("sort", sort_label(saved.sort or ""))) if value]
    return " · ".join(parts) or "(everything)"


class SaveQueryScreen(ModalScreen[str | None]):
    """Asks a name for the current query; dismissed with the name once saved."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="SaveQueryScreen")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="save-query.cancel"),
    ]

    def __init__(self, query: SavedQuery, existing: Mapping[str, SavedQuery],
                 save: Action) -> None:
        super().__init__()
        self.query_to_save = query
        self.existing = existing
        self.save = save
        self.confirmed_overwrite: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Save this query as", classes="dialog-title")
            yield Static(literal(describe(self.query_to_save), "italic"))
            yield Input(placeholder="name", id="save-name")
            yield Static("", id="save-error", classes="dialog-error")
            yield Static("enter saves · escape cancels", classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#save-name", Input).focus()

    def show_error(self, text: str) -> None:
        self.query_one("#save-error", Static).update(literal(text, "red"))

    @on(Input.Changed, "#save-name")
    def name_changed(self) -> None:
        self.confirmed_overwrite = None
        self.query_one("#save-error", Static).update("")

    @on(Input.Submitted, "#save-name")
    def submit(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        if not name:
            self.show_error("Give the query a name.")
            return
        if name in self.existing and self.confirmed_overwrite != name:
            self.confirmed_overwrite = name
            self.show_error(f"A saved query named {name!r} exists "
                            f"({describe(self.existing[name])}). "
                            "Press enter again to replace it.")
            return
        error = self.save(name)
        if error:
            self.show_error(error)
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SavedQueriesScreen(ModalScreen[str | None]):
    """Lists the saved queries: enter applies one (dismissed with its name), delete
    removes one after a second press."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="SavedQueriesScreen") + """
    SavedQueriesScreen OptionList {
        height: auto;
        max-height: 20;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete", "delete", "Delete", id="saved-queries.delete"),
        Binding("escape", "cancel", "Close", id="saved-queries.close"),
    ]

    def __init__(self, saved: Mapping[str, SavedQuery], delete: Action) -> None:
        super().__init__()
        self.saved = dict(saved)
        self.delete = delete
        self.pending_delete: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Saved queries", classes="dialog-title")
            yield OptionList(*self._options(), id="saved-list")
            yield Static("", id="saved-error", classes="dialog-error")
            yield Static("enter applies · delete removes · escape closes",
                         classes="dialog-keys")

    def on_mount(self) -> None:
        if not self.saved:
            self.say("No saved queries yet: ctrl+s in the query bar saves one.")
        self.query_one(OptionList).focus()

    def _options(self) -> list[Option]:
        return [Option(Text.assemble(literal(name, "bold"), "  ",
                                     literal(describe(query), "dim")), id=name)
                for name, query in sorted(self.saved.items())]

    def say(self, text: str) -> None:
        self.query_one("#saved-error", Static).update(literal(text, "red"))

    def highlighted_name(self) -> str | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    @on(OptionList.OptionHighlighted)
    def moved(self) -> None:
        if self.pending_delete is not None:
            self.pending_delete = None
            self.say("")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_delete(self) -> None:
        name = self.highlighted_name()
        if name is None:
            return
        if self.pending_delete != name:
            self.pending_delete = name
            self.say(f"Delete the saved query {name!r}? Press delete again to confirm, "
                     "escape to keep it.")
            return
        self.pending_delete = None
        error = self.delete(name)
        if error:
            self.say(error)
            return
        del self.saved[name]
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options())
        self.say(f"Deleted {name!r}." if self.saved else f"Deleted {name!r}; none left.")

    def action_cancel(self) -> None:
        if self.pending_delete is not None:
            self.pending_delete = None
            self.say("")
            return
        self.dismiss(None)
