"""The simulated appliance seen from outside, through HTTP only.

Each test proves one documented behaviour of the SPS REST API (reference pages
000-004 and the README's list of facts) or of the simulator's own test hooks
(clock, request log, faults). Sessions are found through the API itself
(search with ``q`` and ``fields``), never by hard-coded keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from spstui.simulator import ManualClock, Simulator
from spstui.simulator.app import Fault
from spstui.simulator.server import BackgroundServer
from tests.conftest import login, make_sim

SESSIONS = "/api/audit/sessions"
INDEXER = "/api/configuration/local_services/indexer"
ADMIN = ("admin", "admin")

# -- the reference pages' sample answers, verbatim (quirks included) -----------------------

# 000_*.txt: "When retrieving the endpoint of a specific connection, the response is ..."
REFERENCE_SESSION = json.loads(r"""
{
  "body": {
    "active": false,
    "alerts": {
      "href": "/api/audit/sessions/rUhhQZ3jYsY1NDWYp9DEpq/alerts"
    },
    "analytics": {
      "interesting_events": [],
      "scripted": false,
      "scripted_results": {},
      "similar_sessions": [],
      "tags": []
    },
    "channels": {
      "href": "/api/audit/sessions/rUhhQZ3jYsY1NDWYp9DEpq/channels"
    },
    "client": {
      "ip": "10.20.30.40",
      "name": "10.20.30.40",
      "port": 59125
    },
    "creation_time": "2018-11-14T12:26:59.244Z",
    "duration": 57,
    "end_time": "2018-09-15T14:22:00+05:00",
    "events": {
      "href": "/api/audit/sessions/rUhhQZ3jYsY1NDWYp9DEpq/events"
    },
    "hidden": false,
    "indexing": {
      "href": "/api/audit/sessions/rUhhQZ3jYsY1NDWYp9DEpq/indexing"
    },
    "node_id": "6fed7872-065e-41d2-9cfa-ba75e8cad901",
    "origin": "RECORDING",
    "phantom": false,
    "protocol": "SSH",
    "recording": {
      "archived": false,
      "audit_trail": {
        "archive": null,
        "download": {
          "href": "/api/audit/sessions/rUhhQZ3jYsY1NDWYp9DEpq/audit_trail"
        }
      },
      "auth_method": "password",
      "channel_policy": "shell-only",
      "command_extracted": false,
      "connection_policy": "myconnectionpolicy",
      "connection_policy_id": "15682863055beac3c8d23bf",
      "content_reference_id": 30,
      "has_accepted_channel": true,
      "index_status": "INDEXED",
      "server_local": {
        "ip": "10.20.30.40",
        "name": "10.20.30.40",
        "port": 55386
      },
      "session_id": "svc/rUhhQZ3jYsY1NDWYp9DEpq/abcde:29",
      "target": {
        "ip": "10.20.30.40",
        "name": "10.20.30.40",
        "port": 221
      },
      "verdict": "Accepted",
      "window_title_extracted": false
    },
    "revision": 15,
    "server": {
      "ip": "10.20.30.40",
      "name": "10.20.30.40",
      "port": 22
    },
    "start_time": "2018-09-15T15:53:00+05:00",
    "user": {
      "id": "myid",
      "name": "myname",
      "server_username": "myserver"
    },
    "verdict": "ACCEPT"
  },
  "key": "rUhhQZ3jYsY1NDWYp9DEpq",
  "meta": {
      "href": "/api/audit/sessions/rUhhQZ3jYsY1NDWYp9DEpq",
      "parent": "/api/audit/sessions",
      "remaining_seconds": 594
  }
}
""")

# 004_*.txt: the first item of the events sample.
REFERENCE_EVENT = json.loads(
    '{ "action": "ls", "channels_id": "0", "content": "myuser@examplehost:~$ ls", '
    '"record_id": 46, "time": "2017-04-11T09:21:10.832", "type": "command" }'
)
# 004_*.txt: the indexing sample's item.
REFERENCE_INDEXER_RUN = json.loads(
    '{ "config": { "command": { "enabled": true }, "keyboard": { "buffer_interval": 3, '
    '"enabled": false }, "mouse": { "buffer_interval": 1, "enabled": false }, '
    '"near_realtime": false, "ocr_languages": [], "screen": { "enabled": true, '
    '"omnipage_trade_off": "TO_ACCURATE" }, "title": { "enabled": true } }, "statistics": '
    '{ "cpu_time": 5, "duration": 149, "start_time": 1542116524143 }, "status": '
    '"COMPLETED", "version": { "adp": "6.0.20", "worker": "4.0.26" } }'
)
# 004_*.txt: an item of the trail_downloads sample.
REFERENCE_TRAIL_DOWNLOAD = json.loads(
    '{ "from_api": false, "ip_address": "10.20.30.40", "time": "2018-11-20T11:10:19.000Z", '
    '"username": "admin" }'
)
# README.md: the alerts item.
REFERENCE_ALERT = json.loads(
    '{"alert_type": "adp.event.command", "channel_id": "0", "matched_action": "ls", '
    '"matched_content": "[myuser@examplehost ~]$ ls", "matched_regexp": "ls", "record_id": 94, '
    '"rule_name": "PatternMatcherRule", "time": "2017-04-25T13:26:39.144356"}'
)

# 000_*.txt: the documented values.
VERDICTS = ("accept", "accept-terminated", "auth-fail", "deny", "fail", "gw-auth-fail",
            "key-error", "user-mapping-fail")
INDEX_STATUSES = ("CHANNEL_OPEN", "NOT_INDEXED", "INDEXING_IN_PROGRESS", "INDEXED",
                  "INDEXING_NOT_REQUIRED", "INDEXING_FAILED", "NO_TRAIL")
PROTOCOLS = ("SSH", "RDP", "VNC", "TELNET", "ICA", "HTTP")
# 003_*.txt: the extra fields of the SSH and RDP channel examples.
SSH_CHANNEL_EXTRAS: dict[str, set[str]] = {
    "session shell": set(),
    "session exec": {"command"},
    "session exec scp": {"scp_path"},
    "session subsystem sftp": {"subsystem_name"},
    "local forward": {"originator.address", "originator.port", "connected.address",
                      "connected.port"},
    "remote forward": {"originator.address", "originator.port", "connected.address",
                       "connected.port"},
    "x11 forward": set(),
}
RDP_DEVICE_CHANNELS = {"serial redirect", "parallel redirect", "printer redirect",
                       "disk redirect", "scard redirect"}
ALL_CHANNEL_EXTRAS = {"command", "scp_path", "subsystem_name", "originator.address",
                      "originator.port", "connected.address", "connected.port",
                      "dynamic_channel", "device_name", "application"}


# -- helpers ----------------------------------------------------------------------------------

@asynccontextmanager
async def connect(sim: Simulator, *, basic: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in in-process client of another simulator than the `sim` fixture's.

    With `basic`, every request also carries the credentials, so the client stays
    authenticated however far the clock moves (the cookie expires after 20 minutes)."""
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://sps.test",
                                 auth=ADMIN if basic else None) as c:
        await login(c)
        yield c


