"""SpsApp: the terminal UI's application object.

It holds what every screen shares (attributes down): the backend, the start-up
options, the settings file's content and the remembered UI state."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import ClassVar

from pydantic import ValidationError
from textual import on
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen

from spstui.backend import Backend
from spstui.settings import Settings, SettingsError, load_settings, save_settings
from spstui.tui import key_order
from spstui.tui.browser import BrowserScreen
from spstui.tui.detail import DetailPane
from spstui.tui.help import toggle_help
from spstui.tui.messages import PageFailed, PageLoaded
from spstui.tui.options import AppOptions
from spstui.tui.palette import palette_commands
from spstui.tui.state import UiState, load_state, save_state
from spstui.tui.themes import remember_theme, report_theme_problems, start_themes
from spstui.tui.transfers import Transfers, request_quit

# Seconds after which start-up counts as over even with no first page yet.
SETTLE_AT_THE_LATEST = 5.0


def settle_heap() -> None:
    """Take what start-up made (modules, the demo's simulated sessions) out of the
    garbage collector's sight. It all lives as long as the app, and every full
    collection walked it again: a pause of about 70 ms in the middle of a frame.
    The collector, off while the app started (see `spstui.cli.main`), is on again."""
    gc.collect()
    gc.freeze()
    gc.enable()


class SpsApp(key_order.KeyOrderedApp[str | None]):
    """The terminal UI. It ends with None, or with the name of a settings profile to
    start again on (the command line then does so)."""

    CSS_PATH = "app.tcss"
    TITLE = "spstui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Keys", id="app.help"),
        # Where focus is in a text field, ? is a character to type; F1 still helps.
        Binding("f1", "help", "Keys", show=False, id="app.help-f1"),
    ]

    def __init__(self, backend: Backend, *, page_size: int | None = None, subtitle: str = "",
                 options: AppOptions | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.options = options or AppOptions()
        if page_size is not None:
            self.options.page_size = page_size
        self.sub_title = subtitle
        self.settings_problem: str | None = None
        try:
            self.settings: Settings = load_settings()
        except SettingsError as err:  # the app still works; the settings screen says why
            self.settings = Settings()
            self.settings_problem = str(err)
        self.ui_state: UiState = load_state(self.options.state_path)
        # Registered and applied here so the first frame already has the right colours.
        self.theme_problems: list[str] = start_themes(self)
        self.heap_settled = False

    @property
    def page_size(self) -> int:
        return self.options.page_size

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        # Notices quote the appliance (session keys, its error messages) and file
        # names; none of spstui's own use markup, so none is ever parsed.
        super().notify(message, title=title, severity=severity, timeout=timeout,
                       markup=False)

    def on_mount(self) -> None:
        # Answers go to the offline cache once they are on screen, not before.
        self.backend.defer_writes(self.after_paint)
        if self.options.notice:
            self.notify(self.options.notice, severity="error", timeout=15)
        if self.settings_problem:
            self.notify(self.settings_problem, title="Settings file not used",
                        severity="warning", timeout=10)
        report_theme_problems(self, self.theme_problems)
        self.push_screen(BrowserScreen(self.backend, self.options.page_size))
        # An appliance that never answers must not keep the collector off for long.
        self.set_timer(SETTLE_AT_THE_LATEST, self.first_page_answered)

    @on(PageLoaded)
    @on(PageFailed)
    def first_page_answered(self) -> None:
        # Start-up is over once the first page (or why there is none) is on screen.
        # Headless runs (tests) are short: a full collection in each would only slow them.
        if not self.heap_settled and not self.is_headless:
            self.heap_settled = True
            self.after_paint(settle_heap)

    @on(Transfers.Finished)
    def transfer_finished(self, message: Transfers.Finished) -> None:
        # The appliance lists every download of a trail: show the new one.
        if message.key is not None and message.outcome == "done":
            for pane in self.screen.query(DetailPane):
                pane.downloaded(self.backend, message.key)

    def after_paint(self, callback: Callable[[], object]) -> None:
        """Run `callback` once what was just changed is on the terminal.

        `call_after_refresh` alone can run it before: a widget tells its screen that it
        needs painting when its own queue next idles, and the screen's idle may come
        first and find nothing to paint. One idle later the screen knows."""
        self.call_after_refresh(self.call_after_refresh, callback)

    def open_settings(self) -> None:
        """The settings screen over whatever is shown (once: not over itself)."""
        from spstui.tui.settings_screen import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    def watch_theme(self, theme: str) -> None:
        remember_theme(self, theme)  # a theme picked while running is saved

    async def action_quit(self) -> None:
        self._leave(None, "Quit")

    def switch_profile(self, name: str) -> None:
        """End, for the command line to start the app again on profile `name`."""
        self._leave(name, "Switch")

    def _leave(self, result: str | None, verb: str) -> None:
        """End with `result`, asking first about settings edits not saved, then about
        downloads or exports still running (request_quit)."""
        from spstui.tui.settings_confirm import SettingsConfirm
        from spstui.tui.settings_screen import SettingsScreen

        pending = [line for screen in self.screen_stack if isinstance(screen, SettingsScreen)
                   for line in screen.unsaved()]
        if not pending:
            request_quit(self, result=result, verb=verb)
            return

        def answered(leave: bool | None) -> None:
            if leave:
                request_quit(self, result=result, verb=verb)

        self.push_screen(SettingsConfirm(f"{verb} without saving the settings?", pending,
                                         yes=f"Discard and {verb.lower()}", no="Keep editing"),
                         answered)

    def action_help(self) -> None:
        toggle_help(self)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        return palette_commands(self, screen)

    def update_settings(self, change: Callable[[Settings], Settings]) -> str | None:
        """Apply `change` to the settings file as it is on disk now and save it.

        Returns a message naming the problem (and saves nothing) if the file cannot
        be read, the change is invalid or the write fails: a hand-edited file is
        never overwritten with defaults."""
        try:
            current = load_settings()
            updated = change(current.model_copy(deep=True))
            # Changes made in place (a new saved query) must count as "set", or the
            # save, which writes only what was set, would drop them.
            updated.model_fields_set.update(
                name for name in Settings.model_fields
                if getattr(updated, name) != getattr(current, name))
            Settings.model_validate(updated.model_dump())
            save_settings(updated)
        except SettingsError as err:
            return str(err)
        except ValidationError as err:
            return "Not saved: " + "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors())
        self.settings = updated
        self.settings_problem = None
        return None

    def save_ui_state(self) -> None:
        save_state(self.ui_state, self.options.state_path)

    def on_unmount(self) -> None:
        self.save_ui_state()
        self.backend.defer_writes(None)  # and write what is still pending
