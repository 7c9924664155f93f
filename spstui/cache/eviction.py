"""Keeping the file under its size cap: least recently fetched data goes first.

Pages, parts (an `events` part takes its indexed events along) and session
rows compete by fetch time; triage marks are never evicted. Eviction goes a
little below the cap so that the next writes do not each trigger it again,
then hands the freed pages back to the file system (incremental auto-vacuum and
a truncating checkpoint of the WAL).
"""

from __future__ import annotations

import sqlite3

from spstui.cache.database import transaction

# Evict down to this share of the cap.
LOW_WATER = 0.9
_BATCH = 100

_OLDEST = """
SELECT kind, id, fetched_at FROM (
    SELECT 'page' AS kind, rowid AS id, fetched_at FROM pages
    UNION ALL SELECT 'part', rowid, fetched_at FROM parts
    UNION ALL SELECT 'session', rowid, touched_at FROM sessions
) ORDER BY fetched_at, kind, id LIMIT ?
"""


def database_bytes(conn: sqlite3.Connection) -> int:
    """The database's size in pages, free pages included."""
    return int(_pragma(conn, "page_count") * _pragma(conn, "page_size"))


def used_bytes(conn: sqlite3.Connection) -> int:
    return int((_pragma(conn, "page_count") - _pragma(conn, "freelist_count"))
               * _pragma(conn, "page_size"))


def _pragma(conn: sqlite3.Connection, name: str) -> int:
    return int(conn.execute(f"PRAGMA {name}").fetchone()[0])


def enforce_cap(conn: sqlite3.Connection, max_bytes: int) -> int:
    """Evict until the data fits under the cap; returns how many entries went."""
    if database_bytes(conn) <= max_bytes:
        return 0
    target = int(max_bytes * LOW_WATER)
    evicted = 0
    while used_bytes(conn) > target:
        with transaction(conn):
            batch = conn.execute(_OLDEST, (_BATCH,)).fetchall()
            for kind, rowid, _ in batch:
                _evict(conn, kind, rowid)
            if any(kind == "part" for kind, _, _ in batch):
                # Deleted index entries linger in FTS5 segments until merged.
                conn.execute("INSERT INTO events_fts (events_fts) VALUES ('optimize')")
        evicted += len(batch)
        if not batch:
            break
    reclaim(conn)
    return evicted


def _evict(conn: sqlite3.Connection, kind: str, rowid: int) -> None:
    if kind == "page":
        conn.execute("DELETE FROM pages WHERE rowid = ?", (rowid,))
    elif kind == "session":
        conn.execute("DELETE FROM sessions WHERE rowid = ?", (rowid,))
    else:
        found = conn.execute("SELECT key, part FROM parts WHERE rowid = ?", (rowid,)).fetchone()
        if found and found[1] == "events":
            conn.execute("DELETE FROM events WHERE key = ?", (found[0],))
        conn.execute("DELETE FROM parts WHERE rowid = ?", (rowid,))


def reclaim(conn: sqlite3.Connection) -> None:
    """Give free pages back to the file system and empty the WAL into the file."""
    # executescript steps the pragma to completion; execute() frees one page.
    conn.executescript("PRAGMA incremental_vacuum;")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
