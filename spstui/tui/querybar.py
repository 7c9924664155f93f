"""The query bar: `q` with syntax checking, completion and history, the `start` /
`end` dates, content search, and saved queries.

It reads the app's settings and UI state (attributes down) and reports a valid
submit as `QueryBar.Submitted` (messages up); the screen runs the search."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, cast

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import DescendantBlur, DescendantFocus
from textual.message import Message
from textual.widgets import Input, Static

from spstui.api.querycheck import (
    DateProblem,
    QueryProblem,
    find_problem,
    read_date,
    window_problem,
)
from spstui.output import safe_text
from spstui.settings import SavedQuery, Settings
from spstui.tui.completion import QuerySuggester, candidates, complete
from spstui.tui.render import literal
from spstui.tui.savedqueries import SavedQueriesScreen, SaveQueryScreen

if TYPE_CHECKING:
    from spstui.tui.app import SpsApp

FIELDS = ("q", "start", "end", "content")
CONTEXT = 40  # characters of the query shown each side of a syntax error
HINT_ITEMS = 8  # completions listed in the hint line
KEYS = "↑↓ history · ctrl+s save · ctrl+o saved queries"


class HistoryCursor:
    """Walks submitted queries, newest first, and back down to the text being typed."""

    def __init__(self) -> None:
        self.index: int | None = None  # into the entries; None: the draft
        self.draft = ""

    def older(self, entries: Sequence[str], current: str) -> str | None:
        if self.index is None:
            self.draft, self.index = current, len(entries)
        index = min(self.index, len(entries)) - 1
        # Skip an entry equal to what is shown, so each press visibly changes the text.
        while index >= 0 and entries[index] == current:
            index -= 1
        if index < 0:
            if self.index == len(entries):
                self.index = None  # nothing older at all: still the draft
            return None
        self.index = index
        return entries[index]

    def newer(self, entries: Sequence[str], current: str) -> str | None:
        if self.index is None:
            return None
        index = self.index + 1
        while index < len(entries) and entries[index] == current:
            index += 1
        if index >= len(entries):
            self.index = None
            return self.draft
        self.index = index
        return entries[index]

    def reset(self) -> None:
        self.index = None


class QueryInput(Input):
    """The `q` input: up/down walk the history, tab accepts a completion."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Older query", show=False, id="querybar.older"),
        Binding("down", "history(1)", "Newer query", show=False, id="querybar.newer"),
        Binding("tab", "complete", "Complete", show=False, id="querybar.complete"),
    ]

    def __init__(self, history: Callable[[], Sequence[str]], *, placeholder: str = "",
                 id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, suggester=QuerySuggester())
        self.history = history
        self.cursor = HistoryCursor()
        self.recalled: str | None = None  # the value last put in from the history

    def action_history(self, step: int) -> None:
        entries, current = self.history(), self.value
        found = (self.cursor.older(entries, current) if step < 0
                 else self.cursor.newer(entries, current))
        if found is None:
            return
        self.recalled = found
        self.value = found
        self.cursor_position = len(found)

    def action_complete(self) -> None:
        completed = complete(self.value) if self.cursor_at_end else None
        if completed is None:
            self.screen.focus_next()
            return
        self.value = completed
        self.cursor_position = len(completed)

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        if event.value != self.value:
            return  # an older change (keys came in a burst): the last one tells
        if event.value != self.recalled:  # typing, not walking the history
            self.cursor.reset()
            self.recalled = None


def problem_text(q: str, problem: QueryProblem) -> Text:
    """The query around the error, the character there highlighted, and a caret
    under it followed by the message."""
    if problem.position is None:
        return literal(str(problem), "red")
    pos = problem.position
    first, last = max(0, pos - CONTEXT), pos + CONTEXT
    lead = ("…" if first else "") + q[first:pos]
    at = q[pos:pos + 1] or " "
    tail = q[pos + 1:last] + ("…" if last < len(q) else "")
    excerpt = Text.assemble("  ", literal(lead), literal(at, "reverse red"), literal(tail))
    message = f"column {problem.column}: {problem.message}" if pos < len(q) else \
        problem.message
    caret = literal(" " * (2 + cell_len(safe_text(lead))) + "^ " + message, "red")
    return Text("\n").join([excerpt, caret])


