"""The scriptable CLI against the embedded demo appliance (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spstui.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def keys(capsys: pytest.CaptureFixture[str], q: str, *extra: str) -> list[str]:
    code, out, err = run(capsys, "search", "--demo", q, "--format", "jsonl", *extra)
    assert code == 0, err
    return [json.loads(line)["key"] for line in out.splitlines()]


def test_search_table_lists_matching_sessions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--demo", "search", "protocol:telnet", "--limit", "7")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["start", "(UTC)", "user", "client"]
    assert len(lines) == 2 + 7 and all("TELNET" in line for line in lines[2:])
    assert "7 of" in err


def test_search_json_has_match_count_and_the_appliance_fields(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--demo", "protocol:vnc", "--format", "json",
                       "--limit", "3", "--fields", "protocol,client.address")
    doc = json.loads(out)
    assert code == 0 and doc["match_count"] > 3 and len(doc["items"]) == 3
    assert all(set(item) == {"key", "protocol", "client.address"} for item in doc["items"])
    assert all(item["protocol"] == "VNC" for item in doc["items"])


def test_search_all_streams_every_match_once(capsys: pytest.CaptureFixture[str]) -> None:
    every = keys(capsys, "protocol:telnet", "--all")
    _, out, _ = run(capsys, "search", "--demo", "protocol:telnet", "--format", "json",
                       "--limit", "1")
    assert len(every) == len(set(every)) == json.loads(out)["match_count"] > 500


def test_relative_start_date_is_understood(capsys: pytest.CaptureFixture[str]) -> None:
    day = keys(capsys, "protocol:ssh", "--start", "-24h", "--all")
    week = keys(capsys, "protocol:ssh", "--start", "-7d", "--all")
    assert 0 < len(day) < len(week)
    assert set(day) <= set(week)


def test_appliance_csv_is_passed_through(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--demo", "protocol:ssh", "--format", "csv",
                       "--limit", "3", "--fields", "protocol,client.ip")
    assert code == 0
    assert out.splitlines()[0] == '"Key","Protocol","Client IP"'


def _hostile_session(capsys: pytest.CaptureFixture[str]) -> str:
    # Words that occur in the demo's hostile content only beside escape sequences
    # ("evil" also finds the markup-only `[link=https://evil.example/]`).
    found = keys(capsys, "verdict:accept", "--content", "owned OR ALERT OR URGENT", "--limit", "5")
    assert found, "the demo data holds sessions with escape sequences in recorded content"
    return found[0]


def test_show_escapes_recorded_escape_sequences_on_the_terminal(
        capsys: pytest.CaptureFixture[str]) -> None:
    key = _hostile_session(capsys)
    code, out, _ = run(capsys, "show", key, "--events", "--demo")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b" in out


def test_show_json_keeps_recorded_content_exact(capsys: pytest.CaptureFixture[str]) -> None:
    key = _hostile_session(capsys)
    code, out, _ = run(capsys, "show", key, "--events", "--format", "json", "--demo")
    assert code == 0 and "\x1b" not in out  # JSON escapes it as \u001b ...
    doc = json.loads(out)
    assert any("\x1b" in e["content"] for e in doc["events"])  # ... and keeps it exact
    assert doc["key"] == key and doc["body"]["protocol"]


def test_unknown_session_is_an_error_on_stderr_with_exit_1(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "svc-nope-ssh_prod-1", "--demo")
    assert code == 1 and out == ""
    assert "not found" in err


def test_bad_query_says_what_is_wrong(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", "--demo", "protocol:(ssh")
    assert code == 1 and "Invalid q" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["search", "--limit", "0"])
    assert info.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err


def test_download_saves_the_trail_under_a_safe_name(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key = keys(capsys, "verdict:accept AND protocol:ssh AND NOT active:true", "--limit", "1")[0]
    code, out, _ = run(capsys, "download", key, "-o", str(tmp_path), "--demo")
    assert code == 0
    path = Path(out.strip())
    assert path.parent == tmp_path and path.name == f"{key}.zat"
    assert path.read_bytes().startswith(b"SPS-SIMULATED-ZAT")


def test_download_of_a_session_without_trail_fails_cleanly(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key = keys(capsys, "verdict:auth-fail", "--limit", "1")[0]
    code, _, err = run(capsys, "download", key, "-o", str(tmp_path), "--demo")
    assert code == 1 and "no audit trail" in err
    assert list(tmp_path.iterdir()) == []


def test_terminate_asks_first_and_needs_yes_without_a_terminal(
        capsys: pytest.CaptureFixture[str]) -> None:
    key = keys(capsys, "active:true", "--limit", "1")[0]
    code, _, err = run(capsys, "terminate", key, "--demo")
    assert code == 1 and "--yes" in err
    code, out, _ = run(capsys, "terminate", key, "--yes", "--demo")
    assert code == 0 and "terminated" in out


def test_config_set_shows_the_difference_and_commits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "indexer", "set", "number_of_workers=4", "--dry-run",
                       "--demo")
    assert code == 0 and "number_of_workers: 2 -> 4" in out and "dry run" in out
    code, out, _ = run(capsys, "config", "indexer", "set", "number_of_workers=4", "--yes",
                       "--demo")
    assert code == 0 and "committed 1 change" in out


def test_config_set_rejects_invalid_values_naming_the_field(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "config", "indexer", "set", "number_of_workers=-2", "--yes",
                       "--demo")
    assert code == 1 and "number_of_workers" in err


def test_config_get_json_is_the_appliance_body(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "config", "vnc", "get", "--format", "json", "--demo")
    body = json.loads(out)
    assert code == 0 and body["service"]["log_level"] == 4
    assert body["audit"]["timestamping"]["selection"] == "local"


def test_real_appliance_url_with_password_from_the_environment(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    from spstui.simulator.server import BackgroundServer
    from tests.conftest import make_sim

    monkeypatch.setenv("SPSTUI_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("SPSTUI_PASSWORD", "admin")
    with BackgroundServer(make_sim()) as server:
        code, out, err = run(capsys, "search", "protocol:rdp", "--url", server.url,
                             "--user", "admin", "--format", "jsonl", "--limit", "2")
    assert code == 0, err
    assert len(out.splitlines()) == 2


def test_missing_appliance_is_a_clear_error(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setenv("SPSTUI_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("SPSTUI_PROFILE", raising=False)
    code, _, err = run(capsys, "search", "protocol:rdp")
    assert code == 1 and "--url" in err


def test_info_lists_every_path_and_the_profiles(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('default_profile = "lab"\n[profiles.lab]\nurl = "https://sps.lab"\n')
    monkeypatch.setenv("SPSTUI_CONFIG", str(config))
    code, out, _ = run(capsys, "info", "--format", "json")
    info = json.loads(out)
    assert code == 0 and info["paths"]["config"] == str(config)
    assert {"config", "cache", "downloads", "themes"} <= set(info["paths"])
    assert info["profiles"] == {"lab": "https://sps.lab"} and info["default_profile"] == "lab"


def test_dropped_download_exits_non_zero_and_leaves_no_file(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    from spstui.simulator import Fault
    from spstui.simulator.server import BackgroundServer
    from tests.conftest import make_sim

    sim = make_sim()
    monkeypatch.setenv("SPSTUI_PASSWORD", "admin")
    with BackgroundServer(sim) as server:
        _, out, _ = run(capsys, "search", "protocol:rdp AND verdict:accept AND NOT active:true",
                        "--sort", "-duration", "--limit", "1", "--format", "jsonl",
                        "--url", server.url, "--user", "admin")
        key = json.loads(out)["key"]
        sim.faults.append(Fault(path=f"/api/audit/sessions/{key}/audit_trail",
                                drop_after=100_000))
        code, out, err = run(capsys, "download", key, "-o", str(tmp_path), "--url", server.url,
                             "--user", "admin")
    assert code == 1 and out == ""
    assert "interrupted" in err and "run the download again" in err
    assert list(tmp_path.iterdir()) == []


def test_progress_line_shows_share_and_amounts() -> None:
    from spstui.cli.commands import progress_line

    assert progress_line(5, 10, "sessions", width=10) == "[#####.....]  50%  5 / 10 sessions"
    assert progress_line(3 * 2**20, None, "MiB") == "3.0 MiB"
    assert progress_line(20, 10, "sessions", width=4) == "[####] 100%  20 / 10 sessions"


def test_local_csv_gives_one_row_per_list_value() -> None:
    from spstui.cli.commands import records_csv

    text = records_csv([{"key": "a", "analytics.interesting_events": ["sudo", "chmod"],
                         "protocol": "SSH"}, {"key": "b", "protocol": "RDP",
                                              "analytics.interesting_events": []}])
    assert text.splitlines() == ['"key","analytics.interesting_events","protocol"',
                                 '"a","sudo","SSH"', '"a","chmod","SSH"', '"b","","RDP"']


def test_hostile_error_text_from_the_appliance_is_escaped(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "show", "bad\x1b]0;pwned\x07key", "--demo")
    assert code == 1
    assert "\x1b" not in err and "\x07" not in err and "\\x1b" in err


def test_config_set_usage_mistakes_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "config", "indexer", "set", "foo", "--demo")
    assert code == 2 and "KEY=VALUE" in err
    code, _, err = run(capsys, "config", "indexer", "set", "decryption_keys.x.y=1", "--yes",
                       "--demo")
    assert code == 1 and "list position" in err


def test_unconfirmed_config_change_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "config", "indexer", "set", "number_of_workers=3", "--demo")
    assert code == 1 and "number_of_workers: 2 -> 3" in out and "--yes" in err


def test_download_into_a_new_folder_written_with_a_slash(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key = keys(capsys, "verdict:accept AND protocol:ssh AND NOT active:true", "--limit", "1")[0]
    folder = tmp_path / "trails"
    code, out, _ = run(capsys, "download", key, "-o", f"{folder}/", "--demo")
    path = Path(out.strip())
    assert code == 0 and path.parent == folder and path.name == f"{key}.zat"
    assert path.stat().st_mode & 0o777 == 0o600


def test_show_json_body_is_exactly_what_the_appliance_sent(
        capsys: pytest.CaptureFixture[str]) -> None:
    key = keys(capsys, "verdict:accept AND NOT active:true", "--limit", "1")[0]
    code, out, _ = run(capsys, "show", key, "--format", "json", "--demo")
    body = json.loads(out)["body"]
    assert code == 0
    # The appliance writes milliseconds and an explicit offset; a re-serialised
    # datetime would read ".123000+00:00".
    assert body["start_time"].endswith("+00:00") and len(body["start_time"]) == 29
    assert "indexing" in body and body["recording"]["session_id"]


def test_config_command_offers_every_object_the_api_layer_knows() -> None:
    # The parser keeps its own list so `spstui --help` need not import the API layer.
    from spstui.api import configuration
    from spstui.cli.arguments import CONFIG_OBJECTS
    assert sorted(configuration.OBJECTS) == sorted(CONFIG_OBJECTS)
