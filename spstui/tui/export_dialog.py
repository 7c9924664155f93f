"""The export dialog: which sessions (this page, all matches, the marked rows), which
format (CSV or JSON) and which file. It only asks; `Transfers.start_export` writes."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, cast

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, RadioButton, RadioSet, Static

from spstui.api.search import SearchQuery
from spstui.output import safe_text

Scope = Literal["page", "all", "marked"]
Format = Literal["csv", "json"]


@dataclass(frozen=True)
class ExportSpec:
    """What to export, where to.

    page_rows: the rows on screen, each `{"key": ..., **row.raw}` (or a search
    result item `{"key", "meta", "body"}`), used for scope "page".
    keys: the marked sessions, fetched one by one for scope "marked".
    """

    scope: Scope
    fmt: Format
    path: Path
    query: SearchQuery
    page_rows: list[dict[str, Any]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def default_export_path(folder: Path, fmt: Format, now: datetime | None = None) -> Path:
    """A new file in the download folder, written as configured (`~` stays short;
    resolve_export_path expands it)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return Path(folder) / f"spstui-export-{stamp}.{fmt}"


def resolve_export_path(text: str, folder: Path) -> Path:
    """`~` is expanded; a bare or relative name lands in the download folder (a
    terminal UI has no obvious working directory)."""
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else Path(folder).expanduser() / path


def export_path_problem(text: str, folder: Path, fmt: str = "") -> str | None:
    """Why the export cannot be written to `text` in format `fmt`, or None if it can."""
    if not text.strip():
        return "Give a file to export to."
    path = resolve_export_path(text, folder)
    suffix = path.suffix.lower()
    if fmt and suffix in (".csv", ".json") and suffix != f".{fmt}":
        return (f"{path.name} ends in {suffix}, but the format chosen is {fmt.upper()}: "
                f"choose {suffix[1:].upper()} above, or name the file .{fmt}.")
    if path.is_dir():
        return f"{path} is a folder: add a file name, e.g. {path / 'sessions.csv'}"
    # The parent may be created on export: the nearest existing folder must allow it.
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, so {path.name} cannot be written under it."
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable: choose another folder."
    return None


class Option(RadioButton):
    """A radio button whose dot shows only when chosen: not by colour alone, which a
    monochrome terminal (or a screen reader's text) does not carry."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # Textual's class constant
        return "●" if self.value else " "


class Choice(RadioSet):
    """A radio set where the arrow keys choose directly (no extra space to press):
    the dialog's enter exports, so what is highlighted must be what is chosen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,right", "choose(1)", "Next option", show=False),
        Binding("up,left", "choose(-1)", "Previous option", show=False),
    ]

    def on_mount(self) -> None:
        # RadioSet's own mount handler runs after this one and highlights the first
        # button: move the highlight to the pressed one once that is done.
        self.call_after_refresh(self._highlight_pressed)

    def _highlight_pressed(self) -> None:
        if self.pressed_index >= 0:
            self._selected = self.pressed_index

    def action_choose(self, step: int) -> None:
        if step > 0:
            self.action_next_button()
        else:
            self.action_previous_button()
        if self._selected is not None and self._selected != self.pressed_index:
            self.action_toggle_button()


class ExportDialog(ModalScreen[ExportSpec | None]):
    """Dismisses with an `ExportSpec`, or None when cancelled."""

    DEFAULT_CSS = """
    ExportDialog {
        align: center middle;
    }
    ExportDialog > Vertical {
        width: 76;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    ExportDialog .export-label {
        margin-top: 1;
        color: $text-muted;
    }
    ExportDialog RadioSet {
        width: 100%;
    }
    ExportDialog #export-format {
        layout: horizontal;
    }
    ExportDialog #export-format RadioButton {
        width: auto;
        margin-right: 4;
    }
    ExportDialog #export-error {
        height: auto;
        color: $error;
    }
    ExportDialog #export-keys {
        margin-top: 1;
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: enter exports from any field, including the radio sets.
        Binding("enter", "export", "Export", priority=True, id="export.run"),
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
    ]

    def __init__(self, query: SearchQuery, page_rows: Sequence[Mapping[str, Any]], *,
                 marked: Sequence[str] = (), match_count: int | None = None,
                 folder: Path | None = None, now: datetime | None = None) -> None:
        super().__init__()
        self.query_value = query
        self.page_rows = [dict(row) for row in page_rows]
        self.marked = list(marked)
        self.match_count = match_count
        self.folder = folder
        self.now = now
        self.replacing: Path | None = None  # an existing file the user was warned about

    @property
    def export_folder(self) -> Path:
        if self.folder is not None:
            return self.folder
        return Path(self.app.options.download_dir)  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        count = f"{self.match_count:,} " if self.match_count is not None else ""
        scopes = [Option(Text(f"This page ({len(self.page_rows):,} sessions)"),
                              id="scope-page", value=not self.marked),
                  Option(Text(f"All {count}matches"), id="scope-all")]
        if self.marked:
            scopes.append(Option(Text(f"The {len(self.marked):,} marked sessions"),
                                      id="scope-marked", value=True))
        path = default_export_path(self.export_folder, "csv", self.now)
        with Vertical():
            yield Static(Text("Export sessions", style="bold"))
            yield Static("Which sessions", classes="export-label")
            yield Choice(*scopes, id="export-scope")
            yield Static("Format", classes="export-label")
            yield Choice(Option("CSV", id="fmt-csv", value=True),
                         Option("JSON", id="fmt-json"), id="export-format")
            yield Static("File (a bare name goes in the download folder)",
                         classes="export-label")
            yield Input(str(path), id="export-path")
            yield Static("", id="export-error")
            yield Static(Text("tab next field · ←→ choose · enter export · escape cancel"),
                         id="export-keys")

    def on_mount(self) -> None:
        self.query_one("#export-scope", RadioSet).focus()

    def _chosen(self, radio_set: str) -> str:
        button = self.query_one(f"#{radio_set}", RadioSet).pressed_button
        return (button.id or "").split("-", 1)[1] if button else ""

    @on(RadioSet.Changed, "#export-format")
    def format_changed(self) -> None:
        """Keep the file's extension in step with the format."""
        field_ = self.query_one("#export-path", Input)
        path = Path(field_.value)
        fmt = self._chosen("export-format")
        if path.suffix.lower() in (".csv", ".json") and path.suffix.lower() != f".{fmt}":
            field_.value = str(path.with_suffix(f".{fmt}"))

    def action_export(self) -> None:
        if isinstance(self.focused, Input):
            raise SkipAction()  # the path's own enter exports (path_entered), in order
        self._export(self.query_one("#export-path", Input).value)

    @on(Input.Submitted, "#export-path")
    def path_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self._export(event.value)

    def _export(self, text: str) -> None:
        fmt = cast(Format, self._chosen("export-format"))
        path = resolve_export_path(text, self.export_folder)
        problem = export_path_problem(text, self.export_folder, fmt)
        if problem is None and path.exists() and path != self.replacing:
            # Asked once: enter again (on the same file) replaces it.
            self.replacing = path
            problem = f"{path} exists: press enter again to replace it."
        if problem:
            # Wrapped, not cut: the whole message matters; still no markup or controls.
            self.query_one("#export-error", Static).update(Text(safe_text(problem)))
            return
        scope = cast(Scope, self._chosen("export-scope"))
        self.dismiss(ExportSpec(
            scope=scope, fmt=fmt, path=path,
            query=self.query_value, page_rows=self.page_rows,
            keys=self.marked if scope == "marked" else []))

    def action_cancel(self) -> None:
        self.dismiss(None)
