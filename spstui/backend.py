"""One client and one cache behind every screen and command.

Network first: answers from the appliance are stored in the cache. When the
appliance cannot be reached (or with --offline), the cache answers instead and
says so: where the data came from and how old it is.

The terminal UI has the cache written after the answer is on screen (see
`defer_writes`): storing a page of 500 rows takes longer than painting it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from spstui.api import sessions
from spstui.api.client import SpsClient
from spstui.api.errors import ConnectionFailed, RequestTimeout, ServerError, SpsError, TlsError
from spstui.api.models import ListMeta, SearchPage, Session, SessionRow
from spstui.api.search import SearchQuery, page_document
from spstui.cache import CacheStore, OfflineQueryError, Triage, query_key

PARTS = ("channels", "events", "indexing", "alerts", "trail_downloads")

log = logging.getLogger(__name__)


class OfflineMiss(SpsError):
    """Offline (or unreachable) and the cache does not have what was asked for."""


@dataclass(frozen=True)
class Freshness:
    """Where an answer came from and how old it is."""

    source: str  # "appliance" or "cache"
    fetched_at: float
    final: bool = True
    reason: str | None = None  # why the cache answered

    @property
    def stale(self) -> bool:
        return self.source == "cache"

    def describe(self, now: float) -> str:
        if not self.stale:
            return "live"
        return f"cached {_age(now - self.fetched_at)} ago ({self.reason})"


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _retrieve(future: asyncio.Future[Any]) -> None:
    """A prefetched answer nobody took: its failure is nobody's to report."""
    if not future.cancelled():
        future.exception()


def unreachable(err: SpsError) -> bool:
    """Errors that mean "cannot reach the appliance now" (not "it said no")."""
    if isinstance(err, TlsError):
        return False  # a certificate problem is not to be papered over
    if isinstance(err, ConnectionFailed | RequestTimeout):
        return True
    return isinstance(err, ServerError) and err.status in (502, 503, 504)


