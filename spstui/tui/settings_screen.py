"""The settings screen: the appliance's indexer and VNC options, and this app's preferences.

Appliance forms are read in a worker when the screen opens, validated as you
type with the API layer's models, and saved after a confirmation that lists
every change, in one transaction (rolled back on any error). The App tab
changes the running app at once and saves into the settings file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    Input,
    Select,
    Static,
    Switch,
    TabbedContent,
    TabPane,
    Tabs,
)

from spstui.api.configuration import ConfigError, collapse_references, read, transaction
from spstui.api.errors import PermissionDenied, SpsError
from spstui.output import counted
from spstui.tui.config_forms import FORMS, changes
from spstui.tui.footer import KeyFooter
from spstui.tui.settings_confirm import SettingsConfirm
from spstui.tui.settings_views import AppPrefsView, ObjectFormView, wrapped

if TYPE_CHECKING:
    from spstui.tui.app import SpsApp

READ_ONLY_FLAG = "Read-only: started with --read-only."
OFFLINE = ("Unavailable offline: the appliance configuration can only be read and changed "
           "with a connection to the appliance.")
HINT = "Edit the fields (tab moves on), then press ctrl+s to review the changes and save them."
TABS = ("tab-indexer", "tab-vnc", "tab-app")


@dataclass
class ConfigLoaded(Message):
    bodies: dict[str, dict[str, Any]]  # form name -> body as read
    problem: str | None = None
    forbidden: str | None = None  # why the appliance refused (403)


@dataclass
class ConfigSaved(Message):
    count: int
    bodies: dict[str, dict[str, Any]]  # as read back after the commit


@dataclass
class SaveFailed(Message):
    error: str
    forbidden: str | None = None


def _refused(err: PermissionDenied) -> str:
    return f"Read-only: the appliance refused (403): {err.message}"


NARROW_WIDTH = 120


class SettingsScreen(Screen[None]):
    DEFAULT_CSS = """
    SettingsScreen #settings-title { height: 1; padding: 0 1; background: $boost; }
    SettingsScreen #appliance-status { height: auto; padding: 0 1; }
    SettingsScreen TabbedContent { height: 1fr; }
    SettingsScreen ContentSwitcher { height: 1fr; }
    SettingsScreen TabPane { height: 1fr; padding: 0; }
    SettingsScreen .form { height: 1fr; }
    /* A message longer than the field is tall (in a narrow window) makes its row taller. */
    SettingsScreen .field-row { height: auto; min-height: 3; }
    SettingsScreen .field-label { width: 48; height: 3; padding: 0 1; content-align: left middle; }
    SettingsScreen .field-row Input, SettingsScreen .field-row Select { width: 48; }
    SettingsScreen .field-state { width: 5; height: 3; padding: 0 1; content-align: left middle; }
    SettingsScreen .field-error {
        width: 1fr; height: auto; min-height: 3; padding: 0 1; color: $error;
        content-align: left middle;
    }
    /* An 80-column SSH window: labels narrower, fields and messages share the rest. */
    SettingsScreen.-narrow .field-label { width: 30; }
    SettingsScreen.-narrow .field-row Input, SettingsScreen.-narrow .field-row Select {
        width: 1fr; min-width: 16;
    }
    SettingsScreen.-narrow .field-error { width: 1fr; }
    SettingsScreen .form-note { height: auto; padding: 0 1; }
    SettingsScreen #profiles { margin-bottom: 1; }
    SettingsScreen #field-help { height: 2; padding: 0 1; color: $text-muted; }
    SettingsScreen #settings-actions { height: 3; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="settings.back"),
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("ctrl+t", "next_tab", "Next tab", id="settings.next-tab"),
        Binding("ctrl+r", "reload", "Reload", id="settings.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.views = {form.name: ObjectFormView(form) for form in FORMS}
        self.read_only: str | None = None  # why the appliance forms cannot be changed
        self.unavailable: str | None = None
        self.to_fix = False  # the status lists fields to fix before saving
        self.saving = False

    @property
    def sps(self) -> SpsApp:
        return cast("SpsApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("Settings", "bold"), " · the appliance's indexer and VNC "
                                   "options, and this app's preferences"), id="settings-title")
        yield Static("", id="appliance-status")
        with TabbedContent(id="settings-tabs", initial=TABS[0]):
            for form in FORMS:
                with TabPane(form.title, id=f"tab-{form.name}"):
                    yield self.views[form.name]
            with TabPane("App", id="tab-app"):
                yield AppPrefsView()
        yield Static("", id="field-help")
        with Horizontal(id="settings-actions"):
            yield Button("Save (ctrl+s)", id="save", variant="primary")
        yield KeyFooter()

    def on_resize(self, event: events.Resize) -> None:
        # Labels and fields are 48 wide side by side; under 120 columns they shrink.
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    def on_mount(self) -> None:
        backend = self.sps.backend
        if backend.client is None or backend.offline:
            self.unavailable = OFFLINE
            self.set_status(OFFLINE, "yellow")
            return
        if self.sps.options.read_only:
            self.read_only = READ_ONLY_FLAG
        self.load_config()

    def set_status(self, text: str, style: str = "") -> None:
        self.query_one("#appliance-status", Static).update(wrapped(text, style))

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        help_text = event.widget.tooltip if isinstance(event.widget.tooltip, str) else ""
        if isinstance(event.widget, Tabs):
            help_text = "Left and right switch tabs (ctrl+t does it from any field)."
        self.query_one("#field-help", Static).update(wrapped(help_text, "italic"))

    # -- reading ----------------------------------------------------------------------------

    @work(exclusive=True, group="settings-load")
    async def load_config(self) -> None:
        self.set_status("Loading…", "italic")
        client = self.sps.backend.client
        assert client is not None
        bodies: dict[str, dict[str, Any]] = {}
        problem = forbidden = None
        for form in FORMS:
            try:
                bodies[form.name] = await read(client, form.path)
            except PermissionDenied as err:
                forbidden = _refused(err)
            except (SpsError, ConfigError) as err:
                problem = f"Could not read the {form.title}: {err}"
        self.post_message(ConfigLoaded(bodies, problem, forbidden))

    @on(ConfigLoaded)
    def config_loaded(self, message: ConfigLoaded) -> None:
        self.read_only = message.forbidden or (
            READ_ONLY_FLAG if self.sps.options.read_only else None)
        self.tab_shown()
        self._show(message.bodies)
        if message.problem:
            self.set_status(message.problem + " Press ctrl+r to try again.", "bold red")
        elif self.read_only:
            self.set_status(self.read_only, "yellow")
        else:
            self.set_status(HINT)
        self._focus_first()

    def _show(self, bodies: dict[str, dict[str, Any]]) -> None:
        locked = bool(self.read_only or self.unavailable)
        for name, view in self.views.items():
            view.load(bodies.get(name), locked)

    def _focus_first(self) -> None:
        active = self.query_one(TabbedContent).active
        view = self.views.get(active.removeprefix("tab-"))
        first = view.first_field() if view else self.query_one("#app-default_profile")
        if first is not None:
            first.focus()

    # -- saving to the appliance ------------------------------------------------------------

    def save_appliance(self) -> None:
        if self.unavailable or self.read_only:
            reason = self.unavailable or self.read_only or ""
            self.set_status(f"{reason.rstrip('.')}. Nothing can be saved to the appliance.",
                            "yellow")
            return
        if self.saving or all(v.original is None for v in self.views.values()):
            self.set_status("Wait until the configuration has been read and saved.", "yellow")
            return
        bodies: dict[str, dict[str, Any]] = {}
        lines: list[str] = []
        bad: list[str] = []
        for form in FORMS:
            view = self.views[form.name]
            problems = view.revalidate()
            bad += [f"{form.title}: {problem}" for problem in problems.values()]
            edited = view.edited()
            if view.original is None or edited is None or problems:
                continue
            found = changes(view.original, edited.body)
            if found:
                bodies[form.name] = edited.body
                lines.append(f"{form.title} ({form.path}):")
                lines += [f"  {change}" for change in found]
        if bad:
            self.set_status(f"Not saved: {counted(len(bad), 'field')} to fix first. "
                            + "; ".join(bad), "bold red")
            self.to_fix = True
            return
        if not bodies:
            self.set_status("Nothing to save: every field holds what the appliance has.")
            return
        count = len(lines) - len(bodies)

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.write_config(bodies, count)
            else:
                self.set_status("Not saved: cancelled. Your edits are kept.")

        self.set_status("")  # a "Not saved" from before is no longer so
        self.app.push_screen(SettingsConfirm(
            f"Save {counted(count, 'change')} to the appliance in one transaction?", lines,
            yes="Save", no="Cancel"), answered)

    @work(exclusive=True, group="settings-save")
    async def write_config(self, bodies: dict[str, dict[str, Any]], count: int) -> None:
        client = self.sps.backend.client
        assert client is not None
        self.saving = True
        self.set_status("Saving…", "italic")
        originals = {name: view.original for name, view in self.views.items()}
        paths = {form.name: form.path for form in FORMS}
        try:
            async with transaction(client) as tx:
                for name, body in bodies.items():
                    # The diff was made against what we read: never undo a change someone
                    # else made since.
                    if await read(client, paths[name]) != originals[name]:
                        raise ConfigError(f"{paths[name]} was changed by someone else "
                                          "meanwhile. Press ctrl+r to read it again.")
                    await tx.put(paths[name], collapse_references(body))
                await tx.commit()
        except PermissionDenied as err:
            self.post_message(SaveFailed(str(err), _refused(err)))
            return
        except (SpsError, ConfigError) as err:
            self.post_message(SaveFailed(str(err)))
            return
        finally:
            self.saving = False
        fresh: dict[str, dict[str, Any]] = {}
        try:
            for form in FORMS:
                fresh[form.name] = await read(client, form.path)
        except (SpsError, ConfigError):
            # Saved all the same: what was sent becomes the new starting point.
            fresh = {**{n: b for n, b in originals.items() if b is not None}, **bodies}
        self.post_message(ConfigSaved(count, fresh))

    @on(ConfigSaved)
    def config_saved(self, message: ConfigSaved) -> None:
        self._show(message.bodies)
        self.set_status(f"Saved {counted(message.count, 'change')}.", "bold green")

    @on(SaveFailed)
    def save_failed(self, message: SaveFailed) -> None:
        if message.forbidden:
            self.read_only = message.forbidden
            for view in self.views.values():
                view.locked = True
                view.revalidate()
            self.set_status(f"{message.forbidden} Nothing was saved.", "bold red")
            return
        self.set_status(f"Not saved, nothing was changed on the appliance: {message.error}",
                        "bold red")

    # -- actions ----------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        self.action_save()

    @on(TabbedContent.TabActivated)
    def tab_shown(self) -> None:
        # The button is for what can be saved: the App tab saves to this computer, the
        # appliance's forms need write access (ctrl+s still says why not).
        on_app = self.query_one(TabbedContent).active == "tab-app"
        locked = bool(self.read_only or self.unavailable)
        self.query_one("#save", Button).disabled = locked and not on_app

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def field_changed(self) -> None:
        # A "fix these first" is said no longer once they are fixed (the forms have
        # checked the change already: this comes after them).
        if self.to_fix and not any(v.revalidate() for v in self.views.values()):
            self.to_fix = False
            self.set_status("Fixed: ctrl+s reviews the changes and saves them.")

    def action_save(self) -> None:
        if self.query_one(TabbedContent).active == "tab-app":
            self.query_one(AppPrefsView).save()
        else:
            self.save_appliance()

    def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = TABS[(TABS.index(tabs.active) + 1) % len(TABS)]
        self.call_after_refresh(self._focus_first)

    def unsaved(self) -> list[str]:
        pending = [f"{form.title}: {counted(n, 'field')} edited" for form in FORMS
                   if (n := self.views[form.name].edited_fields())]
        if self.query_one(AppPrefsView).dirty():
            pending.append("App preferences: edited, not applied")
        return pending

    def action_back(self) -> None:
        pending = self.unsaved()
        if not pending:
            self.dismiss()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss()

        self.app.push_screen(SettingsConfirm("Leave the settings without saving?", pending,
                                             yes="Discard and leave", no="Keep editing"),
                             answered)

    def action_reload(self) -> None:
        if self.unavailable:
            return
        pending = [line for line in self.unsaved() if not line.startswith("App")]
        if not pending:
            self.load_config()
            return

        def answered(reload: bool | None) -> None:
            if reload:
                self.load_config()

        self.app.push_screen(SettingsConfirm(
            "Read the configuration again and drop your edits?", pending, yes="Reload",
            no="Keep editing"), answered)
