"""One session and its parts: channels, events, indexing, alerts, trail downloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from spstui.api.client import SpsClient
from spstui.api.errors import NotFound
from spstui.api.models import (
    Alert,
    Channel,
    Event,
    IndexerRun,
    PartList,
    Session,
    TrailDownload,
)
from spstui.api.search import SESSIONS

PAGE = 500


def session_path(key: str, *parts: str) -> str:
    # Keys come from the appliance: quote them so none can step outside the path.
    return "/".join((SESSIONS, quote(key, safe=""), *parts))


async def get_session(client: SpsClient, key: str) -> Session:
    return Session.model_validate(await client.get_json(session_path(key)))


async def _all_items(client: SpsClient, path: str, params: dict[str, Any] | None = None
                     ) -> list[Any]:
    """Every item of a paged part list, following offset paging to the end."""
    items: list[Any] = []
    offset = 0
    while True:
        doc = PartList.model_validate(
            await client.get_json(path, {**(params or {}), "limit": PAGE, "offset": offset}))
        items.extend(doc.items)
        offset += len(doc.items)
        if not doc.items or doc.meta.next is None:
            return items


async def channels(client: SpsClient, key: str) -> list[Channel]:
    return [Channel.model_validate(c) for c in await _all_items(client,
                                                                session_path(key, "channels"))]


async def events(client: SpsClient, key: str, q: str | None = None,
                 after_record: int | None = None) -> list[Event]:
    """Events, optionally filtered with q; `after_record` keeps only newer ones (tailing)."""
    clauses = [f"({q})"] if q and q.strip() else []
    if after_record is not None:
        clauses.append(f"record_id:{{{after_record} TO *]")
    params = {"q": " AND ".join(clauses)} if clauses else None
    items = await _all_items(client, session_path(key, "events"), params)
    return [Event.model_validate(e) for e in items]


async def indexing(client: SpsClient, key: str) -> list[IndexerRun]:
    # 8.0 names the part "indexing", older releases "indexer".
    try:
        items = await _all_items(client, session_path(key, "indexing"))
    except NotFound:
        items = await _all_items(client, session_path(key, "indexer"))
    return [IndexerRun.model_validate(i) for i in items]


async def alerts(client: SpsClient, key: str) -> list[Alert]:
    return [Alert.model_validate(a) for a in await _all_items(client,
                                                              session_path(key, "alerts"))]


async def trail_downloads(client: SpsClient, key: str) -> list[TrailDownload]:
    items = await _all_items(client, session_path(key, "trail_downloads"))
    return [TrailDownload.model_validate(d) for d in items]


async def content_search(client: SpsClient, key: str, q: str) -> list[Event]:
    """Search inside one session's indexed content."""
    if not q.strip():
        raise ValueError("content search needs something to search for")
    items = await _all_items(client, session_path(key, "content") + "/", {"q": q})
    return [Event.model_validate(e) for e in items]


async def terminate(client: SpsClient, session_id: str) -> None:
    """End an active session (its recording.session_id, or its key)."""
    await client.request("DELETE", "/api/active-sessions", params={"id": session_id})
