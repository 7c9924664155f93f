"""The SPS ``q`` filter language, checked from the outside of ``compile_query``."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spstui.simulator.query import (
    FieldSpec,
    QueryError,
    TextMatcher,
    compile_query,
    required_terms,
)


def _verdict(value: str) -> str:
    return value.strip().lower().replace("_", "-")


SESSION_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("protocol", "keyword"),
        FieldSpec("verdict", "keyword", normalize=_verdict),
        FieldSpec("name", "keyword"),
        FieldSpec("server_username", "keyword"),
        FieldSpec("session_id", "keyword"),
        FieldSpec("client.address", "keyword"),
        FieldSpec("target.address", "keyword"),
        FieldSpec("tags", "keyword"),
        FieldSpec("port", "int"),
        FieldSpec("start_time", "date"),
        FieldSpec("active", "bool"),
        FieldSpec("screen.content", "text"),
    )
}

EVENT_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("channels_id", "int"),
        FieldSpec("record_id", "int"),
        FieldSpec("content", "text"),
        FieldSpec("time", "date"),
        FieldSpec("type", "keyword"),
    )
}


def parse_date(value: str) -> tuple[float, float]:
    """Test double for the simulator's date parser: a day, or a minute (UTC)."""
    for fmt, span in (("%Y-%m-%d", timedelta(days=1)), ("%Y-%m-%dT%H:%M", timedelta(minutes=1))):
        try:
            start = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return start.timestamp(), (start + span).timestamp()
    raise ValueError(f"expected YYYY-MM-DD or YYYY-MM-DDTHH:MM, got {value!r}")


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def matching(
    q: str,
    docs: Sequence[Mapping[str, Any]],
    fields: Mapping[str, FieldSpec] = SESSION_FIELDS,
    default_fields: Sequence[str] = (),
    date_parser: Callable[[str], tuple[float, float]] | None = parse_date,
) -> list[str]:
    """The ids of the docs that q matches (in order)."""
    predicate = compile_query(q, fields, default_fields, date_parser)
    return [doc["id"] for doc in docs if predicate(doc.get)]


def query_error(q: str, fields: Mapping[str, FieldSpec] = SESSION_FIELDS, **kw: Any) -> QueryError:
    with pytest.raises(QueryError) as info:
        compile_query(q, fields, **kw)
    return info.value


SESSIONS: list[dict[str, Any]] = [
    {
        "id": "s1",
        "protocol": "ssh",
        "verdict": "ACCEPT",
        "name": "admin",
        "server_username": "root",
        "client.address": "10.20.30.40",
        "target.address": "192.168.1.1",
        "port": 22,
        "start_time": 1461654000.0,
        "active": True,
    },
    {
        "id": "s2",
        "protocol": "RDP",
        "verdict": "accept",
        "name": "bob",
        "server_username": "Windows User",
        "client.address": "10.0.0.5",
        "target.address": "10.20.30.40",
        "port": 3389,
        "start_time": 1461654799.5,
        "active": False,
    },
    {
        "id": "s3",
        "protocol": "ssh",
        "verdict": "DENY",
        "name": "carol",
        "server_username": "Windows",
        "client.address": "10.20.30.40",
        "target.address": "10.0.0.9",
        "port": 21,
        "start_time": 1461654800.0,
        "active": None,
    },
    {
        "id": "s4",
        "protocol": "telnet",
        "verdict": "ACCEPT_TERMINATED",
        "name": None,
        "server_username": None,
        "client.address": None,
        "target.address": None,
        "port": 23,
        "start_time": None,
        "active": True,
    },
]


# ------------------------------------------------------- the reference page examples


def test_example_protocol_ssh_matches_that_protocol_only() -> None:
    assert matching("protocol:ssh", SESSIONS) == ["s1", "s3"]


def test_example_quoted_server_username_matches_the_whole_value_case_insensitively() -> None:
    docs = [
        {"id": "exact", "server_username": "Windows User"},
        {"id": "case", "server_username": "windows user"},
        {"id": "prefix", "server_username": "Windows"},
        {"id": "longer", "server_username": "Windows Users"},
    ]
    assert matching('server_username:"Windows User"', docs) == ["exact", "case"]


def test_example_backslash_quoted_username_is_two_terms_and_the_second_needs_a_field() -> None:
    # Exactly as printed on the reference page the quotes are escaped, so luqum reads
    # server_username:\"Windows  plus a stray unfielded  User\"  term.
    err = query_error(r"server_username:\"Windows User\"")
    assert 'User\\"' in str(err)
    assert "field:value" in str(err)
    assert 'field:"two words"' in str(err)  # the hint to drop the backslashes


def test_example_backslash_quoted_username_searches_literal_quote_and_default_field() -> None:
    docs = [
        {"id": "quote-windows", "server_username": '"Windows', "name": "x"},
        {"id": "name-user-quote", "server_username": "other", "name": 'User"'},
        {"id": "windows-user", "server_username": "Windows User", "name": "x"},
    ]
    q = r"server_username:\"Windows User\""
    assert matching(q, docs, default_fields=["name"]) == ["quote-windows", "name-user-quote"]


