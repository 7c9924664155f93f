"""`GET /api/audit/sessions` over HTTP: basic search (q, start/end, fields, sort, paging,
CSV, content search) and advanced search (_snapshot, search_after paging, _count, errors).

Expectations are derived from the simulator's own answers to wider queries (the whole
session list with the fields a filter looks at), never copied from a run.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from spstui.simulator import ManualClock, Simulator
from tests.conftest import login, make_sim

SESSIONS = "/api/audit/sessions"
BASE = "https://sps.test"
CLIENT_A = {"Remote-Addr": "10.10.10.10", "User-Agent": "Agent-1/1.0"}
# What the filters below look at, for every session.
TABLE_FIELDS = (
    "active,client.address,client.port,connection_policy,duration,end_time,name,protocol,"
    "server.port,server_username,start_time,target.address,target.port,verdict"
)
# The displayable fields the guide lists for fields=* (plus verdict, see fields.py).
DOCUMENTED_DISPLAYABLE = [
    "active", "archived", "auth_method", "channel_policy", "client.address", "client.port",
    "connection_policy", "duration", "end_time", "name", "protocol", "server.address",
    "server_local.address", "server_local.port", "server.port", "server_username",
    "session_id", "start_time", "target.address", "target.port",
]
SEARCHABLE = {"INDEXED", "INDEXING_IN_PROGRESS", "INDEXING_FAILED"}

Body = dict[str, Any]


# -- fixtures -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_sim() -> Simulator:
    """One appliance for the read-only basic-search tests (nothing moves its clock)."""
    return make_sim()


@pytest.fixture(scope="module")
def memo() -> dict[str, Any]:
    return {}


@pytest.fixture
async def shared(shared_sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=shared_sim.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        await login(c)
        yield c


@pytest.fixture
async def everything(shared: httpx.AsyncClient, memo: dict[str, Any]) -> dict[str, Body]:
    """TABLE_FIELDS of every session of shared_sim, fetched once."""
    if "table" not in memo:
        memo["table"] = await table(shared)
    return memo["table"]  # type: ignore[no-any-return]


@pytest.fixture
async def adv(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The logged-in client, identified for advanced search."""
    client.headers.update(CLIENT_A)
    return client


# -- helpers ------------------------------------------------------------------------

def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


async def ok(c: httpx.AsyncClient, params: dict[str, Any] | None = None,
             path: str = SESSIONS) -> dict[str, Any]:
    r = await c.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    doc = r.json()
    assert doc["error"]["code"] == code, doc
    assert set(doc) == {"error", "meta"}
    return doc["error"]  # type: ignore[no-any-return]


async def collect(c: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every item of a basic search (fewer than 10,000 matches), page by page."""
    items: list[dict[str, Any]] = []
    offset = 0
    while True:
        doc = await ok(c, {**params, "limit": 500, "offset": offset})
        items += doc["items"]
        if doc["meta"]["next"] is None:
            break
        offset += 500
    assert len(items) == doc["meta"]["match_count"]
    return items


async def table(c: httpx.AsyncClient, **params: Any) -> dict[str, Body]:
    return {it["key"]: it["body"] for it in await collect(c, fields=TABLE_FIELDS, **params)}


async def keys(c: httpx.AsyncClient, **params: Any) -> set[str]:
    found = [it["key"] for it in await collect(c, **params)]
    assert len(found) == len(set(found))
    return set(found)


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


async def event_words(c: httpx.AsyncClient, key: str) -> set[str]:
    doc = await ok(c, {"limit": 500}, f"{SESSIONS}/{key}/events")
    return set().union(*(words(e["content"]) for e in doc["items"]))


async def open_snapshot(c: httpx.AsyncClient, headers: dict[str, str] | None = None) -> str:
    r = await c.get(f"{SESSIONS}/_snapshot", headers=headers)
    assert r.status_code == 200, r.text
    sid = r.json()["body"]["snapshot"]
    assert isinstance(sid, str) and sid
    return sid


async def walk(c: httpx.AsyncClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of a snapshot query, following meta.next until it is null."""
    pages = [await ok(c, params)]
    while pages[-1]["meta"]["next"] is not None:
        pages.append(await ok(c, path=pages[-1]["meta"]["next"]))
        assert len(pages) < 100
    return pages


def walked(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = [it for page in pages for it in page["items"]]
    assert len({it["key"] for it in items}) == len(items), "a session came twice"
    return items


# -- basic search: q ------------------------------------------------------------------

def _wild(pattern: str) -> Callable[[str], bool]:
    rx = re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), re.I)
    return lambda v: rx.fullmatch(v) is not None


_NAME_ADMIN = _wild("?dmi*")
_SMITH = _wild("*smith")
_EC2 = _wild("ec2?user")

