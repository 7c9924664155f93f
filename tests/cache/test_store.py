"""Round trips of pages, sessions and parts, with their fetch times and finality."""

from __future__ import annotations

import pytest

from spstui.cache import Cached, CacheStore, query_key
from tests.cache.conftest import Clock, document, item

ENDED = {"active": False, "end_time": "2017-01-25T11:12:30+00:00"}


def page_items(count: int, **extra: object) -> list[dict[str, object]]:
    return [item(f"s{i}", start_time=f"2017-01-25T11:{i:02d}:00+00:00", protocol="ssh",
                 name=f"user{i}", **{**ENDED, **extra}) for i in range(count)]


def test_query_key_ignores_paging_and_parameter_order() -> None:
    one = query_key({"q": "protocol:ssh", "fields": "verdict,name", "offset": 0, "limit": 500})
    two = query_key({"limit": 50, "offset": 500, "fields": "name,verdict", "q": "protocol:ssh"})
    assert one == two
    assert query_key({"q": "protocol:rdp", "fields": "name,verdict"}) != one


def test_query_key_keeps_the_order_of_sort_fields() -> None:
    one = query_key({"sort": "duration,-start_time"})
    assert one != query_key({"sort": "-start_time,duration"})
    assert one == query_key({"sort": "duration, -start_time"})


def test_query_key_drops_empty_parameters() -> None:
    assert query_key({"q": "", "content": None, "fields": "name"}) == query_key({"fields": "name"})


def test_page_round_trip_keeps_items_count_and_fetch_time(store: CacheStore,
                                                          clock: Clock) -> None:
    items = page_items(3)
    key = query_key({"q": "protocol:ssh"})
    store.put_page(key, 0, 500, 42, items)
    fetched = clock.t
    clock.advance(90)

    cached = store.get_page(key, 0, 500)

    assert cached is not None
    assert cached.value.items == items
    assert cached.value.match_count == 42
    assert (cached.value.offset, cached.value.limit) == (0, 500)
    assert cached.fetched_at == fetched
    assert cached.age(clock()) == 90
    assert cached.final is True


def test_page_is_looked_up_by_query_offset_and_limit(store: CacheStore) -> None:
    key = query_key({"q": "protocol:ssh"})
    store.put_page(key, 0, 500, 3, page_items(3))
    assert store.get_page(key, 500, 500) is None
    assert store.get_page(key, 0, 100) is None
    assert store.get_page(query_key({"q": "protocol:rdp"}), 0, 500) is None


def test_page_stored_again_replaces_the_old_one(store: CacheStore, clock: Clock) -> None:
    key = query_key({})
    store.put_page(key, 0, 500, 3, page_items(3))
    clock.advance(60)
    store.put_page(key, 0, 500, 1, page_items(1))
    cached = store.get_page(key, 0, 500)
    assert cached is not None
    assert cached.value.match_count == 1
    assert len(cached.value.items) == 1
    assert cached.fetched_at == clock.t


def test_page_with_an_active_session_is_not_final(store: CacheStore) -> None:
    items = [*page_items(2), item("live", active=True, end_time=None, protocol="ssh")]
    store.put_page("k", 0, 500, 3, items)
    cached = store.get_page("k", 0, 500)
    assert cached is not None and cached.final is False


def test_page_without_the_active_field_uses_what_is_known_of_its_sessions(
        store: CacheStore) -> None:
    store.put_session(document("live", active=True))
    store.put_page("k", 0, 500, 1, [{"key": "live", "meta": {}}])
    cached = store.get_page("k", 0, 500)
    assert cached is not None and cached.final is False


def test_age_is_never_negative() -> None:
    assert Cached("x", fetched_at=100.0, final=True).age(40.0) == 0.0


def test_session_round_trip(store: CacheStore, clock: Clock) -> None:
    doc = document("rUhhQZ3jYsY1NDWYp9DEpq")
    store.put_session(doc)
    fetched = clock.t
    clock.advance(5)
    cached = store.get_session("rUhhQZ3jYsY1NDWYp9DEpq")
    assert cached is not None
    assert cached.value == doc
    assert cached.fetched_at == fetched
    assert cached.final is True
    assert store.get_session("other") is None


def test_active_session_is_not_final(store: CacheStore) -> None:
    store.put_session(document("live", active=True))
    cached = store.get_session("live")
    assert cached is not None and cached.final is False


def test_session_without_active_field_and_end_time_is_not_final(store: CacheStore) -> None:
    doc = document("x")
    del doc["body"]["active"]
    doc["body"]["end_time"] = None
    store.put_session(doc)
    cached = store.get_session("x")
    assert cached is not None and cached.final is False


def test_session_document_derives_its_search_row(store: CacheStore) -> None:
    store.put_session(document("doc1"))
    row = store.search("session_id:\"svc/doc1/abcde:29\"").rows
    assert row == [{
        "key": "doc1", "active": False, "start_time": "2018-09-15T15:53:00+05:00",
        "end_time": "2018-09-15T15:53:57+05:00", "protocol": "SSH", "verdict": "ACCEPT",
        "duration": 57, "name": "myname", "server_username": "myserver",
        "client.address": "10.20.30.40", "client.port": 59125,
        "server.address": "10.20.30.50", "server.port": 22,
        "target.address": "10.20.30.50", "target.port": 221,
        "server_local.address": "10.20.30.1", "server_local.port": 55386,
        "session_id": "svc/doc1/abcde:29", "auth_method": "password",
        "channel_policy": "shell-only", "connection_policy": "myconnectionpolicy",
        "index_status": "INDEXED", "analytics.score.aggregated": 40,
        "analytics.interesting_events": [],
    }]


