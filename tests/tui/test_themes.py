"""Theme files: the bundled ones load, bad user files are reported (not fatal), and the
theme the user picks is kept in the settings file for the next start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets._toast import Toast

from spstui.api.client import Connection, SpsClient
from spstui.backend import Backend
from spstui.cache import CacheStore
from spstui.settings import config_path, load_settings, paths
from spstui.simulator import Simulator
from spstui.tui.app import SpsApp
from spstui.tui.options import AppOptions
from spstui.tui.themes import (
    ThemeError,
    bundled_themes_folder,
    load_theme_file,
    load_themes,
    theme_folders,
)

BUNDLED = ("spstui-dark", "spstui-light", "spstui-high-contrast")
SIZE = (100, 30)


def offline_app(options: AppOptions | None = None) -> SpsApp:
    """An app with nothing to browse: enough to see themes and notifications."""
    return SpsApp(Backend(None, None, offline=True), options=options)


def user_theme(name: str, text: str) -> Path:
    folder = paths()["themes"]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def toasts(app: SpsApp) -> str:
    return "\n".join(str(toast.render()) for toast in app.screen.query(Toast))


def test_bundled_themes_load_and_differ() -> None:
    themes = {name: load_theme_file(bundled_themes_folder() / f"{name}.toml")
              for name in BUNDLED}
    assert {t.name for t in themes.values()} == set(BUNDLED)
    assert not themes["spstui-light"].dark
    assert themes["spstui-dark"].dark and themes["spstui-high-contrast"].dark
    colours = {(t.primary, t.background, t.foreground) for t in themes.values()}
    assert len(colours) == 3
    contrast = themes["spstui-high-contrast"]
    assert (contrast.background, contrast.foreground) == ("#000000", "#FFFFFF")


def test_theme_folders_are_the_bundled_and_the_user_folder() -> None:
    bundled, user = theme_folders()
    assert (bundled / "spstui-dark.toml").is_file()
    assert user == config_path().parent / "themes"


@pytest.mark.parametrize(("text", "problem"), [
    ("name = 'x'\nprimary = \n", "TOML syntax error"),
    ("primary = '#123456'\nprimery = '#123456'\n", "primery: unknown key"),
    ("name = 'x'\n", "primary: required key is missing"),
    ("primary = 'blurple'\n", "primary: not a colour"),
    ("primary = '#123456'\ndark = 'yes'\n", "dark: Input should be a valid boolean"),
    ("name = 'my theme'\nprimary = '#123456'\n", "name: use letters, digits"),
    ("primary = '#123456'\n[variables]\nfooter-key-foreground = 'shiny'\n",
     "variables.footer-key-foreground: 'shiny' is not a colour"),
    ("primary = '#123456'\n[variables]\nblock-cursor-text-style = 'loud'\n",
     "variables.block-cursor-text-style: 'loud' is not a text style"),
    # Among good ones, only the bad variable is named.
    ("primary = '#123456'\n[variables]\nfooter-key-foreground = '#ffffff'\n"
     "input-selection-background = 'mauve-ish'\nblock-cursor-text-style = 'bold'\n",
     "broken.toml: variables.input-selection-background: 'mauve-ish' is not a colour"),
])
def test_a_broken_user_theme_is_reported_by_file_and_problem(text: str, problem: str) -> None:
    path = user_theme("broken.toml", text)
    themes, problems = load_themes()
    assert {t.name for t in themes} == set(BUNDLED)  # the good ones still load
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: ")
    assert problem in problems[0]
    with pytest.raises(ThemeError, match=r"broken\.toml"):
        load_theme_file(path)


def test_a_user_theme_is_loaded_and_named_after_its_file() -> None:
    user_theme("dusk.toml", "primary = '#884488'\nbackground = '#101010'\n"
                            "[variables]\ninput-selection-background = '#884488 40%'\n")
    themes, problems = load_themes()
    assert problems == []
    assert "dusk" in {t.name for t in themes}


def test_the_example_in_the_themes_readme_loads() -> None:
    readme = (bundled_themes_folder() / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    theme = load_theme_file(user_theme("dusk.toml", example))
    assert (theme.name, theme.primary) == ("dusk", "#8A5CF5")


async def test_a_broken_theme_file_is_shown_and_the_app_still_starts() -> None:
    path = user_theme("broken.toml", "primary = 'blurple'\n")
    app = offline_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "spstui-dark"
        assert str(path) in toasts(app)


async def test_the_chosen_theme_is_saved_and_used_at_the_next_start() -> None:
    app = offline_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "spstui-dark"  # the settings file's default, "dark"
        assert not config_path().exists()  # starting up saves nothing
        app.theme = "spstui-light"
        await pilot.pause()
    assert load_settings().theme == "spstui-light"
    again = offline_app()
    async with again.run_test(size=SIZE):
        assert again.theme == "spstui-light"
        assert not again.current_theme.dark


async def test_a_theme_from_the_command_line_is_used_but_not_saved() -> None:
    app = offline_app(AppOptions(theme="spstui-high-contrast"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "spstui-high-contrast"
    assert not config_path().exists()


async def test_an_unknown_theme_falls_back_with_a_warning() -> None:
    config_path().write_text('theme = "solarized-mauve"\n', encoding="utf-8")
    app = offline_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "spstui-dark"
        assert "No theme named 'solarized-mauve'" in toasts(app)


async def test_a_theme_that_cannot_be_saved_is_reported() -> None:
    config_path().write_text("page_size = [\n", encoding="utf-8")  # hand-broken file
    app = offline_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        app.theme = "spstui-light"
        await pilot.pause()
        assert app.theme == "spstui-light"  # applied for this run all the same
        assert "TOML syntax error" in toasts(app)
    assert config_path().read_text(encoding="utf-8") == "page_size = [\n"


# -- how the bundled themes look (open the SVGs to judge legibility) ---------------------


def themed_app(sim: Simulator, tmp_path: Path, theme: str) -> SpsApp:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    return SpsApp(Backend(client, CacheStore(tmp_path / "cache.sqlite3")), page_size=50,
                  options=AppOptions(theme=theme))


async def loaded(pilot: Any) -> None:
    """Let the first page and the first session's details arrive."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.mark.parametrize("theme", ["spstui-light", "spstui-high-contrast"])
def test_browser_in_theme(snap_compare: Any, sim: Simulator, tmp_path: Path,
                          theme: str) -> None:
    assert snap_compare(themed_app(sim, tmp_path, theme), terminal_size=(160, 45),
                        run_before=loaded)
