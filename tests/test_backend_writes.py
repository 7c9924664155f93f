"""The backend writes answers to the cache later when told to (the UI: after the
paint), and no reader ever sees the cache without them."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from spstui.api.client import Connection, SpsClient
from spstui.api.search import SearchQuery
from spstui.backend import Backend
from spstui.cache import CacheStore, query_key
from spstui.simulator import Simulator

QUERY = SearchQuery(q="protocol:ssh", limit=20)
Parts = tuple[Backend, CacheStore, list[Callable[[], None]]]


@pytest.fixture
async def parts(sim: Simulator, tmp_path: Path) -> AsyncIterator[Parts]:
    client = SpsClient(Connection("https://sps.test", "admin", "admin"),
                       transport=httpx.ASGITransport(app=sim.app))
    scheduled: list[Callable[[], None]] = []
    with CacheStore(tmp_path / "cache.sqlite3") as store:
        backend = Backend(client, store)
        backend.defer_writes(scheduled.append)
        yield backend, store, scheduled
    await client.aclose()


def stored_page(store: CacheStore) -> object:
    return store.get_page(query_key(QUERY.params()), 0, QUERY.limit)


async def test_a_page_is_stored_when_the_scheduled_callback_runs(parts: Parts) -> None:
    backend, store, scheduled = parts
    page, _ = await backend.page(QUERY)
    await backend.session(page.items[0].key)
    assert stored_page(store) is None and len(scheduled) == 1  # one callback for both
    scheduled.pop()()
    assert stored_page(store) is not None
    assert store.get_session(page.items[0].key) is not None


async def test_reading_the_cache_writes_what_is_pending_first(parts: Parts) -> None:
    backend, store, _ = parts
    page, _ = await backend.page(QUERY)
    assert stored_page(store) is None
    cache = backend.cache
    assert cache is store and stored_page(store) is not None
    backend.offline = True  # the cache answers: the page just shown is there
    again, freshness = await backend.page(QUERY)
    assert freshness.source == "cache" and [r.key for r in again.items] == [
        r.key for r in page.items]


async def test_writing_at_once_again_flushes(parts: Parts) -> None:
    backend, store, scheduled = parts
    await backend.page(QUERY)
    backend.defer_writes(None)
    assert stored_page(store) is not None
    scheduled.clear()
    await backend.page(SearchQuery(q="protocol:rdp", limit=5))
    assert not scheduled  # written before page() returned


async def test_a_failed_write_is_logged_and_the_rest_still_written(
        parts: Parts, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    backend, store, _ = parts
    page, _ = await backend.page(QUERY)
    key = page.items[0].key

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "put_page", full)
    await backend.session(key)
    with caplog.at_level("WARNING"):
        backend.flush()
    assert "database or disk is full" in caplog.text
    assert store.get_session(key) is not None


async def test_triage_marks_are_read_without_writing_what_is_pending(parts: Parts) -> None:
    # The browser reads the marks of a page before it paints it; the page's own
    # cache write must still wait for the paint.
    backend, store, scheduled = parts
    page, _ = await backend.page(QUERY)
    key = page.items[0].key
    store.set_triage(key, "suspicious", "odd hours")
    marks = backend.triage([row.key for row in page.items])
    assert set(marks) == {key} and marks[key].flag == "suspicious"
    assert stored_page(store) is None and len(scheduled) == 1
