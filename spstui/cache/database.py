"""Opening the SQLite file: WAL, owner-only, schema created or checked, and
recognising a file that cannot be used (corrupt, truncated, another program's,
or from a newer spstui) so the store can move it aside and start afresh."""

from __future__ import annotations

import contextlib
import sqlite3
import struct
import time
from collections.abc import Iterator
from pathlib import Path

from spstui.cache import fulltext, paths
from spstui.cache.schema import SCHEMA_VERSION, STATEMENTS

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 5.0
# The WAL is truncated back to this after checkpoints, so it cannot outgrow the cap for long.
JOURNAL_SIZE_LIMIT = 4 * 2**20


class UnusableDatabase(Exception):
    """A cache file to move aside; the message says why."""


def is_corruption(err: BaseException) -> bool:
    """Whether an SQLite error means the file is damaged (not busy, not full)."""
    if not isinstance(err, sqlite3.DatabaseError):
        return False
    code = getattr(err, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    text = str(err).lower()
    return "malformed" in text or "not a database" in text


def connect(path: Path) -> sqlite3.Connection:
    """An open, checked connection; raises UnusableDatabase or a corruption error."""
    paths.ensure_private_dir(path.parent)
    paths.ensure_private_file(path)
    _check_size(path)
    # Autocommit: the store opens its own transactions. One connection serves the
    # TUI's worker threads, behind the store's lock.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_S)
    try:
        conn.create_function(fulltext.MATCH_FUNCTION, 2, fulltext.content_match,
                             deterministic=True)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
        if version > SCHEMA_VERSION:
            raise UnusableDatabase(f"it was written by a newer spstui (schema {version}, "
                                   f"this one reads {SCHEMA_VERSION})")
        if version == 0 and tables:
            raise UnusableDatabase("it is not an spstui cache")
        if version == 0:
            _create(conn)
        else:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
        # Touch every table so damage to the schema shows now, not mid-session.
        for table in ("sessions", "pages", "parts", "events", "triage"):
            conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchall()
    except BaseException:
        conn.close()
        raise
    return conn


def _create(conn: sqlite3.Connection) -> None:
    # auto_vacuum must be chosen before the first table exists; incremental lets
    # eviction hand pages back to the file system.
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    conn.execute("PRAGMA journal_mode = WAL")
    with transaction(conn):
        for statement in STATEMENTS:
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _check_size(path: Path) -> None:
    """A truncated file: its header promises more pages than the file holds.

    SQLite itself notices only when it reaches a missing page, which could be
    long after start-up; checking here makes the outcome deterministic."""
    with path.open("rb") as handle:
        header = handle.read(100)
    if not header:
        return  # a new, empty file
    if len(header) < 100 or not header.startswith(_HEADER):
        raise UnusableDatabase("it is not an SQLite database")
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    change_counter, pages = struct.unpack(">II", header[24:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    wal = path.with_name(path.name + "-wal")
    in_wal = wal.exists() and wal.stat().st_size > 0
    size = path.stat().st_size
    # The size field is trustworthy only when these counters agree, and pages
    # still in the WAL may legitimately be missing from the main file.
    if pages and change_counter == valid_for and not in_wal and size < pages * page_size:
        raise UnusableDatabase(f"it is truncated ({size} bytes of {pages * page_size})")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def move_aside(path: Path, now: float) -> Path:
    """Rename a damaged cache to <name>.corrupt-<timestamp> (with its WAL); the
    shared-memory index is rebuilt by SQLite and simply removed."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while aside.exists():
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    path.rename(aside)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        wal.rename(aside.with_name(aside.name + "-wal"))
    path.with_name(path.name + "-shm").unlink(missing_ok=True)
    return aside
