"""Checking `q` syntax before it is sent, to point at the error as people type."""

from __future__ import annotations

import re
import threading

from luqum.exceptions import ParseError
from luqum.parser import parser

_LOCK = threading.Lock()  # luqum's parser is shared state


def query_problem(q: str) -> str | None:
    """None when q parses; otherwise a short message saying where it breaks."""
    if not q.strip():
        return None
    try:
        with _LOCK:
            parser.parse(q)
    except ParseError as err:
        text = str(err)
        m = re.search(r"position (\d+)", text)
        if m:
            pos = int(m.group(1))
            return f"syntax error at column {pos + 1}: …{q[max(0, pos - 10):pos + 10]}…"
        if "end of expression" in text:
            return "the query ends too early (an unclosed parenthesis or quote, or a dangling "\
                "AND/OR?)"
        return f"syntax error: {text}"
    return None