Q_FORMS: dict[str, Callable[[Body], bool]] = {
    "protocol:ssh": lambda b: b["protocol"] == "SSH",
    'server_username:"Windows User"': lambda b: b["server_username"] == "Windows User",
    r"server_username:Windows\ User": lambda b: b["server_username"] == "Windows User",
    r"server_username:CORP\\admin": lambda b: b["server_username"] == "CORP\\admin",
    "protocol:ssh AND verdict:accept AND NOT name:admin":
        lambda b: b["protocol"] == "SSH" and b["verdict"] == "ACCEPT" and b["name"] != "admin",
    "protocol:rdp OR protocol:vnc": lambda b: b["protocol"] in ("RDP", "VNC"),
    "NOT protocol:ssh": lambda b: b["protocol"] != "SSH",
    "(client.address:10.30.0.52 OR target.address:10.10.0.6) AND verdict:accept":
        lambda b: (b["client.address"] == "10.30.0.52" or b["target.address"] == "10.10.0.6")
        and b["verdict"] == "ACCEPT",
    "protocol:(ssh rdp)": lambda b: b["protocol"] in ("SSH", "RDP"),
    "name:?dmi*": lambda b: _NAME_ADMIN(b["name"]),
    "name:*smith": lambda b: _SMITH(b["name"]),
    "name:?????": lambda b: len(b["name"]) == 5,
    "server_username:ec2?user": lambda b: _EC2(b["server_username"]),
    "server.port:{21 TO 23}": lambda b: b["server.port"] == 22,
    "target.port:2222": lambda b: b["target.port"] == 2222,
    "target.port:[2222 TO *]": lambda b: b["target.port"] >= 2222,
    "client.port:[40000 TO 50000}": lambda b: 40000 <= b["client.port"] < 50000,
    "start_time:[* TO 1790000000]": lambda b: int(ts(b["start_time"])) <= 1790000000,
    "start_time:{1790000000 TO *]": lambda b: int(ts(b["start_time"])) > 1790000000,
    # A date-only upper bound covers its whole day.
    "start_time:[2026-11-01 TO 2026-11-10]":
        lambda b: utc("2026-11-01T00:00") <= ts(b["start_time"]) < utc("2026-11-11T00:00"),
    "start_time:[2026-11-10T08:00 TO 2026-11-10T18:00}":
        lambda b: utc("2026-11-10T08:00") <= ts(b["start_time"]) < utc("2026-11-10T18:00"),
    "verdict:accept": lambda b: b["verdict"] == "ACCEPT",
    "verdict:accept-terminated": lambda b: b["verdict"] == "ACCEPT_TERMINATED",
    "active:true": lambda b: b["active"] is True and b["end_time"] is None,
    "psm.connection_policy:ssh_prod": lambda b: b["connection_policy"] == "ssh_prod",
}


@pytest.mark.parametrize("q", list(Q_FORMS))
async def test_every_documented_q_form_returns_exactly_the_sessions_that_satisfy_it(
    shared: httpx.AsyncClient, everything: dict[str, Body], q: str
) -> None:
    expected = {k for k, b in everything.items() if Q_FORMS[q](b)}
    assert 0 < len(expected) < len(everything), "the filter must be selective on this data"
    found = await table(shared, q=q)
    assert all(Q_FORMS[q](b) for b in found.values())
    assert set(found) == expected


@pytest.mark.parametrize(("params", "words_in_message", "details"), [
    ({"q": "protocol:(ssh"}, ["syntax"], {}),
    ({"q": "port:22"}, ["'port'"], {"field": "port"}),
    ({"q": "protocol:[a TO z]"}, ["range", "'protocol'"], {"field": "protocol"}),
    ({"q": "start_time:[yesterday TO *]"}, ["start_time", "yesterday"],
     {"field": "start_time"}),
    ({"start": "yesterday"}, ["start", "yesterday"], {"parameter": "start"}),
    ({"end": "2017-13-01"}, ["end", "2017-13-01"], {"parameter": "end"}),
])
async def test_invalid_filters_answer_400_invalid_query_naming_the_problem(
    shared: httpx.AsyncClient, params: dict[str, str], words_in_message: list[str],
    details: dict[str, str],
) -> None:
    err = error(await shared.get(SESSIONS, params=params), 400, "InvalidQuery")
    for word in words_in_message:
        assert word in err["message"].lower()
    for name, value in details.items():
        assert err["details"][name] == value


# -- basic search: start / end ----------------------------------------------------------

@pytest.mark.parametrize(("start", "instant"), [
    ("2026-11-10", "2026-11-10T00:00+00:00"),
    ("2026-11-10T11:00", "2026-11-10T11:00+00:00"),  # no zone: the appliance's (UTC)
    ("2026-11-10T11:11:52.000+01:00", "2026-11-10T10:11:52+00:00"),
])
async def test_start_keeps_the_sessions_that_started_at_or_after_it(
    shared: httpx.AsyncClient, everything: dict[str, Body], start: str, instant: str
) -> None:
    expected = {k for k, b in everything.items() if ts(b["start_time"]) >= ts(instant)}
    assert 0 < len(expected) < len(everything)
    found = await collect(shared, start=start)
    assert {it["key"] for it in found} == expected
    assert (await ok(shared, {"start": start, "limit": 1}))["meta"]["start"] == start


