"""The cache's tables. `PRAGMA user_version` holds SCHEMA_VERSION; a file from a
newer spstui is moved aside rather than misread."""

from __future__ import annotations

from spstui.cache.fields import COLUMNS
from spstui.cache.fulltext import TOKENIZER

SCHEMA_VERSION = 1
TABLES = ("sessions", "pages", "parts", "events", "events_fts", "triage")

_SQL_TYPES = {"keyword": "TEXT", "verdict": "TEXT", "int": "INTEGER", "bool": "INTEGER",
              "date": "REAL"}
_QUERY_COLUMNS = ",\n    ".join(f"{c.column} {_SQL_TYPES[c.kind]}" for c in COLUMNS)

STATEMENTS = (
    # One row per session: its flat row (from search pages and documents, merged),
    # the full document when fetched, and normalised columns for offline search.
    f"""CREATE TABLE sessions (
    key TEXT PRIMARY KEY,
    row TEXT NOT NULL,
    row_fetched_at REAL NOT NULL,
    doc TEXT,
    doc_fetched_at REAL,
    doc_final INTEGER,
    touched_at REAL NOT NULL,
    {_QUERY_COLUMNS}
)""",
    "CREATE INDEX sessions_start_time ON sessions (start_time)",
    "CREATE INDEX sessions_touched_at ON sessions (touched_at)",
    # A page keeps its items as one JSON text: reading it back is one lookup.
    """CREATE TABLE pages (
    query_key TEXT NOT NULL,
    page_offset INTEGER NOT NULL,
    page_limit INTEGER NOT NULL,
    match_count INTEGER,
    items TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    final INTEGER NOT NULL,
    PRIMARY KEY (query_key, page_offset, page_limit)
)""",
    "CREATE INDEX pages_fetched_at ON pages (fetched_at)",
    """CREATE TABLE parts (
    key TEXT NOT NULL,
    part TEXT NOT NULL,
    items TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    final INTEGER NOT NULL,
    PRIMARY KEY (key, part)
)""",
    "CREATE INDEX parts_fetched_at ON parts (fetched_at)",
    # Event texts of cached `events` parts, indexed by an external-content FTS5
    # table that the triggers keep in step.
    "CREATE TABLE events (id INTEGER PRIMARY KEY, key TEXT NOT NULL, text TEXT NOT NULL)",
    "CREATE INDEX events_key ON events (key)",
    f"""CREATE VIRTUAL TABLE events_fts USING fts5(
    text, content='events', content_rowid='id', tokenize='{TOKENIZER}'
)""",
    """CREATE TRIGGER events_ai AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, text) VALUES (new.id, new.text);
END""",
    """CREATE TRIGGER events_ad AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, text) VALUES ('delete', old.id, old.text);
END""",
    # Local triage marks: never evicted, never cleared with the cached data.
    """CREATE TABLE triage (
    key TEXT PRIMARY KEY,
    flag TEXT,
    note TEXT,
    updated_at REAL NOT NULL
)""",
)