def test_example_and_and_not_combine() -> None:
    q = "protocol:ssh AND verdict:accept AND NOT name:admin"
    docs = [*SESSIONS, {"id": "s5", "protocol": "ssh", "verdict": "accept", "name": "eve"}]
    assert matching(q, docs) == ["s5"]


def test_example_parenthesised_or_group_then_and() -> None:
    q = "(client.address:10.20.30.40 OR target.address:10.20.30.40) AND verdict:accept"
    assert matching(q, SESSIONS) == ["s1", "s2"]


def test_example_field_group_lists_alternative_values() -> None:
    assert matching("protocol:(ssh rdp)", SESSIONS) == ["s1", "s2", "s3"]


def test_example_name_wildcards_match_the_whole_value() -> None:
    docs = [
        {"id": "admin", "name": "admin"},
        {"id": "Administrator", "name": "Administrator"},
        {"id": "xdmin", "name": "xdmin"},
        {"id": "dmin", "name": "dmin"},
        {"id": "badmin", "name": "badmin"},
        {"id": "none", "name": None},
    ]
    assert matching("name:?dmi*", docs) == ["admin", "Administrator", "xdmin"]


def test_example_exclusive_port_range_resolves_to_22() -> None:
    docs = [{"id": str(p), "port": p} for p in (20, 21, 22, 23, 24)]
    assert matching("port:{21 TO 23}", docs) == ["22"]


def test_example_start_time_open_range_up_to_an_epoch_second() -> None:
    # [* TO x] with epoch x includes the whole second x.
    assert matching("start_time:[* TO 1461654799]", SESSIONS) == ["s1", "s2"]


def test_example_screen_content_word_matches_whole_tokens() -> None:
    docs = [
        {"id": "word", "screen.content": "This is an Example."},
        {"id": "plural", "screen.content": "more examples here"},
        {"id": "examine", "screen.content": "examine it"},
    ]
    fields = SESSION_FIELDS
    assert matching("screen.content:example", docs, fields) == ["word"]
    assert matching("screen.content:example?", docs, fields) == ["plural"]
    assert matching("screen.content:exam*", docs, fields) == ["word", "plural", "examine"]


EVENTS: list[dict[str, Any]] = [
    {"id": "e1", "channels_id": 1, "content": "sudo rm -rf build", "type": "command"},
    {"id": "e2", "channels_id": 2, "content": "ls -la; cp a b", "type": "command"},
    {"id": "e3", "channels_id": 5, "content": "mv a b", "type": "command"},
    {"id": "e4", "channels_id": 5, "content": "rm old.log", "type": "command"},
    {"id": "e5", "channels_id": 6, "content": "Copying Files...", "type": "screen.content"},
    {"id": "e6", "channels_id": 3, "content": "ls; cp x y; mv y z", "type": "command"},
    {"id": "e7", "channels_id": None, "content": "administrator logged in", "type": None},
]


def events(q: str, **kw: Any) -> list[str]:
    return matching(q, EVENTS, EVENT_FIELDS, **kw)


def test_example_event_content_word() -> None:
    assert events("content:sudo") == ["e1"]


def test_example_event_content_phrase_matches_consecutive_words() -> None:
    assert events('content:"Copying Files"') == ["e5"]
    assert events('content:"Files Copying"') == []


def test_example_event_backslash_quoted_content_is_an_or_of_two_words() -> None:
    # As printed (content:\"Copying Files\"): "Copying in content OR Files" in the
    # default field; with content as default field, either word is enough.
    docs = [
        {"id": "both", "content": "Copying Files"},
        {"id": "files", "content": "files only"},
        {"id": "neither", "content": "moving folders"},
    ]
    q = r"content:\"Copying Files\""
    assert matching(q, docs, EVENT_FIELDS, default_fields=["content"]) == ["both", "files"]


def test_example_event_content_and_and_not() -> None:
    assert events("content:ls AND content:cp AND NOT content:mv") == ["e2"]


def test_example_event_grouped_or_and_channel() -> None:
    assert events("(content:rm OR content:mv) AND channels_id:5") == ["e3", "e4"]


def test_example_event_content_field_group() -> None:
    assert events("content:(sudo rm)") == ["e1", "e4"]


def test_example_event_content_wildcards_apply_per_token() -> None:
    assert events("content:?dmi*") == ["e7"]


def test_example_event_exclusive_channel_range_resolves_to_2() -> None:
    assert events("channels_id:{1 TO 3}") == ["e2"]


def test_example_event_open_channel_range() -> None:
    assert events("channels_id:[* TO 5]") == ["e1", "e2", "e3", "e4", "e6"]


# ------------------------------------------------------------------ general rules


@pytest.mark.parametrize("q", ["", "   ", "\t\n"])
def test_empty_query_matches_everything(q: str) -> None:
    docs = [*SESSIONS, {"id": "blank"}]
    assert matching(q, docs) == ["s1", "s2", "s3", "s4", "blank"]


