"""Writing appliance data to a terminal safely, and as exact JSON / CSV.

Everything the appliance sends is untrusted: recorded commands and window
titles are typed by the people being audited and can hold escape sequences.
On a terminal such text is shown with its control characters escaped
(``\\x1b``), never emitted raw. JSON and CSV keep the data exact.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

from rich.cells import cell_len

# C0 controls, DEL and C1 controls (0x80-0x9f: an 8-bit CSI is 0x9b), plus the
# Unicode line/paragraph separators and bidi overrides that can reorder a line.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    names = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if char in names:
        return names[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(value: object) -> str:
    """A value as one line of printable text: control characters escaped."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    return _UNSAFE.sub(_escape, str(value))


def truncate(text: str, width: int) -> str:
    """Cut text to a display width (wide characters count double)."""
    if text.isascii() and text.isprintable():  # the common case: one cell a character
        return text if len(text) <= width else text[:width - 1] + "…"
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def table(rows: Sequence[Sequence[object]], headers: Sequence[str],
          max_width: int = 48) -> str:
    """A plain aligned table of sanitised cells."""
    cells = [[truncate(safe_text(c), max_width) for c in row] for row in rows]
    headers = [safe_text(h) for h in headers]  # part keys come from the appliance too
    widths = [cell_len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], cell_len(cell))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - cell_len(v)) for v, w in zip(values, widths,
                                                                      strict=True)).rstrip()

    return "\n".join([line(list(headers)), line(["-" * w for w in widths]),
                      *(line(r) for r in cells)])


def to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def write_json(data: Any, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    # ensure_ascii keeps control characters escaped (\u001b) even on a terminal.
    json.dump(to_jsonable(data), out, ensure_ascii=True, indent=2)
    out.write("\n")


def write_jsonl(records: Iterable[Any], out: TextIO | None = None) -> int:
    out = out or sys.stdout
    n = 0
    for record in records:
        out.write(json.dumps(to_jsonable(record), ensure_ascii=True, separators=(",", ":")))
        out.write("\n")
        n += 1
    return n


def csv_text(rows: Iterable[Sequence[object]], headers: Sequence[str]) -> str:
    buffer = io.StringIO()
    # Quote every cell: a bare \r in recorded content must not split a row.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue()


def _csv_cell(value: object) -> object:
    # As the JSON has them and the appliance's own CSV writes them, not Python's "True".
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else to_jsonable(value)


def csv_for_terminal(text: str, out: TextIO) -> str:
    """CSV is exact in a file or pipe; on a terminal its cells are sanitised."""
    if not out.isatty():
        return text
    return "\n".join(safe_text(line) for line in text.split("\n"))


def counted(n: int, noun: str) -> str:
    """ "1 change", "2 changes": said as a person would, not "1 change(s)"."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
