"""Searching through the API layer: pages, counts, and every match past 10,000."""

from __future__ import annotations

import httpx
import pytest

from spstui.api.client import Connection, SpsClient
from spstui.api.errors import InvalidRequest
from spstui.api.search import Progress, SearchQuery, count, csv_page, iterate, search_page
from spstui.simulator import ManualClock, Simulator
from tests.conftest import make_sim


def connect(sim: Simulator) -> SpsClient:
    return SpsClient(Connection("https://sps.test", "admin", "admin"),
                     transport=httpx.ASGITransport(app=sim.app))


def searches(sim: Simulator) -> list[str]:
    return [r.path for r in sim.request_log if r.path.startswith("/api/audit/sessions")]


async def test_page_rows_carry_the_table_fields(sim: Simulator) -> None:
    async with connect(sim) as client:
        page = await search_page(client, SearchQuery(q="protocol:ssh", limit=20))
    assert len(page.items) == 20 and page.meta.match_count is not None
    row = page.items[0]
    assert row.protocol == "SSH" and row.start_time is not None
    assert row.client_address and row.server_port and row.verdict is not None
    assert row.index_status is not None and row.score is not None


async def test_count_matches_the_number_of_rows_iterated(sim: Simulator) -> None:
    query = SearchQuery(q="protocol:rdp AND verdict:accept", limit=100)
    async with connect(sim) as client:
        total = await count(client, query)
        rows = [row async for row in iterate(client, query)]
    assert total == len(rows) > 100
    assert all(r.protocol == "RDP" and r.verdict is not None and r.verdict.normalized == "accept"
               for r in rows)


async def test_offset_paging_fetches_each_page_once(sim: Simulator) -> None:
    query = SearchQuery(q="protocol:ssh", limit=250)
    progress = Progress()
    async with connect(sim) as client:
        keys = [row.key async for row in iterate(client, query, progress=progress)]
    assert len(keys) == len(set(keys)) == progress.match_count
    pages = searches(sim)
    assert len(pages) == len(set(pages)) == progress.pages == -(-len(keys) // 250)
    assert not progress.advanced


async def test_more_than_10000_matches_continue_through_advanced_search() -> None:
    sim = make_sim(sessions=10_600, active_ratio=0.0)
    notices: list[str] = []
    progress = Progress()
    async with connect(sim) as client:
        keys = [row.key async for row in iterate(client, SearchQuery(), progress=progress,
                                                  notice=notices.append)]
    assert len(keys) == len(set(keys)) == 10_600
    assert progress.advanced and progress.snapshots == 1
    assert notices and "advanced search" in notices[0]
    assert sum("/_snapshot" in p for p in searches(sim)) == 1


async def test_snapshot_quota_is_waited_out_then_iteration_goes_on() -> None:
    sim = make_sim(sessions=600)
    clock = sim.clock
    assert isinstance(clock, ManualClock)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    async with connect(sim) as client:
        # Another search of this client still holds the one allowed snapshot.
        held = await client.get_json("/api/audit/sessions/_snapshot",
                                     headers=client.search_identity)
        assert held["body"]["snapshot"]
        progress = Progress()
        keys = [row.key async for row in iterate(client, SearchQuery(limit=200), advanced=True,
                                                  progress=progress, sleep=sleep)]
    # Sessions that started while we waited are in the later snapshot too.
    assert len(keys) == len(set(keys)) >= 600
    assert len(waits) == 1 and 0 < waits[0] <= 301
    assert any("waiting" in n for n in progress.notices)


async def test_expired_snapshot_is_reopened_and_resumed_without_repeats() -> None:
    sim = make_sim(sessions=1500, active_ratio=0.0)
    clock = sim.clock
    assert isinstance(clock, ManualClock)
    progress = Progress()
    keys: list[str] = []
    async with connect(sim) as client:
        async for row in iterate(client, SearchQuery(limit=300), advanced=True,
                                 progress=progress):
            keys.append(row.key)
            if len(keys) == 450:
                clock.advance(301)  # the snapshot expires while we work
    assert progress.snapshots == 2
    assert any("expired" in n for n in progress.notices)
    assert len(keys) == len(set(keys)) >= 1500


async def test_appliance_csv_keeps_one_row_per_interesting_event(sim: Simulator) -> None:
    query = SearchQuery(q="protocol:ssh", fields=("analytics.interesting_events",), limit=50)
    async with connect(sim) as client:
        text = await csv_page(client, query)
    lines = text.splitlines()
    assert lines[0] == '"Key","Analytics Interesting events"'
    assert len(lines) - 1 >= 50


async def test_bad_query_is_reported_with_the_appliance_message(sim: Simulator) -> None:
    async with connect(sim) as client:
        with pytest.raises(InvalidRequest, match="nosuchfield"):
            await search_page(client, SearchQuery(q="nosuchfield:1"))


async def test_forced_advanced_search_counts_matches_with_count_endpoint(sim: Simulator) -> None:
    progress = Progress()
    query = SearchQuery(q="protocol:ssh", limit=400)
    async with connect(sim) as client:
        expected = await count(client, query)
        keys = [row.key async for row in iterate(client, query, advanced=True,
                                                  progress=progress)]
    assert progress.match_count == expected == len(keys)
    assert any(p.startswith("/api/audit/sessions/_count") for p in searches(sim))


async def test_every_match_once_while_new_sessions_keep_arriving() -> None:
    sim = make_sim(sessions=3000, active_ratio=0.05)
    clock = sim.clock
    assert isinstance(clock, ManualClock)
    keys: list[str] = []
    async with connect(sim) as client:
        async for row in iterate(client, SearchQuery(limit=200)):
            keys.append(row.key)
            if len(keys) % 200 == 0:
                clock.advance(600)  # sessions start (and end) between pages
    assert len(keys) == len(set(keys)) >= 3000


async def test_release_without_advanced_search_lists_what_basic_search_reaches() -> None:
    sim = make_sim(sessions=10_300, active_ratio=0.0, compat="6.0")
    notices: list[str] = []
    async with connect(sim) as client:
        keys = [row.key async for row in iterate(client, SearchQuery(), notice=notices.append)]
    assert len(keys) == len(set(keys)) == 10_000
    assert any("no advanced search" in n for n in notices)