def test_star_colon_star_matches_everything() -> None:
    assert matching("*:*", [*SESSIONS, {"id": "blank"}]) == ["s1", "s2", "s3", "s4", "blank"]


@pytest.mark.parametrize(
    "q",
    ["name:*", "port:[* TO *]", "start_time:[* TO *]", "active:true", "screen.content:*"],
)
def test_missing_value_never_matches_and_its_negation_always_does(q: str) -> None:
    doc = {"id": "blank"}
    assert matching(q, [doc]) == []
    assert matching(f"NOT {q}", [doc]) == ["blank"]


# ---------------------------------------------------------------------- keyword


def test_keyword_is_whole_value_not_substring() -> None:
    docs = [{"id": "ssh", "protocol": "ssh"}, {"id": "sshd", "protocol": "sshd"}]
    assert matching("protocol:ssh", docs) == ["ssh"]


def test_keyword_comparison_ignores_case_on_both_sides() -> None:
    docs = [{"id": "upper", "protocol": "SSH"}, {"id": "lower", "protocol": "ssh"}]
    assert matching("protocol:Ssh", docs) == ["upper", "lower"]


def test_keyword_list_value_matches_if_any_element_matches() -> None:
    docs = [
        {"id": "both", "tags": ["prod", "web"]},
        {"id": "prod", "tags": ["prod"]},
        {"id": "empty", "tags": []},
    ]
    assert matching("tags:web", docs) == ["both"]
    assert matching("tags:(prod AND web)", docs) == ["both"]
    assert matching("tags:w*", docs) == ["both"]
    assert matching("NOT tags:prod", docs) == ["empty"]


def test_keyword_normalize_applies_to_query_and_document_values() -> None:
    docs = [
        {"id": "upper", "verdict": "ACCEPT_TERMINATED"},
        {"id": "lower", "verdict": "accept-terminated"},
        {"id": "accept", "verdict": "ACCEPT"},
    ]
    assert matching("verdict:accept-terminated", docs) == ["upper", "lower"]
    assert matching("verdict:ACCEPT_TERMINATED", docs) == ["upper", "lower"]
    assert matching('verdict:"Accept_Terminated"', docs) == ["upper", "lower"]
    assert matching("verdict:accept_*", docs) == ["upper", "lower"]


def test_keyword_question_mark_is_exactly_one_character() -> None:
    docs = [{"id": n, "name": n} for n in ("ab", "abc", "abcd")]
    assert matching("name:ab?", docs) == ["abc"]


def test_keyword_star_matches_any_run_including_empty() -> None:
    docs = [{"id": n, "name": n} for n in ("", "a", "ab", "ba")]
    assert matching("name:a*", docs) == ["a", "ab"]
    assert matching("name:*", docs) == ["", "a", "ab", "ba"]


def test_keyword_backslash_escapes_are_unescaped() -> None:
    docs = [
        {"id": "svc", "session_id": "svc/abc:1"},
        {"id": "other", "session_id": "svc/abc:2"},
    ]
    assert matching(r"session_id:svc\/abc\:1", docs) == ["svc"]


def test_keyword_escaped_star_is_a_literal_star_not_a_wildcard() -> None:
    docs = [{"id": "star", "name": "a*"}, {"id": "ab", "name": "ab"}]
    assert matching(r"name:a\*", docs) == ["star"]
    assert matching("name:a*", docs) == ["star", "ab"]


def test_keyword_phrase_is_exact_and_has_no_wildcards() -> None:
    docs = [{"id": "star", "name": "a*"}, {"id": "ab", "name": "ab"}]
    assert matching('name:"a*"', docs) == ["star"]
    assert matching('name:"A*"', docs) == ["star"]


def test_keyword_phrase_unescapes_escaped_quotes() -> None:
    docs = [{"id": "quoted", "name": 'say "hi"'}, {"id": "plain", "name": "say hi"}]
    assert matching(r'name:"say \"hi\""', docs) == ["quoted"]


# ------------------------------------------------------------------------- text


def content(*texts: str) -> list[dict[str, Any]]:
    return [{"id": str(i), "content": t} for i, t in enumerate(texts)]


def test_text_word_matches_a_whole_token_not_a_substring() -> None:
    docs = content("an example", "examples", "counterexample")
    assert matching("content:example", docs, EVENT_FIELDS) == ["0"]


def test_text_matching_ignores_case() -> None:
    docs = content("SUDO make me a sandwich", "pseudo")
    assert matching("content:Sudo", docs, EVENT_FIELDS) == ["0"]


def test_text_tokens_are_unicode_word_runs() -> None:
    docs = content("Die Größe zählt", "gross")
    assert matching("content:GRÖSSE", docs, EVENT_FIELDS) == ["0"]
    assert matching("content:zählt", docs, EVENT_FIELDS) == ["0"]


