"""`spstui` asks for the opening page while the screen is being built; the browser
then takes that answer instead of asking again, and nothing else ever gets it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from spstui.api.client import Connection, SpsClient
from spstui.api.errors import InvalidRequest
from spstui.api.search import SearchQuery
from spstui.backend import Backend
from spstui.cache import CacheStore, query_key
from spstui.simulator import Fault, Simulator
from spstui.tui.app import SpsApp
from spstui.tui.options import AppOptions
from spstui.tui.state import UiState, first_query, save_state

QUERY = SearchQuery(limit=50, sort=("-start_time",))


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[SpsClient]:
    async with SpsClient(Connection("https://sps.test", "admin", "admin"),
                         transport=httpx.ASGITransport(app=sim.app)) as c:
        yield c


def searches(sim: Simulator) -> list[str]:
    return [r.path for r in sim.request_log if r.path.startswith("/api/audit/sessions?")]


def logins(sim: Simulator) -> int:
    return sum(r.path.startswith("/api/authentication") for r in sim.request_log)


async def test_the_prefetched_page_is_the_answer_and_is_asked_for_once(
        sim: Simulator, client: SpsClient, tmp_path: Path) -> None:
    with CacheStore(tmp_path / "cache.sqlite3") as cache:
        backend = Backend(client, cache)
        backend.prefetch(QUERY)
        await asyncio.sleep(0.05)
        assert cache.get_page(query_key(QUERY.params()), 0, QUERY.limit) is None  # not yet
        page, freshness = await backend.page(QUERY)
        assert freshness.source == "appliance" and len(page.items) == 50
        assert len(searches(sim)) == 1 and logins(sim) == 1
        assert cache.get_page(query_key(QUERY.params()), 0, QUERY.limit) is not None
        again, _ = await backend.page(QUERY)  # later asks go to the appliance again
        assert len(searches(sim)) == 2 and [r.key for r in again.items] == [
            r.key for r in page.items]


async def test_a_different_first_page_is_fetched_itself(sim: Simulator,
                                                         client: SpsClient) -> None:
    backend = Backend(client, None)
    backend.prefetch(QUERY)
    other = SearchQuery(q="protocol:rdp", limit=10, sort=("-start_time",))
    page, _ = await backend.page(other)
    assert page.items and {row.protocol for row in page.items} == {"RDP"}
    # The unused answer is dropped: the opening query, asked later, is asked anew.
    await asyncio.sleep(0.05)
    before = len(searches(sim))
    await backend.page(QUERY)
    assert len(searches(sim)) == before + 1


async def test_a_first_page_of_another_size_is_not_taken_from_the_prefetch(
        sim: Simulator, client: SpsClient) -> None:
    backend = Backend(client, None)
    backend.prefetch(QUERY)
    page, _ = await backend.page(SearchQuery(limit=10, sort=QUERY.sort))
    assert len(page.items) == 10


async def test_a_prefetch_that_failed_reports_its_error_to_the_page(sim: Simulator,
                                                                     client: SpsClient) -> None:
    sim.faults.append(Fault(path="/api/audit/sessions", status=400, code="InvalidQuery"))
    backend = Backend(client, None)
    backend.prefetch(QUERY)
    with pytest.raises(InvalidRequest):
        await backend.page(QUERY)


async def test_requests_at_once_log_in_once(sim: Simulator, client: SpsClient) -> None:
    await asyncio.gather(*(client.get_json("/api/audit/sessions", {"limit": 1})
                           for _ in range(3)))
    assert logins(sim) == 1


async def test_the_browser_opens_with_the_prefetched_page(sim: Simulator, client: SpsClient,
                                                          tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    save_state(UiState(sort="-duration"), state)  # the order chosen last time
    options = AppOptions(page_size=40, state_path=state)
    backend = Backend(client, None)
    backend.prefetch(first_query(UiState(sort="-duration"), options.page_size))
    app = SpsApp(backend, options=options)
    async with app.run_test(size=(160, 45)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_value.sort == ("-duration",)  # type: ignore[attr-defined]
        assert len(app.screen.keys) == 40  # type: ignore[attr-defined]
    assert len(searches(sim)) == 1
