"""A damaged or foreign cache file is moved aside with a warning, never a crash."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from spstui.cache import CacheStore
from tests.cache.conftest import Clock, document, item


def fill(path: Path, clock: Clock, pages: int = 20) -> None:
    with CacheStore(path, now=clock) as store:
        for n in range(pages):
            store.put_page(f"q{n}", 0, 500, 50,
                           [item(f"s{n}-{i}", protocol="ssh", name=f"user{i}" * 20)
                            for i in range(50)])
            store.put_session(document(f"s{n}-0"))


def aside_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".corrupt-*"))


def assert_works(store: CacheStore) -> None:
    store.put_page("fresh", 0, 500, 1, [item("new", protocol="rdp")])
    cached = store.get_page("fresh", 0, 500)
    assert cached is not None and cached.value.items[0]["key"] == "new"
    assert [r["key"] for r in store.search("protocol:rdp").rows] == ["new"]


def assert_moved_aside(path: Path, warnings: list[str], original: bytes | None) -> Path:
    [aside] = [p for p in aside_files(path) if not p.name.endswith("-wal")]
    [message] = warnings
    assert str(path) in message
    assert str(aside) in message
    if original is not None:
        assert aside.read_bytes() == original  # kept for a post-mortem, untouched
    return aside


def test_garbage_file_is_moved_aside_and_replaced(cache_path: Path, clock: Clock,
                                                  warnings: list[str]) -> None:
    cache_path.parent.mkdir(parents=True)
    garbage = os.urandom(50_000)
    cache_path.write_bytes(garbage)

    with CacheStore(cache_path, now=clock, warn=warnings.append) as store:
        assert_moved_aside(cache_path, warnings, garbage)
        assert store.search().match_count == 0
        assert_works(store)


def test_aside_name_carries_a_timestamp(cache_path: Path, clock: Clock,
                                        warnings: list[str]) -> None:
    cache_path.parent.mkdir(parents=True)
    cache_path.write_bytes(b"not a database at all" * 100)
    CacheStore(cache_path, now=clock, warn=warnings.append).close()
    [aside] = aside_files(cache_path)
    assert aside.name == "lab.sqlite3.corrupt-20261120T120000Z"


def test_two_damaged_files_in_the_same_second_both_survive(
        cache_path: Path, clock: Clock, warnings: list[str]) -> None:
    cache_path.parent.mkdir(parents=True)
    for text in (b"first" * 100, b"second" * 100):
        cache_path.write_bytes(text)
        CacheStore(cache_path, now=clock, warn=warnings.append).close()
    assert {p.read_bytes() for p in aside_files(cache_path)} == {b"first" * 100,
                                                                  b"second" * 100}


def test_truncated_file_is_moved_aside_and_replaced(cache_path: Path, clock: Clock,
                                                    warnings: list[str]) -> None:
    fill(cache_path, clock)
    size = cache_path.stat().st_size
    with cache_path.open("r+b") as handle:
        handle.truncate(size // 2)
    truncated = cache_path.read_bytes()

    with CacheStore(cache_path, now=clock, warn=warnings.append) as store:
        assert_moved_aside(cache_path, warnings, truncated)
        assert store.get_page("q0", 0, 500) is None
        assert_works(store)


def test_file_damaged_inside_is_moved_aside_and_replaced(cache_path: Path, clock: Clock,
                                                         warnings: list[str]) -> None:
    fill(cache_path, clock)
    size = cache_path.stat().st_size
    with cache_path.open("r+b") as handle:  # scribble over everything after the schema
        handle.seek(4096 * 2)
        handle.write(b"\xa5" * (size - 4096 * 2))

    with CacheStore(cache_path, now=clock, warn=warnings.append) as store:
        # The damage may show on opening or on first use; either way it is handled.
        for n in range(20):
            assert store.get_page(f"q{n}", 0, 500) is None
        assert store.search("protocol:ssh").match_count == 0
        assert_moved_aside(cache_path, warnings, None)
        assert_works(store)


def test_damage_found_mid_use_is_handled_the_same_way(cache_path: Path, clock: Clock,
                                                      warnings: list[str]) -> None:
    fill(cache_path, clock)
    size = cache_path.stat().st_size
    start = int(size * 0.7) // 4096 * 4096  # the last pages written: data, not schema
    with cache_path.open("r+b") as handle:
        handle.seek(start)
        handle.write(b"\xa5" * (size - start))

    with CacheStore(cache_path, now=clock, warn=warnings.append) as store:
        assert warnings == []  # opening looks fine
        found = [store.get_page(f"q{n}", 0, 500) for n in range(20)]
        assert found[0] is not None  # early pages were intact until the damage showed
        assert found[-1] is None
        assert len(warnings) == 1
        assert store.get_page("q0", 0, 500) is None  # the damaged file is gone
        assert_moved_aside(cache_path, warnings, None)
        assert_works(store)


def test_schema_from_a_newer_version_is_moved_aside(cache_path: Path, clock: Clock,
                                                    warnings: list[str]) -> None:
    fill(cache_path, clock, pages=1)
    with sqlite3.connect(cache_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()

    with CacheStore(cache_path, now=clock, warn=warnings.append) as store:
        aside = assert_moved_aside(cache_path, warnings, None)
        assert "newer" in warnings[0]
        assert store.get_page("q0", 0, 500) is None
        assert_works(store)
    with sqlite3.connect(aside) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 99  # kept as it was
    old.close()


def test_another_programs_database_is_moved_aside(cache_path: Path, clock: Clock,
                                                  warnings: list[str]) -> None:
    cache_path.parent.mkdir(parents=True)
    with sqlite3.connect(cache_path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    with CacheStore(cache_path, now=clock, warn=warnings.append) as store:
        assert_moved_aside(cache_path, warnings, None)
        assert_works(store)


def test_healthy_cache_reopens_without_warnings(cache_path: Path, clock: Clock,
                                                warnings: list[str]) -> None:
    fill(cache_path, clock, pages=3)
    with CacheStore(cache_path, now=clock, warn=warnings.append) as store:
        assert store.get_page("q2", 0, 500) is not None
    assert warnings == []
    assert aside_files(cache_path) == []


def test_default_warning_goes_to_the_log(cache_path: Path, clock: Clock,
                                         caplog: pytest.LogCaptureFixture) -> None:
    cache_path.parent.mkdir(parents=True)
    cache_path.write_bytes(b"\x00garbage" * 100)
    with caplog.at_level("WARNING"), CacheStore(cache_path, now=clock):
        pass
    assert str(cache_path) in caplog.text