def test_text_wildcards_match_within_one_token_only() -> None:
    docs = content("foobar", "foo bar", "foo-bar")
    assert matching("content:foo*bar", docs, EVENT_FIELDS) == ["0"]
    assert matching("content:foo?bar", docs, EVENT_FIELDS) == []
    assert matching("content:foo???", docs, EVENT_FIELDS) == ["0"]


def test_text_lone_star_matches_any_token_but_not_punctuation_only_text() -> None:
    docs = content("x", "--- ...", "")
    assert matching("content:*", docs, EVENT_FIELDS) == ["0"]


def test_text_word_with_separators_behaves_as_a_phrase() -> None:
    docs = content("cat /etc/shadow", "shadow etc", "vi /etc/passwd /var/shadow")
    assert matching(r"content:\/etc\/shadow", docs, EVENT_FIELDS) == ["0"]
    ips = content("ping 10.1.2.3 now", "ping 10.1.2.30", "10 1 2 3")
    assert matching("content:10.1.2.3", ips, EVENT_FIELDS) == ["0", "2"]


def test_text_phrase_needs_consecutive_tokens() -> None:
    docs = content("rm -rf /", "rm -i -rf /", "RM   --  RF", "rmrf")
    assert matching('content:"rm -rf"', docs, EVENT_FIELDS) == ["0", "2"]


def test_text_phrase_treats_star_as_a_separator_not_a_wildcard() -> None:
    docs = content("exam", "example", "exam*")
    assert matching('content:"exam*"', docs, EVENT_FIELDS) == ["0", "2"]


def test_text_word_of_punctuation_only_matches_nothing() -> None:
    docs = content("a -- b", "--")
    assert matching(r"content:\-\-", docs, EVENT_FIELDS) == []
    assert matching(r"NOT content:\-\-", docs, EVENT_FIELDS) == ["0", "1"]


def test_text_list_value_matches_any_element_but_phrases_do_not_span_elements() -> None:
    docs = [
        {"id": "split", "content": ["sudo", "rm"]},
        {"id": "joined", "content": ["sudo rm"]},
    ]
    assert matching("content:rm", docs, EVENT_FIELDS) == ["split", "joined"]
    assert matching('content:"sudo rm"', docs, EVENT_FIELDS) == ["joined"]


class RecordingProbe:
    """A TextProbe answering from a set of tokens, recording what it was asked."""

    def __init__(self, tokens: set[str]) -> None:
        self.tokens = tokens
        self.asked: list[TextMatcher] = []

    def search(self, matcher: TextMatcher) -> bool:
        self.asked.append(matcher)
        return any(matcher.matches_token(t) for t in self.tokens)


def test_text_probe_is_asked_instead_of_reading_text() -> None:
    probe = RecordingProbe({"sudo", "make"})
    docs = [{"id": "probe", "content": probe}]
    assert matching("content:SUDO", docs, EVENT_FIELDS) == ["probe"]
    assert matching("content:rm", docs, EVENT_FIELDS) == []
    assert matching("content:ma*", docs, EVENT_FIELDS) == ["probe"]
    assert [m.tokens for m in probe.asked] == [("sudo",), ("rm",), ("ma*",)]
    assert probe.asked[2].wildcard
    assert not probe.asked[0].wildcard


def test_text_matchers_for_the_same_term_are_equal_and_hashable() -> None:
    probe = RecordingProbe(set())
    docs = [{"id": "p", "content": probe}]
    matching("content:Sudo", docs, EVENT_FIELDS)
    matching("content:sudo OR content:SUDO", docs, EVENT_FIELDS)
    assert len(probe.asked) == 3
    assert len(set(probe.asked)) == 1
    assert probe.asked[0] == TextMatcher(("sudo",))


def test_text_matcher_from_text_and_matches() -> None:
    phrase = TextMatcher.from_text("/etc/Shadow")
    assert phrase.tokens == ("etc", "shadow")
    assert phrase.phrase
    assert phrase.matches("cat /ETC/shadow")
    assert not phrase.matches("shadow /etc")
    assert not phrase.matches_token("etc")  # a phrase never matches a single token
    wild = TextMatcher.from_text("exa?ple*", wildcards=True)
    assert wild.tokens == ("exa?ple*",)
    assert wild.matches_token("EXAMPLES")
    assert not wild.matches_token("exaple")
    assert not TextMatcher.from_text("a*").wildcard  # a literal star is a separator


# --------------------------------------------------------------------------- int


def ports(*values: int | None) -> list[dict[str, Any]]:
    return [{"id": str(v), "port": v} for v in values]