def manual_clock(sim: Simulator) -> ManualClock:
    assert isinstance(sim.clock, ManualClock)
    return sim.clock


async def search(c: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    r = await c.get(SESSIONS, params=params)
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


async def find(c: httpx.AsyncClient, q: str, fields: str = "session_id",
               limit: int = 50, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await search(c, q=q, fields=fields, limit=limit,
                                                **params))["items"]
    assert items, f"no session matches {q}"
    return items


async def get_json(c: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    # (httpx drops a link's own query string when given params, even empty ones)
    r = await (c.get(path, params=params) if params else c.get(path))
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


async def session_body(c: httpx.AsyncClient, key: str) -> dict[str, Any]:
    body: dict[str, Any] = (await get_json(c, f"{SESSIONS}/{key}"))["body"]
    return body


async def events_of(c: httpx.AsyncClient, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await get_json(c, f"{SESSIONS}/{key}/events",
                                                  **params))["items"]
    return items


async def open_channel_ssh_key(c: httpx.AsyncClient) -> tuple[str, str]:
    """(key, session_id) of an active SSH session that records an audit trail."""
    for item in await find(c, "protocol:ssh AND active:true", "session_id,index_status"):
        if item["body"]["index_status"] == "CHANNEL_OPEN":
            return item["key"], item["body"]["session_id"]
    raise AssertionError("no active SSH session with an audit trail")


async def indexed_key(c: httpx.AsyncClient, q: str) -> str:
    for item in await find(c, f"({q}) AND active:false", "index_status", limit=100):
        if item["body"]["index_status"] == "INDEXED":
            return str(item["key"])
    raise AssertionError(f"no indexed session matches {q}")


def words(text: str) -> list[str]:
    """Tokens as the appliance's full-text search sees them."""
    return re.findall(r"\w+", text.casefold())


def has_word(event: dict[str, Any], word: str) -> bool:
    return word in words(str(event["content"]))


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def error_of(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    doc = r.json()
    assert set(doc) == {"error", "meta"}, doc
    assert set(doc["error"]) == {"code", "message", "details"}, doc
    assert doc["error"]["code"] == code, doc
    assert doc["error"]["message"]
    error: dict[str, Any] = doc["error"]
    return error


async def sudo_session(c: httpx.AsyncClient, *, minimum: int = 6, sudo: int = 1
                       ) -> tuple[str, list[dict[str, Any]]]:
    """An ended SSH session with at least `minimum` events, `sudo` or more of them with
    sudo and some without."""
    for item in await find(c, "protocol:ssh AND active:false AND screen.content:sudo",
                           limit=100):
        events = await events_of(c, item["key"])
        matching = [e for e in events if has_word(e, "sudo")]
        if len(events) >= minimum and sudo <= len(matching) < len(events):
            return item["key"], events
    raise AssertionError("no SSH session with a mix of sudo and other commands")


async def trail_size(c: httpx.AsyncClient, key: str) -> int:
    """The Content-Length of a .zat download now (without reading the body)."""
    async with c.stream("GET", f"{SESSIONS}/{key}/audit_trail") as r:
        assert r.status_code == 200
        return int(r.headers["content-length"])


# -- login ----------------------------------------------------------------------------------

async def test_login_with_basic_auth_sets_a_session_id_cookie(anon: httpx.AsyncClient) -> None:
    r = await anon.get("/api/authentication", auth=ADMIN)
    assert r.status_code == 200
    assert r.cookies.get("session_id")
    assert "session_id=" in r.headers["set-cookie"]
    assert 0 < r.json()["meta"]["remaining_seconds"] <= 1200
    # The cookie alone now authenticates.
    r = await anon.get(SESSIONS, params={"limit": 1})
    assert r.status_code == 200 and len(r.json()["items"]) == 1


async def test_login_with_a_wrong_password_is_an_authentication_failure(
        anon: httpx.AsyncClient) -> None:
    r = await anon.get("/api/authentication", auth=("admin", "wrong"))
    error_of(r, 401, "AuthenticationFailure")
    assert "session_id" not in r.cookies
    r = await anon.get("/api/authentication")
    error_of(r, 401, "AuthenticationFailure")


async def test_requests_without_a_cookie_are_unauthenticated(anon: httpx.AsyncClient) -> None:
    for path in (SESSIONS, f"{SESSIONS}/anything", "/api/transaction", INDEXER):
        r = await anon.get(path)
        error = error_of(r, 401, "Unauthenticated")
        assert error["details"]["path"] == path
    r = await anon.delete("/api/active-sessions", params={"id": "svc/x/y:1"})
    error_of(r, 401, "Unauthenticated")
    anon.cookies.set("session_id", "0123456789abcdef0123456789abcdef01234567")
    error_of(await anon.get(SESSIONS), 401, "Unauthenticated")


async def test_basic_credentials_on_any_request_are_accepted(anon: httpx.AsyncClient) -> None:
    r = await anon.get(SESSIONS, params={"limit": 2}, auth=ADMIN)
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    r = await anon.get(INDEXER, auth=ADMIN)
    assert r.status_code == 200 and r.json()["key"] == "indexer"
    error_of(await anon.get(SESSIONS, auth=("admin", "nope")), 401, "Unauthenticated")


async def test_login_cookie_expires_after_session_ttl_of_inactivity() -> None:
    sim = make_sim(session_ttl=60)
    async with connect(sim) as c:
        assert (await c.get(SESSIONS, params={"limit": 1})).status_code == 200
        manual_clock(sim).advance(61)
        error_of(await c.get(SESSIONS, params={"limit": 1}), 401, "Unauthenticated")


async def test_activity_keeps_the_login_cookie_alive() -> None:
    sim = make_sim(session_ttl=60)
    clock = manual_clock(sim)
    async with connect(sim) as c:
        for _ in range(5):  # a request every 40 s for 200 s, each within the 60 s TTL
            clock.advance(40)
            r = await c.get(SESSIONS, params={"limit": 1})
            assert r.status_code == 200, r.text
        clock.advance(61)  # the same cookie, once idle for longer than the TTL
        error_of(await c.get(SESSIONS, params={"limit": 1}), 401, "Unauthenticated")


# -- one session ------------------------------------------------------------------------------

def _assert_like_reference(body: dict[str, Any], key: str, link: str) -> None:
    """The body has every key of the reference sample (with its value types) and the
    documented extras; `link` is the release's name of the indexer link."""
    ref = REFERENCE_SESSION["body"]
    expected = (set(ref) - {"indexing"}) | {link, "trail_downloads"}
    assert set(body) == expected
    for name, value in ref.items():
        if name != "indexing" and value is not None:
            assert type(body[name]) is type(value), name
    for name in ("alerts", "channels", "events", link, "trail_downloads"):
        assert body[name] == {"href": f"{SESSIONS}/{key}/{name}"}
    assert set(body["recording"]) == set(ref["recording"])
    for name, value in ref["recording"].items():
        assert type(body["recording"][name]) is type(value), name
    assert set(body["recording"]["audit_trail"]) == {"archive", "download"}
    for name in ("client", "server"):
        assert set(body[name]) == set(ref[name])
    for name in ("server_local", "target"):
        assert set(body["recording"][name]) == set(ref["recording"][name])
    assert set(body["user"]) == set(ref["user"])
    assert set(body["analytics"]) == set(ref["analytics"]) | {"score"}
    assert isinstance(body["analytics"]["score"]["aggregated"], int)
    assert 0 <= body["analytics"]["score"]["aggregated"] <= 100
    assert body["recording"]["index_status"] in INDEX_STATUSES


async def test_session_body_has_every_documented_key(client: httpx.AsyncClient) -> None:
    key = await indexed_key(client, "protocol:ssh")
    r = await client.get(f"{SESSIONS}/{key}")
    assert r.status_code == 200
    doc = r.json()
    assert set(doc) == set(REFERENCE_SESSION)
    assert doc["key"] == key
    assert set(doc["meta"]) == set(REFERENCE_SESSION["meta"])
    assert doc["meta"]["href"] == f"{SESSIONS}/{key}"
    assert doc["meta"]["parent"] == SESSIONS
    assert isinstance(doc["meta"]["remaining_seconds"], int)
    body = doc["body"]
    _assert_like_reference(body, key, "indexing")
    assert "indexer" not in body
    assert body["recording"]["audit_trail"]["download"] == {
        "href": f"{SESSIONS}/{key}/audit_trail"}
    # The key is the session id with its special characters replaced by "-".
    assert re.sub(r"[/:]", "-", body["recording"]["session_id"]) == key


async def test_session_body_of_release_6_links_indexer_instead_of_indexing() -> None:
    async with connect(make_sim(compat="6.0")) as c:
        key = await indexed_key(c, "protocol:ssh")
        body = await session_body(c, key)
        _assert_like_reference(body, key, "indexer")
        assert "indexing" not in body
        r = await c.get(body["indexer"]["href"])
        assert r.status_code == 200 and len(r.json()["items"]) == 1


async def test_session_times_parse_as_iso_8601(client: httpx.AsyncClient) -> None:
    for item in await find(client, "active:false", "session_id", limit=20):
        body = await session_body(client, item["key"])
        start = parse_time(body["start_time"])
        end = parse_time(body["end_time"])
        created = parse_time(body["creation_time"])
        assert start.tzinfo and end.tzinfo and created.tzinfo
        assert start <= end
        assert start <= created  # "it can be later than start_time"
        assert body["duration"] == pytest.approx((end - start).total_seconds(), abs=1)


async def test_active_sessions_have_a_null_end_time(client: httpx.AsyncClient) -> None:
    items = await find(client, "active:true", "active,end_time", limit=20)
    for item in items:
        assert item["body"] == {"active": True, "end_time": None}
        body = await session_body(client, item["key"])
        assert body["active"] is True and body["end_time"] is None
        assert body["duration"] >= 0
    for item in await find(client, "active:false", "active,end_time", limit=20):
        assert item["body"]["active"] is False and parse_time(item["body"]["end_time"])


async def test_unknown_session_key_is_not_found(client: httpx.AsyncClient) -> None:
    key = (await find(client, "protocol:ssh", limit=1))[0]["key"]
    prefix, number = key.rsplit("-", 1)
    token = key.split("-")[1]
    other_token = ("A" if token[0] != "A" else "B") + token[1:]
    count = (await search(client, limit=1))["meta"]["match_count"]
    unknown = [
        "no-such-session",
        key.replace(token, other_token),  # right number, wrong random part
        f"{prefix}-{int(number) + count + 10}",  # beyond every session
        "1",
    ]
    for bad in unknown:
        for suffix in ("", "/events", "/channels", "/audit_trail", "/trail_downloads"):
            r = await client.get(f"{SESSIONS}/{bad}{suffix}")
            error = error_of(r, 404, "NotFound")
            assert error["message"]
            assert r.json()["meta"]["href"] == f"{SESSIONS}/{bad}{suffix}"


# -- channels ---------------------------------------------------------------------------------

async def _channels(c: httpx.AsyncClient, key: str) -> list[dict[str, Any]]:
    doc = await get_json(c, f"{SESSIONS}/{key}/channels")
    for n, item in enumerate(doc["items"]):
        assert set(item) == {"body", "key", "meta"}
        assert item["meta"]["href"] == f"{SESSIONS}/{key}/channels/{item['key']}"
        if n == 0:
            assert item["key"] == "1"
    return [item["body"] for item in doc["items"]]


async def test_ssh_channels_have_session_shell_and_the_documented_extra_fields(
        client: httpx.AsyncClient) -> None:
    seen: Counter[str] = Counter()
    for item in await find(client, "protocol:ssh AND verdict:accept AND active:false",
                           limit=80):
        channels = await _channels(client, item["key"])
        assert channels[0]["type"] == "session shell"
        for ch in channels:
            assert ch["type"] in SSH_CHANNEL_EXTRAS, ch
            seen[ch["type"]] += 1
            assert {"type", "verdict", "start_time", "end_time", "duration"} <= set(ch)
            extras = SSH_CHANNEL_EXTRAS[ch["type"]]
            assert extras <= set(ch), ch
            assert not (ALL_CHANNEL_EXTRAS - extras) & set(ch), ch
            for name in extras:
                value = ch[name]
                assert isinstance(value, int) if name.endswith(".port") else value, ch
    # Every documented SSH channel type occurs, so the checks above were not vacuous.
    assert set(seen) == set(SSH_CHANNEL_EXTRAS), seen


async def test_rdp_channels_have_drawing_and_device_name_or_dynamic_channel(
        client: httpx.AsyncClient) -> None:
    seen: Counter[str] = Counter()
    for item in await find(client, "protocol:rdp AND verdict:accept AND active:false",
                           limit=80):
        channels = await _channels(client, item["key"])
        assert channels[0]["type"] == "drawing"
        for ch in channels:
            seen[ch["type"]] += 1
            if ch["type"] in RDP_DEVICE_CHANNELS:
                assert isinstance(ch["device_name"], str) and ch["device_name"], ch
            else:
                assert "device_name" not in ch, ch
            if ch["type"] == "dynamic virtual":
                assert isinstance(ch["dynamic_channel"], str) and ch["dynamic_channel"], ch
            else:
                assert "dynamic_channel" not in ch, ch
            assert not {"command", "scp_path", "subsystem_name"} & set(ch)
    assert "dynamic virtual" in seen and RDP_DEVICE_CHANNELS & set(seen), seen


async def test_channel_times_are_epoch_integers_in_6_0_and_iso_strings_in_8_0(
        client: httpx.AsyncClient) -> None:
    async with connect(make_sim(compat="6.0")) as c6:  # same seed: the same sessions
        for item in await find(client, "protocol:ssh AND verdict:accept AND active:false",
                               limit=5):
            new = await _channels(client, item["key"])
            old = await _channels(c6, item["key"])
            assert [ch["type"] for ch in new] == [ch["type"] for ch in old]
            for ch8, ch6 in zip(new, old, strict=True):
                for name in ("start_time", "end_time"):
                    assert isinstance(ch8[name], str)
                    assert type(ch6[name]) is int
                    assert int(parse_time(ch8[name]).timestamp()) == ch6[name]
        key, _ = await open_channel_ssh_key(c6)
        shell = (await _channels(c6, key))[0]
        assert type(shell["start_time"]) is int and shell["end_time"] is None


# -- events -----------------------------------------------------------------------------------

async def test_event_items_have_exactly_the_documented_keys(client: httpx.AsyncClient) -> None:
    key, events = await sudo_session(client)
    doc = await get_json(client, f"{SESSIONS}/{key}/events")
    assert doc["meta"]["href"] == f"{SESSIONS}/{key}/events"
    assert doc["meta"]["parent"] == f"{SESSIONS}/{key}"
    for event in events:
        assert set(event) == set(REFERENCE_EVENT)
        assert isinstance(event["record_id"], int)
        assert event["type"] == "command"
        assert parse_time(event["time"])
    record_ids = [e["record_id"] for e in events]
    assert record_ids == sorted(set(record_ids))


async def test_events_q_content_filters(client: httpx.AsyncClient) -> None:
    key, events = await sudo_session(client)
    expected = [e for e in events if has_word(e, "sudo")]
    filtered = await events_of(client, key, q="content:sudo")
    assert filtered == expected
    assert 0 < len(filtered) < len(events)
    none = await events_of(client, key, q="content:nosuchwordanywhere")
    assert none == []
    r = await client.get(f"{SESSIONS}/{key}/events", params={"q": "content:(sudo"})
    error_of(r, 400, "InvalidQuery")


async def test_events_limit_offset_and_meta_links_page_through_the_list(
        client: httpx.AsyncClient) -> None:
    key, events = await sudo_session(client, minimum=7)
    path = f"{SESSIONS}/{key}/events"
    page = await get_json(client, path, limit=3, offset=3)
    assert page["items"] == events[3:6]
    meta = page["meta"]
    assert meta["limit"] == 3 and meta["offset"] == 3
    last_offset = (len(events) - 1) // 3 * 3
    assert meta["first"] == f"{path}?limit=3&offset=0"
    assert meta["previous"] == f"{path}?limit=3&offset=0"
    assert meta["last"] == f"{path}?limit=3&offset={last_offset}"
    assert meta["next"] == (f"{path}?limit=3&offset=6" if len(events) > 6 else None)
    # Following next links from the first page visits every event once, in order.
    collected: list[dict[str, Any]] = []
    link: str | None = f"{path}?limit=3&offset=0"
    pages = 0
    while link:
        doc = await get_json(client, link)
        collected += doc["items"]
        link = doc["meta"]["next"]
        pages += 1
    assert collected == events
    assert pages == (len(events) + 2) // 3
    last = await get_json(client, meta["last"])
    assert last["items"] == events[last_offset:] and last["meta"]["next"] is None
    first = await get_json(client, path, limit=3)
    assert first["meta"]["previous"] is None and first["meta"]["offset"] == 0
    error_of(await client.get(path, params={"limit": 0}), 400, "InvalidQuery")
    error_of(await client.get(path, params={"offset": -1}), 400, "InvalidQuery")


async def test_events_paging_links_keep_the_q_filter(client: httpx.AsyncClient) -> None:
    key, events = await sudo_session(client, sudo=3)
    expected = [e for e in events if has_word(e, "sudo")]
    path = f"{SESSIONS}/{key}/events"
    collected: list[dict[str, Any]] = []
    link: str | None = None
    doc = await get_json(client, path, q="content:sudo", limit=1)
    while True:
        collected += doc["items"]
        link = doc["meta"]["next"]
        if not link:
            break
        doc = await get_json(client, link)
    assert collected == expected and len(collected) >= 3
    last = await get_json(client, doc["meta"]["last"])
    assert last["items"] == expected[-1:]
    first = await get_json(client, doc["meta"]["first"])
    assert first["items"] == expected[:1]
    previous = await get_json(client, doc["meta"]["previous"])
    assert previous["items"] == expected[-2:-1]


async def test_events_record_id_range_filter(client: httpx.AsyncClient) -> None:
    key, events = await sudo_session(client)
    n = events[2]["record_id"]
    after = await events_of(client, key, q=f"record_id:{{{n} TO *}}")
    assert after == [e for e in events if e["record_id"] > n] == events[3:]
    from_n = await events_of(client, key, q=f"record_id:[{n} TO *]")
    assert from_n == events[2:]
    upto = await events_of(client, key, q=f"record_id:[* TO {n}}}")
    assert upto == events[:2]


async def test_active_session_events_grow_with_the_clock_and_stop_when_it_ends(
        client: httpx.AsyncClient, clock: ManualClock) -> None:
    client.auth = ADMIN  # the clock moves past the cookie's 20 minutes
    key, _ = await open_channel_ssh_key(client)
    counts = [len(await events_of(client, key))]
    tail_checked = False
    for _ in range(200):
        before = await events_of(client, key)
        clock.advance(60)
        now_events = await events_of(client, key)
        assert now_events[: len(before)] == before  # the list only grows at its end
        if before and len(now_events) > len(before):
            # Tailing: only the events after the last one seen.
            last = before[-1]["record_id"]
            assert await events_of(client, key, q=f"record_id:{{{last} TO *}}") == \
                now_events[len(before):]
            tail_checked = True
        counts.append(len(now_events))
        if not (await session_body(client, key))["active"]:
            break
    else:
        raise AssertionError("the session never ended")
    assert counts[-1] > counts[0]
    assert tail_checked
    final = await events_of(client, key)
    clock.advance(3600)
    assert await events_of(client, key) == final


# -- indexing, alerts, trail downloads ----------------------------------------------------------

async def test_indexing_and_indexer_both_list_the_indexer_run(client: httpx.AsyncClient) -> None:
    key = await indexed_key(client, "protocol:ssh")
    body = await session_body(client, key)
    answers = {}
    for name in ("indexing", "indexer"):
        doc = await get_json(client, f"{SESSIONS}/{key}/{name}")
        assert doc["meta"]["match_count"] == 1
        assert doc["meta"]["parent"] == f"{SESSIONS}/{key}"
        answers[name] = doc["items"]
    assert answers["indexing"] == answers["indexer"]
    run = answers["indexing"][0]
    assert set(run) == set(REFERENCE_INDEXER_RUN)
    assert set(run["config"]) == set(REFERENCE_INDEXER_RUN["config"])
    assert set(run["statistics"]) == set(REFERENCE_INDEXER_RUN["statistics"])
    assert run["status"] == "COMPLETED"
    # statistics.start_time is in epoch milliseconds, after the session ended.
    assert run["statistics"]["start_time"] / 1000 >= parse_time(body["end_time"]).timestamp()
    # The indexer has not picked up a session whose channel is still open.
    open_key, _ = await open_channel_ssh_key(client)
    assert (await get_json(client, f"{SESSIONS}/{open_key}/indexing"))["items"] == []


async def test_alerts_items_have_the_documented_keys(client: httpx.AsyncClient) -> None:
    for item in await find(client, "protocol:ssh AND active:false AND "
                           "psm.connection_policy:ssh_prod AND screen.content:sudo",
                           "analytics.interesting_events", limit=50):
        if item["body"]["analytics.interesting_events"]:
            key = item["key"]
            break
    else:
        raise AssertionError("no session with interesting events under an alerting policy")
    doc = await get_json(client, f"{SESSIONS}/{key}/alerts")
    alerts = doc["items"]
    assert alerts and doc["meta"]["match_count"] == len(alerts)
    events = {e["record_id"]: e for e in await events_of(client, key)}
    for alert in alerts:
        assert set(alert) == set(REFERENCE_ALERT)
        assert isinstance(alert["record_id"], int)
        assert parse_time(alert["time"])
        event = events[alert["record_id"]]  # an alert points at a recorded event
        assert alert["matched_content"] == event["content"]
        assert alert["matched_action"] == event["action"]
        assert alert["matched_regexp"] in words(event["action"])


async def test_trail_downloads_list_an_api_download_by_admin(
        client: httpx.AsyncClient, clock: ManualClock) -> None:
    key = await indexed_key(client, "protocol:ssh")
    path = f"{SESSIONS}/{key}/trail_downloads"
    before = (await get_json(client, path))["items"]
    assert all(item["from_api"] is False for item in before)
    clock.advance(5)
    r = await client.get(f"{SESSIONS}/{key}/audit_trail")
    assert r.status_code == 200
    doc = await get_json(client, path)
    after = doc["items"]
    assert doc["meta"]["match_count"] == len(before) + 1
    new = [item for item in after if item not in before]
    assert len(new) == 1
    download = new[0]
    assert set(download) == set(REFERENCE_TRAIL_DOWNLOAD)
    assert download["from_api"] is True
    assert download["username"] == "admin"
    assert download["ip_address"]
    assert parse_time(download["time"]).timestamp() == pytest.approx(clock.now(), abs=1)


# -- content search in one session --------------------------------------------------------------

async def test_content_search_in_one_session_returns_only_matching_events(
        client: httpx.AsyncClient) -> None:
    key, events = await sudo_session(client)
    expected = [e for e in events if has_word(e, "sudo")]
    doc = await get_json(client, f"{SESSIONS}/{key}/content/", q="sudo")
    assert doc["items"] == expected
    assert doc["meta"]["match_count"] == len(expected) < len(events)


@pytest.mark.parametrize("query", [None, "", "   "])
async def test_content_search_without_q_is_a_bad_request(
        client: httpx.AsyncClient, query: str | None) -> None:
    key = await indexed_key(client, "protocol:ssh")
    params = {} if query is None else {"q": query}
    r = await client.get(f"{SESSIONS}/{key}/content/", params=params)
    assert r.status_code == 400
    assert r.json()["error"]["code"]


# -- audit trails -------------------------------------------------------------------------------

async def test_audit_trail_content_length_equals_the_body_and_bytes_are_repeatable(
        client: httpx.AsyncClient) -> None:
    key = await indexed_key(client, "protocol:ssh")
    first = await client.get(f"{SESSIONS}/{key}/audit_trail")
    assert first.status_code == 200
    assert int(first.headers["content-length"]) == len(first.content) > 4096
    second = await client.get(f"{SESSIONS}/{key}/audit_trail")
    assert second.content == first.content
    async with connect(make_sim()) as twin:  # same seed
        again = await twin.get(f"{SESSIONS}/{key}/audit_trail")
        assert again.status_code == 200 and again.content == first.content
    async with connect(make_sim(seed=8)) as other:
        other_key = await indexed_key(other, "protocol:ssh")
        assert other_key != key
        different = await other.get(f"{SESSIONS}/{other_key}/audit_trail")
        assert different.status_code == 200
        assert int(different.headers["content-length"]) == len(different.content)
        tail = min(len(different.content), len(first.content)) - 4096
        assert hashlib.sha256(different.content[-tail:]).digest() != \
            hashlib.sha256(first.content[-tail:]).digest()


async def test_audit_trail_of_a_session_without_trail_is_not_found(
        client: httpx.AsyncClient) -> None:
    items = await find(client, "verdict:auth-fail", "index_status", limit=5)
    for item in items:
        assert item["body"]["index_status"] == "NO_TRAIL"
        body = await session_body(client, item["key"])
        assert "audit_trail" not in body["recording"]
        for params in ({}, {"format": "srs"}):
            r = await client.get(f"{SESSIONS}/{item['key']}/audit_trail", params=params)
            error_of(r, 404, "NotFound")


async def test_srs_follow_download_grows_with_the_clock_and_ends_with_the_session(
        sim: Simulator, clock: ManualClock, server: BackgroundServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, auth=ADMIN, timeout=10) as c:
        key, _ = await open_channel_ssh_key(c)
        url = f"{SESSIONS}/{key}/audit_trail"
        received = bytearray()
        async with c.stream("GET", url, params={"format": "srs"}) as r:
            assert r.status_code == 200
            assert "content-length" not in r.headers  # open-ended while it records
            chunks = r.aiter_raw()

            async def fill(size: int) -> None:
                async with asyncio.timeout(5):
                    while len(received) < size:
                        received.extend(await anext(chunks))
                assert len(received) == size  # exactly what is recorded, no more

            sizes = [await trail_size(c, key)]
            await fill(sizes[0])
            for _ in range(120):
                clock.advance(30)
                size = await trail_size(c, key)
                if not (await session_body(c, key))["active"]:
                    break
                assert size > sizes[-1]
                await fill(size)
                sizes.append(size)
            else:
                raise AssertionError("the session never ended")
            assert len(sizes) >= 3  # it grew while active
            async with asyncio.timeout(5):  # the stream finishes once the session ends
                async for chunk in chunks:
                    received.extend(chunk)
        assert len(received) == size
        clock.advance(600)
        assert await trail_size(c, key) == size  # nothing is recorded after the end


async def test_srs_follow_download_ends_when_the_session_is_terminated(
        sim: Simulator, clock: ManualClock, server: BackgroundServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, auth=ADMIN, timeout=10) as c:
        key, session_id = await open_channel_ssh_key(c)
        received = bytearray()
        async with c.stream("GET", f"{SESSIONS}/{key}/audit_trail",
                            params={"format": "srs"}) as r:
            assert r.status_code == 200
            chunks = r.aiter_raw()
            clock.advance(20)
            size = await trail_size(c, key)
            async with asyncio.timeout(5):
                while len(received) < size:
                    received.extend(await anext(chunks))
            t = await c.delete(f"/api/active-sessions?id={quote(session_id, safe='')}")
            assert t.status_code == 200
            clock.advance(20)
            async with asyncio.timeout(5):
                async for chunk in chunks:
                    received.extend(chunk)
        assert len(received) == size == await trail_size(c, key)


# -- terminating active sessions ------------------------------------------------------------------

async def test_terminate_ends_the_session_and_indexing_follows(
        client: httpx.AsyncClient, clock: ManualClock) -> None:
    candidates = [item for item in await find(client, "protocol:ssh AND active:true",
                                              "session_id,index_status")
                  if item["body"]["index_status"] == "CHANNEL_OPEN"][:4]
    assert len(candidates) == 4
    stopped_at = clock.now()
    for item in candidates:
        sid = item["body"]["session_id"]
        r = await client.delete(f"/api/active-sessions?id={quote(sid, safe='')}")
        assert r.status_code == 200, r.text
        assert r.json()["key"] == sid
    paths: dict[str, list[str]] = {}
    for item in candidates:
        body = await session_body(client, item["key"])
        assert body["active"] is False
        assert parse_time(body["end_time"]).timestamp() == pytest.approx(stopped_at, abs=0.001)
        assert body["duration"] == int(stopped_at - parse_time(body["start_time"]).timestamp())
        paths[item["key"]] = ["CHANNEL_OPEN", body["recording"]["index_status"]]
    active_now = {i["key"] for i in (await search(client, q="active:true", limit=500))["items"]}
    assert not active_now & set(paths)
    final = {"INDEXED", "INDEXING_FAILED"}
    for _ in range(340):  # 1020 s in 3 s steps: more than the longest indexing takes
        clock.advance(3)
        for key, path in paths.items():
            status = (await session_body(client, key))["recording"]["index_status"]
            if status != path[-1]:
                path.append(status)
        if all(path[-1] in final for path in paths.values()):
            break
    allowed = (
        ["CHANNEL_OPEN", "NOT_INDEXED", "INDEXING_IN_PROGRESS", "INDEXED"],
        ["CHANNEL_OPEN", "NOT_INDEXED", "INDEXING_IN_PROGRESS", "INDEXING_FAILED"],
        ["CHANNEL_OPEN", "NOT_INDEXED"],  # never picked up by the indexer
    )
    for path in paths.values():
        assert path in allowed, path
    assert allowed[0] in paths.values()
    # The end stays where the termination put it.
    for key in paths:
        body = await session_body(client, key)
        assert parse_time(body["end_time"]).timestamp() == pytest.approx(stopped_at, abs=0.001)


async def test_terminate_without_id_is_session_id_missing(client: httpx.AsyncClient) -> None:
    for url in ("/api/active-sessions", "/api/active-sessions?id=", "/api/active-sessions?id=%20"):
        error_of(await client.delete(url), 400, "SessionIdMissing")


async def test_terminate_unknown_or_ended_session_could_not_be_found(
        client: httpx.AsyncClient) -> None:
    ended = (await find(client, "active:false", "session_id", limit=1))[0]["body"]["session_id"]
    key, live = await open_channel_ssh_key(client)
    bogus = live.rsplit(":", 1)[0] + ":999999"
    for ident in (ended, bogus, "svc/nothing/here:1", "garbage"):
        r = await client.delete(f"/api/active-sessions?id={quote(ident, safe='')}")
        error_of(r, 404, "SessionCouldNotBeFound")
    r = await client.delete(f"/api/active-sessions?id={quote(live, safe='')}")
    assert r.status_code == 200
    r = await client.delete(f"/api/active-sessions?id={quote(live, safe='')}")
    error_of(r, 404, "SessionCouldNotBeFound")
    assert (await session_body(client, key))["active"] is False


# -- a living appliance ---------------------------------------------------------------------------

async def test_an_hour_later_new_sessions_appear_and_active_ones_have_ended(
        client: httpx.AsyncClient, clock: ManualClock) -> None:
    client.auth = ADMIN  # the clock moves past the cookie's 20 minutes
    old_now = clock.now()
    count0 = (await search(client, limit=1))["meta"]["match_count"]
    active0 = {i["key"] for i in await find(client, "active:true", limit=500)}
    clock.advance(3600)
    doc = await search(client, fields="start_time", sort="-start_time", limit=500)
    count1 = doc["meta"]["match_count"]
    assert count1 > count0
    assert count1 - count0 < 500  # all new ones are on this page
    starts = [parse_time(i["body"]["start_time"]).timestamp() for i in doc["items"]]
    new = [s for s in starts if s > old_now]
    assert len(new) == count1 - count0
    assert all(s <= clock.now() for s in new)
    active1 = {i["key"] for i in await find(client, "active:true", limit=500)}
    ended = active0 - active1
    assert ended
    for key in sorted(ended)[:10]:
        body = await session_body(client, key)
        assert body["active"] is False
        assert old_now < parse_time(body["end_time"]).timestamp() <= clock.now()
    assert active1 - active0  # and some of the new ones are running now


async def test_same_seed_gives_the_same_first_page() -> None:
    pages = []
    for seed in (7, 7, 8):
        sim = make_sim(seed=seed)
        async with connect(sim, basic=True) as c:
            first = (await search(c, fields="*", limit=50))["items"]
            manual_clock(sim).advance(3600)
            later = (await search(c, fields="*", limit=50))["items"]
        pages.append((first, later))
    assert pages[0] == pages[1]
    assert pages[0][0] != pages[2][0]
    assert pages[0][1] != pages[0][0]


async def test_hostile_text_occurs_in_event_content(client: httpx.AsyncClient) -> None:
    found_escape = found_markup = False
    checked: set[str] = set()
    for word in ("owned", "evil", "bold", "link", "urgent", "red"):
        for item in (await search(client, q=f"screen.content:{word} AND active:false",
                                  limit=30))["items"]:
            if item["key"] in checked:
                continue
            checked.add(item["key"])
            for event in await events_of(client, item["key"]):
                text = event["content"] + event["action"]
                found_escape = found_escape or "\x1b" in text
                found_markup = found_markup or "[bold" in text or "[link=" in text
            if found_escape and found_markup:
                return
    raise AssertionError(f"escape sequences: {found_escape}, markup: {found_markup}")


async def test_some_user_names_are_not_ascii(client: httpx.AsyncClient) -> None:
    names: dict[str, str] = {}
    offset = 0
    while True:
        doc = await search(client, fields="name", limit=500, offset=offset)
        names.update({i["key"]: i["body"]["name"] for i in doc["items"]})
        if not doc["meta"]["next"]:
            break
        offset += 500
    foreign = {key: name for key, name in names.items() if not name.isascii()}
    assert foreign
    assert len(set(foreign.values())) >= 3
    key, name = next(iter(foreign.items()))
    assert (await session_body(client, key))["user"]["name"] == name


async def test_twenty_thousand_sessions_hold_every_verdict_index_status_and_protocol(
        record_property: Callable[[str, object], None]) -> None:
    began = time.perf_counter()
    sim = make_sim(sessions=20000)
    # Reported, not asserted (see the junit report's properties).
    record_property("construction_seconds", round(time.perf_counter() - began, 3))
    async with connect(sim) as c:
        assert (await search(c, limit=1))["meta"]["match_count"] == 20000
        for verdict in VERDICTS:
            doc = await search(c, q=f"verdict:{verdict}", fields="verdict", limit=5)
            assert doc["meta"]["match_count"] > 0, verdict
            for item in doc["items"]:
                assert item["body"]["verdict"] == verdict.upper().replace("-", "_")
        statuses: Counter[str] = Counter()
        protocols: Counter[str] = Counter()
        for offset in range(0, 10000, 500):  # basic search reaches the newest 10,000
            doc = await search(c, fields="recording.index_status,protocol", limit=500,
                               offset=offset)
            for item in doc["items"]:
                statuses[item["body"]["index_status"]] += 1
                protocols[item["body"]["protocol"]] += 1
    assert set(statuses) == set(INDEX_STATUSES), statuses
    assert set(protocols) == set(PROTOCOLS), protocols


async def test_protocols_include_every_documented_one(client: httpx.AsyncClient) -> None:
    for protocol in PROTOCOLS:
        doc = await search(client, q=f"protocol:{protocol.lower()}", fields="protocol", limit=3)
        assert doc["meta"]["match_count"] > 0, protocol
        assert {i["body"]["protocol"] for i in doc["items"]} == {protocol}


# -- configuration over HTTP ----------------------------------------------------------------------

async def test_indexer_put_outside_a_transaction_is_refused(client: httpx.AsyncClient) -> None:
    body = (await get_json(client, INDEXER))["body"]
    r = await client.put(INDEXER, json={**body, "number_of_workers": body["number_of_workers"] + 1})
    assert r.status_code == 400
    assert r.json()["error"]["code"]
    assert (await get_json(client, INDEXER))["body"] == body


async def test_transaction_commit_applies_a_changed_number_of_workers(
        client: httpx.AsyncClient, sim: Simulator) -> None:
    r = await client.post("/api/transaction")
    assert r.status_code == 200, r.text
    assert r.json()["body"]["status"] == "open"
    status = await get_json(client, "/api/transaction")
    assert status["key"] == "transaction" and status["body"]["status"] == "open"
    doc = await get_json(client, INDEXER)
    assert doc["key"] == "indexer"
    workers = doc["body"]["number_of_workers"]
    assert isinstance(workers, int) and workers >= 1
    changed = {**doc["body"], "number_of_workers": workers + 3}
    r = await client.put(INDEXER, json=changed)  # the bare body, references as GET shows them
    assert r.status_code == 200, r.text
    assert (await get_json(client, INDEXER))["body"]["number_of_workers"] == workers + 3
    changes = (await get_json(client, "/api/transaction/changes"))["changes"]
    assert len(changes) == 1
    change = changes[0]
    assert change["path"] == INDEXER and change["type"] == "replace"
    assert change["new_value"]["number_of_workers"] == workers + 3
    assert change["old_value"]["number_of_workers"] == workers
    async with connect(sim) as other:  # another administrator
        assert (await get_json(other, INDEXER))["body"]["number_of_workers"] == workers
        assert (await other.post("/api/transaction")).status_code >= 400  # locked
    r = await client.put("/api/transaction", json={"status": "commit"})
    assert r.status_code == 200, r.text
    assert (await get_json(client, "/api/transaction"))["body"]["status"] == "closed"
    assert (await get_json(client, "/api/transaction/changes"))["changes"] == []
    assert (await get_json(client, INDEXER))["body"]["number_of_workers"] == workers + 3
    async with connect(sim) as other:
        assert (await get_json(other, INDEXER))["body"]["number_of_workers"] == workers + 3


async def test_transaction_rollback_discards_the_change(client: httpx.AsyncClient) -> None:
    before = (await get_json(client, INDEXER))["body"]
    assert (await client.post("/api/transaction")).status_code == 200
    r = await client.put(INDEXER, json={**before,
                                        "number_of_workers": before["number_of_workers"] + 5})
    assert r.status_code == 200, r.text
    assert (await get_json(client, "/api/transaction/changes"))["changes"]
    r = await client.delete("/api/transaction")
    assert r.status_code == 200
    assert (await get_json(client, "/api/transaction"))["body"]["status"] == "closed"
    assert (await get_json(client, INDEXER))["body"] == before
    # Rolled back means closed: a PUT now needs a new transaction.
    r = await client.put(INDEXER, json=before)
    assert r.status_code == 400


async def test_negative_number_of_workers_is_refused_naming_the_field(
        client: httpx.AsyncClient) -> None:
    body = (await get_json(client, INDEXER))["body"]
    assert (await client.post("/api/transaction")).status_code == 200
    r = await client.put(INDEXER, json={**body, "number_of_workers": -1})
    assert r.status_code == 400
    error = r.json()["error"]
    assert "number_of_workers" in error["message"]
    assert error["details"]["field"] == "number_of_workers"
    assert (await get_json(client, "/api/transaction/changes"))["changes"] == []


async def test_release_6_transaction_has_the_old_shape() -> None:
    async with connect(make_sim(compat="6.0")) as c:
        closed = await get_json(c, "/api/transaction")
        assert closed["key"] == "transaction" and "body" not in closed
        assert closed["transaction"]["status"] == "closed"
        opened = (await c.post("/api/transaction")).json()
        assert opened["key"] == "transaction" and "body" not in opened
        assert opened["transaction"]["status"] == "open"
        assert (await get_json(c, "/api/transaction"))["transaction"]["status"] == "open"
        assert (await c.delete("/api/transaction")).status_code == 200
        assert (await get_json(c, "/api/transaction"))["transaction"]["status"] == "closed"


# -- request log, latency and faults --------------------------------------------------------------

async def test_request_log_records_method_path_query_status_and_duration(
        client: httpx.AsyncClient, sim: Simulator) -> None:
    await client.get(SESSIONS, params={"limit": 2, "fields": "protocol"})
    record = sim.request_log[-1]
    assert record.method == "GET"
    assert record.path == "/api/audit/sessions?limit=2&fields=protocol"
    assert record.status == 200
    assert record.duration_ms > 0
    await client.get(f"{SESSIONS}/nothing-here")
    assert (sim.request_log[-1].path, sim.request_log[-1].status) == (
        f"{SESSIONS}/nothing-here", 404)
    await client.delete("/api/active-sessions")
    assert (sim.request_log[-1].method, sim.request_log[-1].status) == ("DELETE", 400)
    client.cookies.clear()
    await client.get(SESSIONS)
    assert sim.request_log[-1].status == 401


async def test_latency_adds_at_least_its_delay_to_every_request() -> None:
    sim = make_sim(latency_ms=50)
    async with connect(sim) as c:
        await c.get(SESSIONS, params={"limit": 1})
        await c.get(f"{SESSIONS}/unknown")
    assert len(sim.request_log) == 3
    assert all(record.duration_ms >= 50 for record in sim.request_log)


async def test_injected_status_fault_answers_once_then_normal(
        client: httpx.AsyncClient, sim: Simulator) -> None:
    sim.faults.append(Fault(path=SESSIONS, status=503))
    r = await client.get(SESSIONS, params={"limit": 1})
    assert r.status_code == 503
    assert r.json()["error"]["code"]
    r = await client.get(SESSIONS, params={"limit": 1})
    assert r.status_code == 200 and len(r.json()["items"]) == 1
    assert [rec.status for rec in list(sim.request_log)[-2:]] == [503, 200]


async def test_dropped_connection_fault_makes_the_trail_download_fail(
        sim: Simulator, server: BackgroundServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, auth=ADMIN, timeout=10) as c:
        key = await indexed_key(c, "protocol:ssh")
        url = f"{SESSIONS}/{key}/audit_trail"
        sim.faults.append(Fault(path=url, drop_after=1000))
        with pytest.raises(httpx.TransportError):
            await c.get(url)
        r = await c.get(url)  # the fault struck once
        assert r.status_code == 200
        assert len(r.content) == int(r.headers["content-length"]) > 1000
