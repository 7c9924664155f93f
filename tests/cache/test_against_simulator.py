"""Offline search agrees with the simulated appliance.

The simulator evaluates `q` with its own, independent code; the cache is filled
with everything the simulator serves, then both answer the same queries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from spstui.cache import CacheStore, query_key

SESSIONS = "/api/audit/sessions"
QUERIES = [
    "protocol:ssh",
    "protocol:(ssh rdp) AND NOT verdict:accept",
    "verdict:ACCEPT_TERMINATED OR verdict:deny",
    "name:a* AND active:false",
    "NOT name:?d*",
    "client.port:[40000 TO 50000} AND server.port:22",
    "target.port:{21 TO 23]",
    "active:true",
    "start_time:[2026-11-01 TO 2026-11-10]",
    "start_time:{2026-11-01 TO 2026-11-10}",
    "end_time:[* TO 2026-10-01T12:00:00]",
    "psm.connection_policy:*rdp* OR auth_method:publickey",
    "+protocol:telnet -verdict:accept",
]


async def all_keys(client: httpx.AsyncClient, params: dict[str, Any]) -> list[str]:
    keys: list[str] = []
    while True:
        response = await client.get(SESSIONS, params={**params, "limit": 500,
                                                      "offset": len(keys)})
        response.raise_for_status()
        items = response.json()["items"]
        keys += [i["key"] for i in items]
        if len(items) < 500:
            return keys


@pytest.fixture
async def mirrored(client: httpx.AsyncClient, tmp_path: Path) -> CacheStore:
    store = CacheStore(tmp_path / "mirror.sqlite3")
    params = {"fields": "*"}
    offset = 0
    while True:
        response = await client.get(SESSIONS, params={**params, "limit": 500, "offset": offset})
        response.raise_for_status()
        page = response.json()
        store.put_page(query_key(params), offset, 500, page["meta"]["match_count"],
                       page["items"])
        offset += len(page["items"])
        if offset >= page["meta"]["match_count"]:
            return store


async def test_offline_search_agrees_with_the_appliance(client: httpx.AsyncClient,
                                                        mirrored: CacheStore) -> None:
    disagreements = {}
    for q in QUERIES:
        online = set(await all_keys(client, {"q": q}))
        offline = {r["key"] for r in mirrored.search(q, limit=10_000).rows}
        assert online, q  # a query that selects nothing proves nothing
        if online != offline:
            disagreements[q] = (len(online), len(offline), sorted(online ^ offline)[:5])
    assert not disagreements


async def test_offline_order_agrees_with_the_appliance(client: httpx.AsyncClient,
                                                       mirrored: CacheStore) -> None:
    for sort in ("-duration,start_time", "protocol,-start_time", ""):
        params = {"q": "verdict:accept", **({"sort": sort} if sort else {})}
        online = (await all_keys(client, params))[:300]
        offline = [r["key"] for r in mirrored.search(
            "verdict:accept", sort=[sort] if sort else [], limit=300).rows]
        assert offline == online, sort


async def test_start_and_end_agree_with_the_appliance(client: httpx.AsyncClient,
                                                      mirrored: CacheStore) -> None:
    for start, end in (("2026-11-01", None), (None, "2026-10-15"),
                       ("2026-10-01T06:00", "2026-10-20T18:30")):
        params = {k: v for k, v in (("start", start), ("end", end)) if v}
        online = set(await all_keys(client, params))
        offline = {r["key"] for r in mirrored.search(start=start, end=end, limit=10_000).rows}
        assert online and online == offline, params


CONTENT = ["sudo", "su*", "ls", '"ls -la"', "iptables", "s?do", "sys*", "cat", '"sudo iptables"']


async def test_content_search_agrees_for_sessions_with_cached_events(
        client: httpx.AsyncClient, mirrored: CacheStore) -> None:
    # Events of the 200 newest ended sessions: offline, content search knows only
    # those. The appliance searches indexed trails only, so compare on those.
    ended = [r["key"] for r in mirrored.search("active:false", limit=200).rows]
    indexed = set()
    for key in ended:
        response = await client.get(f"{SESSIONS}/{key}")
        response.raise_for_status()
        mirrored.put_session(response.json())
        if response.json()["body"]["recording"]["index_status"] == "INDEXED":
            indexed.add(key)
        response = await client.get(f"{SESSIONS}/{key}/events", params={"limit": 500})
        response.raise_for_status()
        mirrored.put_part(key, "events", response.json()["items"], final=True)
    assert len(indexed) > 50
    for text in CONTENT:
        online = set(await all_keys(client, {"content": text})) & indexed
        offline = indexed & {r["key"] for r in mirrored.search(content=text, limit=10_000).rows}
        assert online, text
        assert offline == online, text