@pytest.mark.parametrize(("end", "surely_before", "surely_not_before"), [
    # A date-only end covers the whole day.
    ("2026-11-10", "2026-11-11T00:00+00:00", "2026-11-11T00:00+00:00"),
    # A minute: whatever ended before it is in, whatever ended after it is out.
    ("2026-11-10T11:00", "2026-11-10T11:00+00:00", "2026-11-10T11:01+00:00"),
    ("2026-11-10T11:11:52.000+01:00", "2026-11-10T10:11:52+00:00",
     "2026-11-10T10:11:52+00:00"),
])
async def test_end_keeps_the_sessions_that_ended_before_it(
    shared: httpx.AsyncClient, everything: dict[str, Body], end: str, surely_before: str,
    surely_not_before: str,
) -> None:
    ended = {k: ts(b["end_time"]) for k, b in everything.items() if b["end_time"]}
    must = {k for k, e in ended.items() if e < ts(surely_before)}
    may = {k for k, e in ended.items() if e < ts(surely_not_before)}
    assert must and len(may) < len(ended)
    found = await keys(shared, end=end)
    assert must <= found <= may


async def test_end_excludes_active_sessions(
    shared: httpx.AsyncClient, everything: dict[str, Body]
) -> None:
    active = {k for k, b in everything.items() if b["active"]}
    assert active
    assert await keys(shared, end="2030-01-01") == set(everything) - active


async def test_start_and_end_on_one_day_select_sessions_started_and_ended_that_day(
    shared: httpx.AsyncClient, everything: dict[str, Body]
) -> None:
    lo, hi = utc("2026-11-10T00:00"), utc("2026-11-11T00:00")
    expected = {k for k, b in everything.items()
                if ts(b["start_time"]) >= lo and b["end_time"] and ts(b["end_time"]) < hi}
    assert expected
    assert await keys(shared, start="2026-11-10", end="2026-11-10") == expected



@pytest.mark.parametrize("q", ["active:true", "active:TRUE AND protocol:ssh",
                               "+active:true -verdict:deny", "(active:true)"])
async def test_queries_requiring_active_find_every_running_session_as_time_passes(
    anon: httpx.AsyncClient, clock: ManualClock, q: str
) -> None:
    # The simulator looks only where running sessions can start for these; an hour on
    # (new sessions, long ones still running, a terminated one) the answer must not
    # differ from checking every session.
    clock.advance(3600)
    await login(anon)
    client = anon
    victim = next(iter(await keys(client, q="active:true", limit=1)))
    assert (await client.delete("/api/active-sessions", params={"id": victim})).status_code == 200
    every = await table(client)
    running = {k for k, b in every.items() if b["active"] and b["end_time"] is None}
    wanted = await table(client, q=q)
    assert victim not in wanted and set(wanted) <= running and wanted
    rest = q.replace("active:true", "*:*").replace("active:TRUE", "*:*")
    assert set(wanted) == running & set(await table(client, q=rest))

# -- basic search: fields ------------------------------------------------------------

async def test_fields_lists_body_keys_alphabetically_and_meta_fields_as_requested(
    shared: httpx.AsyncClient,
) -> None:
    # The guide's own example: psm.gateway_username shows up as "name".
    doc = await ok(shared, {"fields": "start_time,psm.gateway_username,duration", "limit": 20})
    assert doc["meta"]["fields"] == ["start_time", "name", "duration"]
    for item in doc["items"]:
        assert list(item["body"]) == ["duration", "name", "start_time"]
        assert set(item) == {"body", "key", "meta"}


@pytest.mark.parametrize(("alias", "canonical"), [
    ("client.ip", "client.address"),
    ("user.gateway_username", "name"),
    ("psm.gateway_username", "name"),
    ("server.ip", "server.address"),
    ("psm.target.address", "target.address"),
    ("psm.target.port", "target.port"),
    ("recording.session_id", "session_id"),
])
async def test_field_aliases_from_the_guide_show_the_canonical_field(
    shared: httpx.AsyncClient, alias: str, canonical: str
) -> None:
    by_alias = await ok(shared, {"fields": alias, "limit": 50})
    by_name = await ok(shared, {"fields": canonical, "limit": 50})
    assert by_alias["meta"]["fields"] == [canonical]
    assert by_alias["items"] == by_name["items"]
    assert all(list(it["body"]) == [canonical] for it in by_alias["items"])
    assert any(it["body"][canonical] not in (None, "") for it in by_alias["items"])


async def test_dotted_field_names_select_nested_values(shared: httpx.AsyncClient) -> None:
    doc = await ok(shared, {"fields": "client.address,client.port,server_local.address,"
                                      "user.gateway_username", "limit": 25})
    for item in doc["items"]:
        detail = (await ok(shared, path=item["meta"]["href"]))["body"]
        assert item["body"] == {
            "client.address": detail["client"]["ip"],
            "client.port": detail["client"]["port"],
            "name": detail["user"]["name"],
            "server_local.address": detail["recording"]["server_local"]["ip"],
        }


async def test_fields_star_gives_the_documented_displayable_fields(
    shared: httpx.AsyncClient,
) -> None:
    doc = await ok(shared, {"fields": "*", "limit": 10})
    assert doc["meta"]["fields"] == [*DOCUMENTED_DISPLAYABLE, "verdict"]
    for item in doc["items"]:
        assert list(item["body"]) == sorted(doc["meta"]["fields"])


