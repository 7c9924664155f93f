"""Pages past basic search's 10,000 matches, through advanced search.

Basic search cannot page beyond 10,000; advanced search can, but only in order
(a snapshot walked with search_after). So the first deep page costs a walk from
the start; the pager keeps what it has walked, and later pages (forward or back)
are served from it or need one more request each."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from spstui.api.client import SpsClient
from spstui.api.models import SessionRow
from spstui.api.search import BASIC_SEARCH_CAP, Progress, SearchQuery, iterate_items


class DeepPager:
    def __init__(self, client: SpsClient, query: SearchQuery,
                 notice: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.query = query
        self.notice = notice
        self.progress = Progress()
        self._items: AsyncIterator[dict[str, Any]] | None = None
        self._walked = 0  # items read from the start
        self._kept: list[dict[str, Any]] = []  # items from BASIC_SEARCH_CAP on
        self._done = False

    def matches(self, query: SearchQuery) -> bool:
        return query == self.query

    async def page(self, offset: int, limit: int) -> list[SessionRow]:
        """Rows offset..offset+limit, for an offset at or past the cap."""
        if offset < BASIC_SEARCH_CAP:
            raise ValueError("basic search serves pages below the cap")
        while not self._done and self._walked < offset + limit:
            await self._read_one()
        start = offset - BASIC_SEARCH_CAP
        return [SessionRow.model_validate(item) for item in self._kept[start:start + limit]]

    async def _read_one(self) -> None:
        if self._items is None:
            self._items = iterate_items(self.client, self.query, advanced=True,
                                        progress=self.progress, notice=self.notice)
        try:
            item = await anext(self._items)
        except StopAsyncIteration:
            self._done = True
            return
        except BaseException:
            # A cancelled or failed walk cannot resume mid-generator: start over next
            # time, with a new snapshot (whose order may differ from the old one).
            self._items = None
            self._walked = 0
            self._kept.clear()
            raise
        if self._walked >= BASIC_SEARCH_CAP:
            self._kept.append(item)
        self._walked += 1