def test_int_equality() -> None:
    assert matching("port:22", ports(21, 22, None)) == ["22"]
    assert matching('port:"22"', ports(21, 22)) == ["22"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("port:[21 TO 23]", ["21", "22", "23"]),
        ("port:{21 TO 23}", ["22"]),
        ("port:[21 TO 23}", ["21", "22"]),
        ("port:{21 TO 23]", ["22", "23"]),
        ("port:[* TO 22]", ["20", "21", "22"]),
        ("port:{22 TO *]", ["23", "24"]),
        ("port:[* TO *]", ["20", "21", "22", "23", "24"]),
        ("port:[23 TO 21]", []),
        ("port:>22", ["23", "24"]),
        ("port:>=22", ["22", "23", "24"]),
        ("port:<22", ["20", "21"]),
        ("port:<=22", ["20", "21", "22"]),
    ],
)
def test_int_ranges_respect_inclusive_exclusive_and_open_bounds(
    q: str, expected: list[str]
) -> None:
    assert matching(q, ports(20, 21, 22, 23, 24, None)) == expected


@pytest.mark.parametrize("value", ["abc", "2.5", "0x16", "1_000"])
def test_int_field_rejects_a_non_integer_naming_field_and_value(value: str) -> None:
    err = query_error(f"port:{value}")
    assert err.field == "port"
    assert "'port'" in str(err)
    assert repr(value) in str(err)


def test_int_range_bound_must_be_an_integer() -> None:
    err = query_error("port:[1 TO ten]")
    assert err.field == "port"
    assert "'ten'" in str(err)


def test_int_field_rejects_wildcards() -> None:
    err = query_error("port:2*")
    assert err.field == "port"
    assert "wildcards" in str(err)
    assert "'2*'" in str(err)


# -------------------------------------------------------------------------- bool


def test_bool_true_and_false_case_insensitive() -> None:
    assert matching("active:true", SESSIONS) == ["s1", "s4"]
    assert matching("active:FALSE", SESSIONS) == ["s2"]
    assert matching("NOT active:True", SESSIONS) == ["s2", "s3"]


def test_bool_field_rejects_other_values() -> None:
    err = query_error("active:yes")
    assert err.field == "active"
    assert "'yes'" in str(err)


# -------------------------------------------------------------------------- date


def times(*stamps: str | None) -> list[dict[str, Any]]:
    return [{"id": s, "start_time": None if s is None else epoch(s)} for s in stamps]


DAY_DOCS = times(
    "2017-01-19T23:59:59",
    "2017-01-20T00:00:00",
    "2017-01-20T11:00:30",
    "2017-01-20T23:59:59",
    "2017-01-21T00:00:00",
    None,
)


def test_date_equality_covers_the_whole_written_interval() -> None:
    assert matching("start_time:2017-01-20", DAY_DOCS) == [
        "2017-01-20T00:00:00",
        "2017-01-20T11:00:30",
        "2017-01-20T23:59:59",
    ]
    assert matching('start_time:"2017-01-20T11:00"', DAY_DOCS) == ["2017-01-20T11:00:30"]


def test_date_epoch_number_denotes_that_second() -> None:
    docs = [{"id": str(v), "start_time": v} for v in (99.9, 100.0, 100.5, 101.0)]
    assert matching("start_time:100", docs) == ["100.0", "100.5"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (
            "start_time:[2017-01-20 TO *]",
            [
                "2017-01-20T00:00:00",
                "2017-01-20T11:00:30",
                "2017-01-20T23:59:59",
                "2017-01-21T00:00:00",
            ],
        ),
        ("start_time:{2017-01-20 TO *]", ["2017-01-21T00:00:00"]),
        (
            "start_time:[* TO 2017-01-20]",
            [
                "2017-01-19T23:59:59",
                "2017-01-20T00:00:00",
                "2017-01-20T11:00:30",
                "2017-01-20T23:59:59",
            ],
        ),
        ("start_time:[* TO 2017-01-20}", ["2017-01-19T23:59:59"]),
        (
            'start_time:["2017-01-20T11:00" TO *]',
            ["2017-01-20T11:00:30", "2017-01-20T23:59:59", "2017-01-21T00:00:00"],
        ),
        (
            "start_time:{2017-01-19 TO 2017-01-21}",
            ["2017-01-20T00:00:00", "2017-01-20T11:00:30", "2017-01-20T23:59:59"],
        ),
    ],
)
def test_date_range_bounds_use_the_interval_each_value_denotes(q: str, expected: list[str]) -> None:
    assert matching(q, DAY_DOCS) == expected


def test_date_range_accepts_epoch_bounds() -> None:
    docs = [{"id": str(v), "start_time": v} for v in (9.5, 10.0, 10.5, 11.0, 20.0)]
    assert matching("start_time:{10 TO 20}", docs) == ["11.0"]
    assert matching("start_time:[10 TO 20]", docs) == ["10.0", "10.5", "11.0", "20.0"]


def test_date_parser_value_error_becomes_query_error_naming_field() -> None:
    err = query_error("start_time:yesterday", parse_date=parse_date)
    assert err.field == "start_time"
    assert "'yesterday'" in str(err)
    assert isinstance(err.__cause__, ValueError)


def test_date_without_parser_accepts_only_epoch_numbers() -> None:
    assert matching("start_time:[* TO 1461654799]", SESSIONS, date_parser=None) == ["s1", "s2"]
    err = query_error("start_time:2017-01-20")
    assert err.field == "start_time"
    assert "'2017-01-20'" in str(err)


