"""CacheStore: one profile's offline cache in one SQLite file.

Search pages, session documents and session parts are stored as fetched, with
their fetch time; every session seen also gets a flat row that offline search
filters and sorts (see offline_query). Active sessions are never final. A
damaged file is moved aside and replaced by an empty cache: losing a cache is
an inconvenience, crashing the auditor's client is not.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from spstui.cache import database, eviction, fulltext, offline_query
from spstui.cache.cached import TRIAGE_FLAGS, Cached, CachedPage, OfflineResult, Triage
from spstui.cache.database import transaction
from spstui.cache.fields import COLUMNS
from spstui.cache.rows import column_values, is_active, row_from_document, row_from_item
from spstui.cache.schema import SCHEMA_VERSION

R = TypeVar("R")
DEFAULT_MAX_BYTES = 256 * 2**20
# SQLite allows 32,766 parameters per statement; stay far below.
_CHUNK = 500

_COLUMN_NAMES = [c.column for c in COLUMNS]
_UPSERT_ROW = (
    "INSERT INTO sessions (key, row, row_fetched_at, touched_at, "
    + ", ".join(_COLUMN_NAMES) + ") VALUES (?, ?, ?, ?, " + ", ".join("?" * len(COLUMNS)) + ") "
    "ON CONFLICT (key) DO UPDATE SET row = excluded.row, "
    "row_fetched_at = excluded.row_fetched_at, touched_at = excluded.touched_at, "
    + ", ".join(f"{name} = excluded.{name}" for name in _COLUMN_NAMES)
)

log = logging.getLogger(__name__)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _body(item: Mapping[str, Any]) -> Mapping[str, Any] | None:
    body = item.get("body")
    return body if isinstance(body, Mapping) else None


def _document_is_active(body: Mapping[str, Any]) -> bool:
    # Without an "active" field, only an end time proves the session is over.
    if "active" in body and body["active"] is not None:
        return is_active(body)
    return body.get("end_time") is None


class CacheStore:
    """The offline cache of one profile. Safe to share between threads."""

    def __init__(self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                 now: Callable[[], float] = time.time,
                 warn: Callable[[str], None] | None = None) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._now = now
        self._warn = warn or log.warning
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._conn = self._open()

    # -- opening and recovering ------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            return database.connect(self.path)
        except database.UnusableDatabase as err:
            return self._rebuild(str(err))
        except sqlite3.DatabaseError as err:
            if not database.is_corruption(err):
                raise
            return self._rebuild(f"it is damaged: {err}")

    def _rebuild(self, reason: str) -> sqlite3.Connection:
        aside = database.move_aside(self.path, self._now())
        self._warn(f"The offline cache {self.path} could not be used ({reason}); it was "
                   f"moved to {aside} and an empty cache was started in its place.")
        return database.connect(self.path)

    def _run(self, operation: Callable[[sqlite3.Connection], R]) -> R:
        """Run an operation; on damage found mid-use, start afresh and run it again."""
        with self._lock:
            if self._conn is None:
                raise RuntimeError(f"the cache {self.path} is closed")
            try:
                return operation(self._conn)
            except sqlite3.DatabaseError as err:
                if not database.is_corruption(err):
                    raise
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None
                self._conn = self._rebuild(f"it is damaged: {err}")
                return operation(self._conn)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> CacheStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- search pages ----------------------------------------------------------------

    def put_page(self, query_key: str, offset: int, limit: int, match_count: int | None,
                 items: list[dict[str, Any]]) -> None:
        """Store a search page as received; each item's body also updates its
        session's row."""
        now = self._now()
        updates = {str(item["key"]): row_from_item(body) for item in items
                   if (body := _body(item)) is not None}
        keys = [str(item["key"]) for item in items]
        text = _dumps(items)

        def operation(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                # Items without a body say nothing new; what is known of them counts.
                rows = {**self._rows(conn, [k for k in keys if k not in updates]),
                        **self._merge_rows(conn, updates, now)}
                final = not any(is_active(rows.get(key, {})) for key in keys)
                conn.execute(
                    "INSERT OR REPLACE INTO pages (query_key, page_offset, page_limit, "
                    "match_count, items, fetched_at, final) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (query_key, offset, limit, match_count, text, now, int(final)))
            eviction.enforce_cap(conn, self.max_bytes)

        self._run(operation)

    def get_page(self, query_key: str, offset: int, limit: int) -> Cached[CachedPage] | None:
        def operation(conn: sqlite3.Connection) -> Cached[CachedPage] | None:
            found = conn.execute(
                "SELECT match_count, items, fetched_at, final FROM pages "
                "WHERE query_key = ? AND page_offset = ? AND page_limit = ?",
                (query_key, offset, limit)).fetchone()
            if found is None:
                return None
            match_count, text, fetched_at, final = found
            page = CachedPage(query_key, offset, limit, match_count, json.loads(text))
            return Cached(page, fetched_at, bool(final))

        return self._run(operation)

    # -- sessions ----------------------------------------------------------------------

    def put_session(self, doc: dict[str, Any]) -> None:
        """Store a full session document; its row is derived from the nested body."""
        now = self._now()
        key = str(doc["key"])
        body = _body(doc) or {}
        final = not _document_is_active(body)
        text = _dumps(doc)

        def operation(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self._merge_rows(conn, {key: row_from_document(body)}, now)
                conn.execute("UPDATE sessions SET doc = ?, doc_fetched_at = ?, doc_final = ? "
                             "WHERE key = ?", (text, now, int(final), key))
            eviction.enforce_cap(conn, self.max_bytes)

        self._run(operation)

    def get_session(self, key: str) -> Cached[dict[str, Any]] | None:
        def operation(conn: sqlite3.Connection) -> Cached[dict[str, Any]] | None:
            found = conn.execute(
                "SELECT doc, doc_fetched_at, doc_final FROM sessions "
                "WHERE key = ? AND doc IS NOT NULL", (key,)).fetchone()
            if found is None:
                return None
            return Cached(json.loads(found[0]), found[1], bool(found[2]))

        return self._run(operation)

    def _rows(self, conn: sqlite3.Connection, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(sorted(set(keys))):
            marks = ", ".join("?" * len(chunk))
            for key, text in conn.execute(
                    f"SELECT key, row FROM sessions WHERE key IN ({marks})", tuple(chunk)):
                rows[key] = json.loads(text)
        return rows

    def _merge_rows(self, conn: sqlite3.Connection, updates: Mapping[str, dict[str, Any]],
                    now: float) -> dict[str, dict[str, Any]]:
        """Upsert rows: fields just received replace stored ones, others stay."""
        if not updates:
            return {}
        stored = self._rows(conn, updates)
        merged = {key: {**stored.get(key, {}), **row} for key, row in updates.items()}
        conn.executemany(_UPSERT_ROW, [
            (key, _dumps(row), now, now, *column_values(row).values())
            for key, row in merged.items()])
        return merged

    # -- session parts -----------------------------------------------------------------

    def put_part(self, key: str, part: str, items: list[dict[str, Any]], *,
                 final: bool) -> None:
        """Store one part (channels, events, indexing, alerts, trail_downloads).
        Events are also indexed for content search."""
        now = self._now()
        text = _dumps(items)
        events = [(key, t) for item in items if (t := fulltext.event_text(item))]

        def operation(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                active = conn.execute("SELECT active FROM sessions WHERE key = ?",
                                      (key,)).fetchone()
                stored_final = final and not (active and active[0] == 1)
                conn.execute(
                    "INSERT OR REPLACE INTO parts (key, part, items, fetched_at, final) "
                    "VALUES (?, ?, ?, ?, ?)", (key, part, text, now, int(stored_final)))
                if part == "events":
                    conn.execute("DELETE FROM events WHERE key = ?", (key,))
                    conn.executemany("INSERT INTO events (key, text) VALUES (?, ?)", events)
            eviction.enforce_cap(conn, self.max_bytes)

        self._run(operation)

    def get_part(self, key: str, part: str) -> Cached[list[dict[str, Any]]] | None:
        def operation(conn: sqlite3.Connection) -> Cached[list[dict[str, Any]]] | None:
            # The session may have been seen active since the part was stored.
            found = conn.execute(
                "SELECT p.items, p.fetched_at, p.final AND IFNULL(s.active, 0) != 1 "
                "FROM parts p LEFT JOIN sessions s ON s.key = p.key "
                "WHERE p.key = ? AND p.part = ?", (key, part)).fetchone()
            if found is None:
                return None
            return Cached(json.loads(found[0]), found[1], bool(found[2]))

        return self._run(operation)

    # -- offline search ----------------------------------------------------------------

    def search(self, q: str = "", *, start: str | None = None, end: str | None = None,
               content: str | None = None, sort: Sequence[str] = (), offset: int = 0,
               limit: int = 500) -> OfflineResult:
        """The appliance's search, answered from every cached session row.

        Raises OfflineQueryError for a query it cannot evaluate."""
        conditions = [offline_query.compile_query(q)]
        if content:
            conditions.append(offline_query.compile_content(content))
        if start:
            conditions.append(offline_query.start_condition(start))
        if end:
            conditions.append(offline_query.end_condition(end))
        where = " AND ".join(c.sql for c in conditions)
        params = tuple(p for c in conditions for p in c.params)
        order = offline_query.order_by(sort)
        offset = max(0, offset)
        limit = max(0, limit)

        def operation(conn: sqlite3.Connection) -> OfflineResult:
            total = conn.execute(f"SELECT count(*) FROM sessions s WHERE {where}",
                                 params).fetchone()[0]
            found = conn.execute(
                f"SELECT s.key, s.row, s.row_fetched_at FROM sessions s WHERE {where} "
                f"ORDER BY {order} LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
            rows = [{"key": key, **json.loads(text)} for key, text, _ in found]
            oldest = min((fetched for _, _, fetched in found), default=None)
            return OfflineResult(rows, total, oldest, offset, limit)

        return self._run(operation)

    # -- triage ------------------------------------------------------------------------

    def set_triage(self, key: str, flag: str | None, note: str | None = None) -> None:
        """Mark a session locally; no flag and no note removes the mark."""
        if flag is not None and flag not in TRIAGE_FLAGS:
            raise ValueError(f"unknown triage flag {flag!r} (use one of {TRIAGE_FLAGS} or None)")
        now = self._now()

        def operation(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if flag is None and not note:
                    conn.execute("DELETE FROM triage WHERE key = ?", (key,))
                else:
                    conn.execute("INSERT OR REPLACE INTO triage (key, flag, note, updated_at) "
                                 "VALUES (?, ?, ?, ?)", (key, flag, note or None, now))

        self._run(operation)

    def triage(self, keys: Sequence[str]) -> dict[str, Triage]:
        def operation(conn: sqlite3.Connection) -> dict[str, Triage]:
            marks: dict[str, Triage] = {}
            for chunk in _chunks(sorted(set(keys))):
                for key, flag, note, updated_at in conn.execute(
                        "SELECT key, flag, note, updated_at FROM triage WHERE key IN "
                        f"({', '.join('?' * len(chunk))})", tuple(chunk)):
                    marks[key] = Triage(flag, note, updated_at)
            return marks

        return self._run(operation)

    def triaged(self, flag: str | None = None) -> dict[str, str | None]:
        """Marked sessions (with `flag`, or any mark) → their session_id, when the
        cache has the session's row (the TUI filters on it)."""
        def operation(conn: sqlite3.Connection) -> dict[str, str | None]:
            found: dict[str, str | None] = {}
            for key, row in conn.execute(
                    "SELECT t.key, s.row FROM triage t LEFT JOIN sessions s ON s.key = t.key "
                    "WHERE (? IS NULL AND t.flag IS NOT NULL) OR t.flag = ? ORDER BY t.key",
                    (flag, flag)):
                body = json.loads(row) if row else {}
                session_id = body.get("session_id") or body.get("recording.session_id")
                found[key] = str(session_id) if session_id else None
            return found

        return self._run(operation)

    # -- housekeeping ------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Where the cache is and what it holds, for `spstui info` and the TUI."""
        def operation(conn: sqlite3.Connection) -> dict[str, Any]:
            def one(sql: str) -> Any:
                return conn.execute(sql).fetchone()[0]

            times = conn.execute(
                "SELECT min(t), max(t) FROM ("
                "SELECT row_fetched_at AS t FROM sessions UNION ALL "
                "SELECT doc_fetched_at FROM sessions UNION ALL "
                "SELECT fetched_at FROM pages UNION ALL SELECT fetched_at FROM parts)"
            ).fetchone()
            return {
                "path": str(self.path),
                "size_bytes": sum(p.stat().st_size for p in self._files() if p.exists()),
                "max_bytes": self.max_bytes,
                "schema_version": SCHEMA_VERSION,
                "sessions": one("SELECT count(*) FROM sessions"),
                "documents": one("SELECT count(*) FROM sessions WHERE doc IS NOT NULL"),
                "pages": one("SELECT count(*) FROM pages"),
                "parts": one("SELECT count(*) FROM parts"),
                "events": one("SELECT count(*) FROM events"),
                "triaged": one("SELECT count(*) FROM triage"),
                "oldest_fetch": times[0],
                "newest_fetch": times[1],
            }

        return self._run(operation)

    def _files(self) -> list[Path]:
        return [self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm"))]

    def clear(self) -> None:
        """Drop every cached page, session, part and event; triage marks stay."""
        def operation(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                for table in ("pages", "parts", "events", "sessions"):
                    conn.execute(f"DELETE FROM {table}")
            eviction.reclaim(conn)

        self._run(operation)
