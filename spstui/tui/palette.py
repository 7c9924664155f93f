"""The command palette's (ctrl+p) commands, fitted to where it was opened.

`SpsApp.get_system_commands` returns `palette_commands(app, screen)`: the current
screen's actions, saved queries, themes, profiles and a few of Textual's built-ins.

The palette reads titles and help as Textual markup, so names from the settings
file are escaped before they go in."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.actions import parse
from textual.app import App, SystemCommand
from textual.markup import escape
from textual.screen import Screen

from spstui.output import safe_text
from spstui.settings import Settings
from spstui.tui.help import toggle_help

if TYPE_CHECKING:
    from spstui.tui.app import SpsApp

# Textual's defaults we replace: one "Theme: NAME" per theme, and our own key help.
_REPLACED_BUILTINS = {"Theme", "Keys"}


def palette_commands(app: SpsApp, screen: Screen[object]) -> Iterator[SystemCommand]:
    commands = list(screen_commands(app, screen))
    yield from commands
    if type(screen).__name__ != "SettingsScreen" and not any(
            c.title == "Settings" for c in commands):
        # Where `c` means something else (the active view), the palette still opens them.
        yield SystemCommand("Settings", "VNC options, indexer, app preferences",
                            app.open_settings)
    yield from saved_query_commands(app, screen)
    yield from theme_commands(app)
    yield from profile_commands(app)
    yield SystemCommand("Keys", "Show the keys that work here (?)", partial(toggle_help, app))
    for command in App.get_system_commands(app, screen):
        if command.title not in _REPLACED_BUILTINS:
            yield command


def screen_commands(app: SpsApp, screen: Screen[object]) -> Iterator[SystemCommand]:
    """Every described binding of the screen whose action is allowed right now.

    Read from the screen's own bindings, not `active_bindings`: a focused input
    swallows printable keys, but the palette can still run their actions."""
    seen: set[str] = set()
    # _bindings is the screen's merged BINDINGS with the keymap applied; no public twin.
    for _key, binding in screen._bindings:
        if binding.system or not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        if not _allowed(app, screen, binding.action):
            continue
        key = app.get_key_display(binding)
        help_text = f"key {key}" + (f" · {binding.tooltip}" if binding.tooltip else "")
        yield SystemCommand(escape(binding.description), escape(help_text),
                            partial(app.run_action, binding.action, screen))


def _allowed(app: SpsApp, screen: Screen[object], action: str) -> bool:
    """check_action of the action's target; None ("shown but disabled") counts as no."""
    namespace, name, params = parse(action)
    target = app if namespace == "app" else screen
    return bool(target.check_action(name, params))


def saved_query_commands(app: SpsApp, screen: Screen[object]) -> Iterator[SystemCommand]:
    for name, saved in sorted(app.settings.saved_queries.items()):
        shown = escape(safe_text(name))
        summary = escape(safe_text(saved.q or saved.content or "all sessions"))
        yield SystemCommand(f"Run saved query: {shown}", summary,
                            partial(run_saved_query, app, screen, name))


def run_saved_query(app: SpsApp, screen: Screen[object], name: str) -> None:
    """The browser knows how to apply a saved query; elsewhere say where to go."""
    apply = getattr(screen, "apply_saved_query", None)
    if callable(apply):
        apply(name)
    else:
        app.notify(f"Saved query '{safe_text(name)}' runs in the session browser; "
                   "go back there (escape) and try again.", severity="warning", markup=False)


def theme_commands(app: SpsApp) -> Iterator[SystemCommand]:
    for name, theme in sorted(app.available_themes.items()):
        kind = "dark" if theme.dark else "light"
        current = " (current)" if name == app.theme else ""
        yield SystemCommand(f"Theme: {escape(name)}", f"Switch to this {kind} theme{current}",
                            partial(setattr, app, "theme", name))


def profile_commands(app: SpsApp) -> Iterator[SystemCommand]:
    for name, profile in sorted(app.settings.profiles.items()):
        default = " (the default)" if name == app.settings.default_profile else ""
        label, url = escape(safe_text(name)), escape(safe_text(profile.url))
        if name != app.options.profile:
            yield SystemCommand(f"Connect: {label}", f"{url} · the app starts again on it",
                                partial(app.switch_profile, name))
        yield SystemCommand(f"Profile: {label}", f"{url}{default} · use at the next start",
                            partial(choose_profile, app, name))


def choose_profile(app: SpsApp, name: str) -> None:
    """Make `name` the default profile; the running app keeps its connection."""
    def change(settings: Settings) -> Settings:
        settings.default_profile = name
        return settings

    problem = app.update_settings(change)
    if problem:
        app.notify(problem, title="Profile not saved", severity="error", timeout=10,
                   markup=False)
    else:
        app.notify(f"Default profile is now '{safe_text(name)}'; it takes effect at the "
                   "next start.", markup=False)