def test_date_field_rejects_wildcards() -> None:
    err = query_error("start_time:2017*", parse_date=parse_date)
    assert err.field == "start_time"
    assert "wildcards" in str(err)


# ------------------------------------------------------------ ranges on other kinds


@pytest.mark.parametrize(
    ("q", "field"),
    [
        ("name:[a TO c]", "name"),
        ("screen.content:{a TO c}", "screen.content"),
        ("active:[false TO true]", "active"),
        ("name:>b", "name"),
    ],
)
def test_ranges_on_non_number_fields_are_rejected(q: str, field: str) -> None:
    err = query_error(q)
    assert err.field == field
    assert "ranges only work on number and date fields" in str(err)
    assert repr(field) in str(err)


# ---------------------------------------------------------------- boolean logic


def test_or_matches_either_side() -> None:
    assert matching("protocol:telnet OR name:bob", SESSIONS) == ["s2", "s4"]


def test_and_binds_tighter_than_or() -> None:
    assert matching("protocol:telnet OR protocol:ssh AND verdict:deny", SESSIONS) == ["s3", "s4"]


def test_parentheses_override_precedence() -> None:
    q = "(protocol:telnet OR protocol:ssh) AND verdict:deny"
    assert matching(q, SESSIONS) == ["s3"]


def test_leading_not_alone_matches_documents_not_matching() -> None:
    assert matching("NOT protocol:ssh", SESSIONS) == ["s2", "s4"]


def test_double_not_cancels() -> None:
    assert matching("NOT NOT protocol:ssh", SESSIONS) == ["s1", "s3"]


def test_implicit_operator_is_or() -> None:
    assert matching("protocol:telnet name:bob", SESSIONS) == ["s2", "s4"]


def test_plus_marks_required_and_makes_plain_terms_optional() -> None:
    assert matching("+protocol:ssh name:bob", SESSIONS) == ["s1", "s3"]
    assert matching("+protocol:ssh +name:carol", SESSIONS) == ["s3"]


def test_minus_excludes_within_implicit_operation() -> None:
    assert matching("protocol:ssh -verdict:deny", SESSIONS) == ["s1"]
    assert matching("protocol:ssh protocol:rdp -name:bob", SESSIONS) == ["s1", "s3"]


def test_lone_minus_terms_match_everything_else() -> None:
    assert matching("-protocol:ssh", SESSIONS) == ["s2", "s4"]
    assert matching("-protocol:ssh -protocol:telnet", SESSIONS) == ["s2"]


def test_not_inside_implicit_operation_excludes_like_minus() -> None:
    assert matching("protocol:ssh NOT verdict:deny", SESSIONS) == ["s1"]


def test_field_group_takes_the_enclosing_field_for_inner_words() -> None:
    assert matching("protocol:(telnet OR (rdp ssh))", SESSIONS) == ["s1", "s2", "s3", "s4"]
    assert matching("protocol:(ssh -telnet)", SESSIONS) == ["s1", "s3"]
    assert matching("name:(admin OR bob) AND NOT protocol:rdp", SESSIONS) == ["s1"]


def test_field_group_with_not_inside() -> None:
    assert matching("protocol:(NOT ssh)", SESSIONS) == ["s2", "s4"]


# --------------------------------------------------------------- unfielded terms


def test_unfielded_term_searches_default_fields_each_with_its_kind() -> None:
    docs = [
        {"id": "name", "name": "sudo", "content": "nothing"},
        {"id": "content", "name": "bob", "content": "ran sudo here"},
        {"id": "neither", "name": "sudoers", "content": "pseudo"},
    ]
    fields = {
        "name": FieldSpec("name", "keyword"),
        "content": FieldSpec("content", "text"),
    }
    assert matching("sudo", docs, fields, default_fields=["name", "content"]) == [
        "name",
        "content",
    ]


def test_unfielded_term_skips_default_fields_it_cannot_apply_to() -> None:
    docs = [{"id": "c", "content": "sudo", "channels_id": 7}, {"id": "n", "channels_id": 7}]
    defaults = ["channels_id", "content"]
    assert matching("sudo", docs, EVENT_FIELDS, default_fields=defaults) == ["c"]
    assert matching("7", docs, EVENT_FIELDS, default_fields=defaults) == ["c", "n"]


def test_unfielded_term_valid_for_no_default_field_is_an_error() -> None:
    err = query_error("sudo", EVENT_FIELDS, default_fields=["channels_id"])
    assert err.field == "channels_id"
    assert "'sudo'" in str(err)


def test_unfielded_term_without_default_fields_asks_for_field_value() -> None:
    err = query_error("protocol:ssh sudo")
    assert "sudo" in str(err)
    assert "field:value" in str(err)


def test_unfielded_double_ampersand_suggests_and() -> None:
    err = query_error("protocol:ssh && name:bob")
    assert "'&&'" in str(err)
    assert "AND" in str(err)


# ------------------------------------------------------------------------ errors


