"""The tabs of the settings screen: one form per appliance object, and the App preferences.

Each field is one row: label (with the API's dotted key under it), the input,
and the problem with it, if any. The field's help is its tooltip, which the
screen also shows in its help line when the field has the focus.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Select, Static, Switch

from spstui.tui import app_prefs
from spstui.tui.config_forms import (
    Edited,
    FieldSpec,
    FormValue,
    ObjectForm,
    applies,
    display,
    edit,
    field_for,
    widget_id,
)
from spstui.tui.render import literal

if TYPE_CHECKING:
    from spstui.tui.app import SpsApp


def wrapped(text: str, style: str = "") -> Text:
    """Literal text that may wrap, one line per line of `text` (newlines kept)."""
    rendered = Text("\n").join(literal(line, style) for line in text.split("\n"))
    rendered.no_wrap = False
    return rendered


def field_row(wid: str, label: str, key: str, control: Widget, help_text: str) -> Horizontal:
    control.tooltip = help_text
    title = Text.assemble((label, "bold"), "\n", (key, "dim"), no_wrap=True)
    # A switch says "on" or "off" beside it: its slider tells them apart by colour only.
    state = [Static("", id=f"{wid}-state", classes="field-state")] \
        if isinstance(control, Switch) else []
    return Horizontal(Static(title, classes="field-label"), control, *state,
                      Static("", id=f"{wid}-error", classes="field-error"),
                      classes="field-row")


class ObjectFormView(VerticalScroll, can_focus=False):
    """The form of one configuration object. Attributes down: the screen sets the body
    read from the appliance (`load`) and whether it may be edited (`locked`)."""

    def __init__(self, form: ObjectForm) -> None:
        super().__init__(classes="form")
        self.form = form
        self.original: dict[str, Any] | None = None
        self.locked = True

    def compose(self) -> ComposeResult:
        for spec in self.form.fields:
            yield field_row(widget_id(self.form, spec), spec.label, spec.key,
                            self._control(spec), spec.help)
        yield Static("", id=f"{self.form.name}-problem", classes="form-note")

    def _control(self, spec: FieldSpec) -> Widget:
        wid = widget_id(self.form, spec)
        if spec.kind == "bool":
            return Switch(id=wid, disabled=True)
        if spec.kind == "choice":
            return Select([(literal(c), c) for c in spec.choices], allow_blank=False, id=wid,
                          disabled=True)
        return Input(id=wid, disabled=True)

    def _widget(self, spec: FieldSpec) -> Widget:
        return self.query_one(f"#{widget_id(self.form, spec)}")

    def load(self, body: dict[str, Any] | None, locked: bool) -> None:
        self.original, self.locked = body, locked
        if body is not None:
            for spec in self.form.fields:
                widget, value = self._widget(spec), display(body, spec)
                if isinstance(widget, Select) and value not in spec.choices:
                    # A value this release does not document: show it rather than fail.
                    widget.set_options([(literal(c), c) for c in (*spec.choices, str(value))])
                cast(Any, widget).value = value
        self.revalidate()

    def values(self) -> dict[str, FormValue]:
        out: dict[str, FormValue] = {}
        for spec in self.form.fields:
            widget = self._widget(spec)
            if isinstance(widget, Switch):
                out[spec.key] = widget.value
            elif isinstance(widget, Select):
                out[spec.key] = str(widget.value)
            else:
                out[spec.key] = cast(Input, widget).value
        return out

    def edited(self) -> Edited | None:
        return None if self.original is None else edit(self.form, self.original, self.values())

    def edited_fields(self) -> int:
        if self.original is None:
            return 0
        original, values = self.original, self.values()
        return sum(values[s.key] != display(original, s) for s in self.form.fields)

    def revalidate(self) -> dict[str, str]:
        """Enable what may be edited and show each problem next to its field."""
        messages: dict[str, Text] = {}
        edited = self.edited()
        for spec in self.form.fields:
            usable = edited is not None and applies(spec, edited.body)
            self._widget(spec).disabled = self.locked or not usable
        for where, problem in (edited.problems if edited else {}).items():
            owner = field_for(self.form, where)
            target = (f"{self.form.name}-problem" if owner is None
                      else f"{widget_id(self.form, owner)}-error")
            messages[target] = wrapped(problem, "red")
        for spec in self.form.fields:
            target = f"{widget_id(self.form, spec)}-error"
            self.query_one(f"#{target}", Static).update(messages.get(target, ""))
            widget = self._widget(spec)
            if isinstance(widget, Switch):
                state = self.query_one(f"#{widget_id(self.form, spec)}-state", Static)
                state.update("on" if widget.value else "off")
        note = f"{self.form.name}-problem"
        self.query_one(f"#{note}", Static).update(messages.get(note, ""))
        return edited.problems if edited else {}

    def first_field(self) -> Widget | None:
        for spec in self.form.fields:
            widget = self._widget(spec)
            if widget.focusable:
                return widget
        return None

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self.revalidate()


class AppPrefsView(VerticalScroll, can_focus=False):
    """Profiles, theme and the profile-level preferences of this program."""

    def __init__(self) -> None:
        super().__init__(classes="form", id="app-prefs")
        self.initial: dict[str, FormValue | None] = {}

    @property
    def sps(self) -> SpsApp:
        return cast("SpsApp", self.app)

    def compose(self) -> ComposeResult:
        settings = self.sps.settings
        yield Static("", id="profiles", classes="form-note")
        yield field_row(
            "app-default_profile", "Default profile", "default_profile",
            Select([(literal(p), p) for p in sorted(settings.profiles)], prompt="(none)",
                   id="app-default_profile", value=settings.default_profile or Select.NULL),
            "The profile used when none is given; takes effect at the next start.")
        themes = sorted(self.app.available_themes)
        yield field_row(
            "app-theme", "Theme", "theme",
            Select([(t, t) for t in themes], allow_blank=False, id="app-theme",
                   value=self.app.theme if self.app.theme in themes else themes[0]),
            "The colours of this app; applied at once and saved in the settings file.")
        shown = app_prefs.shown(self.sps.options)
        for spec in app_prefs.PROFILE_PREFS:
            yield field_row(f"app-{spec.name}", spec.label, spec.name,
                            Input(shown[spec.name], id=f"app-{spec.name}",
                                      placeholder=spec.placeholder), spec.help)
        yield Static("", id="app-status", classes="form-note")

    def on_mount(self) -> None:
        self.initial = self.values()
        self.describe_profiles()

    def describe_profiles(self) -> None:
        settings, options = self.sps.settings, self.sps.options
        names = sorted(settings.profiles)
        lines = [f"Profiles in the settings file: {', '.join(names)}." if names
                 else "The settings file has no profiles."]
        if options.profile:
            lines.append(f"In use: {options.profile}. A change of profile takes effect at "
                         "the next start.")
        else:
            lines.append("No profile is in use (demo or --url): refresh interval, page size, "
                         "player command and download directory apply for this run only.")
        if self.sps.settings_problem:
            lines.append(f"The settings file could not be read: {self.sps.settings_problem}")
        self.query_one("#profiles", Static).update(wrapped("\n".join(lines)))

    def say(self, text: str, style: str = "") -> None:
        self.query_one("#app-status", Static).update(wrapped(text, style))

    def values(self) -> dict[str, FormValue | None]:
        values: dict[str, FormValue | None] = {}
        for name in ("default_profile", "theme"):
            value = self.query_one(f"#app-{name}", Select).value
            values[name] = None if value is Select.NULL else str(value)
        for spec in app_prefs.PROFILE_PREFS:
            values[spec.name] = self.query_one(f"#app-{spec.name}", Input).value
        return values

    def dirty(self) -> bool:
        return self.values() != self.initial

    def check(self) -> dict[str, Any] | None:
        """The changed profile-level preferences, checked; None if any is wrong."""
        base = app_prefs.base_profile(self.sps.settings, self.sps.options.profile)
        values = self.values()
        checked: dict[str, Any] = {}
        ok = True
        for spec in app_prefs.PROFILE_PREFS:
            value, problem = app_prefs.check(spec.name, str(values[spec.name]), base)
            self.query_one(f"#app-{spec.name}-error", Static).update(
                wrapped(problem or "", "red"))
            if problem:
                ok = False
            elif values[spec.name] != self.initial[spec.name]:
                checked[spec.name] = value
        return checked if ok else None

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self.check()

    def save(self) -> None:
        """Apply the changes to the running app at once, then save them to the file."""
        values, checked = self.values(), self.check()
        if checked is None:
            self.say("Not applied: fix the marked fields first.", "bold red")
            return
        theme = values["theme"] if values["theme"] != self.initial["theme"] else None
        default_changed = values["default_profile"] != self.initial["default_profile"]
        if not (checked or theme or default_changed):
            self.say("Nothing to save: no preference was changed.")
            return
        options = self.sps.options
        app_prefs.apply(options, checked)
        if theme:
            self.app.theme = options.theme = str(theme)
        default = values["default_profile"]
        # A profile in use but missing from the file (or an unreadable file) is reported
        # by update_settings, which reads the file again.
        change, writes = app_prefs.settings_change(
            checked, options.profile, str(theme) if theme else None,
            str(default) if default else None, default_changed)
        self.initial = values
        error = self.sps.update_settings(change) if writes else None
        if error:
            self.say(f"Applied for this run, but the settings file was not changed: {error}",
                     "bold red")
            return
        notes = []
        if writes:
            where = f" (profile {options.profile})" if checked and options.profile else ""
            notes.append(f"Applied and saved to the settings file{where}.")
        if checked and not options.profile:
            notes.append("Applied for this run only: no profile is in use (demo or --url).")
        if default_changed:
            notes.append("The default profile takes effect at the next start.")
        self.describe_profiles()
        self.say(" ".join(notes), "bold green")