def test_document_fields_are_filterable_under_their_query_names(store: CacheStore) -> None:
    store.put_session(document("doc1"))
    for q in ("name:myname", "psm.connection_policy:myconnectionpolicy",
              "client.address:10.20.30.40", "client.port:59125", "target.port:221",
              "psm.server_local.address:10.20.30.1", "psm.server_local.port:55386",
              "server_username:myserver", "auth_method:password", "channel_policy:shell-only",
              "verdict:accept", "protocol:ssh", "active:false", "server.port:22"):
        assert [r["key"] for r in store.search(q).rows] == ["doc1"], q


def test_numbered_index_status_of_older_releases_is_named(store: CacheStore) -> None:
    doc = document("old")
    doc["body"]["recording"]["index_status"] = 3
    store.put_session(doc)
    assert store.search().rows[0]["index_status"] == "INDEXED"


def test_page_rows_and_documents_merge_into_one_row(store: CacheStore, clock: Clock) -> None:
    store.put_session(document("s1"))
    clock.advance(10)
    store.put_page("k", 0, 500, 1, [item("s1", verdict="DENY", index_status="NOT_INDEXED")])
    [row] = store.search().rows
    assert row["verdict"] == "DENY"  # the newer fetch wins
    assert row["name"] == "myname"  # fields the page did not carry stay
    assert store.search("verdict:deny").match_count == 1
    assert store.search("verdict:accept").match_count == 0


def test_page_item_spellings_are_folded(store: CacheStore) -> None:
    store.put_page("k", 0, 500, 1, [item("s1", client__ip="10.1.1.1",
                                         psm__connection_policy="pol",
                                         user__gateway_username="alice")])
    [row] = store.search().rows
    assert row == {"key": "s1", "client.address": "10.1.1.1", "connection_policy": "pol",
                   "name": "alice"}
    assert store.search("psm.connection_policy:pol AND name:alice").match_count == 1


def test_part_round_trip(store: CacheStore, clock: Clock) -> None:
    store.put_session(document("s1"))
    channels = [{"key": "1", "body": {"type": "session-shell", "channel_id": 1}}]
    store.put_part("s1", "channels", channels, final=True)
    fetched = clock.t
    clock.advance(3)
    cached = store.get_part("s1", "channels")
    assert cached is not None
    assert cached.value == channels
    assert cached.fetched_at == fetched
    assert cached.final is True
    assert store.get_part("s1", "alerts") is None
    assert store.get_part("s2", "channels") is None


def test_part_of_an_active_session_is_never_final(store: CacheStore) -> None:
    store.put_session(document("live", active=True))
    store.put_part("live", "events", [{"content": "ls", "record_id": 1}], final=True)
    cached = store.get_part("live", "events")
    assert cached is not None and cached.final is False


def test_part_stays_not_final_when_the_session_is_seen_active_later(
        store: CacheStore) -> None:
    store.put_part("s1", "channels", [], final=True)
    store.put_page("k", 0, 500, 1, [item("s1", active=True)])
    cached = store.get_part("s1", "channels")
    assert cached is not None and cached.final is False


def test_part_stored_not_final_stays_not_final(store: CacheStore) -> None:
    store.put_session(document("s1"))
    store.put_part("s1", "indexing", [{"status": "running"}], final=False)
    cached = store.get_part("s1", "indexing")
    assert cached is not None and cached.final is False


def test_info_counts_what_is_cached(store: CacheStore, clock: Clock) -> None:
    store.put_page("k", 0, 500, 3, page_items(3))
    first = clock.t
    clock.advance(100)
    store.put_session(document("s0"))
    store.put_part("s0", "events", [{"content": "ls"}, {"content": "id"}], final=True)
    store.set_triage("s1", "reviewed")
    info = store.info()
    assert info["path"] == str(store.path)
    assert info["size_bytes"] >= store.path.stat().st_size > 0
    assert (info["sessions"], info["documents"], info["pages"], info["parts"],
            info["events"], info["triaged"]) == (3, 1, 1, 1, 2, 1)
    assert (info["oldest_fetch"], info["newest_fetch"]) == (first, clock.t)


def test_clear_drops_cached_data(store: CacheStore) -> None:
    store.put_page("k", 0, 500, 3, page_items(3))
    store.put_session(document("s0"))
    store.put_part("s0", "events", [{"content": "sudo ls"}], final=True)
    store.clear()
    assert store.get_page("k", 0, 500) is None
    assert store.get_session("s0") is None
    assert store.get_part("s0", "events") is None
    assert store.search().match_count == 0
    assert store.search(content="sudo").match_count == 0
    info = store.info()
    assert (info["sessions"], info["pages"], info["parts"], info["events"]) == (0, 0, 0, 0)


def test_closed_store_refuses_use(store: CacheStore) -> None:
    store.close()
    store.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        store.get_page("k", 0, 500)
