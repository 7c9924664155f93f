"""Untrusted appliance text is escaped on terminals and exact in JSON and CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rich.cells import cell_len

from spstui.output import counted, csv_text, safe_text, table, truncate, write_json

HOSTILE = [
    "echo -e '\x1b[31mALERT\x1b[0m'",
    "printf '\x1b]0;owned\x07'",
    "ls\r\x1b[Kcat /etc/passwd",
    "8-bit CSI \x9b31m",
    "bidi \u202eevil",
    "line\u2028break",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_text_never_contains_control_characters(text: str) -> None:
    shown = safe_text(text)
    assert all(ch.isprintable() for ch in shown), repr(shown)
    assert "\\x1b" in shown or "\\x9b" in shown or "\\u" in shown or "\\r" in shown


def test_escaped_text_keeps_the_readable_part_and_markup_literally() -> None:
    assert safe_text("echo -e '\x1b[31mALERT'") == "echo -e '\\x1b[31mALERT'"
    assert safe_text("[bold]notes[/] [link=x]y[/link]") == "[bold]notes[/] [link=x]y[/link]"
    assert safe_text(None) == "" and safe_text(True) == "yes"


def test_json_output_is_exact_and_still_safe_on_a_terminal() -> None:
    out = io.StringIO()
    write_json({"content": HOSTILE[0]}, out)
    text = out.getvalue()
    assert "\x1b" not in text  # escaped as \u001b by JSON itself
    assert json.loads(text) == {"content": HOSTILE[0]}


def test_csv_keeps_the_data_exact() -> None:
    text = csv_text([["k1", HOSTILE[2]], ["k2", "a,b \"q\""]], ["Key", "Content"])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["Key", "Content"], ["k1", HOSTILE[2]], ["k2", "a,b \"q\""]]


def test_table_aligns_wide_characters_and_escapes_cells() -> None:
    text = table([["山田太郎", "\x1b[2Jboom"], ["bob", "ok"]], ["user", "action"])
    lines = text.splitlines()
    assert "\x1b" not in text and "\\x1b[2Jboom" in text
    # The second column starts at the same display column on every line.
    second = ["action", "\\x1b[2Jboom", "ok"]
    rows = [lines[0], lines[2], lines[3]]
    starts = {cell_len(line[: line.index(value)]) for line, value in zip(rows, second,
                                                                          strict=True)}
    assert starts == {cell_len("山田太郎") + 2}
    assert truncate("abcdef", 4) == "abc…"


def test_csv_writes_booleans_as_json_does_and_nothing_for_none() -> None:
    text = csv_text([["k1", True, False, None, 3]], ["key", "active", "archived", "x", "n"])
    assert text.splitlines()[1] == '"k1","true","false","","3"'


def test_counted_says_one_thing_or_several_things() -> None:
    assert [counted(n, "change") for n in (0, 1, 2, 1500)] == [
        "0 changes", "1 change", "2 changes", "1,500 changes"]
