"""When the appliance is out of reach, cached sessions stay browsable, marked stale."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from spstui.cli import main
from spstui.simulator.server import BackgroundServer
from tests.conftest import make_sim


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def lab(monkeypatch: pytest.MonkeyPatch) -> BackgroundServer:
    """A profile `lab` pointing at a simulator on a loopback port (stopped by the test)."""
    server = BackgroundServer(make_sim()).start()
    config = Path(os.environ["SPSTUI_CONFIG"])
    config.write_text(f'default_profile = "lab"\n[profiles.lab]\nurl = "{server.url}"\n'
                      'username = "admin"\nretries = 0\n')
    monkeypatch.setenv("SPSTUI_PASSWORD", "admin")
    return server


def test_unreachable_appliance_answers_from_cache_marked_stale(
        capsys: pytest.CaptureFixture[str], lab: BackgroundServer) -> None:
    code, live, err = run(capsys, "search", "protocol:rdp", "--format", "json", "--limit", "20")
    assert code == 0 and "cached" not in err
    lab.stop()
    code, cached, err = run(capsys, "search", "protocol:rdp", "--format", "json",
                            "--limit", "20")
    assert code == 0
    assert "showing cached results" in err and "appliance unreachable" in err
    live_doc, cached_doc = json.loads(live), json.loads(cached)
    assert cached_doc["items"] == live_doc["items"]
    assert cached_doc["match_count"] == live_doc["match_count"]
    assert "Could not connect" in cached_doc["cached"]["reason"]


def test_offline_mode_evaluates_new_queries_over_the_cache(
        capsys: pytest.CaptureFixture[str], lab: BackgroundServer) -> None:
    code, live, _ = run(capsys, "search", "protocol:rdp", "--format", "json", "--limit", "200")
    lab.stop()
    code, out, err = run(capsys, "search", "protocol:rdp AND verdict:accept", "--offline",
                         "--format", "json", "--limit", "200")
    assert code == 0 and "offline mode" in err
    expected = {item["key"] for item in json.loads(live)["items"]
                if item["verdict"] == "ACCEPT"}
    assert {item["key"] for item in json.loads(out)["items"]} == expected


def test_cached_session_details_are_shown_when_unreachable(
        capsys: pytest.CaptureFixture[str], lab: BackgroundServer) -> None:
    _, out, _ = run(capsys, "search", "protocol:ssh AND verdict:accept", "--format", "jsonl",
                    "--limit", "1")
    key = json.loads(out)["key"]
    code, live, _ = run(capsys, "show", key, "--events", "--format", "json")
    lab.stop()
    code, cached, err = run(capsys, "show", key, "--events", "--format", "json")
    assert code == 0 and "cached copy" in err
    assert json.loads(cached)["body"]["protocol"] == json.loads(live)["body"]["protocol"]
    assert len(json.loads(cached)["events"]) == len(json.loads(live)["events"])


def test_nothing_cached_offline_is_a_clear_error(capsys: pytest.CaptureFixture[str],
                                                 lab: BackgroundServer) -> None:
    lab.stop()
    code, _, err = run(capsys, "show", "svc-unknown-ssh_prod-9", "--offline")
    assert code == 1 and "not in the cache" in err


def test_cache_info_and_clear(capsys: pytest.CaptureFixture[str],
                              lab: BackgroundServer) -> None:
    run(capsys, "search", "protocol:vnc", "--format", "json", "--limit", "30")
    lab.stop()
    code, out, _ = run(capsys, "cache", "info", "--format", "json")
    info = json.loads(out)
    assert code == 0 and info["sessions"] >= 30 and info["pages"] >= 1
    assert Path(info["path"]).stat().st_mode & 0o777 == 0o600
    code, out, _ = run(capsys, "cache", "clear")
    assert code == 0 and "cleared" in out
    _, out, _ = run(capsys, "cache", "info", "--format", "json")
    assert json.loads(out)["sessions"] == 0


@pytest.mark.parametrize("argv", [["--offline"], ["search", "protocol:ssh", "--offline"]])
def test_offline_without_a_profile_points_at_the_demos_cache(
        capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)  # no settings file: no profile, no --url
    assert code == 1
    assert "No appliance to connect to" in err and "--demo --offline" in err
    assert "\\n" not in err  # one plain sentence after the other
