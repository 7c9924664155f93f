"""The `?` screen: the keys that work where you are, plus a few query tips.

The keys come from the screen underneath (`Screen.active_bindings`): the focused
widget's, its containers', the screen's and the app's bindings, minus those whose
`check_action` returns False (read-only mode hides actions that way), so the list
is never a hand-kept copy that drifts from the real bindings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

# Textual's own bindings with terse or missing descriptions.
_DESCRIPTIONS = {"command_palette": "Command palette", "help_quit": ""}
_GENERIC_ACTIONS = {binding.action for _key, binding in BindingsMap(Screen.BINDINGS)}

TIPS: list[tuple[str, str]] = [
    ("protocol:ssh AND server_username:root", "root on the server, over SSH"),
    ("protocol:rdp AND NOT verdict:accept", "RDP, not accepted"),
    ("client.address:10.20.30.40", "from one address"),
    ("name:?dmi*", "? one character, * any"),
    ("start, end: -24h -7d today", "relative dates"),
    ("content: sudo", "text typed or shown"),
]


@dataclass
class KeyGroup:
    """One titled table of the help screen: (keys, description, enabled) rows."""

    title: str
    rows: list[tuple[str, str, bool]] = field(default_factory=list)


def key_groups(screen: Screen[object]) -> list[KeyGroup]:
    """The keys that work on `screen` now, one group per widget/screen/app that binds them.

    Order: the screen's own keys, then the focused widget's (and its containers'),
    then the app-wide ones."""
    app = screen.app
    # node -> action -> (keys, description, enabled): one row per action ("q ^q  Quit")
    rows: dict[DOMNode, dict[str, tuple[list[str], str, bool]]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        description = _DESCRIPTIONS.get(binding.action, binding.description)
        if binding.system or not description:
            continue
        actions = rows.setdefault(active.node, {})
        keys = actions.setdefault(binding.action, ([], description, active.enabled))[0]
        key = app.get_key_display(binding)
        if key not in keys:
            keys.append(key)

    def rank(node: DOMNode) -> int:
        return 0 if node is screen else 2 if isinstance(node, App) else 1

    def group(node: DOMNode, actions: dict[str, tuple[list[str], str, bool]]) -> KeyGroup:
        # Textual's generic screen keys (tab, copy) after the screen's own.
        ordered = sorted(actions.items(), key=lambda item: item[0] in _GENERIC_ACTIONS)
        return KeyGroup(group_title(node), [(" ".join(keys), description, enabled)
                                            for _action, (keys, description, enabled) in ordered])

    return [group(node, actions)
            for node, actions in sorted(rows.items(), key=lambda item: rank(item[0]))]


def group_title(node: DOMNode) -> str:
    """BINDING_GROUP_TITLE when set, else a name made from the class (and id)."""
    if node.BINDING_GROUP_TITLE:
        return node.BINDING_GROUP_TITLE
    if isinstance(node, App):
        return "Everywhere"
    kind = _words(type(node).__name__)
    if isinstance(node, Screen):
        return kind.capitalize()
    return f"{_words(node.id).capitalize()} ({kind})" if node.id else kind.capitalize()


def _words(name: str) -> str:
    """'BrowserScreen' -> 'browser screen', 'query-bar' -> 'query bar'."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("-", " ").replace(
        "_", " ").lower()


class KeyTable(Static):
    """Titled two-column tables; colours come from the theme via component classes."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-table--title", "key-table--key", "key-table--description", "key-table--disabled"}
    DEFAULT_CSS = """
    KeyTable { height: auto; margin-bottom: 1; }
    KeyTable > .key-table--title { color: $text-primary; text-style: bold underline; }
    KeyTable > .key-table--key { color: $text-accent; text-style: bold; }
    KeyTable > .key-table--description { color: $foreground; }
    KeyTable > .key-table--disabled { color: $text-disabled; }
    """

    def __init__(self, group: KeyGroup, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.group = group

    def render(self) -> Group:
        style = self.get_component_rich_style
        # A fixed key column (keys line up across groups) with the gap built in: padding
        # alone is lost when Textual fits the table to the widget.
        widest = max((cell_len(keys) for keys, _, _ in self.group.rows), default=0)
        table = Table.grid()
        table.add_column(no_wrap=True, width=max(widest, 10) + 2)
        table.add_column()
        for keys, description, enabled in self.group.rows:
            if enabled:
                table.add_row(Text(keys, style=style("key-table--key")),
                              Text(description, style=style("key-table--description")))
            else:  # bound, but check_action said "not now" (None): shown dimmed
                dim = style("key-table--disabled")
                table.add_row(Text(keys, style=dim), Text(f"{description} (not now)", style=dim))
        return Group(Text(self.group.title, style=style("key-table--title")), table)


class HelpScreen(ModalScreen[None]):
    """Lists the given key groups and the query tips; escape, ?, F1 or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help.close-2"),
        Binding("f1", "dismiss", "Close", show=False, id="help.close-f1"),
        Binding("q", "dismiss", "Close", show=False, id="help.close-3"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    #help-box {
        width: 90%; max-width: 140; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    #help-heading { height: 1; margin-bottom: 1; color: $text-muted; }
    #help-scroll { height: auto; max-height: 100%; }
    #help-columns { height: auto; }
    .help-column { width: 1fr; height: auto; padding-right: 2; }
    """

    def __init__(self, groups: list[KeyGroup]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box") as box:
            box.border_title = "Keys that work here"
            box.border_subtitle = "escape, ? or q closes"
            note = "ctrl+p searches every command."
            if any(not enabled for group in self.groups for *_, enabled in group.rows):
                note += " Dimmed keys are not available right now."
            with VerticalScroll(id="help-scroll"):
                yield Static(Text(note), id="help-heading")
                yield from self.columns()

    def columns(self) -> ComposeResult:
        # The screen's own keys on the left; focused widget, app-wide and tips on the right.
        left, right = self.groups[:1], self.groups[1:]
        with Horizontal(id="help-columns"):
            with Vertical(classes="help-column"):
                for group in left:
                    yield KeyTable(group)
            with Vertical(classes="help-column"):
                for group in right:
                    yield KeyTable(group)
                yield KeyTable(KeyGroup("Query tips", [(example, meaning, True)
                                                       for example, meaning in TIPS]),
                               id="help-tips")


def toggle_help(app: App[Any]) -> None:
    """Show the keys of the current screen, or close the help if it is open."""
    if isinstance(app.screen, HelpScreen):
        app.screen.dismiss()
        return
    app.push_screen(HelpScreen(key_groups(app.screen)))
