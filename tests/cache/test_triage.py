"""Local triage marks: set, change, remove, and kept through clear() and eviction."""

from __future__ import annotations

import pytest

from spstui.cache import CacheStore, Triage
from tests.cache.conftest import Clock, item


def test_triage_flags_and_notes_round_trip(store: CacheStore, clock: Clock) -> None:
    store.set_triage("s1", "reviewed")
    store.set_triage("s2", "suspicious", "sudo to root at 3 am")
    assert store.triage(["s1", "s2", "s3"]) == {
        "s1": Triage("reviewed", None, clock.t),
        "s2": Triage("suspicious", "sudo to root at 3 am", clock.t),
    }


def test_triage_can_be_changed(store: CacheStore, clock: Clock) -> None:
    store.set_triage("s1", "suspicious")
    clock.advance(30)
    store.set_triage("s1", "reviewed", "false alarm")
    assert store.triage(["s1"]) == {"s1": Triage("reviewed", "false alarm", clock.t)}


def test_no_flag_and_no_note_removes_the_mark(store: CacheStore) -> None:
    store.set_triage("s1", "reviewed", "ok")
    store.set_triage("s1", None)
    assert store.triage(["s1"]) == {}


def test_a_note_alone_is_kept(store: CacheStore) -> None:
    store.set_triage("s1", None, "ask the DBA")
    assert store.triage(["s1"])["s1"].note == "ask the DBA"
    assert store.triage(["s1"])["s1"].flag is None


def test_unknown_flag_is_refused(store: CacheStore) -> None:
    with pytest.raises(ValueError, match="flag"):
        store.set_triage("s1", "ignored")
    assert store.triage(["s1"]) == {}


def test_triage_survives_clear(store: CacheStore) -> None:
    store.put_page("k", 0, 500, 1, [item("s1", protocol="ssh")])
    store.set_triage("s1", "suspicious", "check")
    store.clear()
    assert store.search().match_count == 0
    assert store.triage(["s1"])["s1"].flag == "suspicious"


def test_triage_of_many_keys_at_once(store: CacheStore) -> None:
    for n in range(1200):
        store.set_triage(f"s{n}", "reviewed")
    marks = store.triage([f"s{n}" for n in range(0, 1500)])
    assert len(marks) == 1200
