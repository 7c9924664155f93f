"""The reference guide's own sample responses parse through the client models verbatim."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spstui.api.models import (
    Alert,
    Channel,
    Event,
    IndexerRun,
    PartList,
    SearchPage,
    Session,
    TrailDownload,
)
from spstui.api.timestamps import parse_timestamp
from spstui.api.verdicts import VerdictValue

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "reference"


def load(name: str) -> object:
    return json.loads((SAMPLES / name).read_text())


def test_full_session_sample_parses_with_every_field() -> None:
    s = Session.model_validate(load("session_6_0.json"))
    body = s.body
    assert s.key == "rUhhQZ3jYsY1NDWYp9DEpq"
    assert body.protocol == "SSH" and body.active is False and body.duration == 57
    # Both verdict spellings of one body mean the same documented verdict.
    assert body.verdict == "ACCEPT" and body.verdict.normalized == "accept"
    assert body.recording.verdict == "Accepted" and body.recording.verdict.normalized == "accept"
    assert body.start_time == datetime(2018, 9, 15, 10, 53, tzinfo=UTC)
    assert body.end_time == datetime(2018, 9, 15, 9, 22, tzinfo=UTC)
    assert body.creation_time == datetime(2018, 11, 14, 12, 26, 59, 244000, tzinfo=UTC)
    assert body.recording.index_status == "INDEXED"
    assert body.recording.session_id == "svc/rUhhQZ3jYsY1NDWYp9DEpq/abcde:29"
    assert body.recording.target is not None and body.recording.target.port == 221
    assert body.recording.audit_trail is not None and body.recording.has_trail
    assert body.indexing is not None and body.indexing.href.endswith("/indexing")
    assert body.user.name == "myname" and body.user.server_username == "myserver"
    assert body.client is not None and body.client.label == "10.20.30.40:59125"


def test_indexer_link_name_of_older_releases_is_understood() -> None:
    raw = load("session_6_0.json")
    assert isinstance(raw, dict)
    body = raw["body"]
    body["indexer"] = body.pop("indexing")
    s = Session.model_validate(raw)
    assert s.body.indexing is not None and s.body.indexing.href.endswith("/indexing")


def test_unknown_fields_are_kept() -> None:
    raw = load("session_6_0.json")
    assert isinstance(raw, dict)
    raw["body"]["brand_new_field"] = {"x": 1}
    s = Session.model_validate(raw)
    assert s.body.model_extra == {"brand_new_field": {"x": 1}}


@pytest.mark.parametrize("name", [
    "sessions_list.json", "snapshot_page.json", "snapshot_last_page.json",
    "snapshot_start_end.json", "snapshot_fields_q.json", "snapshot_sort_desc.json",
    "snapshot_multi_sort.json",
])
def test_search_result_samples_parse(name: str) -> None:
    raw = load(name)
    page = SearchPage.model_validate(raw)
    assert isinstance(raw, dict)
    assert [row.key for row in page.items] == [item["key"] for item in raw["items"]]
    assert page.meta.next == raw["meta"]["next"]


def test_truncated_basic_search_sample_parses_once_closed() -> None:
    text = (SAMPLES / "search_fields_truncated.json").read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)  # as printed in the guide, the closing brace is missing
    page = SearchPage.model_validate(json.loads(text + "}"))
    assert [r.key for r in page.items] == ["2", "10"]
    assert page.items[0].name == "myname" and page.items[1].duration == 34
    assert page.items[0].start_time == datetime(2017, 1, 25, 10, 11, 52, tzinfo=UTC)
    assert page.meta.match_count == 2 and page.meta.fields == ["start_time", "name", "duration"]


def test_snapshot_search_sample_keeps_search_after_and_fields() -> None:
    page = SearchPage.model_validate(load("snapshot_fields_q.json"))
    assert page.meta.search_after == "start_time:1648774800,tiebreaker:0"
    assert page.meta.first is None and page.meta.previous is None
    assert all(r.protocol == "SSH" and r.verdict is not None and r.verdict.accepted
               for r in page.items)


@pytest.mark.parametrize("name", ["channels_ssh.json", "channels_rdp.json"])
def test_channel_examples_parse_with_epoch_times_and_dotted_keys(name: str) -> None:
    channels = [Channel.model_validate(c) for c in load(name)]  # type: ignore[attr-defined]
    assert channels[0].key == "1"
    assert channels[0].start_time == datetime.fromtimestamp(1451901988, UTC)
    assert all(c.type and c.verdict in ("accept", "deny") for c in channels)
    if name == "channels_ssh.json":
        forward = next(c for c in channels if c.type == "local forward")
        assert (forward.originator_address, forward.originator_port) == ("::1", 59578)
        assert forward.connected_port == 22
        assert next(c for c in channels if c.type == "session exec").command == "ls"
    else:
        assert next(c for c in channels if c.type == "disk redirect").device_name == "J:"
        dynamic = next(c for c in channels if c.type == "dynamic virtual")
        assert dynamic.dynamic_channel == "Microsoft::Windows::RDS::Geometry::v08.01"


def test_events_sample_parses_with_string_channel_ids_and_naive_times() -> None:
    parts = PartList.model_validate(load("events.json"))
    events = [Event.model_validate(e) for e in parts.items]
    assert [e.record_id for e in events] == [46, 64, 78, 95, 113, 148]
    assert events[0].channels_id == 0 and events[0].type == "command"
    assert events[3].time == datetime(2017, 4, 11, 9, 21, 21, 40000, tzinfo=UTC)
    assert events[-1].content == "myuser@examplehost:/var$ man sudo"


def test_indexing_sample_parses_with_epoch_milliseconds() -> None:
    parts = PartList.model_validate(load("indexing.json"))
    run = IndexerRun.model_validate(parts.items[0])
    assert run.status == "COMPLETED" and run.statistics is not None
    assert run.statistics.start_time == datetime(2018, 11, 13, 13, 42, 4, 143000, tzinfo=UTC)
    assert parts.meta.match_count == 1 and parts.meta.remaining_seconds == 599


def test_trail_downloads_and_alerts_samples_parse() -> None:
    downloads = [TrailDownload.model_validate(d)
                 for d in PartList.model_validate(load("trail_downloads.json")).items]
    assert [d.username for d in downloads] == ["admin", "admin"]
    assert downloads[0].from_api is False
    assert downloads[1].time == datetime(2018, 11, 20, 11, 10, 38, tzinfo=UTC)
    alert = Alert.model_validate(PartList.model_validate(load("alerts.json")).items[0])
    assert alert.record_id == 94 and alert.channel_id == 0
    assert alert.time == datetime(2017, 4, 25, 13, 26, 39, 144356, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2018-09-15T15:53:00+05:00", datetime(2018, 9, 15, 10, 53, tzinfo=UTC)),
    ("2018-11-14T12:26:59.244Z", datetime(2018, 11, 14, 12, 26, 59, 244000, tzinfo=UTC)),
    ("2017-04-25T13:26:39.144356", datetime(2017, 4, 25, 13, 26, 39, 144356, tzinfo=UTC)),
    (1451901988, datetime.fromtimestamp(1451901988, UTC)),
    (1542116524143, datetime(2018, 11, 13, 13, 42, 4, 143000, tzinfo=UTC)),
    ("1461654799", datetime.fromtimestamp(1461654799, UTC)),
    (" 1542116524143.0 ", datetime(2018, 11, 13, 13, 42, 4, 143000, tzinfo=UTC)),
    (None, None),
])
def test_timestamps_in_every_release_format(raw: object, expected: datetime | None) -> None:
    assert parse_timestamp(raw) == expected


@pytest.mark.parametrize("raw", ["1e30", 1e30, 10**400, float("nan"), "inf",
                                 "2018-13-45T10:00:00"])
def test_a_timestamp_that_is_no_date_is_refused_with_the_field_named(raw: object) -> None:
    from spstui.api.errors import ProtocolError
    from spstui.api.models import SessionRow

    with pytest.raises(ProtocolError, match="start_time"):
        SessionRow.model_validate({"key": "k", "body": {"start_time": raw}})


@pytest.mark.parametrize(("raw", "normalized"), [
    ("ACCEPT", "accept"), ("accept", "accept"), ("Accepted", "accept"),
    ("ZV_ACCEPT", "accept"), ("ACCEPT_TERMINATED", "accept-terminated"),
    ("auth-fail", "auth-fail"), ("GW_AUTH_FAIL", "gw-auth-fail"), ("Denied", "deny"),
])
def test_verdict_spellings_are_understood_and_raw_value_kept(raw: str, normalized: str) -> None:
    verdict = VerdictValue(raw)
    assert verdict == raw
    assert verdict.normalized == normalized


def test_rows_keep_the_appliance_body_when_regrouped_into_a_page() -> None:
    from spstui.api.models import ListMeta, SessionRow

    row = SessionRow.model_validate({"key": "k", "body": {"client.address": "10.1.2.3"}})
    page = SearchPage(items=[row], meta=ListMeta())
    assert page.items[0].raw == {"client.address": "10.1.2.3"}
    assert page.items[0].client_address == "10.1.2.3"
