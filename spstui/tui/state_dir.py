"""Where the UI keeps what it remembers between runs (and the demo its log).

Apart from `state.py` so that starting the demo's simulator, the first thing
`spstui --demo` does, need not wait for pydantic to import."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

STATE_ENV = "SPSTUI_STATE_DIR"


def state_path() -> Path:
    override = os.environ.get(STATE_ENV)
    folder = Path(override).expanduser() if override else Path(
        platformdirs.user_state_dir("spstui"))
    return folder / "tui-state.json"
