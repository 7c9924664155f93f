"""`GET /api/audit/sessions` over HTTP: basic search (q, start/end, fields, sort, paging,
CSV, content search) and advanced search (_snapshot, search_after paging, _count, errors).

Expectations are derived from the simulator's own answers to wider queries (the whole
session list with the fields a filter looks at), never copied from a run.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
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
    "server_username:ec2?user": lambda b: _EC2(b["server_username"]),
    "server.port:{21 TO 23}": lambda b: b["server.port"] == 22,
    "target.port:[2222 TO *]": lambda b: b["target.port"] >= 2222,
    "client.port:[40000 TO 50000}": lambda b: 40000 <= b["client.port"] < 50000,
    "start_time:[* TO 1790000000]": lambda b: int(ts(b["start_time"])) <= 1790000000,
    "start_time:{1790000000 TO *]": lambda b: int(ts(b["start_time"])) > 1790000000,
    # A date-only upper bound covers its whole day; a minute-precision one, its minute.
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
    client: httpx.AsyncClient, q: str
) -> None:
    everything = await table(client)
    expected = {k for k, b in everything.items() if Q_FORMS[q](b)}
    assert 0 < len(expected) < len(everything), "the filter must be selective on this data"
    found = await table(client, q=q)
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
    client: httpx.AsyncClient, params: dict[str, str], words_in_message: list[str],
    details: dict[str, str],
) -> None:
    err = error(await client.get(SESSIONS, params=params), 400, "InvalidQuery")
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
    client: httpx.AsyncClient, start: str, instant: str
) -> None:
    everything = await table(client)
    expected = {k for k, b in everything.items() if ts(b["start_time"]) >= ts(instant)}
    assert 0 < len(expected) < len(everything)
    doc = await ok(client, {"start": start, "limit": 1})
    assert doc["meta"]["start"] == start
    assert await keys(client, start=start) == expected


@pytest.mark.parametrize(("end", "surely_before", "surely_not_before"), [
    # A date-only end covers the whole day.
    ("2026-11-10", "2026-11-11T00:00+00:00", "2026-11-11T00:00+00:00"),
    # A minute: whatever ended before it is in, whatever ended after it is out.
    ("2026-11-10T11:00", "2026-11-10T11:00+00:00", "2026-11-10T11:01+00:00"),
    ("2026-11-10T11:11:52.000+01:00", "2026-11-10T10:11:52+00:00",
     "2026-11-10T10:11:52+00:00"),
])
async def test_end_keeps_the_sessions_that_ended_before_it(
    client: httpx.AsyncClient, end: str, surely_before: str, surely_not_before: str
) -> None:
    everything = await table(client)
    ended = {k: ts(b["end_time"]) for k, b in everything.items() if b["end_time"]}
    must = {k for k, e in ended.items() if e < ts(surely_before)}
    may = {k for k, e in ended.items() if e < ts(surely_not_before)}
    assert 0 < len(must) and len(may) < len(ended)
    found = await keys(client, end=end)
    assert must <= found <= may


async def test_end_excludes_active_sessions(client: httpx.AsyncClient) -> None:
    everything = await table(client)
    active = {k for k, b in everything.items() if b["active"]}
    assert active
    found = await keys(client, end="2030-01-01")
    assert found == set(everything) - active


async def test_start_and_end_on_the_same_day_select_sessions_started_and_ended_that_day(
    client: httpx.AsyncClient,
) -> None:
    everything = await table(client)
    lo, hi = utc("2026-11-10T00:00"), utc("2026-11-11T00:00")
    expected = {k for k, b in everything.items()
                if ts(b["start_time"]) >= lo and b["end_time"] and ts(b["end_time"]) < hi}
    assert expected
    assert await keys(client, start="2026-11-10", end="2026-11-10") == expected


# -- basic search: fields ------------------------------------------------------------

async def test_fields_lists_body_keys_alphabetically_and_meta_fields_as_requested(
    client: httpx.AsyncClient,
) -> None:
    # The guide's own example: psm.gateway_username shows up as "name".
    doc = await ok(client, {"fields": "start_time,psm.gateway_username,duration", "limit": 20})
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
    client: httpx.AsyncClient, alias: str, canonical: str
) -> None:
    by_alias = await ok(client, {"fields": alias, "limit": 50})
    by_name = await ok(client, {"fields": canonical, "limit": 50})
    assert by_alias["meta"]["fields"] == [canonical]
    assert by_alias["items"] == by_name["items"]
    assert all(list(it["body"]) == [canonical] for it in by_alias["items"])
    assert any(it["body"][canonical] not in (None, "") for it in by_alias["items"])


async def test_dotted_field_names_select_nested_values(client: httpx.AsyncClient) -> None:
    doc = await ok(client, {"fields": "client.address,client.port,server_local.address",
                            "limit": 30})
    for item in doc["items"]:
        detail = await ok(client, path=item["meta"]["href"])
        body = item["body"]
        assert body["client.address"] == detail["body"]["client"]["ip"]
        assert body["client.port"] == detail["body"]["client"]["port"]
        assert body["server_local.address"] == detail["body"]["recording"]["server_local"]["ip"]


async def test_fields_star_gives_the_documented_displayable_fields(
    client: httpx.AsyncClient,
) -> None:
    doc = await ok(client, {"fields": "*", "limit": 10})
    assert doc["meta"]["fields"] == [*DOCUMENTED_DISPLAYABLE, "verdict"]
    for item in doc["items"]:
        assert list(item["body"]) == sorted(doc["meta"]["fields"])


async def test_without_fields_items_have_only_key_and_meta(client: httpx.AsyncClient) -> None:
    doc = await ok(client, {"limit": 10})
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


@pytest.mark.parametrize("sort", ["duration", "-duration", "duration,start_time",
                                  "-protocol,start_time", "-start_time"])
async def test_sort_orders_the_whole_result_as_asked(
    client: httpx.AsyncClient, sort: str
) -> None:
    specs = [(part.lstrip("-"), part.startswith("-")) for part in sort.split(",")]
    items = await collect(client, sort=sort, fields=",".join(n for n, _ in specs))
    assert len(items) == len(await keys(client))
    for a, b in zip(items, items[1:], strict=False):
        for name, descending in specs:
            x, y = _sort_key(a["body"], name), _sort_key(b["body"], name)
            if x != y:
                assert (x > y) if descending else (x < y), (sort, a, b)
                break
    # Really sorted, not trivially: the first key takes more than one value.
    assert len({_sort_key(it["body"], specs[0][0]) for it in items}) > 1


# -- basic search: limit, offset, links ------------------------------------------------

async def test_limit_defaults_to_500_and_is_capped_at_500(client: httpx.AsyncClient) -> None:
    default = await ok(client)
    asked = await ok(client, {"limit": 1000})
    assert default["meta"]["limit"] == 500 and len(default["items"]) == 500
    assert asked["meta"]["limit"] == 500 and len(asked["items"]) == 500
    assert asked["items"] == default["items"]
    assert default["meta"]["match_count"] > 500


async def test_offset_pages_are_disjoint_and_consecutive(client: httpx.AsyncClient) -> None:
    first = await ok(client, {"limit": 100, "offset": 0})
    second = await ok(client, {"limit": 100, "offset": 100})
    both = await ok(client, {"limit": 200, "offset": 0})
    first_keys = [it["key"] for it in first["items"]]
    second_keys = [it["key"] for it in second["items"]]
    assert not set(first_keys) & set(second_keys)
    assert first_keys + second_keys == [it["key"] for it in both["items"]]
    # The guide's example: 10 at once, from the 31st on.
    page = await ok(client, {"limit": 10, "offset": 31})
    assert [it["key"] for it in page["items"]] == first_keys[31:41]
    assert page["meta"]["offset"] == 31


async def test_only_the_first_10000_results_can_be_paged() -> None:
    sim = make_sim(sessions=12000)
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        await login(c)
        ssh = (await ok(c, {"q": "protocol:ssh", "limit": 1}))["meta"]["match_count"]
        other = (await ok(c, {"q": "NOT protocol:ssh", "limit": 1}))["meta"]["match_count"]
        assert ssh + other > 10_000
        tail = await ok(c, {"offset": 9990})
        assert len(tail["items"]) == 10
        assert tail["meta"]["match_count"] == ssh + other
        assert tail["meta"]["next"] is None
        beyond = await ok(c, {"offset": 10_000})
        assert beyond["items"] == [] and beyond["meta"]["next"] is None
        assert beyond["meta"]["match_count"] == ssh + other
        page = await ok(c, {"offset": 9500})
        assert page["meta"]["next"] is None
        assert [it["key"] for it in page["items"]][-10:] == [it["key"] for it in tail["items"]]
        # The last link leads to the page that ends at the 10,000th result.
        last = await ok(c, path=(await ok(c, {"limit": 500}))["meta"]["last"])
        assert last["items"] == page["items"]


async def test_first_last_next_previous_links_are_usable(client: httpx.AsyncClient) -> None:
    params = {"q": "protocol:ssh", "fields": "protocol", "limit": 100}
    everything = await collect(client, q="protocol:ssh", fields="protocol")
    page1 = await ok(client, params)
    assert page1["meta"]["previous"] is None
    page2 = await ok(client, path=page1["meta"]["next"])
    assert page2["items"] == everything[100:200]
    assert page2["meta"]["offset"] == 100 and page2["meta"]["fields"] == ["protocol"]
    assert (await ok(client, path=page2["meta"]["previous"]))["items"] == page1["items"]
    assert (await ok(client, path=page2["meta"]["first"]))["items"] == everything[:100]
    last = await ok(client, path=page1["meta"]["last"])
    assert last["meta"]["next"] is None
    assert 0 < len(last["items"]) <= 100
    assert last["items"] == everything[-len(last["items"]):]


# -- basic search: CSV -----------------------------------------------------------------

def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


async def test_csv_has_the_guides_labels_and_the_json_values(client: httpx.AsyncClient) -> None:
    fields = "protocol,end_time,user.gateway_username,server.ip,client.ip,client.port"
    r = await client.get(SESSIONS, params={"format": "csv", "fields": fields, "limit": 100})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = _csv(r.text)
    assert rows[0] == ["Key", "Protocol", "End time", "Gateway username", "Server IP",
                       "Client IP", "Client port"]
    doc = await ok(client, {"fields": fields, "limit": 100})
    assert rows[1:] == [
        [it["key"], *(_cell(it["body"][n]) for n in (
            "protocol", "end_time", "name", "server.address", "client.address", "client.port"))]
        for it in doc["items"]
    ]


async def test_csv_has_one_row_per_interesting_event(client: httpx.AsyncClient) -> None:
    fields = "recording.session_id,analytics.interesting_events,analytics.similar_sessions"
    params = {"sort": "recording.session_id", "fields": fields, "limit": 300}
    r = await client.get(SESSIONS, params={**params, "format": "csv"})
    rows = _csv(r.text)
    assert rows[0] == ["Key", "Recording Session ID", "Analytics Interesting events",
                       "Similar Sessions"]
    doc = await ok(client, params)
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
    client: httpx.AsyncClient,
) -> None:
    r = await client.get(SESSIONS, params={"format": "csv", "fields": "trail_download_link",
                                           "limit": 40})
    rows = _csv(r.text)
    assert rows[0] == ["Key", "Audit trail download link"]
    kinds = set()
    for key, link in rows[1:]:
        detail = await ok(client, path=f"{SESSIONS}/{key}")
        trail = detail["body"]["recording"].get("audit_trail")
        kinds.add(trail is not None)
        if trail is None:
            assert link == ""
        else:
            assert link == BASE + trail["download"]["href"]
            assert link == f"{BASE}{SESSIONS}/{key}/audit_trail"
    assert kinds == {True, False}


async def test_csv_trail_download_link_downloads_the_trail(client: httpx.AsyncClient) -> None:
    doc = await ok(client, {"fields": "trail_download_link,duration", "q": "protocol:ssh",
                            "limit": 100})
    with_trail = [it for it in doc["items"] if it["body"]["trail_download_link"]]
    shortest = min(with_trail, key=lambda it: it["body"]["duration"])
    r = await client.get(shortest["body"]["trail_download_link"])
    assert r.status_code == 200 and len(r.content) > 0


# -- basic search: content ---------------------------------------------------------------

async def test_content_search_returns_only_indexed_sessions_whose_events_hold_the_word(
    client: httpx.AsyncClient,
) -> None:
    status = {it["key"]: it["body"]["index_status"]
              for it in await collect(client, fields="recording.index_status")}
    found = await keys(client, content="sudo")
    assert found and found == await keys(client, q="screen.content:sudo")
    assert {status[k] for k in found} <= SEARCHABLE
    for key in sorted(found)[:8]:
        assert "sudo" in await event_words(client, key)
    terminal = await keys(client, q="protocol:(ssh telnet)")
    missed = sorted(k for k in terminal - found if status[k] in SEARCHABLE)
    assert missed
    for key in missed[:8]:
        assert "sudo" not in await event_words(client, key)


async def test_content_search_combines_with_q(client: httpx.AsyncClient) -> None:
    both = await keys(client, q="protocol:ssh", content="sudo")
    assert both == await keys(client, content="sudo") & await keys(client, q="protocol:ssh")
    assert both == await keys(client, q="protocol:ssh AND screen.content:sudo")
    assert both < await keys(client, content="sudo")  # telnet sessions use sudo too


async def test_content_search_takes_wildcards(client: httpx.AsyncClient) -> None:
    exact = await keys(client, q="screen.content:sudo")
    prefixed = await keys(client, q="screen.content:sud*")
    single = await keys(client, q="screen.content:sud?")
    assert exact <= prefixed and exact <= single
    for key in sorted(prefixed)[:6]:
        assert any(w.startswith("sud") for w in await event_words(client, key))
    broad = await keys(client, q="screen.content:su*")
    assert prefixed < broad  # "su -" sessions too
