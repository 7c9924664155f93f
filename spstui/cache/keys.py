"""Canonical keys of search queries, so equal searches share cached pages."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

# Paging is part of a page's own key (offset, limit), not of the query's.
_PAGING = frozenset({"offset", "limit"})


def query_key(params: Mapping[str, object]) -> str:
    """The query parameters as one string: names sorted, offset and limit left
    out, empty values dropped, and `fields` sorted (the appliance answers with
    the fields in alphabetic order whatever order they were asked in)."""
    pairs: list[tuple[str, str]] = []
    for name in sorted(params):
        if name in _PAGING:
            continue
        text = _text(params[name])
        if not text:
            continue
        if name == "fields":
            text = ",".join(sorted({f.strip() for f in text.split(",") if f.strip()}))
        elif name == "sort":
            text = ",".join(f.strip() for f in text.split(",") if f.strip())
        pairs.append((name, text))
    return urlencode(pairs)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(map(str, value)) if isinstance(value, set | frozenset) else value
        return ",".join(str(v) for v in items)
    return str(value).strip()
