"""What the cache hands back: values with the time they were fetched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Cached(Generic[T]):
    """A cached value. `final` is False while anything in it may still change
    (an active session), whatever the caller claimed when storing it."""

    value: T
    fetched_at: float  # epoch seconds
    final: bool

    def age(self, now: float) -> float:
        """Seconds since the fetch (never negative, should the clock step back)."""
        return max(0.0, now - self.fetched_at)


@dataclass(frozen=True)
class CachedPage:
    """One stored search page, items exactly as the appliance sent them."""

    query_key: str
    offset: int
    limit: int
    match_count: int | None
    items: list[dict[str, Any]]


@dataclass(frozen=True)
class OfflineResult:
    """Offline search: flat rows (each with "key"), how many rows matched in all,
    and when the oldest of the returned rows was fetched (None without rows)."""

    rows: list[dict[str, Any]]
    match_count: int
    fetched_at: float | None
    offset: int = 0
    limit: int = 500


TRIAGE_FLAGS = ("reviewed", "suspicious")


@dataclass(frozen=True)
class Triage:
    """An auditor's local mark on a session; never sent to the appliance."""

    flag: str | None
    note: str | None
    updated_at: float