def test_unknown_field_is_named_with_sorted_valid_fields() -> None:
    err = query_error("channel:5", EVENT_FIELDS)
    assert err.field == "channel"
    assert "'channel'" in str(err)
    assert "channels_id, content, record_id, time, type" in str(err)


def test_unknown_field_inside_a_larger_query_is_still_reported() -> None:
    err = query_error("protocol:ssh AND (name:bob OR nmae:eve)")
    assert err.field == "nmae"


def test_field_inside_a_field_value_is_rejected() -> None:
    err = query_error("protocol:name:bob")
    assert "'name'" in str(err)
    assert "'protocol'" in str(err)


@pytest.mark.parametrize("q", ["protocol:ssh^2", "(protocol:ssh)^3", "protocol:(ssh^2 rdp)"])
def test_boost_is_ignored(q: str) -> None:
    expected = ["s1", "s3"] if "rdp" not in q else ["s1", "s2", "s3"]
    assert matching(q, SESSIONS) == expected


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("name:bob~2", "fuzzy"),
        ('screen.content:"rm rf"~3', "proximity"),
        ("name:/b.b/", "regular expressions"),
    ],
)
def test_fuzzy_proximity_and_regex_are_not_supported(q: str, words: str) -> None:
    err = query_error(q)
    assert words in str(err)
    assert "not supported" in str(err)


def test_regex_error_explains_how_to_search_for_a_path() -> None:
    err = query_error("content:/etc/shadow", EVENT_FIELDS, default_fields=["content"])
    assert "/etc/" in str(err)
    assert "quotes" in str(err)


@pytest.mark.parametrize(
    ("q", "luqum_says"),
    [
        ("protocol:(ssh", "unexpected end of expression"),
        ("protocol:ssh)", "position 12"),
        ('name:"unterminated', "Illegal character"),
        ("protocol:ssh AND", "unexpected end of expression"),
    ],
)
def test_syntax_errors_carry_luqums_message(q: str, luqum_says: str) -> None:
    err = query_error(q)
    assert luqum_says in str(err)
    assert "syntax" in str(err)


def test_query_error_is_a_value_error() -> None:
    assert issubclass(QueryError, ValueError)


def test_default_fields_missing_from_the_table_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="nonexistent") as info:
        compile_query("x", SESSION_FIELDS, default_fields=["nonexistent"])
    assert not isinstance(info.value, QueryError)


# ------------------------------------------------------------------- properties

PROP_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("kw", "keyword"),
        FieldSpec("tags", "keyword"),
        FieldSpec("txt", "text"),
        FieldSpec("n", "int"),
        FieldSpec("ok", "bool"),
        FieldSpec("t", "date"),
    )
}

Doc = dict[str, Any]
Oracle = Callable[[Doc], bool]

KEYWORDS = ["ssh", "SSH", "rdp", "telnet", "vnc", ""]
WORDS = ["alpha", "beta", "Gamma", "delta"]

docs_strategy = st.fixed_dictionaries(
    {
        "kw": st.none() | st.sampled_from(KEYWORDS),
        "tags": st.none() | st.lists(st.sampled_from(KEYWORDS), max_size=3),
        "txt": st.none()
        | st.lists(
            st.tuples(st.sampled_from(WORDS), st.sampled_from([" ", "-", ". ", "/"])), max_size=4
        ).map(lambda parts: "".join(w + sep for w, sep in parts)),
        "n": st.none() | st.integers(0, 10),
        "ok": st.none() | st.booleans(),
        "t": st.none() | st.floats(0, 10, allow_nan=False),
    }
)


def _kw_oracle(field: str, pattern: str) -> Oracle:
    def test(v: str) -> bool:
        return fnmatch.fnmatchcase(v.casefold(), pattern.casefold())

    def oracle(doc: Doc) -> bool:
        v = doc[field]
        if v is None:
            return False
        return test(v) if isinstance(v, str) else any(test(x) for x in v)

    return oracle


def _txt_oracle(pattern: str) -> Oracle:
    def oracle(doc: Doc) -> bool:
        v = doc["txt"]
        return v is not None and any(
            fnmatch.fnmatchcase(tok, pattern.casefold()) for tok in re.findall(r"\w+", v.casefold())
        )

    return oracle


def _range_oracle(field: str, lo: int | None, lo_inc: bool, hi: int | None, hi_inc: bool) -> Oracle:
    def oracle(doc: Doc) -> bool:
        v = doc[field]
        if v is None:
            return False
        if field == "t":  # a date bound x stands for the second [x, x+1)
            lo_ok = lo is None or (v >= lo if lo_inc else v >= lo + 1)
            hi_ok = hi is None or (v < hi + 1 if hi_inc else v < hi)
        else:
            lo_ok = lo is None or (v >= lo if lo_inc else v > lo)
            hi_ok = hi is None or (v <= hi if hi_inc else v < hi)
        return lo_ok and hi_ok

    return oracle


