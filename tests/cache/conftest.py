"""Fixtures of the cache tests: a store in a temporary folder with a clock the
test moves by hand, and hand-made sessions in the shapes the appliance sends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from spstui.cache import CacheStore

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()


class Clock:
    """A `now` callable the test sets and advances."""

    def __init__(self, start: float = T0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def warnings() -> list[str]:
    return []


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "lab.sqlite3"


@pytest.fixture
def store(cache_path: Path, clock: Clock, warnings: list[str]) -> Iterator[CacheStore]:
    with CacheStore(cache_path, now=clock, warn=warnings.append) as cache:
        yield cache


def item(key: str, **body: Any) -> dict[str, Any]:
    """One search result item, with dotted names passed as client_address etc."""
    return {"key": key, "meta": {"href": f"/api/audit/sessions/{key}"},
            "body": {name.replace("__", "."): value for name, value in body.items()}}


def document(key: str, *, active: bool = False, **overrides: Any) -> dict[str, Any]:
    """A full session document shaped like the reference guide's sample."""
    body: dict[str, Any] = {
        "active": active,
        "analytics": {"interesting_events": [], "score": {"aggregated": 40}},
        "client": {"ip": "10.20.30.40", "name": "10.20.30.40", "port": 59125},
        "duration": 57,
        "end_time": None if active else "2018-09-15T15:53:57+05:00",
        "protocol": "SSH",
        "recording": {
            "auth_method": "password", "channel_policy": "shell-only",
            "connection_policy": "myconnectionpolicy", "index_status": "INDEXED",
            "server_local": {"ip": "10.20.30.1", "name": "10.20.30.1", "port": 55386},
            "session_id": f"svc/{key}/abcde:29",
            "target": {"ip": "10.20.30.50", "name": "10.20.30.50", "port": 221},
            "verdict": "Accepted",
        },
        "server": {"ip": "10.20.30.50", "name": "10.20.30.50", "port": 22},
        "start_time": "2018-09-15T15:53:00+05:00",
        "user": {"id": "myid", "name": "myname", "server_username": "myserver"},
        "verdict": "ACCEPT",
    }
    body.update(overrides)
    return {"key": key, "body": body, "meta": {"href": f"/api/audit/sessions/{key}"}}