async def test_without_fields_items_have_only_key_and_meta(shared: httpx.AsyncClient) -> None:
    doc = await ok(shared, {"limit": 10})
    assert doc["meta"]["fields"] == []
    for item in doc["items"]:
        assert set(item) == {"key", "meta"}
        assert item["meta"] == {"href": f"{SESSIONS}/{item['key']}"}


# -- basic search: sort -------------------------------------------------------------

def _sort_key(body: Body, name: str) -> Any:
    value = body[name]
    if name.endswith("_time"):
        return int(ts(value))  # dates sort (and search_after writes them) as epoch seconds
    return value


def assert_sorted(items: list[dict[str, Any]], sort: str) -> None:
    specs = [(part.lstrip("-"), part.startswith("-")) for part in sort.split(",")]
    for a, b in pairwise(items):
        for name, descending in specs:
            x, y = _sort_key(a["body"], name), _sort_key(b["body"], name)
            if x != y:
                assert (x > y) if descending else (x < y), (sort, a, b)
                break
    # Really sorted, not trivially: the first key takes more than one value.
    assert len({_sort_key(it["body"], specs[0][0]) for it in items}) > 1


@pytest.mark.parametrize("sort", ["duration", "-duration", "duration,start_time",
                                  "-protocol,start_time", "-start_time"])
async def test_sort_orders_the_whole_result_as_asked(
    shared: httpx.AsyncClient, everything: dict[str, Body], sort: str
) -> None:
    fields = ",".join(part.lstrip("-") for part in sort.split(","))
    items = await collect(shared, sort=sort, fields=fields)
    assert {it["key"] for it in items} == set(everything)
    assert_sorted(items, sort)


# -- basic search: limit, offset, links ------------------------------------------------

async def test_limit_defaults_to_500_and_is_capped_at_500(shared: httpx.AsyncClient) -> None:
    default = await ok(shared)
    asked = await ok(shared, {"limit": 1000})
    assert default["meta"]["limit"] == 500 and len(default["items"]) == 500
    assert asked["meta"]["limit"] == 500 and len(asked["items"]) == 500
    assert asked["items"] == default["items"]
    assert default["meta"]["match_count"] > 500


async def test_offset_pages_are_disjoint_and_consecutive(shared: httpx.AsyncClient) -> None:
    first = await ok(shared, {"limit": 100, "offset": 0})
    second = await ok(shared, {"limit": 100, "offset": 100})
    both = await ok(shared, {"limit": 200, "offset": 0})
    first_keys = [it["key"] for it in first["items"]]
    second_keys = [it["key"] for it in second["items"]]
    assert len(first_keys) == len(second_keys) == 100
    assert not set(first_keys) & set(second_keys)
    assert first_keys + second_keys == [it["key"] for it in both["items"]]
    # The guide's example: 10 at once, from the 31st on.
    page = await ok(shared, {"limit": 10, "offset": 31})
    assert [it["key"] for it in page["items"]] == first_keys[31:41]
    assert page["meta"]["offset"] == 31


async def test_only_the_first_10000_results_can_be_paged() -> None:
    sim = make_sim(sessions=12000)
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        await login(c)
        ssh = (await ok(c, {"q": "protocol:ssh", "limit": 1}))["meta"]["match_count"]
        other = (await ok(c, {"q": "NOT protocol:ssh", "limit": 1}))["meta"]["match_count"]
        assert ssh < 10_000 and other < 10_000 < ssh + other
        tail = await ok(c, {"offset": 9990})
        assert len(tail["items"]) == 10
        assert tail["meta"]["match_count"] == ssh + other
        assert tail["meta"]["next"] is None
        beyond = await ok(c, {"offset": 10_000})
        assert beyond["items"] == [] and beyond["meta"]["next"] is None
        assert beyond["meta"]["match_count"] == ssh + other
        page = await ok(c, {"offset": 9500})
        assert len(page["items"]) == 500 and page["meta"]["next"] is None
        assert [it["key"] for it in page["items"]][-10:] == [it["key"] for it in tail["items"]]
        # The last link leads to the page that ends at the 10,000th result.
        last = await ok(c, path=(await ok(c))["meta"]["last"])
        assert last["items"] == page["items"]


async def test_first_last_next_previous_links_are_usable(shared: httpx.AsyncClient) -> None:
    params = {"q": "protocol:ssh", "fields": "protocol", "limit": 100}
    everything_ssh = await collect(shared, q="protocol:ssh", fields="protocol")
    page1 = await ok(shared, params)
    assert page1["meta"]["previous"] is None
    assert page1["items"] == everything_ssh[:100]
    page2 = await ok(shared, path=page1["meta"]["next"])
    assert page2["items"] == everything_ssh[100:200]
    assert page2["meta"]["offset"] == 100 and page2["meta"]["fields"] == ["protocol"]
    assert (await ok(shared, path=page2["meta"]["previous"]))["items"] == page1["items"]
    assert (await ok(shared, path=page2["meta"]["first"]))["items"] == page1["items"]
    last = await ok(shared, path=page1["meta"]["last"])
    assert last["meta"]["next"] is None
    assert 0 < len(last["items"]) <= 100
    assert last["items"] == everything_ssh[-len(last["items"]):]


