"""What the UI remembers between runs: query history, sort and chosen columns.

Kept apart from the settings file (which the user edits) in a small JSON file,
written atomically so a crash never leaves half a file behind."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from spstui.api.search import SearchQuery
from spstui.tui.state_dir import STATE_ENV, state_path

__all__ = ["DEFAULT_SORT", "STATE_ENV", "UiState", "first_query", "load_state", "save_state",
           "state_path"]

HISTORY_LIMIT = 200
DEFAULT_SORT = "-start_time"  # newest first; always explicit so deep pages continue it


class UiState(BaseModel):
    history: list[str] = Field(default_factory=list)  # oldest first
    sort: str | None = None  # e.g. "-duration"
    columns: list[str] | None = None  # None: the default set
    detail_width: int | None = None  # cells, set with < and >; None: the usual layout

    def remember(self, query: str) -> None:
        """Add a submitted query to the history (moved to the end if already there)."""
        if not query.strip():
            return
        if query in self.history:
            self.history.remove(query)
        self.history.append(query)
        del self.history[:-HISTORY_LIMIT]


def first_query(state: UiState, page_size: int) -> SearchQuery:
    """What the browser opens with: every session, in the order last chosen. (`spstui`
    asks the appliance for it while the screen is still being built.)"""
    return SearchQuery(limit=page_size, sort=(state.sort or DEFAULT_SORT,))


def load_state(path: Path | None) -> UiState:
    """The remembered state; a missing or unreadable file means a fresh start."""
    if path is None:
        return UiState()
    try:
        return UiState.model_validate_json(path.read_bytes())
    except (OSError, ValueError, ValidationError):
        return UiState()


def save_state(state: UiState, path: Path | None) -> None:
    """Best effort: losing the history is not worth an error on quit."""
    if path is None:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tui-state.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(state.model_dump(mode="json"), file, indent=1)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
