"""SVG screenshots of the main screens, made from the demo appliance.

Run: .venv/bin/python screenshots/make.py [--out DIR] [SCENE ...]

Every scene starts the app afresh on a simulated appliance with a fixed seed and
clock, in a 160x45 terminal, and gets where it is going with the keys a user
would press; the files are the same from one run to the next. A scene whose
screen is not there (the key does nothing) is skipped with a warning.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a file from anywhere
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from textual.pilot import Pilot  # noqa: E402
from textual.widgets import Input, TextArea  # noqa: E402

from spstui.api.client import Connection, SpsClient  # noqa: E402
from spstui.backend import Backend  # noqa: E402
from spstui.cache import CacheStore  # noqa: E402
from spstui.simulator import ManualClock, Simulator  # noqa: E402
from spstui.tui.app import SpsApp  # noqa: E402
from spstui.tui.detail import DetailPane  # noqa: E402
from spstui.tui.options import AppOptions  # noqa: E402

SIZE = (160, 45)
SEED = 7
SESSIONS = 20_000
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()
TITLE = "spstui"
# Shown on the settings screen's App tab: a neutral path, not this machine's.
DOWNLOADS = Path("~/Downloads/spstui")

Scene = Callable[[Pilot[Any]], Awaitable[None]]


class Skipped(Exception):
    """The scene's screen is not there (yet): nothing worth a screenshot."""


async def settle(pilot: Pilot[Any]) -> None:
    """Let the workers finish and their messages land: a page, then the details it
    leads to, then what those change."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def expect_screen(pilot: Pilot[Any], name: str, key: str) -> None:
    if type(pilot.app.screen).__name__ != name:
        raise Skipped(f"`{key}` did not open the {name} (found "
                      f"{type(pilot.app.screen).__name__})")


# -- scenes: each starts on the browser with its first page loaded -------------------------


async def browser(pilot: Pilot[Any]) -> None:
    """The first page of sessions and the details of the first one."""


async def query(pilot: Pilot[Any]) -> None:
    """SSH sessions from the last day where someone ran sudo."""
    await pilot.press("slash", *"protocol:ssh")
    await pilot.click("#start")
    await pilot.press(*"-24h")
    await pilot.click("#content")
    await pilot.press(*"sudo", "enter")
    await settle(pilot)


async def zoom(pilot: Pilot[Any]) -> None:
    """The details over the whole width (`z`), if zooming widens them."""
    await pilot.press("z")
    await settle(pilot)
    if pilot.app.screen.query_one(DetailPane).size.width < SIZE[0] // 2:
        print("warning: z does not widen the detail pane; shot without zoom", file=sys.stderr)
        await pilot.press("z")
        await settle(pilot)


async def detail_overview(pilot: Pilot[Any]) -> None:
    """The newest of those sessions in detail."""
    await query(pilot)
    await pilot.press("1")
    await zoom(pilot)


async def detail_events(pilot: Pilot[Any]) -> None:
    """Its Events tab: the commands typed, the sudo ones highlighted."""
    await query(pilot)
    await pilot.press("3")
    await zoom(pilot)


async def active(pilot: Pilot[Any]) -> None:
    await pilot.press("a")
    await settle(pilot)
    expect_screen(pilot, "ActiveScreen", "a")


async def settings(pilot: Pilot[Any]) -> None:
    await pilot.press("c")
    await settle(pilot)
    expect_screen(pilot, "SettingsScreen", "c")


async def help_keys(pilot: Pilot[Any]) -> None:
    await pilot.press("question_mark")
    await settle(pilot)
    expect_screen(pilot, "HelpScreen", "?")


SCENES: list[tuple[str, Scene]] = [
    ("browser", browser),
    ("query", query),
    ("detail-overview", detail_overview),
    ("detail-events", detail_events),
    ("active", active),
    ("settings", settings),
    ("help", help_keys),
]


# -- running them ------------------------------------------------------------------------


def isolate(home: Path) -> None:
    """Keep the user's settings, cache, state and themes out of the pictures."""
    os.environ["SPSTUI_CONFIG"] = str(home / "config.toml")
    os.environ["SPSTUI_CACHE_DIR"] = str(home / "cache")
    os.environ["SPSTUI_STATE_DIR"] = str(home / "state")
    for name in ("SPSTUI_PROFILE", "SPSTUI_PASSWORD"):
        os.environ.pop(name, None)


def steady_cursors(app: SpsApp) -> None:
    """A blinking text cursor would be on in one run and off in the next."""
    for screen in app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            if isinstance(widget, Input | TextArea):
                widget.cursor_blink = False


async def shoot(scene: Scene, *, sessions: int = SESSIONS, page_size: int = 500) -> str:
    """Run one scene on a fresh app and appliance; the screenshot as SVG text.

    Raises Skipped when the scene's screen is not there."""
    sim = Simulator(seed=SEED, sessions=sessions, clock=ManualClock(NOW))
    client = SpsClient(Connection("https://demo.sps", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    options = AppOptions(page_size=page_size, demo=True, download_dir=DOWNLOADS)
    try:
        with tempfile.TemporaryDirectory() as folder, \
                CacheStore(Path(folder) / "cache.sqlite3") as cache:
            app = SpsApp(Backend(client, cache, now=sim.now), subtitle="demo appliance",
                         options=options)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                await scene(pilot)
                steady_cursors(app)
                await pilot.pause()
                return app.export_screenshot(title=TITLE)
    finally:
        await client.aclose()


async def make(names: list[str], out: Path, **kwargs: Any) -> list[Path]:
    """Write `<name>.svg` into `out` for each scene named; the files written."""
    out.mkdir(parents=True, exist_ok=True)
    scenes = dict(SCENES)
    written = []
    for name in names:
        try:
            svg = await shoot(scenes[name], **kwargs)
        except Skipped as why:
            print(f"warning: skipped {name}: {why}", file=sys.stderr)
            continue
        except Exception as err:  # a screen still being built must not stop the rest
            print(f"warning: skipped {name}: {type(err).__name__}: {err}", file=sys.stderr)
            continue
        path = out / f"{name}.svg"
        path.write_text(svg, encoding="utf-8")
        written.append(path)
        print(f"wrote {path}")
    return written


def main() -> int:
    names = [name for name, _ in SCENES]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="folder for the SVG files (default: this script's)")
    parser.add_argument("scenes", nargs="*", metavar="SCENE",
                        help=f"which to make (default: all): {', '.join(names)}")
    args = parser.parse_args()
    unknown = [name for name in args.scenes if name not in names]
    if unknown:
        parser.error(f"no scene named {', '.join(unknown)}; the scenes: {', '.join(names)}")
    with tempfile.TemporaryDirectory() as home:
        isolate(Path(home))
        written = asyncio.run(make(args.scenes or names, args.out))
    return 0 if len(written) == len(args.scenes or names) else 1


if __name__ == "__main__":
    sys.exit(main())