# -- basic search: CSV -----------------------------------------------------------------

def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


async def test_csv_has_the_guides_labels_and_the_json_values(shared: httpx.AsyncClient) -> None:
    fields = "protocol,end_time,user.gateway_username,server.ip,client.ip,client.port"
    r = await shared.get(SESSIONS, params={"format": "csv", "fields": fields, "limit": 100})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = _csv(r.text)
    assert rows[0] == ["Key", "Protocol", "End time", "Gateway username", "Server IP",
                       "Client IP", "Client port"]
    doc = await ok(shared, {"fields": fields, "limit": 100})
    assert rows[1:] == [
        [it["key"], *(_cell(it["body"][n]) for n in (
            "protocol", "end_time", "name", "server.address", "client.address", "client.port"))]
        for it in doc["items"]
    ]


async def test_csv_has_one_row_per_interesting_event(shared: httpx.AsyncClient) -> None:
    fields = "recording.session_id,analytics.interesting_events,analytics.similar_sessions"
    params = {"sort": "recording.session_id", "fields": fields, "limit": 300}
    rows = _csv((await shared.get(SESSIONS, params={**params, "format": "csv"})).text)
    assert rows[0] == ["Key", "Recording Session ID", "Analytics Interesting events",
                       "Similar Sessions"]
    doc = await ok(shared, params)
    expected = []
    for item in doc["items"]:
        body = item["body"]
        assert body["analytics.similar_sessions"] == []
        for event in body["analytics.interesting_events"] or [""]:
            expected.append([item["key"], body["session_id"], event, ""])
    assert rows[1:] == expected
    assert any(len(it["body"]["analytics.interesting_events"]) > 1 for it in doc["items"])
    ids = [it["body"]["session_id"] for it in doc["items"]]
    assert ids == sorted(ids)


async def test_csv_trail_download_link_is_absolute_for_sessions_with_a_trail(
    shared: httpx.AsyncClient,
) -> None:
    r = await shared.get(SESSIONS, params={"format": "csv", "fields": "trail_download_link",
                                           "limit": 40})
    rows = _csv(r.text)
    assert rows[0] == ["Key", "Audit trail download link"]
    kinds = set()
    for key, link in rows[1:]:
        detail = await ok(shared, path=f"{SESSIONS}/{key}")
        trail = detail["body"]["recording"].get("audit_trail")
        kinds.add(trail is not None)
        if trail is None:
            assert link == ""
        else:
            assert link == f"{BASE}{SESSIONS}/{key}/audit_trail"
            assert link == BASE + trail["download"]["href"]
    assert kinds == {True, False}


async def test_trail_download_link_downloads_the_trail(client: httpx.AsyncClient) -> None:
    doc = await ok(client, {"fields": "trail_download_link,duration", "q": "protocol:ssh",
                            "limit": 100})
    with_trail = [it for it in doc["items"] if it["body"]["trail_download_link"]]
    shortest = min(with_trail, key=lambda it: it["body"]["duration"])
    r = await client.get(shortest["body"]["trail_download_link"])
    assert r.status_code == 200 and len(r.content) > 0


# -- basic search: content ---------------------------------------------------------------

async def test_content_search_returns_only_indexed_sessions_whose_events_hold_the_word(
    shared: httpx.AsyncClient,
) -> None:
    status = {it["key"]: it["body"]["index_status"]
              for it in await collect(shared, fields="recording.index_status")}
    found = await keys(shared, content="sudo")
    assert found and found == await keys(shared, q="screen.content:sudo")
    assert {status[k] for k in found} <= SEARCHABLE
    for key in sorted(found)[:10]:
        assert "sudo" in await event_words(shared, key)
    terminal = await keys(shared, q="protocol:(ssh telnet)")
    missed = sorted(k for k in terminal - found if status[k] in SEARCHABLE)
    assert missed
    for key in missed[:10]:
        assert "sudo" not in await event_words(shared, key)


async def test_content_search_combines_with_q(shared: httpx.AsyncClient) -> None:
    content = await keys(shared, content="sudo")
    both = await keys(shared, q="protocol:ssh", content="sudo")
    assert both == content & await keys(shared, q="protocol:ssh")
    assert both == await keys(shared, q="protocol:ssh AND screen.content:sudo")
    assert both < content  # telnet sessions run sudo too


async def test_content_search_takes_wildcards(shared: httpx.AsyncClient) -> None:
    exact = await keys(shared, q="screen.content:sudo")
    prefixed = await keys(shared, q="screen.content:sud*")
    assert exact <= prefixed and exact <= await keys(shared, q="screen.content:sud?")
    for key in sorted(prefixed)[:6]:
        assert any(w.startswith("sud") for w in await event_words(shared, key))
    assert prefixed < await keys(shared, q="screen.content:su*")  # "su -" sessions too