class Backend:
    def __init__(self, client: SpsClient | None, cache: CacheStore | None, *,
                 offline: bool = False, now: Callable[[], float] = time.time) -> None:
        if client is None and not offline:
            raise ValueError("a backend without a client must be offline")
        self.client = client
        self._cache = cache
        self.offline = offline
        self.now = now
        self._pending: list[Callable[[], None]] = []
        self._schedule: Callable[[Callable[[], None]], object] | None = None
        # The page asked for early: (query key, offset, limit) and the answer to come.
        self._early: tuple[tuple[str, int, int], asyncio.Future[dict[str, Any]]] | None = None

    @property
    def cache(self) -> CacheStore | None:
        """The cache, with every answer received so far written to it."""
        self.flush()
        return self._cache

    def triage(self, keys: Sequence[str]) -> dict[str, Triage]:
        """The local triage marks of `keys`. They live apart from the answers waiting
        to be written, so reading them writes nothing (a page is painted first)."""
        return self._cache.triage(keys) if self._cache is not None else {}

    def defer_writes(self, schedule: Callable[[Callable[[], None]], object] | None) -> None:
        """Write answers to the cache when `schedule` calls back (the UI: after the next
        paint) instead of before returning them; None writes at once again. Anything
        that reads the cache first writes what is pending."""
        self._schedule = schedule
        if schedule is None:
            self.flush()

    def flush(self) -> None:
        """Write the answers still waiting for the cache."""
        while self._pending:
            write = self._pending.pop(0)
            try:
                write()
            except (sqlite3.Error, OSError) as err:
                # The answer was shown; only its offline copy is lost.
                log.warning("could not write to the offline cache: %s", err)

    def _store(self, write: Callable[[CacheStore], None]) -> None:
        cache = self._cache
        if cache is None:
            return
        if self._schedule is None:
            write(cache)
            return
        self._pending.append(lambda: write(cache))
        if len(self._pending) == 1:
            self._schedule(self.flush)

    def _reason(self, err: SpsError | None) -> str:
        if err is None:
            return "offline mode"
        return f"appliance unreachable: {err.message}"

    def prefetch(self, query: SearchQuery, offset: int = 0) -> None:
        """Start asking for the page that page() will be asked for first (the app's
        opening page, while its screen is built); page() then awaits that answer."""
        if self.offline or self.client is None:
            return
        if self._early is not None:
            self._early[1].cancel()
        early = asyncio.ensure_future(page_document(self.client, query, offset))
        early.add_done_callback(_retrieve)
        self._early = ((query_key(query.params()), offset, query.limit), early)

    async def _document(self, key: str, query: SearchQuery, offset: int) -> dict[str, Any]:
        assert self.client is not None
        early, self._early = self._early, None  # only ever for the first page asked for
        if early is not None:
            asked, answer = early
            if asked == (key, offset, query.limit):
                return await answer
            answer.cancel()
        return await page_document(self.client, query, offset)

    async def page(self, query: SearchQuery, offset: int = 0) -> tuple[SearchPage, Freshness]:
        """One page of results."""
        key = query_key(query.params())
        failure: SpsError | None = None
        if not self.offline and self.client is not None:
            try:
                doc = await self._document(key, query, offset)
            except SpsError as err:
                if not unreachable(err) or self.cache is None:
                    raise
                failure = err
            else:
                page = SearchPage.model_validate(doc)
                count = page.meta.match_count
                self._store(lambda c: c.put_page(key, offset, query.limit, count,
                                                 doc["items"]))
                final = not any(row.active for row in page.items)
                return page, Freshness("appliance", self.now(), final)
        return self._cached_page(key, query, offset, self._reason(failure))

    def _cached_page(self, key: str, query: SearchQuery, offset: int,
                     reason: str) -> tuple[SearchPage, Freshness]:
        if self.cache is None:
            raise OfflineMiss("No cache to answer from.", hint="Connect to the appliance.")
        hit = self.cache.get_page(key, offset, query.limit)
        if hit is not None:
            page = SearchPage(items=[SessionRow.model_validate(i) for i in hit.value.items],
                              meta=ListMeta(match_count=hit.value.match_count,
                                            offset=offset, limit=query.limit))
            return page, Freshness("cache", hit.fetched_at, hit.final, reason)
        # Not this exact page: evaluate the query over every cached session.
        try:
            result = self.cache.search(query.q, start=query.start, end=query.end,
                                       content=query.content, sort=query.sort,
                                       offset=offset, limit=query.limit)
        except OfflineQueryError as err:
            raise OfflineMiss(f"The cache cannot answer this query: {err}") from None
        rows = [SessionRow.model_validate(r) for r in result.rows]
        page = SearchPage(items=rows, meta=ListMeta(match_count=result.match_count,
                                                    offset=offset, limit=query.limit))
        fetched = result.fetched_at if result.fetched_at is not None else self.now()
        return page, Freshness("cache", fetched, False, reason)

    async def session(self, key: str) -> tuple[Session, Freshness]:
        failure: SpsError | None = None
        if not self.offline and self.client is not None:
            try:
                doc = await self.client.get_json(sessions.session_path(key))
            except SpsError as err:
                if not unreachable(err) or self.cache is None:
                    raise
                failure = err
            else:
                self._store(lambda c: c.put_session(doc))
                found = Session.model_validate(doc)
                return found, Freshness("appliance", self.now(), not found.body.active)
        if self.cache is not None:
            hit = self.cache.get_session(key)
            if hit is not None:
                return (Session.model_validate(hit.value),
                        Freshness("cache", hit.fetched_at, hit.final, self._reason(failure)))
        raise OfflineMiss(f"Session {key} is not in the cache.",
                          hint="Open it once while the appliance is reachable.")

    async def part(self, key: str, name: str, **params: Any) -> tuple[list[Any], Freshness]:
        """A session part as raw items (channels, events, indexing, alerts, trail_downloads)."""
        if name not in PARTS:
            raise ValueError(f"unknown part {name!r}")
        fetch = {"channels": sessions.channels, "events": sessions.events,
                 "indexing": sessions.indexing, "alerts": sessions.alerts,
                 "trail_downloads": sessions.trail_downloads}[name]
        failure: SpsError | None = None
        if not self.offline and self.client is not None:
            try:
                parsed = await fetch(self.client, key, **params)  # type: ignore[operator]
            except SpsError as err:
                if not unreachable(err) or self.cache is None:
                    raise
                failure = err
            else:
                items = [p.model_dump(mode="json", by_alias=True, exclude_none=True)
                         for p in parsed]
                if self._cache is not None and not params:
                    active = self._known_active(key)
                    self._store(lambda c: c.put_part(key, name, items, final=not active))
                return list(parsed), Freshness("appliance", self.now())
        if self.cache is not None:
            hit = self.cache.get_part(key, name)
            if hit is not None:
                model = type(self)._part_model(name)
                return ([model.model_validate(i) for i in hit.value],
                        Freshness("cache", hit.fetched_at, hit.final, self._reason(failure)))
        raise OfflineMiss(f"The {name} of session {key} are not in the cache.")

    def _known_active(self, key: str) -> bool:
        if self.cache is None:
            return False
        hit = self.cache.get_session(key)
        return hit is None or not hit.final

    @staticmethod
    def _part_model(name: str) -> Any:
        from spstui.api import models

        return {"channels": models.Channel, "events": models.Event,
                "indexing": models.IndexerRun, "alerts": models.Alert,
                "trail_downloads": models.TrailDownload}[name]