@st.composite
def atoms(draw: st.DrawFn) -> tuple[str, Oracle]:
    kind = draw(st.sampled_from(["kw", "kw*", "tags", "txt", "range", "eq", "ok"]))
    if kind in ("kw", "tags"):
        value = draw(st.sampled_from([k for k in KEYWORDS if k]))
        return f"{kind}:{value}", _kw_oracle(kind, value)
    if kind == "kw*":
        pattern = draw(st.sampled_from(["s*", "?dp", "*t*", "*", "S?H", "*n*t"]))
        field = draw(st.sampled_from(["kw", "tags"]))
        return f"{field}:{pattern}", _kw_oracle(field, pattern)
    if kind == "txt":
        pattern = draw(st.sampled_from([*WORDS, "al*", "?eta", "*a", "GAMMA"]))
        return f"txt:{pattern}", _txt_oracle(pattern)
    if kind == "range":
        field = draw(st.sampled_from(["n", "t"]))
        lo = draw(st.none() | st.integers(0, 10))
        hi = draw(st.none() | st.integers(0, 10))
        lo_inc, hi_inc = draw(st.booleans()), draw(st.booleans())
        text = (
            f"{field}:{'[' if lo_inc else '{'}{'*' if lo is None else lo} TO "
            f"{'*' if hi is None else hi}{']' if hi_inc else '}'}"
        )
        return text, _range_oracle(field, lo, lo_inc, hi, hi_inc)
    if kind == "eq":
        field = draw(st.sampled_from(["n", "t"]))
        x = draw(st.integers(0, 10))
        return f"{field}:{x}", _range_oracle(field, x, True, x, True)
    b = draw(st.booleans())
    return f"ok:{str(b).lower()}", lambda doc: doc["ok"] is not None and doc["ok"] == b


def _combine(
    children: st.SearchStrategy[tuple[str, Oracle]],
) -> st.SearchStrategy[tuple[str, Oracle]]:
    def build(op: str, a: tuple[str, Oracle], b: tuple[str, Oracle]) -> tuple[str, Oracle]:
        (qa, fa), (qb, fb) = a, b
        if op == "AND":
            return f"({qa}) AND ({qb})", lambda d: fa(d) and fb(d)
        if op == "OR":
            return f"({qa}) OR ({qb})", lambda d: fa(d) or fb(d)
        if op == "AND NOT":
            return f"({qa}) AND NOT ({qb})", lambda d: fa(d) and not fb(d)
        return f"NOT ({qa})", lambda d: not fa(d)

    return st.builds(build, st.sampled_from(["AND", "OR", "AND NOT", "NOT"]), children, children)


queries = st.recursive(atoms(), _combine, max_leaves=6)


def _evaluate(q: str, doc: Doc) -> bool:
    return compile_query(q, PROP_FIELDS)(doc.get)


@settings(max_examples=300, deadline=None)
@given(query=queries, doc=docs_strategy)
def test_property_compiled_query_agrees_with_reference_semantics(
    query: tuple[str, Oracle], doc: Doc
) -> None:
    q, oracle = query
    assert _evaluate(q, doc) == oracle(doc), q


@settings(max_examples=300, deadline=None)
@given(query=queries, doc=docs_strategy)
def test_property_not_is_the_complement(query: tuple[str, Oracle], doc: Doc) -> None:
    q, _ = query
    assert _evaluate(f"NOT ({q})", doc) == (not _evaluate(q, doc)), q


@settings(max_examples=300, deadline=None)
@given(a=queries, b=queries, doc=docs_strategy)
def test_property_or_and_and_equal_separate_evaluation(
    a: tuple[str, Oracle], b: tuple[str, Oracle], doc: Doc
) -> None:
    qa, qb = a[0], b[0]
    ra, rb = _evaluate(qa, doc), _evaluate(qb, doc)
    assert _evaluate(f"({qa}) OR ({qb})", doc) == (ra or rb)
    assert _evaluate(f"{qa} OR {qb}", doc) == (ra or rb)
    assert _evaluate(f"({qa}) AND ({qb})", doc) == (ra and rb)


@pytest.mark.parametrize(("q", "required"), [
    ("active:true", {("active", "true")}),
    ("active:TRUE AND (protocol:ssh OR protocol:rdp)", {("active", "true")}),
    ("+active:true +protocol:ssh verdict:deny", {("active", "true"), ("protocol", "ssh")}),
    ("active:true -protocol:ssh", {("active", "true")}),
    ("((active:true)) AND verdict:accept", {("active", "true"), ("verdict", "accept")}),
])
def test_required_terms_are_the_ones_every_match_must_have(
        q: str, required: set[tuple[str, str]]) -> None:
    assert required_terms(q) == required


@pytest.mark.parametrize("q", [
    "active:true OR protocol:ssh", "active:true protocol:ssh", "NOT active:true",
    "-active:true", "active:(true)", "active:tr*e AND", "",
])
def test_terms_that_may_be_missing_from_a_match_are_not_required(q: str) -> None:
    assert ("active", "true") not in required_terms(q)
