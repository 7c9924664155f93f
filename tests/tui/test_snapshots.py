"""Stable screenshots (fixed size, seed and clock) of the screens built so far."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from spstui.api.client import Connection, SpsClient
from spstui.backend import Backend
from spstui.cache import CacheStore
from spstui.simulator import Simulator
from spstui.tui.app import SpsApp
from spstui.tui.options import AppOptions

SIZE = (160, 45)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC here, as on the machines that made the pictures (the export
    dialog's file name is stamped in local time)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def demo_app(sim: Simulator, tmp_path: Path) -> SpsApp:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    # The simulator's clock and a folder written alike on every machine: the export
    # dialog shows both in the file it proposes.
    return SpsApp(Backend(client, CacheStore(tmp_path / "cache.sqlite3"), now=sim.now),
                  options=AppOptions(page_size=50, download_dir=Path("~/Downloads/spstui")))


async def loaded(pilot: Any) -> None:
    """Let the first page and the first session's details arrive."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def test_browser_with_details(snap_compare: Any, sim: Simulator, tmp_path: Path) -> None:
    assert snap_compare(demo_app(sim, tmp_path), terminal_size=SIZE, run_before=loaded)


def test_events_tab(snap_compare: Any, sim: Simulator, tmp_path: Path) -> None:
    async def events(pilot: Any) -> None:
        await loaded(pilot)
        await pilot.press(*"jjjjj")  # an indexed session, with commands to show
        await loaded(pilot)
        await pilot.press("3")
        await pilot.pause()

    assert snap_compare(demo_app(sim, tmp_path), terminal_size=SIZE, run_before=events)


def test_browser_in_an_80_column_terminal(snap_compare: Any, sim: Simulator,
                                          tmp_path: Path) -> None:
    assert snap_compare(demo_app(sim, tmp_path), terminal_size=(80, 24), run_before=loaded)


# -- dialogs over the browser ----------------------------------------------------------


def test_triage_dialog(snap_compare: Any, sim: Simulator, tmp_path: Path) -> None:
    assert snap_compare(demo_app(sim, tmp_path), terminal_size=SIZE, press=["t"],
                        run_before=loaded)


def test_export_dialog(snap_compare: Any, sim: Simulator, tmp_path: Path) -> None:
    assert snap_compare(demo_app(sim, tmp_path), terminal_size=SIZE, press=["e"],
                        run_before=loaded)


def test_column_picker(snap_compare: Any, sim: Simulator, tmp_path: Path) -> None:
    assert snap_compare(demo_app(sim, tmp_path), terminal_size=SIZE, press=["v"],
                        run_before=loaded)


def test_terminate_confirmation(snap_compare: Any, sim: Simulator, tmp_path: Path) -> None:
    async def on_an_active_session(pilot: Any) -> None:
        await loaded(pilot)
        screen = pilot.app.screen
        first_active = next(i for i, key in enumerate(screen.keys) if screen.rows[key].active)
        await pilot.press(*["j"] * first_active, "x")
        await pilot.pause()

    assert snap_compare(demo_app(sim, tmp_path), terminal_size=SIZE,
                        run_before=on_an_active_session)