# -- advanced search: snapshots -----------------------------------------------------------

async def test_snapshot_answers_its_id_in_the_documented_shape(adv: httpx.AsyncClient) -> None:
    doc = await ok(adv, path=f"{SESSIONS}/_snapshot")
    sid = doc["body"]["snapshot"]
    assert isinstance(sid, str) and sid
    assert doc == {"body": {"snapshot": sid}, "key": "_snapshot",
                   "meta": {"href": f"{SESSIONS}/_snapshot", "parent": SESSIONS}}
    assert (await ok(adv, {"snapshot": sid, "sort": "start_time", "limit": 1}))["items"]


async def test_second_snapshot_of_a_client_is_refused_until_the_first_is_unused(
    adv: httpx.AsyncClient, clock: ManualClock
) -> None:
    sid = await open_snapshot(adv)
    url = f"{SESSIONS}/_snapshot"
    wait = error(await adv.get(url), 429, "AdvancedSearchSnapshotQuotaExceeded")
    first = wait["details"]["time_to_elapse"]
    assert isinstance(first, int) and first > 0
    clock.advance(100)
    later = error(await adv.get(url), 429, "AdvancedSearchSnapshotQuotaExceeded")
    assert 0 < later["details"]["time_to_elapse"] < first
    await ok(adv, {"snapshot": sid, "sort": "start_time", "limit": 1})  # using it resets
    again = error(await adv.get(url), 429, "AdvancedSearchSnapshotQuotaExceeded")
    assert again["details"]["time_to_elapse"] > later["details"]["time_to_elapse"]


async def test_each_client_gets_its_own_snapshot(adv: httpx.AsyncClient) -> None:
    clients = [CLIENT_A, {**CLIENT_A, "Remote-Addr": "10.10.10.11"},
               {**CLIENT_A, "User-Agent": "Agent-2/1.0"}]
    sids = [await open_snapshot(adv, headers) for headers in clients]
    assert len(set(sids)) == 3
    for headers, sid in zip(clients, sids, strict=True):
        r = await adv.get(SESSIONS, params={"snapshot": sid, "sort": "start_time", "limit": 1},
                          headers=headers)
        assert r.status_code == 200 and r.json()["items"]
        error(await adv.get(f"{SESSIONS}/_snapshot", headers=headers), 429,
              "AdvancedSearchSnapshotQuotaExceeded")


async def test_unused_snapshot_expires_after_5_minutes(
    adv: httpx.AsyncClient, clock: ManualClock
) -> None:
    sid = await open_snapshot(adv)
    clock.advance(301)
    query = {"snapshot": sid, "sort": "start_time", "limit": 1}
    error(await adv.get(SESSIONS, params=query), 404, "SearchQuerySnapshotNotFound")
    error(await adv.get(f"{SESSIONS}/_count", params={"snapshot": sid}), 404,
          "CountQuerySnapshotNotFound")
    assert await open_snapshot(adv) != sid


async def test_each_query_extends_the_snapshots_life(
    adv: httpx.AsyncClient, clock: ManualClock
) -> None:
    sid = await open_snapshot(adv)
    query = {"snapshot": sid, "sort": "start_time", "limit": 1}
    for _ in range(4):  # 1000 s in all, never 5 minutes without a query
        clock.advance(250)
        assert (await ok(adv, query))["items"]
    error(await adv.get(f"{SESSIONS}/_snapshot"), 429, "AdvancedSearchSnapshotQuotaExceeded")
    clock.advance(301)
    error(await adv.get(SESSIONS, params=query), 404, "SearchQuerySnapshotNotFound")


@pytest.mark.parametrize(("header", "limit"), [("Remote-Addr", 45), ("User-Agent", 128)])
async def test_overlong_client_identification_is_refused(
    adv: httpx.AsyncClient, header: str, limit: int
) -> None:
    sid = await open_snapshot(adv)
    overlong = {header: "1" * (limit + 1)}
    for path, params in [(f"{SESSIONS}/_snapshot", {}),
                         (SESSIONS, {"snapshot": sid, "sort": "start_time"}),
                         (f"{SESSIONS}/_count", {"snapshot": sid})]:
        r = await adv.get(path, params=params, headers=overlong)
        err = error(r, 400, "InvalidSearchClientId")
        assert header in err["message"]
    assert await open_snapshot(adv, {header: "2" * limit})  # at the limit: a new client


# -- advanced search: paging ----------------------------------------------------------------

