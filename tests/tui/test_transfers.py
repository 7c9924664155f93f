"""Transfers in the TUI: trail downloads, follow mode with the player, exports, and the
yes/no modal, driven with Textual's pilot against the simulator on a loopback port
(downloads must stream; the in-process transport buffers whole bodies)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import shlex
import stat
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Input, ProgressBar, Static
from textual.worker import WorkerCancelled

from spstui.api import sessions, trails
from spstui.api.client import Connection, SpsClient
from spstui.api.search import SearchQuery, count, search_page
from spstui.backend import Backend
from spstui.simulator import Fault, Simulator
from spstui.simulator.server import BackgroundServer
from spstui.tui.app import SpsApp
from spstui.tui.confirm import Confirm
from spstui.tui.export_dialog import ExportDialog, ExportSpec
from spstui.tui.key_order import KeyOrderedApp
from spstui.tui.options import AppOptions
from spstui.tui.transfers import TransferLine, Transfers, human_size, request_quit
from tests.conftest import login
from tests.tui.keys import burst

SIZE = (120, 30)
ENDED_SSH = "verdict:accept AND NOT active:true AND protocol:ssh"


class HostScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Static("sessions")
        yield Transfers(id="transfers")


class HostApp(SpsApp):
    """The real app with a screen that holds only the transfers, and a record of
    every notification."""

    CSS_PATH = str(Path(sys.modules[SpsApp.__module__].__file__ or "").parent / "app.tcss")

    def __init__(self, backend: Backend, options: AppOptions) -> None:
        super().__init__(backend, options=options)
        self.notes: list[tuple[str, str]] = []

    def on_mount(self, event: events.Mount) -> None:  # type: ignore[override]
        event.prevent_default()  # not the browser: its page loads are not under test
        self.push_screen(HostScreen())

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        self.notes.append((severity, message))
        super().notify(message, title=title, severity=severity, timeout=timeout,
                       markup=markup)

    @property
    def transfers(self) -> Transfers:
        return self.screen.query_one(Transfers)

    def said(self, *words: str, severity: str | None = None) -> list[str]:
        return [m for s, m in self.notes
                if all(w in m for w in words) and severity in (None, s)]


@pytest.fixture
async def client(server: BackgroundServer) -> AsyncIterator[SpsClient]:
    async with SpsClient(Connection(server.url, "admin", "admin")) as c:
        yield c


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "downloads"  # not there yet: the first download creates it


def make_app(client: SpsClient | None, folder: Path, player: str | None = None) -> HostApp:
    backend = Backend(client, None, offline=client is None)
    return HostApp(backend, AppOptions(download_dir=folder, player_command=player,
                                       state_path=None))


async def keys_of(client: SpsClient, q: str, n: int, sort: tuple[str, ...] = ()) -> list[str]:
    page = await search_page(client, SearchQuery(q=q, limit=n, sort=sort))
    assert len(page.items) == n
    return [row.key for row in page.items]


async def trail_bytes(server: BackgroundServer, key: str, srs: bool = False) -> bytes:
    async with httpx.AsyncClient(base_url=server.url) as plain:
        await login(plain)
        response = await plain.get(f"/api/audit/sessions/{key}/audit_trail",
                                   params={"format": "srs"} if srs else None)
    assert response.status_code == 200
    return response.content


async def until(condition: Callable[[], bool], what: str, tries: int = 300) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def settle(pilot: Any, app: App[Any]) -> None:
    for worker in list(app.workers):
        with contextlib.suppress(WorkerCancelled):  # cancelling is what some tests do
            await worker.wait()
    await pilot.pause()


# -- downloads ---------------------------------------------------------------------------------

async def test_download_shows_a_progress_line_then_a_notice_and_a_private_file(
        server: BackgroundServer, sim: Simulator, client: SpsClient, folder: Path) -> None:
    [key] = await keys_of(client, ENDED_SSH, 1, sort=("-duration",))
    # Hold the answer back a moment so the running line can be seen.
    sim.faults.append(Fault(path=f"/api/audit/sessions/{key}/audit_trail", delay=0.3))
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.transfers.display  # hidden while idle
        assert app.transfers.start_download([key]) == 1
        await pilot.pause()
        lines = list(app.transfers.query(TransferLine))
        assert app.transfers.display and len(lines) == 1
        assert lines[0].query_one(ProgressBar)
        label = str(lines[0].query_one(".transfer-label", Static).render())
        assert label == f"download {trails.safe_filename(key, 'zat')}"
        await settle(pilot, app)
        assert not app.transfers.display and app.transfers.running() == 0
    target = folder / trails.safe_filename(key, "zat")
    assert target.read_bytes() == await trail_bytes(server, key)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert list(folder.iterdir()) == [target]
    [notice] = app.said("Downloaded", str(target), severity="information")
    assert notice.endswith(f" ({human_size(target.stat().st_size)}).")


async def test_batch_download_makes_one_file_per_session(
        client: SpsClient, folder: Path) -> None:
    keys = await keys_of(client, ENDED_SSH, 3)
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_download(keys)
        assert app.transfers.running() == 3  # two run, one waits its turn
        await settle(pilot, app)
        assert app.transfers.running() == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        trails.safe_filename(k, "zat") for k in keys)
    assert len(app.said("Downloaded")) == 3


async def test_dropped_download_leaves_no_file_and_says_why(
        sim: Simulator, client: SpsClient, folder: Path) -> None:
    [key] = await keys_of(client, ENDED_SSH, 1, sort=("-duration",))
    sim.faults.append(Fault(path=f"/api/audit/sessions/{key}/audit_trail",
                            drop_after=200_000))
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_download([key])
        await settle(pilot, app)
    assert list(folder.iterdir()) == []
    [error] = app.said(key, severity="error")
    assert "failed" in error and ("interrupted" in error or "stopped at" in error)
    # The file name keeps the key's case (keys are case-sensitive).
    name = trails.safe_filename(key, "zat")
    assert name != name.lower() and error.startswith(f"Download {name} failed")


async def test_cancelled_download_leaves_no_partial_file(
        sim: Simulator, client: SpsClient, folder: Path) -> None:
    [key] = await keys_of(client, ENDED_SSH, 1)
    sim.faults.append(Fault(path=f"/api/audit/sessions/{key}/audit_trail", delay=0.5))
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_download([key])
        await until(lambda: any(folder.iterdir()), "the temporary file")
        assert app.transfers.cancel_all() == 1
        assert app.transfers.running() == 0
        await settle(pilot, app)
    assert list(folder.iterdir()) == []
    assert app.said("Cancelled 1 transfer")


async def test_offline_download_says_it_needs_the_appliance(folder: Path) -> None:
    app = make_app(None, folder)
    async with app.run_test(size=SIZE) as pilot:
        assert app.transfers.start_download(["svc-x-1"]) == 0
        await pilot.pause()
        assert app.transfers.running() == 0
    assert app.said("Downloads need the appliance (offline mode)", severity="warning")
    assert not folder.exists()


async def test_quit_asks_while_a_download_runs_and_cancelling_cleans_up(
        sim: Simulator, client: SpsClient, folder: Path) -> None:
    [key] = await keys_of(client, ENDED_SSH, 1)
    sim.faults.append(Fault(path=f"/api/audit/sessions/{key}/audit_trail", delay=2.0))
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_download([key])
        await pilot.pause()
        request_quit(app)
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert "1 transfer is still running" in app.screen.question
        await pilot.press("n")
        assert app.transfers.running() == 1 and app.is_running
        request_quit(app, result="lab", verb="Switch")  # another profile: the same ask
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert "Switch and cancel it?" in app.screen.question
        await pilot.press("y")
        await pilot.pause()
    assert not app.is_running and app.return_value == "lab"
    assert not any(folder.iterdir())


# -- follow mode -------------------------------------------------------------------------------

async def test_follow_writes_the_srs_and_starts_the_player_with_it(
        server: BackgroundServer, client: SpsClient, folder: Path, tmp_path: Path) -> None:
    [key] = await keys_of(client, "active:true AND verdict:accept", 1)
    session = await sessions.get_session(client, key)
    marker = tmp_path / "player-was-given"
    script = "import pathlib, sys; pathlib.Path(sys.argv[2]).write_text(sys.argv[1])"
    player = f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} {{file}} " \
             f"{shlex.quote(str(marker))}"
    app = make_app(client, folder, player=player)
    async with app.run_test(size=SIZE) as pilot:
        assert app.transfers.start_follow(key)
        # The player writes the file it was given into the marker (wait for the write).
        await until(lambda: marker.exists() and bool(marker.read_text()), "the player")
        live = Path(marker.read_text())
        assert live.name == trails.safe_filename(key, "srs").replace(".srs", ".live.srs")
        assert live.parent == folder and app.transfers.running() == 1
        assert session.body.recording.session_id
        await sessions.terminate(client, session.body.recording.session_id)
        await settle(pilot, app)
    final = folder / trails.safe_filename(key, "srs")
    assert final.exists() and not live.exists()
    assert final.read_bytes() == await trail_bytes(server, key, srs=True)
    assert app.said("Opened", str(live))
    assert app.said("ended", str(final))


async def test_follow_without_a_player_says_where_the_file_is(
        client: SpsClient, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")  # no Safeguard Desktop Player to find
    [key] = await keys_of(client, ENDED_SSH, 1)  # already ended: downloaded whole
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_follow(key)
        await settle(pilot, app)
    final = folder / trails.safe_filename(key, "srs")
    assert final.exists()
    [warning] = app.said(str(final), "player_command", severity="warning")
    assert "not found" in warning
    assert warning.endswith(f"in:\n{final}")  # the path on a line of its own, not after "\\n"


def unrecorded_key(sim: Simulator) -> str:
    """An ended session the appliance did not record (search cannot ask for that)."""
    now = sim.now()
    return next(sim.store.key(s) for s in sim.store.visible(now)
                if not s.has_trail and not sim.store.is_active(s, now))


async def test_follow_of_a_session_that_was_not_recorded_says_so_without_a_404(
        sim: Simulator, client: SpsClient, folder: Path) -> None:
    key = unrecorded_key(sim)
    since = len(sim.request_log)
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        assert app.transfers.start_follow(key)  # no row to go by: the session's body says
        await settle(pilot, app)
        assert app.transfers.running() == 0
    asked = [r.path for r in list(sim.request_log)[since:]]
    assert app.said(f"{key} has no audit trail: it was not recorded.", severity="warning")
    assert not app.said("failed")
    assert not [p for p in asked if "/audit_trail" in p]
    assert not folder.exists() or not any(folder.iterdir())


async def test_follow_goes_ahead_when_only_the_status_says_no_trail(
        sim: Simulator, client: SpsClient, folder: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The status is documented per channel; the trail element is there: ask for it.
    now = sim.now()
    key = next(sim.store.key(s) for s in sim.store.visible(now)
               if s.has_trail and not sim.store.is_active(s, now))
    monkeypatch.setattr(sim.store, "index_status", lambda s, t: "NO_TRAIL")
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        assert app.transfers.start_follow(key)
        await settle(pilot, app)
    assert not app.said("no audit trail")
    assert [p.name for p in folder.iterdir()] == [trails.safe_filename(key, "srs")]


async def test_download_without_a_row_to_go_by_still_shows_the_appliances_404(
        sim: Simulator, client: SpsClient, folder: Path) -> None:
    key = unrecorded_key(sim)
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        assert app.transfers.start_download([key]) == 1
        await settle(pilot, app)
    [error] = app.said(key, "failed", severity="error")
    assert "no audit trail" in error  # the appliance's own words, as it sent them
    assert not any(folder.iterdir())


# -- exports -----------------------------------------------------------------------------------

def spec(scope: str, fmt: str, path: Path, **kwargs: Any) -> ExportSpec:
    return ExportSpec(scope=scope, fmt=fmt, path=path,  # type: ignore[arg-type]
                      query=kwargs.pop("query", SearchQuery()), **kwargs)


async def test_export_page_to_csv_has_one_row_per_session(
        client: SpsClient, folder: Path, tmp_path: Path) -> None:
    page = await search_page(client, SearchQuery(limit=20))
    rows = [{"key": r.key, **r.raw} for r in page.items]
    target = tmp_path / "out" / "page.csv"  # the folder is created
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_export(spec("page", "csv", target, page_rows=rows))
        await settle(pilot, app)
    with target.open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["key"] for r in table] == [r.key for r in page.items]
    assert table[0]["protocol"] == page.items[0].protocol
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert app.said("Exported 20 sessions", str(target))


async def test_export_all_matches_to_json_has_every_match(
        client: SpsClient, folder: Path, tmp_path: Path) -> None:
    query = SearchQuery(q="protocol:telnet", limit=50)
    expected = await count(client, query)
    target = tmp_path / "all.json"
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_export(spec("all", "json", target, query=query))
        await settle(pilot, app)
    docs = json.loads(target.read_text())
    assert 0 < expected == len(docs) == len({d["key"] for d in docs})
    assert {d["protocol"] for d in docs} == {"TELNET"}
    assert app.said(f"Exported {expected:,} sessions")


async def test_export_marked_sessions_fetches_them_by_key(
        client: SpsClient, folder: Path, tmp_path: Path) -> None:
    keys = await keys_of(client, ENDED_SSH, 2)
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_export(spec("marked", "json", tmp_path / "m.json", keys=keys))
        app.transfers.start_export(spec("marked", "csv", tmp_path / "m.csv", keys=keys))
        await settle(pilot, app)
    docs = json.loads((tmp_path / "m.json").read_text())
    assert [d["key"] for d in docs] == keys and docs[0]["protocol"] == "SSH"
    with (tmp_path / "m.csv").open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["key"] for r in table] == keys
    assert table[0]["user.name"] == docs[0]["user"]["name"]
    assert "channels.href" not in table[0]  # links to sub-resources are not data


async def test_failed_export_leaves_no_file(
        sim: Simulator, client: SpsClient, folder: Path, tmp_path: Path) -> None:
    sim.faults.append(Fault(path="/api/audit/sessions", status=500, times=5))
    target = tmp_path / "all.csv"
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_export(spec("all", "csv", target))
        await settle(pilot, app)
    assert list(tmp_path.iterdir()) == []
    assert app.said("Export all.csv failed", severity="error")


async def test_an_export_the_disk_refuses_names_its_folder_not_the_hidden_part_file(
        client: SpsClient, folder: Path) -> None:
    target = Path("/proc/spstui-export-test.csv")  # no file can be made there
    app = make_app(client, folder)
    async with app.run_test(size=SIZE) as pilot:
        app.transfers.start_export(spec("page", "csv", target))
        await settle(pilot, app)
    [said] = app.said("Export spstui-export-test.csv failed", severity="error")
    assert "(in /proc)" in said and ".part" not in said
    assert not target.exists()


# -- the dialogs -------------------------------------------------------------------------------

class DialogApp(KeyOrderedApp[None]):
    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.dialog = screen
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


@pytest.mark.parametrize(("keys", "answer"), [("y", True), ("n", False), ("enter", False),
                                              ("escape", False)])
async def test_confirm_answers_yes_only_on_y(keys: str, answer: bool) -> None:
    app = DialogApp(Confirm("Terminate the session of \x1b[31mroot?", yes_label="Terminate",
                            danger=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        question = str(app.screen.query_one("#confirm-question", Static).render())
        assert question == "Terminate the session of \\x1b[31mroot?"
        await pilot.press(keys)
        await pilot.pause()
    assert app.results == [answer]


def dialog(tmp_path: Path, marked: list[str] | None = None) -> ExportDialog:
    rows = [{"key": f"k{i}", "protocol": "SSH"} for i in range(3)]
    return ExportDialog(SearchQuery(q="protocol:ssh"), rows, marked=marked or [],
                        match_count=1234, folder=tmp_path)


async def test_export_dialog_is_driven_by_the_keyboard(tmp_path: Path) -> None:
    app = DialogApp(dialog(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        path = app.screen.query_one("#export-path", Input)
        assert Path(path.value).parent == tmp_path and path.value.endswith(".csv")
        await pilot.press("down")  # scope: all matches
        await pilot.press("tab", "right")  # format: JSON
        assert path.value.endswith(".json")
        await pilot.press("enter")
        await pilot.pause()
    [result] = app.results
    assert isinstance(result, ExportSpec)
    assert (result.scope, result.fmt, result.keys) == ("all", "json", [])
    assert result.query.q == "protocol:ssh" and len(result.page_rows) == 3
    assert result.path.parent == tmp_path and result.path.suffix == ".json"


async def test_export_dialog_offers_marked_rows_and_refuses_a_folder(tmp_path: Path) -> None:
    app = DialogApp(dialog(tmp_path, marked=["k1", "k2"]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        path = app.screen.query_one("#export-path", Input)
        path.value = str(tmp_path)
        await pilot.press("enter")
        await pilot.pause()
        error = str(app.screen.query_one("#export-error", Static).render())
        assert "is a folder" in error and app.results == []
        path.value = "marked.csv"  # a bare name goes in the download folder
        await pilot.press("up", "down")  # from the marked rows (chosen at first) and back
        await pilot.press("enter")
        await pilot.pause()
    [result] = app.results
    assert result.scope == "marked" and result.keys == ["k1", "k2"]
    assert result.path == tmp_path / "marked.csv"


async def test_export_dialog_refuses_a_file_name_of_the_other_format(tmp_path: Path) -> None:
    app = DialogApp(dialog(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        path = app.screen.query_one("#export-path", Input)
        path.value = "week.json"  # CSV is chosen
        path.focus()
        await pilot.press("enter")
        await pilot.pause()
        error = str(app.screen.query_one("#export-error", Static).render())
        refused = list(app.results)
        await pilot.press("shift+tab", "right")  # format: JSON
        await pilot.press("enter")
        await pilot.pause()
    assert refused == [] and "ends in .json, but the format chosen is CSV" in error
    [result] = app.results
    assert (result.fmt, result.path) == ("json", tmp_path / "week.json")


async def test_export_dialog_asks_before_replacing_a_file(tmp_path: Path) -> None:
    (tmp_path / "week.csv").write_text("kept\n")
    app = DialogApp(dialog(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        path = app.screen.query_one("#export-path", Input)
        path.value = "week.csv"
        path.focus()
        await pilot.press("enter")
        await pilot.pause()
        error = str(app.screen.query_one("#export-error", Static).render())
        asked = list(app.results)
        await pilot.press("enter")  # again: replace it
        await pilot.pause()
    assert asked == [] and "exists: press enter again to replace it" in error
    [result] = app.results
    assert result.path == tmp_path / "week.csv"


async def test_an_export_path_typed_in_one_burst_is_used_whole(tmp_path: Path) -> None:
    app = DialogApp(dialog(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.query_one("#export-path", Input).focus()
        await pilot.pause()
        burst(app, "ctrl+u", "week.csv", "enter")
        for _ in range(3):
            await pilot.pause()
    [result] = app.results
    assert result.path == tmp_path / "week.csv"


async def test_export_dialog_escape_cancels(tmp_path: Path) -> None:
    app = DialogApp(dialog(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]
