"""The size cap: least recently fetched data goes first, triage stays, and the
file itself shrinks under the cap."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from spstui.cache import CacheStore
from tests.cache.conftest import Clock, item

CAP = 600_000


def rows(page: int, count: int = 40) -> list[dict[str, Any]]:
    rng = random.Random(page)  # incompressible-ish text, like real names and addresses
    return [item(f"p{page}-{n}", start_time=f"2017-01-{1 + page % 28:02d}T10:{n:02d}:00Z",
                 protocol=rng.choice(["ssh", "rdp"]), verdict="ACCEPT", active=False,
                 end_time="2017-01-28T00:00:00Z",
                 name="".join(rng.choices("abcdefghijklmnop", k=12)),
                 server_username="".join(rng.choices("qrstuvwxyz", k=10)),
                 client__address=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{n}",
                 session_id="".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=40)))
            for n in range(count)]


def fill(store: CacheStore, clock: Clock, pages: int) -> None:
    for page in range(pages):
        store.put_page(f"q{page}", 0, 500, 40, rows(page))
        store.put_part(f"p{page}-0", "events",
                       [{"content": f"user@host:~$ command{page} --flag {n}"} for n in range(30)],
                       final=True)
        clock.advance(1)


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal"))
               if p.exists())


def test_cache_stays_under_its_cap_keeping_the_newest_data(cache_path: Path,
                                                             clock: Clock) -> None:
    with CacheStore(cache_path, max_bytes=CAP, now=clock) as store:
        store.set_triage("p0-0", "suspicious", "first session seen")
        fill(store, clock, 60)

        assert cache_path.stat().st_size <= CAP
        assert store.get_page("q59", 0, 500) is not None  # the newest page
        assert store.get_page("q58", 0, 500) is not None
        assert store.get_page("q0", 0, 500) is None  # the oldest went first
        assert store.get_part("p59-0", "events") is not None
        assert store.get_part("p0-0", "events") is None
        assert store.search(content="command59").match_count == 1
        assert store.search(content="command0").match_count == 0
        assert store.search("session_id:*").match_count < 60 * 40
        assert store.triage(["p0-0"])["p0-0"].note == "first session seen"
        info = store.info()
        assert 0 < info["pages"] < 60


def test_eviction_goes_oldest_first(cache_path: Path, clock: Clock) -> None:
    with CacheStore(cache_path, max_bytes=CAP, now=clock) as store:
        fill(store, clock, 60)
        kept = [n for n in range(60) if store.get_page(f"q{n}", 0, 500) is not None]
    # Whatever survived is one unbroken run of the most recent pages.
    assert kept == list(range(60 - len(kept), 60))


def test_file_shrinks_below_a_lowered_cap(cache_path: Path, clock: Clock) -> None:
    with CacheStore(cache_path, now=clock) as store:
        fill(store, clock, 60)
    before = file_size(cache_path)
    assert before > CAP

    with CacheStore(cache_path, max_bytes=CAP, now=clock) as store:
        store.put_page("one more", 0, 500, 40, rows(99))
        assert store.get_page("one more", 0, 500) is not None
    assert file_size(cache_path) <= CAP < before


def test_clear_gives_the_space_back(cache_path: Path, clock: Clock) -> None:
    with CacheStore(cache_path, now=clock) as store:
        fill(store, clock, 30)
        before = file_size(cache_path)
        store.clear()
        assert file_size(cache_path) < before / 4
