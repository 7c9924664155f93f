"""Full-text search over cached events: content= and screen.content: terms."""

from __future__ import annotations

import pytest

from spstui.cache import CacheStore, OfflineQueryError
from tests.cache.conftest import item

EVENTS = {
    "s1": ["myuser@examplehost:~$ sudo rm -rf /tmp/x", "myuser@examplehost:~$ man iptables"],
    "s2": ["root@db:/var# cat /etc/passwd", "root@db:/var# examine logs"],
    "s3": ["C:\\> echo example.txt", "Server Manager"],
    "s4": ["admin@web:~$ sudoedit /etc/hosts", "Jöhn wrote ÉCLAIR"],
}
PROTOCOLS = {"s1": "ssh", "s2": "ssh", "s3": "rdp", "s4": "telnet", "s5": "ssh"}


@pytest.fixture
def events(store: CacheStore) -> CacheStore:
    store.put_page("k", 0, 500, 5, [item(k, protocol=p) for k, p in PROTOCOLS.items()])
    for key, texts in EVENTS.items():
        store.put_part(key, "events", [
            {"action": t.split("$ ")[-1], "channels_id": 0, "content": t, "record_id": n,
             "time": "2017-04-11T09:21:10.832", "type": "command"}
            for n, t in enumerate(texts)], final=True)
    return store


def content(store: CacheStore, text: str) -> set[str]:
    return {r["key"] for r in store.search(content=text).rows}


def screen(store: CacheStore, q: str) -> set[str]:
    return {r["key"] for r in store.search(q).rows}


def test_word_matches_whole_words_only(events: CacheStore) -> None:
    assert content(events, "sudo") == {"s1"}  # not s4's "sudoedit"


def test_words_match_case_and_accent_insensitively(events: CacheStore) -> None:
    assert content(events, "SUDO") == {"s1"}
    assert content(events, "john") == {"s4"}
    assert content(events, "eclair") == {"s4"}


def test_trailing_star_matches_a_prefix(events: CacheStore) -> None:
    assert content(events, "sudo*") == {"s1", "s4"}
    assert content(events, "exam*") == {"s1", "s2", "s3"}  # examplehost, examine, example


def test_question_mark_and_inner_wildcards(events: CacheStore) -> None:
    assert content(events, "exampl?") == {"s3"}
    assert content(events, "ex*le") == {"s3"}
    assert content(events, "pass??") == {"s2"}


def test_phrase_matches_words_in_order(events: CacheStore) -> None:
    assert content(events, '"man iptables"') == {"s1"}
    assert content(events, '"iptables man"') == set()
    assert content(events, '"server manager"') == {"s3"}


def test_word_with_punctuation_matches_as_a_phrase(events: CacheStore) -> None:
    assert content(events, "example.txt") == {"s3"}
    assert content(events, "\\/etc\\/passwd") == {"s2"}
    assert content(events, '"/etc/passwd"') == {"s2"}


def test_screen_content_terms_in_q(events: CacheStore) -> None:
    assert screen(events, "screen.content:sudo") == {"s1"}
    assert screen(events, "screen.content:exam*") == {"s1", "s2", "s3"}
    assert screen(events, 'screen.content:"man iptables"') == {"s1"}
    assert screen(events, "screen.content:(sudo passwd)") == {"s1", "s2"}


def test_content_and_metadata_combine(events: CacheStore) -> None:
    assert {r["key"] for r in events.search("protocol:ssh", content="exam*").rows} == {"s1", "s2"}
    assert screen(events, "protocol:ssh AND NOT screen.content:sudo") == {"s2", "s5"}
    assert screen(events, "screen.content:sudo OR protocol:rdp") == {"s1", "s3"}


def test_session_matches_when_its_events_match_separately(events: CacheStore) -> None:
    # "rm" and "iptables" sit in two different events of s1.
    assert screen(events, "screen.content:rm AND screen.content:iptables") == {"s1"}


def test_content_expression_with_operators(events: CacheStore) -> None:
    assert content(events, "sudo OR passwd") == {"s1", "s2"}
    assert content(events, "exam* AND NOT passwd") == {"s1", "s3"}


def test_sessions_without_cached_events_never_match(events: CacheStore) -> None:
    found = content(events, "e*")
    assert found == {"s1", "s2", "s3", "s4"}  # every session with events, never s5


def test_storing_events_again_replaces_the_indexed_text(events: CacheStore) -> None:
    events.put_part("s1", "events", [{"content": "uptime"}], final=True)
    assert content(events, "sudo") == set()
    assert content(events, "uptime") == {"s1"}


def test_other_parts_are_not_searched(events: CacheStore) -> None:
    events.put_part("s5", "alerts", [{"matched_content": "sudo reboot", "content": "sudo"}],
                    final=True)
    assert content(events, "sudo") == {"s1"}


def test_leading_wildcard_is_an_error(events: CacheStore) -> None:
    with pytest.raises(OfflineQueryError, match="wildcard"):
        events.search(content="*sudo")
    with pytest.raises(OfflineQueryError, match=r"screen\.content"):
        events.search("screen.content:?udo")


def test_unescaped_slashes_read_as_an_unsupported_regular_expression(
        events: CacheStore) -> None:
    with pytest.raises(OfflineQueryError, match="regular expression"):
        events.search(content="/etc/passwd")


def test_punctuation_only_term_matches_nothing(events: CacheStore) -> None:
    assert content(events, "$") == set()
