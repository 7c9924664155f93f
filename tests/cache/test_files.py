"""Where the cache lives and who may read it."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest

from spstui.cache import ENV_VAR, CacheStore, default_path
from tests.cache.conftest import item


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    # With umask 0, only the cache itself can be what makes the files private.
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_cache_file_is_owner_only_and_new_folders_too(tmp_path: Path,
                                                      permissive_umask: None) -> None:
    path = tmp_path / "new" / "folders" / "lab.sqlite3"
    with CacheStore(path) as store:
        store.put_page("k", 0, 500, 1, [item("s1", protocol="ssh")])
        assert mode(path) == 0o600
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                assert mode(side) == 0o600
    assert mode(path.parent) == 0o700
    assert mode(path.parent.parent) == 0o700


def test_existing_file_with_loose_mode_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "lab.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    CacheStore(path).close()
    assert mode(path) == 0o600


def test_cache_uses_write_ahead_logging(tmp_path: Path) -> None:
    path = tmp_path / "lab.sqlite3"
    CacheStore(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "lab.sqlite3"
    with CacheStore(path) as tui, CacheStore(path) as cli:
        tui.put_page("k", 0, 500, 1, [item("s1", protocol="ssh")])
        assert cli.get_page("k", 0, 500) is not None


def test_default_path_honours_the_environment(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "caches"))
    assert ENV_VAR == "SPSTUI_CACHE_DIR"
    assert default_path("lab") == tmp_path / "caches" / "lab.sqlite3"


def test_default_path_is_in_the_user_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert default_path("prod") == Path(platformdirs.user_cache_dir("spstui")) / "prod.sqlite3"


def test_profile_names_cannot_leave_the_cache_folder(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    for profile in ("../../etc/x", "a/b", "..", "C:\\x"):
        assert default_path(profile).parent == tmp_path, profile
    with pytest.raises(ValueError, match="profile"):
        default_path("")


def test_store_at_the_default_path_works(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "c"))
    with CacheStore(default_path("lab")) as store:
        store.put_page("k", 0, 500, 1, [item("s1", protocol="ssh")])
    assert (tmp_path / "c" / "lab.sqlite3").stat().st_size > 0
    assert mode(tmp_path / "c") == 0o700
