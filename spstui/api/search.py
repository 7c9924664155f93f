"""Searching sessions: one page, a count, or every match.

Basic search pages with offset/limit but reaches only the first 10,000
matches; `iterate` switches to advanced search (a snapshot paged with sort keys
and `search_after`) when there are more, or when asked to.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from spstui.api.client import SpsClient
from spstui.api.errors import NotFound, ProtocolError, QuotaExceeded, SpsError
from spstui.api.models import SearchPage, SessionRow

SESSIONS = "/api/audit/sessions"
BASIC_SEARCH_CAP = 10_000
MAX_LIMIT = 500
# The documented displayable fields a session table needs.
TABLE_FIELDS = (
    "start_time", "end_time", "name", "server_username", "client.address", "client.port",
    "server.address", "server.port", "protocol", "verdict", "duration", "active",
    "session_id", "connection_policy",
)
# Not in the guide's list of displayable fields; asked for when the appliance has them.
EXTRA_FIELDS = ("index_status", "analytics.score.aggregated")

Notice = Callable[[str], None]


@dataclass(frozen=True)
class SearchQuery:
    """What to search for: the appliance's own parameters."""

    q: str = ""
    start: str | None = None
    end: str | None = None
    content: str | None = None
    fields: tuple[str, ...] = TABLE_FIELDS + EXTRA_FIELDS
    sort: tuple[str, ...] = ()
    limit: int = MAX_LIMIT

    def params(self, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": min(self.limit, MAX_LIMIT)}
        if self.fields:
            params["fields"] = ",".join(self.fields)
        for name in ("q", "start", "end", "content"):
            value = getattr(self, name)
            if value:
                params[name] = value
        if self.sort:
            params["sort"] = ",".join(self.sort)
        params.update({k: v for k, v in extra.items() if v is not None})
        return params

    def without_extras(self) -> SearchQuery:
        return replace(self, fields=tuple(f for f in self.fields if f not in EXTRA_FIELDS))


async def search_page(client: SpsClient, query: SearchQuery, offset: int = 0) -> SearchPage:
    """One page of basic search (offset < 10,000)."""
    return SearchPage.model_validate(await page_document(client, query, offset))


async def page_document(client: SpsClient, query: SearchQuery, offset: int) -> dict[str, Any]:
    try:
        doc = await client.get_json(SESSIONS, query.params(offset=offset))
    except SpsError as err:
        # Older or stricter appliances refuse the non-documented extra fields: ask again
        # without them rather than fail.
        if err.status != 400 or query == query.without_extras() or not _mentions_field(err):
            raise
        doc = await client.get_json(SESSIONS, query.without_extras().params(offset=offset))
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise ProtocolError("The appliance's search answer has no list of items.")
    return doc


def _mentions_field(err: SpsError) -> bool:
    return any(name in str(err) for name in EXTRA_FIELDS) or "fields" in str(err)


async def csv_page(client: SpsClient, query: SearchQuery, offset: int = 0) -> str:
    """A page as the appliance's own CSV (format=csv): one row per multi-value."""
    response = await client.request("GET", SESSIONS, params=query.params(offset=offset,
                                                                         format="csv"))
    return response.text


async def count(client: SpsClient, query: SearchQuery) -> int:
    """How many sessions match (basic search reports the full count)."""
    page = await search_page(client, replace(query, limit=1, fields=()))
    return page.meta.match_count or 0


async def snapshot_count(client: SpsClient, snapshot: str, query: SearchQuery) -> int:
    """How many sessions of a snapshot match (the `_count` endpoint)."""
    params = {k: v for k, v in query.params().items() if k in ("q", "start", "end", "content")}
    doc = await client.get_json(f"{SESSIONS}/_count", {**params, "snapshot": snapshot},
                                headers=client.search_identity)
    return int(doc["count"])


@dataclass
class Progress:
    """What `iterate` has done, for progress bars and notes."""

    match_count: int | None = None
    fetched: int = 0
    pages: int = 0
    advanced: bool = False
    snapshots: int = 0
    waited: float = 0.0
    notices: list[str] = field(default_factory=list)


async def iterate(client: SpsClient, query: SearchQuery, *, advanced: bool | None = None,
                  progress: Progress | None = None, notice: Notice | None = None,
                  sleep: Callable[[float], Any] | None = None,
                  ) -> AsyncIterator[SessionRow]:
    """Every session that matches, each exactly once, as parsed rows."""
    async for item in iterate_items(client, query, advanced=advanced, progress=progress,
                                    notice=notice, sleep=sleep):
        yield SessionRow.model_validate(item)


async def iterate_items(client: SpsClient, query: SearchQuery, *,
                        advanced: bool | None = None, progress: Progress | None = None,
                        notice: Notice | None = None,
                        sleep: Callable[[float], Any] | None = None,
                        ) -> AsyncIterator[dict[str, Any]]:
    """Every matching result item as the appliance sent it ({"key", "meta", "body"}),
    each exactly once; exports use this to skip parsing.

    Offset paging while the matches fit in basic search's 10,000; advanced
    search beyond that (or when `advanced` is True). Waits out the snapshot
    quota, reopens an expired snapshot and resumes after the last sort key.
    """
    prog = progress or Progress()
    tell = notice or (lambda message: None)
    nap = sleep or asyncio.sleep
    # New sessions keep arriving while we page: oldest first, they land after the
    # pages already read instead of shifting them; `seen` drops any repeat anyway.
    if not query.sort:
        query = replace(query, sort=("start_time",))
    seen: set[str] = set()

    def say(message: str) -> None:
        prog.notices.append(message)
        tell(message)

    async for item in _iterate(client, query, advanced, prog, say, nap):
        key = str(item.get("key"))
        if key in seen:
            continue
        seen.add(key)
        prog.fetched += 1
        yield item


async def _iterate(client: SpsClient, query: SearchQuery, advanced: bool | None,
                   prog: Progress, say: Notice, nap: Callable[[float], Any],
                   ) -> AsyncIterator[dict[str, Any]]:
    if not advanced:
        doc = await page_document(client, query, 0)
        prog.pages += 1
        total = int(doc.get("meta", {}).get("match_count") or 0)
        prog.match_count = total
        if advanced is False or total <= BASIC_SEARCH_CAP:
            offset = 0
            while True:
                items = doc["items"]
                for item in items:
                    yield item
                offset += len(items)
                if (not items or doc.get("meta", {}).get("next") is None
                        or offset >= min(total, BASIC_SEARCH_CAP)):
                    return
                doc = await page_document(client, query, offset)
                prog.pages += 1
        say(f"{total:,} matches: more than basic search reaches ({BASIC_SEARCH_CAP:,}); "
            "continuing with advanced search.")
    prog.advanced = True
    try:
        async for item in _advanced(client, query, prog, say, nap):
            yield item
    except NotFound as err:
        if prog.snapshots or err.code == "SearchQuerySnapshotNotFound":
            raise
        # Releases before advanced search (6.0) have no _snapshot: give what basic
        # search reaches, and say plainly that it is not everything.
        say(f"This appliance has no advanced search: only the first {BASIC_SEARCH_CAP:,} "
            f"of {prog.match_count or 0:,} matches can be listed.")
        prog.advanced = False
        async for item in _iterate(client, query, False, prog, say, nap):
            yield item


async def _open_snapshot(client: SpsClient, prog: Progress, say: Notice,
                         nap: Callable[[float], Any], attempts: int = 3) -> str:
    for attempt in range(attempts):
        try:
            doc = await client.get_json(f"{SESSIONS}/_snapshot",
                                        headers=client.search_identity)
        except QuotaExceeded as err:
            if attempt + 1 == attempts:
                raise
            say(f"The appliance allows one open search snapshot per client; waiting "
                f"{err.retry_after:.0f} s for the previous one to expire.")
            prog.waited += err.retry_after
            await nap(err.retry_after)
            continue
        prog.snapshots += 1
        return str(doc["body"]["snapshot"])
    raise AssertionError("unreachable")  # pragma: no cover


async def _advanced(client: SpsClient, query: SearchQuery, prog: Progress, say: Notice,
                    nap: Callable[[float], Any]) -> AsyncIterator[dict[str, Any]]:
    # Advanced search needs a sort; start time is stable and meaningful.
    q = query if query.sort else replace(query, sort=("start_time",))
    snapshot = await _open_snapshot(client, prog, say, nap)
    if prog.match_count is None:
        prog.match_count = await snapshot_count(client, snapshot, q)
    after: str | None = None
    while True:
        params = q.params(snapshot=snapshot, search_after=after)
        try:
            doc = await client.get_json(SESSIONS, params, headers=client.search_identity)
        except NotFound as err:
            if err.code != "SearchQuerySnapshotNotFound":
                raise
            say("The search snapshot expired; opening a new one and resuming after the last "
                "session received.")
            snapshot = await _open_snapshot(client, prog, say, nap)
            continue
        except SpsError as err:
            if err.status != 400 or q == q.without_extras() or not _mentions_field(err):
                raise
            q = q.without_extras()
            continue
        items = doc.get("items") or []
        meta = doc.get("meta") or {}
        prog.pages += 1
        for item in items:
            yield item
        if not items or meta.get("next") is None or meta.get("search_after") is None:
            return
        after = str(meta["search_after"])