async def test_snapshot_paging_by_start_time_returns_every_session_once_in_order(
    adv: httpx.AsyncClient,
) -> None:
    truth = {it["key"]: ts(it["body"]["start_time"])
             for it in await collect(adv, fields="start_time")}
    sid = await open_snapshot(adv)
    pages = await walk(adv, {"limit": 250, "sort": "start_time", "snapshot": sid})
    items = walked(pages)
    assert [it["key"] for it in items] == sorted(truth, key=lambda k: truth[k])
    assert all(set(it) == {"key", "meta"} for it in items)
    for page in pages:
        meta = page["meta"]
        assert meta["first"] is None and meta["last"] is None and meta["previous"] is None
        assert meta["limit"] == 250 and meta["fields"] == []
        assert 0 < len(page["items"]) <= 250
        m = re.fullmatch(r"start_time:(\d+),tiebreaker:(\d+)", meta["search_after"])
        assert m, meta["search_after"]
        assert int(m[1]) == int(truth[page["items"][-1]["key"]])
        if meta["next"] is not None:
            query = parse_qs(urlsplit(meta["next"]).query)
            assert query == {"limit": ["250"], "sort": ["start_time"], "snapshot": [sid],
                             "search_after": [meta["search_after"]]}
    assert pages[-1]["meta"]["next"] is None and len(pages) == -(-len(truth) // 250)


async def test_search_after_written_by_hand_continues_the_listing(
    adv: httpx.AsyncClient,
) -> None:
    sid = await open_snapshot(adv)
    params = {"limit": 40, "sort": "start_time", "snapshot": sid}
    both = await ok(adv, {**params, "limit": 80})
    first = await ok(adv, params)
    second = await ok(adv, {**params, "search_after": first["meta"]["search_after"]})
    assert first["items"] + second["items"] == both["items"]


async def test_snapshot_paging_by_two_descending_fields(adv: httpx.AsyncClient) -> None:
    sid = await open_snapshot(adv)
    sort = "-protocol,-start_time"
    pages = await walk(adv, {"limit": 300, "sort": sort, "fields": "protocol,start_time",
                             "snapshot": sid})
    items = walked(pages)
    assert {it["key"] for it in items} == await keys(adv)
    assert_sorted(items, sort)
    for page in pages:
        m = re.fullmatch(r"protocol:([A-Z]+),start_time:(\d+),tiebreaker:\d+",
                         page["meta"]["search_after"])
        assert m, page["meta"]["search_after"]
        last = page["items"][-1]["body"]
        assert (m[1], int(m[2])) == (last["protocol"], int(ts(last["start_time"])))


async def test_snapshot_paging_on_a_sort_key_full_of_ties_relies_on_the_tiebreaker(
    adv: httpx.AsyncClient,
) -> None:
    sid = await open_snapshot(adv)
    pages = await walk(adv, {"limit": 100, "sort": "protocol", "fields": "protocol",
                             "snapshot": sid})
    items = walked(pages)  # pages cut through runs of equal protocols
    assert {it["key"] for it in items} == await keys(adv)
    assert_sorted(items, "protocol")
    assert all(re.fullmatch(r"protocol:[A-Z]+,tiebreaker:\d+", page["meta"]["search_after"])
               for page in pages)


async def test_snapshot_paging_with_fields_q_and_dates_matches_basic_search(
    adv: httpx.AsyncClient,
) -> None:
    filters = {"q": "protocol:ssh", "start": "2026-10-01T00:00:00+00:00",
               "end": "2026-11-15T00:00:00+00:00"}
    expected = await keys(adv, **filters)
    assert 0 < len(expected) < (await ok(adv, {"limit": 1}))["meta"]["match_count"]
    sid = await open_snapshot(adv)
    pages = await walk(adv, {"limit": 200, "sort": "start_time", "fields": "protocol,verdict",
                             "snapshot": sid, **filters})
    items = walked(pages)
    assert {it["key"] for it in items} == expected
    for page in pages:
        assert page["meta"]["start"] == filters["start"]
        assert page["meta"]["end"] == filters["end"]
        assert page["meta"]["fields"] == ["protocol", "verdict"]
    assert all(list(it["body"]) == ["protocol", "verdict"] and it["body"]["protocol"] == "SSH"
               for it in items)


async def test_snapshot_stays_frozen_while_new_sessions_start(
    adv: httpx.AsyncClient, clock: ManualClock
) -> None:
    sid = await open_snapshot(adv)
    query = {"limit": 500, "sort": "start_time", "snapshot": sid}
    before = [it["key"] for it in walked(await walk(adv, query))]
    total = (await ok(adv, {"snapshot": sid}, f"{SESSIONS}/_count"))["count"]
    active = (await ok(adv, {"snapshot": sid, "q": "active:true"}, f"{SESSIONS}/_count"))
    assert total == len(before) == len(await keys(adv))
    for _ in range(15):  # an hour, in steps that keep the snapshot alive
        clock.advance(240)
        assert (await ok(adv, {"snapshot": sid}, f"{SESSIONS}/_count"))["count"] == total
    now = await keys(adv)
    assert set(before) < now, "new sessions started meanwhile"
    assert [it["key"] for it in walked(await walk(adv, query))] == before
    reverse = walked(await walk(adv, {**query, "sort": "-start_time", "fields": "active"}))
    assert {it["key"] for it in reverse} == set(before)
    assert (await ok(adv, {"snapshot": sid, "q": "active:true"},
                     f"{SESSIONS}/_count")) == active


# -- advanced search: _count ------------------------------------------------------------------

@pytest.mark.parametrize("q", [None, "protocol:SSH", "verdict:accept AND NOT protocol:ssh"])
async def test_count_matches_the_basic_search_match_count(
    adv: httpx.AsyncClient, q: str | None
) -> None:
    sid = await open_snapshot(adv)
    params = {"snapshot": sid} if q is None else {"snapshot": sid, "q": q}
    doc = await ok(adv, params, f"{SESSIONS}/_count")
    basic = await ok(adv, {"limit": 1} if q is None else {"limit": 1, "q": q})
    assert doc == {"count": basic["meta"]["match_count"],
                   "meta": {"href": f"{SESSIONS}/_count", "parent": SESSIONS}}
    assert doc["count"] > 0


async def test_count_errors(adv: httpx.AsyncClient) -> None:
    sid = await open_snapshot(adv)
    error(await adv.get(f"{SESSIONS}/_count", params={"snapshot": "55cdf68f6d"}), 404,
          "CountQuerySnapshotNotFound")
    err = error(await adv.get(f"{SESSIONS}/_count", params={"snapshot": sid, "q": "port:22"}),
                400, "InvalidAdvancedSearchCountQuery")
    assert "port" in err["message"]
    error(await adv.get(f"{SESSIONS}/_count", params={"snapshot": sid, "q": "protocol:("}),
          400, "InvalidAdvancedSearchCountQuery")


# -- advanced search: errors ------------------------------------------------------------------

@pytest.mark.parametrize(("query", "status", "code"), [
    ("sort=start_time&search_after=start_time:1666335341,tiebreaker:42348", 400,
     "MissingSearchAfterSnapshot"),
    ("snapshot=SID", 400, "MissingSearchAfterSort"),
    ("snapshot=SID&search_after=start_time:1666335341,tiebreaker:42348", 400,
     "MissingSearchAfterSort"),
    # The guide's own example requests, quoted snapshot id included.
    ('snapshot="SID"&sort=start_time&search_after=client.ip:not-an-ip,tiebreaker:42348', 400,
     "InvalidSearchAfterKeyValue"),
    ('snapshot="SID"&sort=start_time&search_after=start_time:1666335341,'
     "start_time:1666335342,tiebreaker:42348", 400, "DuplicatedSearchAfterKey"),
    ('snapshot="SID"&sort=start_time,protocol&search_after=start_time:1666335341,'
     "tiebreaker:42348", 400, "MissingSearchAfterKeyValue"),
    ("snapshot=SID&sort=client.address&search_after=client.address:not-an-ip,tiebreaker:1",
     400, "InvalidSearchAfterKeyValue"),
    ("snapshot=SID&sort=start_time&search_after=start_time:yesterday,tiebreaker:1", 400,
     "InvalidSearchAfterKeyValue"),
    ("snapshot=SID&sort=start_time&search_after=start_time:1666335341", 400,
     "MissingSearchAfterTiebreaker"),
    ("snapshot=SID&sort=start_time&search_after=start_time=1666335341,tiebreaker:1", 400,
     "InvalidSearchAfterKeyValueFormat"),
    ("snapshot=SID&sort=start_time&search_after=start_time:1666335341,protocol:SSH,"
     "tiebreaker:1", 400, "InconsistentSearchAfterParameters"),
    ("snapshot=SID&sort=start_time,protocol&search_after=protocol:SSH,start_time:1666335341,"
     "tiebreaker:1", 400, "InconsistentSearchAfterOrder"),
    ("snapshot=SID&sort=start_time&search_after=tiebreaker:1,start_time:1666335341", 400,
     "InconsistentSearchAfterOrder"),
    ("snapshot=SID&sort=start_time&offset=10", 400, "InvalidSearchAfterOffset"),
    ("snapshot=SID&sort=start_time&format=csv", 400, "InvalidSearchAfterResponseFormat"),
    ("snapshot=SID&sort=start_time&search_after=start_time:1666335341,tiebreaker:abc", 400,
     "InvalidSearchAfterQuery"),
    ("snapshot=SID&sort=start_time&q=protocol:(ssh", 400, "InvalidSearchAfterQuery"),
    ("snapshot=55cdf68f6d&sort=start_time", 404, "SearchQuerySnapshotNotFound"),
])
async def test_snapshot_query_errors(
    adv: httpx.AsyncClient, query: str, status: int, code: str
) -> None:
    sid = await open_snapshot(adv)
    error(await adv.get(f"{SESSIONS}?{query.replace('SID', sid)}"), status, code)


async def test_snapshot_query_accepts_offset_0(adv: httpx.AsyncClient) -> None:
    sid = await open_snapshot(adv)
    params = {"snapshot": sid, "sort": "start_time", "limit": 5}
    assert (await ok(adv, {**params, "offset": 0}))["items"] == (await ok(adv, params))["items"]


async def test_advanced_search_does_not_exist_on_6_0() -> None:
    sim = make_sim(compat="6.0")
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=CLIENT_A) as c:
        await login(c)
        assert (await c.get(f"{SESSIONS}/_snapshot")).status_code == 404
        assert (await c.get(f"{SESSIONS}/_count", params={"snapshot": "x"})).status_code == 404
        assert (await ok(c, {"limit": 3}))["meta"]["match_count"] > 3
