"""Session parts, trail downloads and configuration changes against the simulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from spstui.api import configuration as cfg
from spstui.api import sessions, trails
from spstui.api.client import Connection, SpsClient
from spstui.api.errors import ServerError, SpsError, TransferInterrupted
from spstui.api.search import SearchQuery, iterate, search_page
from spstui.simulator import Fault, ManualClock, Simulator
from spstui.simulator.server import BackgroundServer


def connect(sim: Simulator) -> SpsClient:
    return SpsClient(Connection("https://sps.test", "admin", "admin"),
                     transport=httpx.ASGITransport(app=sim.app))


async def first(client: SpsClient, q: str, sort: tuple[str, ...] = ()) -> str:
    page = await search_page(client, SearchQuery(q=q, limit=1, sort=sort))
    assert page.items, f"no session matches {q}"
    return page.items[0].key


async def test_session_and_every_part_parse(sim: Simulator) -> None:
    async with connect(sim) as client:
        key = await first(client, "protocol:ssh AND verdict:accept AND NOT active:true")
        session = await sessions.get_session(client, key)
        chans = await sessions.channels(client, key)
        evs = await sessions.events(client, key)
        runs = await sessions.indexing(client, key)
        await sessions.alerts(client, key)
        await sessions.trail_downloads(client, key)
    assert session.key == key and session.body.protocol == "SSH"
    assert chans and chans[0].type == "session shell" and chans[0].start_time is not None
    if session.body.recording.index_status == "INDEXED":
        assert evs and runs and runs[0].status == "COMPLETED"
    assert all(e.record_id is not None for e in evs)


async def test_events_after_a_record_id_only_returns_newer_ones(sim: Simulator) -> None:
    async with connect(sim) as client:
        key = await first(client, "protocol:ssh AND verdict:accept AND NOT active:true",
                          sort=("-duration",))
        everything = await sessions.events(client, key)
        assert len(everything) >= 3
        middle = everything[len(everything) // 2].record_id
        assert middle is not None
        newer = await sessions.events(client, key, after_record=middle)
    assert [e.record_id for e in newer] == [e.record_id for e in everything
                                            if e.record_id is not None and e.record_id > middle]


async def test_terminate_ends_an_active_session(sim: Simulator) -> None:
    async with connect(sim) as client:
        key = await first(client, "active:true")
        before = await sessions.get_session(client, key)
        assert before.body.active and before.body.recording.session_id
        await sessions.terminate(client, before.body.recording.session_id)
        after = await sessions.get_session(client, key)
    assert not after.body.active and after.body.end_time is not None


async def test_download_writes_the_whole_trail_under_its_final_name(
        sim: Simulator, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    async with connect(sim) as client:
        key = await first(client, "verdict:accept AND NOT active:true AND protocol:ssh")
        path = await trails.download(client, key, tmp_path,
                                     progress=lambda n, total: seen.append((n, total)))
    assert path == tmp_path / trails.safe_filename(key, "zat")
    assert path.stat().st_size == seen[-1][0] == seen[-1][1]
    assert path.read_bytes().startswith(b"SPS-SIMULATED-ZAT")
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


async def test_dropped_download_leaves_nothing_under_the_final_name(
        server: BackgroundServer, sim: Simulator, tmp_path: Path) -> None:
    async with SpsClient(Connection(server.url, "admin", "admin")) as client:
        page = await search_page(client, SearchQuery(q="protocol:rdp AND verdict:accept "
                                                     "AND NOT active:true", sort=("-duration",),
                                                     limit=1))
        key = page.items[0].key
        sim.faults.append(Fault(path=f"/api/audit/sessions/{key}/audit_trail",
                                drop_after=200_000))
        with pytest.raises(TransferInterrupted, match=r"interrupted|stopped at"):
            await trails.download(client, key, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("key", "expected"), [
    ("svc-abc-ssh_prod-1", "svc-abc-ssh_prod-1.zat"),
    ("../../etc/passwd", "etc_passwd.zat"),
    ("a/b\\c\x1b[31m", "a_b_c_31m.zat"),
    ("...", "session.zat"),
])
def test_file_names_from_keys_cannot_escape_or_carry_control_characters(
        key: str, expected: str) -> None:
    assert trails.safe_filename(key, "zat") == expected


async def test_follow_writes_live_srs_until_the_session_ends(
        server: BackgroundServer, sim: Simulator, tmp_path: Path) -> None:
    clock = sim.clock
    assert isinstance(clock, ManualClock)
    opened: list[Path] = []
    async with SpsClient(Connection(server.url, "admin", "admin")) as client:
        key = await first(client, "active:true AND verdict:accept")
        session = await sessions.get_session(client, key)
        task = asyncio.create_task(trails.follow(client, key, tmp_path, on_file=opened.append))
        for _ in range(200):
            await asyncio.sleep(0.02)
            if opened:
                break
        assert opened and opened[0].name.endswith(".live.srs")
        size_before = opened[0].stat().st_size
        clock.advance(30)  # the session records more
        for _ in range(100):
            await asyncio.sleep(0.02)
            if opened[0].stat().st_size > size_before:
                break
        assert opened[0].stat().st_size > size_before
        assert session.body.recording.session_id
        await sessions.terminate(client, session.body.recording.session_id)
        final = await asyncio.wait_for(task, 10)
    assert final.name.endswith(".srs") and not final.name.endswith(".live.srs")
    assert final.exists() and not opened[0].exists()


async def test_follow_of_a_session_without_trail_fails_and_leaves_no_file(
        sim: Simulator, tmp_path: Path) -> None:
    async with connect(sim) as client:
        page = await search_page(client, SearchQuery(q="active:true", limit=200))
        bodies = [await sessions.get_session(client, row.key) for row in page.items]
        key = next(s.key for s in bodies if s.body.recording.has_trail is False)
        with pytest.raises(SpsError) as raised:
            await trails.follow(client, key, tmp_path)
    assert raised.value.status == 404
    assert list(tmp_path.iterdir()) == []


def test_player_template_gets_the_file_and_missing_player_says_where_the_file_is(
        tmp_path: Path) -> None:
    trail = tmp_path / "x.srs"
    started: list[list[str]] = []
    ok = trails.launch_player("player --follow {file}", trail, spawn=started.append)
    assert ok.started and started == [["player", "--follow", str(trail)]]
    missing = trails.launch_player(None, trail, which=lambda name: None)
    assert not missing.started
    assert str(trail) in missing.message and "player_command" in missing.message
    found = trails.player_command(None, trail, which=lambda name: f"/opt/{name}")
    assert found == [f"/opt/{trails.PLAYER_NAMES[0]}", str(trail)]


async def test_config_change_is_validated_diffed_and_committed(sim: Simulator) -> None:
    async with connect(sim) as client:
        shown: list[list[cfg.Change]] = []

        def confirm(changes: list[cfg.Change]) -> bool:
            shown.append(changes)
            return True

        changes = await cfg.change(client, cfg.INDEXER,
                                   lambda body: cfg.set_dotted(body, "number_of_workers", 4),
                                   confirm)
    assert [str(c) for c in changes] == ["number_of_workers: 2 -> 4"]
    assert shown == [changes]
    assert sim.config.committed(cfg.INDEXER)["number_of_workers"] == 4


async def test_invalid_edit_is_refused_before_anything_is_sent(sim: Simulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(cfg.ConfigError, match="number_of_workers"):
            await cfg.change(client, cfg.INDEXER,
                             lambda body: cfg.set_dotted(body, "number_of_workers", -1))
        with pytest.raises(cfg.ConfigError, match="allowed_from"):
            await cfg.change(client, cfg.INDEXER, lambda body: body.update({"remote_access": {
                "enabled": True, "access_restriction": {"enabled": True,
                                                        "allowed_from": ["10.0.0.300/8"]}}}))
        with pytest.raises(cfg.ConfigError, match="server_url"):
            await cfg.change(client, cfg.VNC_OPTIONS, lambda body: cfg.set_dotted(
                body, "audit.timestamping.selection", "remote"))
    assert not [r for r in sim.request_log if r.method != "GET"]


async def test_declined_change_sends_nothing(sim: Simulator) -> None:
    async with connect(sim) as client:
        changes = await cfg.change(client, cfg.VNC_OPTIONS,
                                   lambda body: cfg.set_dotted(body, "service.log_level", 7),
                                   lambda changes: False)
    assert changes == []
    assert not [r for r in sim.request_log if r.method != "GET"]


async def test_failing_commit_is_rolled_back_and_configuration_unchanged(sim: Simulator) -> None:
    before = sim.config.committed(cfg.INDEXER)
    sim.faults.append(Fault(path="/api/transaction", method="PUT", status=500))
    async with connect(sim) as client:
        with pytest.raises(ServerError):
            await cfg.change(client, cfg.INDEXER,
                             lambda body: cfg.set_dotted(body, "number_of_workers", 3))
        status = await client.get_json("/api/transaction")
    writes = [(r.method, r.path, r.status) for r in sim.request_log if r.method != "GET"]
    assert writes == [("POST", "/api/transaction", 200),
                      ("PUT", "/api/configuration/local_services/indexer", 200),
                      ("PUT", "/api/transaction", 500),
                      ("DELETE", "/api/transaction", 200)]
    assert status["body"]["status"] == "closed"
    assert sim.config.committed(cfg.INDEXER) == before


async def test_cancelled_change_rolls_back(sim: Simulator) -> None:
    sim.faults.append(Fault(path="/api/transaction", method="PUT", delay=5))
    async with connect(sim) as client:
        task = asyncio.create_task(cfg.change(
            client, cfg.INDEXER, lambda body: cfg.set_dotted(body, "number_of_workers", 3)))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if any(r.path == "/api/configuration/local_services/indexer" and r.method == "PUT"
                   for r in sim.request_log):
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert ("DELETE", "/api/transaction") in [(r.method, r.path) for r in sim.request_log]
    assert sim.config.committed(cfg.INDEXER)["number_of_workers"] == 2


def test_diff_and_dotted_keys() -> None:
    body = {"a": {"b": 1}, "c": [1, 2]}
    cfg.set_dotted(body, "a.b", 2)
    cfg.set_dotted(body, "a.new", True)
    assert body == {"a": {"b": 2, "new": True}, "c": [1, 2]}
    assert [str(c) for c in cfg.diff({"a": {"b": 1}}, body)] == [
        "a.b: 1 -> 2", "a.new: null -> true", "c: null -> [1, 2]"]
    assert cfg.parse_value("4") == 4 and cfg.parse_value("true") is True
    assert cfg.parse_value("10.0.0.0/8") == "10.0.0.0/8"
    with pytest.raises(cfg.ConfigError):
        cfg.set_dotted(body, "../x", 1)


async def test_follow_reconnects_after_a_drop_and_skips_what_it_already_has(
        server: BackgroundServer, sim: Simulator, tmp_path: Path) -> None:
    clock = sim.clock
    assert isinstance(clock, ManualClock)
    async with SpsClient(Connection(server.url, "admin", "admin")) as client:
        key = await first(client, "active:true AND verdict:accept")
        session = await sessions.get_session(client, key)
        trail = f"/api/audit/sessions/{key}/audit_trail"
        sim.faults.append(Fault(path=trail, drop_after=3000))
        task = asyncio.create_task(trails.follow(client, key, tmp_path))
        for _ in range(200):
            await asyncio.sleep(0.02)
            if sum(r.path.startswith(trail) for r in sim.request_log) >= 2:
                break
        assert session.body.recording.session_id
        await sessions.terminate(client, session.body.recording.session_id)
        final = await asyncio.wait_for(task, 10)
        expected = await client.request("GET", trail, params={"format": "srs"})
        # The server logs a request once it has sent all of it, which can be a moment
        # after the client has read it.
        for _ in range(500):
            if sum(r.path.startswith(trail) for r in sim.request_log) >= 3:
                break
            await asyncio.sleep(0.01)
    assert sum(r.path.startswith(trail) for r in sim.request_log) >= 3  # dropped, resumed
    assert final.read_bytes() == expected.content  # no byte lost or repeated


async def test_release_6_0_shapes_work_through_the_client() -> None:
    from tests.conftest import make_sim

    sim = make_sim(compat="6.0")
    async with connect(sim) as client:
        key = await first(client, "protocol:ssh AND verdict:accept AND NOT active:true",
                          sort=("-duration",))
        session = await sessions.get_session(client, key)
        chans = await sessions.channels(client, key)
        runs = await sessions.indexing(client, key)
        rows = [row async for row in iterate(client, SearchQuery(q="protocol:telnet"))]
    assert session.body.indexing is not None and session.body.indexing.href.endswith("/indexer")
    assert chans[0].start_time is not None and chans[0].start_time == session.body.start_time \
        .replace(microsecond=0)
    assert isinstance(runs, list)
    assert rows and all(r.protocol == "TELNET" for r in rows)


def test_without_a_player_the_notice_ends_with_the_trail_path_on_its_own_line(
        tmp_path: Path) -> None:
    # A full stop after the path read as part of the file name, and a wrapped notice
    # split the path: it comes last, alone, to be copied whole.
    file = tmp_path / "svc-abc-ssh_prod-19894.live.srs"
    launch = trails.launch_player(None, file, which=lambda name: None)
    assert not launch.started
    assert launch.message.splitlines()[-1] == str(file)
    assert "player_command" in launch.message
