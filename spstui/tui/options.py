"""What the app is started with: preferences from the profile and the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from spstui.settings import paths


def _downloads() -> Path:
    return paths()["downloads"]


@dataclass
class AppOptions:
    """Attributes down: screens read these, the settings screen may change them."""

    page_size: int = 500
    refresh_interval: float = 5.0
    download_dir: Path = field(default_factory=_downloads)
    player_command: str | None = None
    read_only: bool = False  # hide every action that changes the appliance
    profile: str | None = None  # the settings profile in use (None: demo or --url)
    demo: bool = False
    # Where history, sort and columns are kept across runs; None keeps them in memory.
    state_path: Path | None = None
    theme: str | None = None  # None: the one in the settings file
    notice: str | None = None  # said once the app is up (why a profile switch failed)
