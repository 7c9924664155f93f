"""Messages the workers post back to the screens (messages up, attributes down)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from spstui.api.models import SearchPage
from spstui.api.search import SearchQuery
from spstui.backend import Freshness


@dataclass
class PageLoaded(Message):
    query: SearchQuery
    offset: int
    page: SearchPage
    freshness: Freshness
    load: int = 0  # which load it answers (Loading.begin): a replaced one's does not end it


@dataclass
class PageFailed(Message):
    query: SearchQuery
    offset: int
    error: str
    load: int = 0

