"""Where caches live, and keeping them readable by their owner only: recorded
sessions hold commands and screen text of privileged users."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import platformdirs

ENV_VAR = "SPSTUI_CACHE_DIR"
SUFFIX = ".sqlite3"


def cache_dir() -> Path:
    """The folder of all profile caches: $SPSTUI_CACHE_DIR, else the platform's
    user cache folder."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir("spstui"))


def default_path(profile: str) -> Path:
    """The cache file of a profile (the name is quoted into a safe file name)."""
    if not profile:
        raise ValueError("a profile name is needed for its cache file")
    return cache_dir() / f"{quote(profile, safe='')}{SUFFIX}"


def ensure_private_dir(folder: Path) -> None:
    """Create missing folders owner-only (0700). Folders that already exist are
    left as they are: they may be shared ones the user chose."""
    missing: list[Path] = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        try:
            parent.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another process made it first
        os.chmod(parent, 0o700)  # the umask may have taken bits away


def ensure_private_file(path: Path) -> None:
    """Create the file owner-only (0600) before SQLite opens it; SQLite gives its
    -wal and -shm files the same mode."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    os.chmod(path, 0o600)
