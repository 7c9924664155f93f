"""Messages the workers post back to the screens (messages up, attributes down)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from spstui.api.models import SearchPage, Session
from spstui.api.search import SearchQuery
from spstui.backend import Freshness


@dataclass
class PageLoaded(Message):
    query: SearchQuery
    offset: int
    page: SearchPage
    freshness: Freshness


@dataclass
class PageFailed(Message):
    query: SearchQuery
    offset: int
    error: str


@dataclass
class DetailLoaded(Message):
    key: str
    session: Session
    parts: dict[str, list[Any]]
    freshness: Freshness
    failures: dict[str, str] = field(default_factory=dict)  # part -> why it is missing


@dataclass
class DetailFailed(Message):
    key: str
    error: str