def hint_for(field: str, value: str) -> str:
    """The hint line for the focused input: what may be typed there, and the keys."""
    if field in ("start", "end"):
        return f"{field}: an ISO date (2026-11-01, 2026-11-01T10:00), -30m, -24h, -7d, " \
               "-2w, today, yesterday or now"
    if field == "content":
        return "content: words seen on screen or typed in the recordings (needs indexing)"
    found = candidates(value)
    if found is None or not found.items:
        return KEYS
    shown = ", ".join(found.items[:HINT_ITEMS]) + (", …" if len(found.items) > HINT_ITEMS
                                                    else "")
    tab = " · →/tab completes" if complete(value) else ""
    return f"{found.label}: {shown}{tab} · {KEYS}"


class QueryBar(Vertical):
    """The query inputs (#q #start #end #content), #query-error and a hint line."""

    DEFAULT_CSS = """
    QueryBar {
        height: auto;
    }
    QueryBar #query-hint {
        display: none;
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    QueryBar.typing #query-hint {
        display: block;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save_query", "Save query", id="querybar.save"),
        Binding("ctrl+o", "saved_queries", "Saved queries", id="querybar.saved"),
    ]

    class Submitted(Message):
        """A valid query was submitted; dates are already resolved to ISO 8601.

        `sort` is set only when a saved query that has one was applied."""

        def __init__(self, q: str, start: str | None, end: str | None,
                     content: str | None, sort: str | None = None) -> None:
            super().__init__()
            self.q, self.start, self.end, self.content = q, start, end, content
            self.sort = sort

    def __init__(self, *, now: Callable[[], float] = time.time, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.now = now  # epoch seconds; relative dates count back from it
        self.appliance_error: str | None = None
        self.last_submitted: dict[str, str] | None = None  # the inputs at the last submit

    @property
    def sps(self) -> SpsApp:
        return cast("SpsApp", self.app)

    def compose(self) -> ComposeResult:
        with Horizontal(id="query-bar"):
            yield QueryInput(lambda: self.sps.ui_state.history,
                             placeholder="q  e.g. protocol:ssh AND NOT verdict:accept", id="q")
            yield Input(placeholder="start  e.g. -24h", id="start")
            yield Input(placeholder="end  e.g. 2026-11-30", id="end")
            yield Input(placeholder="content  e.g. sudo", id="content")
        yield Static("", id="query-error")
        yield Static("", id="query-hint")

    # -- what the screen calls ----------------------------------------------------------

    def focus_query(self) -> None:
        self.query_one("#q", Input).focus()

    def show_error(self, text: str) -> None:
        """Show an error about the query (the appliance's answer, say), literally."""
        self.appliance_error = text
        self.refresh_problems()

    def clear_error(self) -> None:
        self.appliance_error = None
        self.refresh_problems()

    def values(self) -> dict[str, str]:
        """The four inputs' text, stripped."""
        return {name: self.query_one(f"#{name}", Input).value.strip() for name in FIELDS}

    def set_values(self, q: str = "", start: str = "", end: str = "",
                   content: str = "") -> None:
        for name, value in zip(FIELDS, (q, start, end, content), strict=True):
            widget = self.query_one(f"#{name}", Input)
            widget.value = value
            widget.cursor_position = len(value)

    def submit(self, sort: str | None = None, typed: dict[str, str] | None = None) -> bool:
        """Check the inputs and post `Submitted`; False (with the problem shown, and
        nothing posted) when something cannot be read. `typed`: a field's text as it
        was when enter was pressed in it."""
        value = {**self.values(), **{k: v.strip() for k, v in (typed or {}).items()}}
        dates, problems = self._check(value)
        self.appliance_error = None
        self._show(problems)
        if problems:
            return False
        self.last_submitted = value
        if value["q"]:
            self.sps.ui_state.remember(value["q"])
            self.sps.save_ui_state()
        self.query_one("#q", QueryInput).cursor.reset()
        self.post_message(self.Submitted(value["q"], dates["start"], dates["end"],
                                         value["content"] or None, sort))
        return True

    def apply_saved(self, name: str) -> bool:
        """Fill the inputs from a saved query and submit it."""
        saved = self.sps.settings.saved_queries.get(name)
        if saved is None:
            self.show_error(f"There is no saved query named {name!r}.")
            return False
        self.set_values(saved.q or "", saved.start or "", saved.end or "",
                        saved.content or "")
        return self.submit(sort=saved.sort)

    # -- checking -------------------------------------------------------------------------

    def _check(self, value: dict[str, str]) -> tuple[dict[str, str | None], list[Text]]:
        """The resolved dates, and every problem worth showing."""
        problems: list[Text] = []
        problem = find_problem(value["q"])
        if problem is not None:
            problems.append(problem_text(value["q"], problem))
        now = datetime.fromtimestamp(self.now(), UTC)
        dates: dict[str, str | None] = {"start": None, "end": None}
        for name in dates:
            if value[name]:
                try:
                    dates[name] = read_date(value[name], now)
                except DateProblem as err:
                    problems.append(literal(f"{name}: {err}", "red"))
        wrong_way = window_problem(dates["start"], dates["end"])
        if wrong_way:
            problems.append(literal(wrong_way, "red"))
        return dates, problems

    def refresh_problems(self) -> None:
        self._show(self._check(self.values())[1])

    def _show(self, problems: list[Text]) -> None:
        if not problems and self.appliance_error:
            problems = [literal(self.appliance_error, "red")]
        self.query_one("#query-error", Static).update(Text("\n").join(problems))

    @on(Input.Changed, "#q, #start, #end, #content")
    def changed(self, event: Input.Changed) -> None:
        value = self.values()
        if value != self.last_submitted:
            self.appliance_error = None  # it was about the query as it was submitted
        self._show(self._check(value)[1])
        if event.input.id == "q":
            self._hint("q", event.value)

    @on(Input.Submitted, "#q, #start, #end, #content")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        # The text at the enter, not now: keys that came in the same burst behind it
        # (a slow SSH link) are typed in before this message arrives.
        self.submit(typed={event.input.id or "": event.value})

    # The hint line shows only while one of the inputs has focus. (A class set here
    # rather than :focus-within, whose styles were not updated on the first blur.)
    @on(DescendantFocus)
    def focused(self, event: DescendantFocus) -> None:
        widget = event.widget
        if isinstance(widget, Input) and widget.id in FIELDS:
            self._hint(widget.id, widget.value)
            self.add_class("typing")

    @on(DescendantBlur)
    def blurred(self) -> None:
        self.remove_class("typing")

    def _hint(self, field: str, value: str) -> None:
        self.query_one("#query-hint", Static).update(literal(hint_for(field, value),
                                                            "dim"))

    # -- saved queries ---------------------------------------------------------------------

    def current_saved(self) -> SavedQuery:
        value = self.values()
        return SavedQuery(q=value["q"] or None, start=value["start"] or None,
                          end=value["end"] or None, content=value["content"] or None,
                          sort=self.sps.ui_state.sort)

    def action_save_query(self) -> None:
        value = self.values()
        if not any(value.values()):
            self.app.notify("Nothing to save: type a query first.", severity="warning")
            return
        problems = self._check(value)[1]
        if problems:
            self._show(problems)
            self.app.notify("Fix the query before saving it.", severity="warning")
            return
        saved = self.current_saved()

        def done(name: str | None) -> None:
            if name:
                self.app.notify(f"Saved the query as {name!r}.", markup=False)

        self.app.push_screen(SaveQueryScreen(saved, self.sps.settings.saved_queries,
                                             lambda name: self.save_as(name, saved)), done)

    def save_as(self, name: str, saved: SavedQuery) -> str | None:
        """Store `saved` under `name` in the settings file; an error message or None."""
        def change(settings: Settings) -> Settings:
            settings.saved_queries[name] = saved
            return settings
        return self.sps.update_settings(change)

    def delete_saved(self, name: str) -> str | None:
        def change(settings: Settings) -> Settings:
            settings.saved_queries.pop(name, None)
            return settings
        return self.sps.update_settings(change)

    def action_saved_queries(self) -> None:
        def chosen(name: str | None) -> None:
            if name:
                self.apply_saved(name)

        self.app.push_screen(SavedQueriesScreen(self.sps.settings.saved_queries,
                                                self.delete_saved), chosen)

