"""Colour themes: TOML files in the bundled `themes/` folder and in the user's themes folder.

A theme file holds the fields of `textual.theme.Theme` (name, dark, primary, ...,
and a `[variables]` table). A bad file is reported, never fatal: the app starts
with the themes that did load."""

from __future__ import annotations

import difflib
import re
import sysconfig
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails
from textual.color import Color, ColorParseError
from textual.css.stylesheet import Stylesheet, StylesheetParseError
from textual.theme import Theme

from spstui.settings import Settings, paths

if TYPE_CHECKING:
    from spstui.tui.app import SpsApp

DEFAULT_THEME = "spstui-dark"
FALLBACK_THEME = "textual-dark"  # if even the bundled themes are missing
# The settings file's default ("dark") predates the theme files.
ALIASES = {"dark": DEFAULT_THEME, "light": "spstui-light"}
# Textual turns the name into a CSS class (-theme-NAME), so keep it to safe characters.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_COLOURS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel",
            "success", "warning", "error", "boost")


class ThemeError(Exception):
    """A theme file that cannot be used; the message names the file and the problem."""


class ThemeFile(BaseModel):
    """What a theme file may hold; unknown keys are errors so typos are not ignored."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = None  # default: the file name without .toml
    dark: bool = True
    primary: str
    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    success: str | None = None
    warning: str | None = None
    error: str | None = None
    boost: str | None = None
    luminosity_spread: float = Field(0.15, ge=0, le=1)
    text_alpha: float = Field(0.95, ge=0, le=1)
    variables: dict[str, str] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.fullmatch(value):
            raise ValueError("use letters, digits, '-' and '_' only, like \"my-theme\"")
        return value

    @field_validator(*_COLOURS)
    @classmethod
    def _check_colour(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                Color.parse(value)
            except ColorParseError:
                raise ValueError("not a colour (use \"#RRGGBB\", \"rgb(r, g, b)\" "
                                 "or a name like \"red\")") from None
        return value


def load_theme_file(path: Path) -> Theme:
    """Read one theme file; raises ThemeError naming the file and what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThemeError(f"{path}: cannot read the theme file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ThemeError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeError(f"{path}: TOML syntax error: {exc}") from None
    try:
        spec = ThemeFile.model_validate(data)
    except ValidationError as exc:
        raise ThemeError(f"{path}: " + "; ".join(_describe(e) for e in exc.errors())) from None
    theme = Theme(
        name=spec.name or path.stem, dark=spec.dark, luminosity_spread=spec.luminosity_spread,
        text_alpha=spec.text_alpha, variables=spec.variables,
        **{colour: getattr(spec, colour) for colour in _COLOURS})
    if not _NAME.fullmatch(theme.name):
        raise ThemeError(f"{path}: the file name cannot be a theme name; set name = \"...\" "
                         "(letters, digits, '-' and '_')")
    try:
        generated = theme.to_color_system().generate()
    except Exception as exc:  # any colour-system failure would otherwise crash at apply time
        raise ThemeError(f"{path}: cannot build the colours: {exc}") from None
    if spec.variables and not _variables_parse(spec.variables, generated):
        # Something is wrong: try each one alone to say which.
        problems = [p for name, value in spec.variables.items()
                    if (p := _variable_problem(name, value, generated))]
        raise ThemeError(f"{path}: " + "; ".join(problems or ["the variables do not parse"]))
    return theme


def _rule(name: str) -> str:
    return f"Screen {{ {'text-style' if name.endswith('style') else 'color'}: ${name}; }}"


def _variables_parse(variables: dict[str, str], generated: dict[str, str]) -> bool:
    """Every variable used in one stylesheet: one parse for the whole theme at start-up
    (a parse each costs about 3 ms)."""
    if not all(_VARIABLE.fullmatch(name) and not any(c in value for c in ";{}$")
               for name, value in variables.items()):
        return False
    sheet = Stylesheet(variables={**generated, **variables})
    sheet.add_source("\n".join(_rule(name) for name in variables))
    try:
        sheet.parse()
    except StylesheetParseError:
        return False
    return True


def _variable_problem(name: str, value: str, generated: dict[str, str]) -> str | None:
    """A bad variable only fails when the app's CSS is parsed, which would end the app;
    so try it here in a one-rule stylesheet, as a text style or as a colour."""
    where = f"variables.{name}"
    if not _VARIABLE.fullmatch(name):
        return f"{where}: not a valid variable name"
    if any(c in value for c in ";{}$"):
        return f"{where}: must be a plain value, not CSS (got {value!r})"
    style = name.endswith("style")
    sheet = Stylesheet(variables={**generated, name: value})
    sheet.add_source(_rule(name))
    try:
        sheet.parse()
    except StylesheetParseError:
        kind = "text style (like \"bold\" or \"none\")" if style else (
            "colour (like \"#RRGGBB\", \"#RRGGBB 40%\", \"red\" or \"transparent\")")
        return f"{where}: {value!r} is not a {kind}"
    return None


def _describe(error: ErrorDetails) -> str:
    loc = ".".join(str(part) for part in error["loc"]) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = sorted(ThemeFile.model_fields)
        close = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"{loc}: unknown key ({hint}allowed: {', '.join(allowed)})"
    if kind == "missing":
        return f"{loc}: required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    value = error["input"]
    if isinstance(value, str | int | float | bool):
        message += f" (got {value!r})"
    return f"{loc}: {message}"


def bundled_themes_folder() -> Path:
    """The themes that ship with spstui.

    From a source checkout or an editable install they are the project's `themes/`
    folder; a wheel installs them as data files under `<prefix>/share/spstui/themes`."""
    candidates = [Path(__file__).resolve().parents[2] / "themes",
                  Path(sysconfig.get_path("data")) / "share" / "spstui" / "themes"]
    return next((folder for folder in candidates if folder.is_dir()), candidates[0])


def theme_folders() -> list[Path]:
    """Where themes are read from; a user theme replaces a bundled one of the same name."""
    return [bundled_themes_folder(), paths()["themes"]]


def load_themes() -> tuple[list[Theme], list[str]]:
    """Every theme that loads, and one message per file or folder that could not be used."""
    themes: list[Theme] = []
    problems: list[str] = []
    bundled, user = theme_folders()
    for folder in (bundled, user):
        if not folder.is_dir():
            if folder == bundled:
                problems.append(f"{folder}: the bundled themes folder is missing")
            continue  # no user themes folder is the normal case
        try:
            files = sorted(folder.glob("*.toml"))
        except OSError as exc:
            problems.append(f"{folder}: cannot list themes: {exc.strerror or exc}")
            continue
        for path in files:
            try:
                themes.append(load_theme_file(path))
            except ThemeError as err:
                problems.append(str(err))
    return themes, problems


# -- the app's side ------------------------------------------------------------------------


def start_themes(app: SpsApp) -> list[str]:
    """Register every theme and apply the chosen one (command line, else settings file).

    Returns messages for the user (bad files, an unknown theme name); call it from
    `__init__` so the first frame is drawn in the right colours."""
    themes, problems = load_themes()
    for theme in themes:
        app.register_theme(theme)
    wanted = app.options.theme or app.settings.theme
    name = ALIASES.get(wanted, wanted)
    if app.get_theme(name) is None or "," in name:  # get_theme treats commas as a list
        fallback = DEFAULT_THEME if app.get_theme(DEFAULT_THEME) else FALLBACK_THEME
        if wanted != Settings.model_fields["theme"].default:
            known = ", ".join(sorted(app.available_themes))
            problems.append(f"No theme named '{wanted}'; using {fallback}. Themes: {known}")
        name = fallback
    app.theme = name
    return problems


def remember_theme(app: SpsApp, name: str) -> None:
    """Save a theme the user picked while the app runs (palette, settings screen).

    Call it from the app's `watch_theme`; the theme applied at start-up is not saved,
    so a `--theme` on the command line stays a one-off."""
    if not app.is_running or name == app.settings.theme:
        return

    def change(settings: Settings) -> Settings:
        settings.theme = name
        return settings

    problem = app.update_settings(change)
    if problem:
        app.notify(problem, title="Theme not saved", severity="error", timeout=10)


def report_theme_problems(app: SpsApp, problems: list[str]) -> None:
    """Show what `start_themes` found wrong (file paths and values, so never as markup)."""
    for problem in problems:
        app.notify(problem, title="Theme problem", severity="warning", timeout=10, markup=False)
