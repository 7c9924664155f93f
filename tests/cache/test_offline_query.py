"""Offline search over a few dozen hand-made sessions: every documented query
form, compared with the keys a plain Python predicate picks from the same data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spstui.api.verdicts import normalize
from spstui.cache import CacheStore, OfflineQueryError
from tests.cache.conftest import Clock, item


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


BASE = epoch("2017-01-20T00:00:00")
HOUR = 3600.0
PROTOCOLS = ["ssh", "SSH", "rdp", "telnet", "vnc", "RDP"]
VERDICTS = ["ACCEPT", "Accepted", "accept", "AUTH_FAIL", "deny", "ACCEPT_TERMINATED",
            "Authentication failure", "ZV_ACCEPT"]
NAMES = ["admin", "Administrator", "root", "József", "bob", "ADMIN", "dmin", "xadmin", None]
SERVER_USERS = ["Windows User", "root", "oracle", "windows"]
TARGET_PORTS = [22, 3389, 23, 21]


@dataclass(frozen=True)
class S:
    """One hand-made session, with typed values for the expected-key predicates."""

    key: str
    protocol: str
    verdict: str
    name: str | None
    server_username: str
    client_address: str
    client_port: int
    target_address: str
    target_port: int
    local_port: int
    policy: str
    start: float
    end: float | None
    duration: int

    @property
    def active(self) -> bool:
        return self.end is None


def make_sessions() -> list[S]:
    sessions = []
    for i in range(36):
        start = BASE + i * 3 * HOUR  # 2017-01-20 00:00 ... 2017-01-24 09:00
        duration = (i * 37) % 200 + 1
        sessions.append(S(
            key=f"k{i:02d}", protocol=PROTOCOLS[i % 6], verdict=VERDICTS[i % 8],
            name=NAMES[i % 9], server_username=SERVER_USERS[i % 4],
            client_address=f"10.20.{i % 3}.{40 + i % 5}", client_port=50000 + i * 7,
            target_address="10.20.30.40" if i % 7 == 0 else f"10.9.0.{i}",
            target_port=TARGET_PORTS[i % 4], local_port=2222 if i % 5 == 0 else 22,
            policy=["ssh-gw", "rdp-gw", "Pol_Main"][i % 3], start=start,
            end=None if i % 10 == 3 else start + duration, duration=duration))
    return sessions


SESSIONS = make_sessions()


def as_item(s: S) -> dict[str, object]:
    body: dict[str, object] = {
        "protocol": s.protocol, "verdict": s.verdict, "server_username": s.server_username,
        "client.address": s.client_address, "client.port": s.client_port,
        "target.address": s.target_address, "target.port": s.target_port,
        "server_local.port": s.local_port, "connection_policy": s.policy,
        "start_time": iso(s.start), "end_time": None if s.end is None else iso(s.end),
        "active": s.active, "duration": s.duration, "session_id": f"svc/{s.key}/{s.policy}:1",
    }
    if s.name is not None:
        body["name"] = s.name
    return item(s.key, **{k.replace(".", "__"): v for k, v in body.items()})


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> CacheStore:
    clock = Clock()
    store = CacheStore(tmp_path_factory.mktemp("q") / "q.sqlite3", now=clock)
    # Three pages from three searches, fetched at different times.
    for page in range(3):
        chunk = SESSIONS[page * 12:(page + 1) * 12]
        store.put_page(f"query-{page}", 0, 500, len(chunk), [as_item(s) for s in chunk])
        clock.advance(60)
    return store


def keys_where(predicate: Callable[[S], bool]) -> set[str]:
    return {s.key for s in SESSIONS if predicate(s)}


def found(store: CacheStore, q: str = "", **options: object) -> set[str]:
    result = store.search(q, limit=1000, **options)  # type: ignore[arg-type]
    assert result.match_count == len(result.rows)
    return {row["key"] for row in result.rows}


def lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def day(text: str) -> tuple[float, float]:
    start = epoch(text)
    return start, start + 24 * HOUR


CASES: list[tuple[str, Callable[[S], bool]]] = [
    ("protocol:ssh", lambda s: s.protocol.lower() == "ssh"),
    ("protocol:SSH", lambda s: s.protocol.lower() == "ssh"),
    ("protocol:ssh AND verdict:accept AND NOT name:admin",
     lambda s: s.protocol.lower() == "ssh" and normalize(s.verdict) == "accept"
     and lower(s.name) != "admin"),
    ("(client.address:10.20.0.40 OR target.address:10.20.30.40) AND verdict:accept",
     lambda s: (s.client_address == "10.20.0.40" or s.target_address == "10.20.30.40")
     and normalize(s.verdict) == "accept"),
    ("protocol:(ssh rdp)", lambda s: s.protocol.lower() in ("ssh", "rdp")),
    ("protocol:(ssh OR telnet)", lambda s: s.protocol.lower() in ("ssh", "telnet")),
    ("name:?dmi*", lambda s: s.name is not None and len(s.name) >= 4
     and s.name.lower()[1:4] == "dmi"),
    ("name:*dmin", lambda s: s.name is not None and s.name.lower().endswith("dmin")),
    ("name:józsef", lambda s: s.name == "József"),
    ("name:JÓZSEF", lambda s: s.name == "József"),
    ("target.port:{21 TO 23}", lambda s: 21 < s.target_port < 23),
    ("target.port:[21 TO 23]", lambda s: 21 <= s.target_port <= 23),
    ("target.port:[22 TO *]", lambda s: s.target_port >= 22),
    ("client.port:{50070 TO 50140]", lambda s: 50070 < s.client_port <= 50140),
    ("psm.server_local.port:2222", lambda s: s.local_port == 2222),
    ("server.port:22", lambda s: False),  # never cached for these rows
    ("server_username:\"Windows User\"", lambda s: s.server_username == "Windows User"),
    ("server_username:Windows\\ User", lambda s: s.server_username == "Windows User"),
    ("server_username:windows", lambda s: s.server_username.lower() == "windows"),
    ("server_username:win*", lambda s: s.server_username.lower().startswith("win")),
    ("verdict:accept", lambda s: normalize(s.verdict) == "accept"),
    ("verdict:ACCEPT", lambda s: normalize(s.verdict) == "accept"),
    ("verdict:Accepted", lambda s: normalize(s.verdict) == "accept"),
    ("verdict:accept-terminated", lambda s: s.verdict == "ACCEPT_TERMINATED"),
    ("verdict:auth-fail", lambda s: s.verdict in ("AUTH_FAIL", "Authentication failure")),
    ("verdict:accept*", lambda s: normalize(s.verdict).startswith("accept")),
    ("active:true", lambda s: s.active),
    ("active:false", lambda s: not s.active),
    ("NOT protocol:ssh", lambda s: s.protocol.lower() != "ssh"),
    ("NOT name:admin", lambda s: lower(s.name) != "admin"),
    ("name:*", lambda s: s.name is not None),
    ("NOT name:*", lambda s: s.name is None),
    ("end_time:*", lambda s: s.end is not None),
    ("protocol:telnet protocol:vnc", lambda s: s.protocol in ("telnet", "vnc")),
    ("protocol:telnet OR name:root", lambda s: s.protocol == "telnet" or s.name == "root"),
    ("+protocol:ssh -name:root", lambda s: s.protocol.lower() == "ssh" and s.name != "root"),
    ("-protocol:ssh", lambda s: s.protocol.lower() != "ssh"),
    ("protocol:rdp AND (verdict:deny OR verdict:auth-fail)",
     lambda s: s.protocol.lower() == "rdp"
     and normalize(s.verdict) in ("deny", "auth-fail")),
    ("protocol:ssh OR protocol:rdp AND active:true",
     lambda s: s.protocol.lower() == "ssh" or (s.protocol.lower() == "rdp" and s.active)),
    ("psm.connection_policy:pol_main", lambda s: s.policy == "Pol_Main"),
    ("psm.connection_policy:*-gw", lambda s: s.policy.endswith("-gw")),
    ("session_id:\"svc/k07/rdp-gw:1\"", lambda s: s.key == "k07"),
    ("client.address:10.20.1.*", lambda s: s.client_address.startswith("10.20.1.")),
    ("client.address:10.20.?.41", lambda s: s.client_address.endswith(".41")),
    # Dates: a date alone is the whole day, ranges by day or by instant, epoch seconds.
    ("start_time:2017-01-21",
     lambda s: day("2017-01-21")[0] <= s.start < day("2017-01-21")[1]),
    ("start_time:[2017-01-21 TO 2017-01-22]",
     lambda s: day("2017-01-21")[0] <= s.start < day("2017-01-22")[1]),
    ("start_time:{2017-01-21 TO 2017-01-23}",
     lambda s: day("2017-01-22")[0] <= s.start < day("2017-01-22")[1]),
    ("start_time:[2017-01-21T06:00 TO *]", lambda s: s.start >= epoch("2017-01-21T06:00")),
    ("start_time:\"2017-01-20T03:00\"", lambda s: s.start == epoch("2017-01-20T03:00")),
    ("start_time:[* TO 1484956800]", lambda s: s.start <= 1484956800),
    (f"start_time:{int(BASE + 6 * HOUR)}", lambda s: s.start == BASE + 6 * HOUR),
    ("start_time:[\"2017-01-21T00:00:00+01:00\" TO \"2017-01-21T00:00:00+00:00\"]",
     lambda s: epoch("2017-01-20T23:00") <= s.start <= epoch("2017-01-21T00:00")),
    ("end_time:[2017-01-24 TO *] AND NOT protocol:ssh",
     lambda s: s.end is not None and s.end >= epoch("2017-01-24T00:00")
     and s.protocol.lower() != "ssh"),
]


@pytest.mark.parametrize(("q", "predicate"), CASES, ids=[q for q, _ in CASES])
def test_offline_search_matches_the_documented_query_forms(
        loaded: CacheStore, q: str, predicate: Callable[[S], bool]) -> None:
    expected = keys_where(predicate)
    assert found(loaded, q) == expected


def test_empty_query_returns_every_cached_session(loaded: CacheStore) -> None:
    assert found(loaded) == {s.key for s in SESSIONS}


def test_cases_are_not_trivial() -> None:
    # Each documented form must select some but not all sessions, or the
    # comparison above proves little.
    trivial = [q for q, p in CASES
               if len(keys_where(p)) in (0, len(SESSIONS)) and q != "server.port:22"]
    assert trivial == []


def test_start_keeps_sessions_that_started_at_or_after(loaded: CacheStore) -> None:
    assert found(loaded, start="2017-01-22") == keys_where(
        lambda s: s.start >= epoch("2017-01-22T00:00"))
    assert found(loaded, start="2017-01-21T09:00") == keys_where(
        lambda s: s.start >= epoch("2017-01-21T09:00"))
    assert found(loaded, start=str(int(BASE + 30 * HOUR))) == keys_where(
        lambda s: s.start >= BASE + 30 * HOUR)


def test_end_keeps_sessions_that_ended_before_the_end_of_a_day(loaded: CacheStore) -> None:
    assert found(loaded, end="2017-01-21") == keys_where(
        lambda s: s.end is not None and s.end < epoch("2017-01-22T00:00"))


def test_end_with_a_time_keeps_sessions_that_ended_before_it(loaded: CacheStore) -> None:
    assert found(loaded, end="2017-01-21T09:00") == keys_where(
        lambda s: s.end is not None and s.end < epoch("2017-01-21T09:00"))


def test_start_and_end_on_the_same_day(loaded: CacheStore) -> None:
    lo, hi = day("2017-01-20")
    assert found(loaded, start="2017-01-20", end="2017-01-20") == keys_where(
        lambda s: s.start >= lo and s.end is not None and s.end < hi)


def test_start_end_and_q_combine(loaded: CacheStore) -> None:
    assert found(loaded, "protocol:rdp", start="2017-01-20T11:00",
                 end="2017-01-23T09:00") == keys_where(
        lambda s: s.protocol.lower() == "rdp" and s.start >= epoch("2017-01-20T11:00")
        and s.end is not None and s.end < epoch("2017-01-23T09:00"))


def ordered(store: CacheStore, *sort: str, q: str = "") -> list[str]:
    return [r["key"] for r in store.search(q, sort=sort, limit=1000).rows]


def test_default_order_is_newest_start_first(loaded: CacheStore) -> None:
    assert ordered(loaded) == [s.key for s in sorted(SESSIONS, key=lambda s: -s.start)]


def test_sort_ascending_and_descending(loaded: CacheStore) -> None:
    by_duration = sorted(SESSIONS, key=lambda s: (s.duration, s.key))
    assert ordered(loaded, "duration") == [s.key for s in by_duration]
    descending = sorted(SESSIONS, key=lambda s: (-s.duration, s.key))
    assert ordered(loaded, "-duration") == [s.key for s in descending]


def test_sort_by_several_comma_separated_fields(loaded: CacheStore) -> None:
    expected = sorted(SESSIONS, key=lambda s: (s.protocol.lower(), -s.start))
    assert ordered(loaded, "protocol,-start_time") == [s.key for s in expected]
    assert ordered(loaded, "protocol", "-start_time") == [s.key for s in expected]


def test_sort_puts_missing_values_last_either_way(loaded: CacheStore) -> None:
    for direction in ("end_time", "-end_time"):
        keys = ordered(loaded, direction)
        missing = {s.key for s in SESSIONS if s.end is None}
        assert set(keys[-len(missing):]) == missing


def test_sort_accepts_query_and_display_spellings(loaded: CacheStore) -> None:
    assert ordered(loaded, "psm.connection_policy") == ordered(loaded, "connection_policy")


def test_offset_and_limit_page_through_the_sorted_matches(loaded: CacheStore) -> None:
    everything = ordered(loaded, q="NOT protocol:vnc")
    page = loaded.search("NOT protocol:vnc", offset=5, limit=7)
    assert [r["key"] for r in page.rows] == everything[5:12]
    assert page.match_count == len(everything)


def test_result_reports_the_oldest_fetch_among_its_rows(loaded: CacheStore) -> None:
    # The three pages were stored at T0, T0 + 60 and T0 + 120; the newest
    # sessions all came with the last one.
    newest = loaded.search("", limit=5)
    assert {r["key"] for r in newest.rows} <= {s.key for s in SESSIONS[24:]}
    assert newest.fetched_at == Clock().t + 120
    assert loaded.search("", limit=1000).fetched_at == Clock().t
    assert loaded.search("protocol:nothing").fetched_at is None


def test_rows_are_returned_as_stored_with_their_key(loaded: CacheStore) -> None:
    [row] = loaded.search("session_id:\"svc/k07/rdp-gw:1\"").rows
    expected = as_item(SESSIONS[7])["body"]
    assert row == {"key": "k07", **expected}  # type: ignore[dict-item]


@pytest.mark.parametrize(("q", "field"), [
    ("nosuchfield:x", "nosuchfield"),
    ("protocol:ssh AND bogus.field:1", "bogus.field"),
    ("protocol:(ssh OR colour:red)", "colour"),
])
def test_unknown_field_is_an_error_naming_it(loaded: CacheStore, q: str, field: str) -> None:
    with pytest.raises(OfflineQueryError, match=field.replace(".", r"\.")) as caught:
        loaded.search(q)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("q", [
    "protocol:(ssh", "protocol:ssh AND", "\"unterminated", "protocol:ssh)",
])
def test_syntax_errors_are_offline_query_errors(loaded: CacheStore, q: str) -> None:
    with pytest.raises(OfflineQueryError, match="cannot parse"):
        loaded.search(q)


@pytest.mark.parametrize(("q", "message"), [
    ("ssh", "no field"),
    ("client.port:abc", "not a whole number"),
    ("client.port:5*", "wildcards"),
    ("protocol:[a TO b]", "ranges"),
    ("active:maybe", "true or false"),
    ("start_time:yesterday", "not a date"),
    ("name:admin~2", "not supported"),
])
def test_values_the_field_cannot_hold_are_errors(loaded: CacheStore, q: str,
                                                 message: str) -> None:
    with pytest.raises(OfflineQueryError, match=message):
        loaded.search(q)


def test_unknown_sort_field_is_an_error_naming_it(loaded: CacheStore) -> None:
    with pytest.raises(OfflineQueryError, match="colour"):
        loaded.search(sort=["-colour"])


def test_bad_start_or_end_is_an_error(loaded: CacheStore) -> None:
    with pytest.raises(OfflineQueryError, match="start"):
        loaded.search(start="soon")
    with pytest.raises(OfflineQueryError, match="end"):
        loaded.search(end="later")


def test_search_of_an_empty_cache_finds_nothing(tmp_path: Path) -> None:
    with CacheStore(tmp_path / "empty.sqlite3") as store:
        result = store.search("protocol:ssh")
    assert (result.rows, result.match_count, result.fetched_at) == ([], 0, None)


def test_fields_cannot_nest(loaded: CacheStore) -> None:
    with pytest.raises(OfflineQueryError, match="nested"):
        loaded.search("protocol:(name:root)")
