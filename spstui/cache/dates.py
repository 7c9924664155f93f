"""Dates as `q`, `start=` and `end=` write them: epoch seconds or ISO 8601.

A written date stands for an interval as long as its precision: a date alone
is the whole day, "2017-01-20T11:00" the whole minute, epoch seconds the whole
second. Values without a zone are UTC, as the API layer reads timestamps.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ](?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>[.,]\d+)?)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")
# Epoch values above this are milliseconds (as in spstui.api.timestamps).
_MS_THRESHOLD = 100_000_000_000
DAY = 86_400.0
_EXACT = 1e-6


class DateError(ValueError):
    """Text that is neither epoch seconds nor an ISO 8601 date."""


def window(text: str) -> tuple[float, float]:
    """The half-open interval [low, high) of epoch seconds a written date covers."""
    text = text.strip()
    if _EPOCH.fullmatch(text):
        number = float(text)
        if abs(number) >= _MS_THRESHOLD:
            return (number / 1000, number / 1000 + (0.001 if "." not in text else _EXACT))
        return (number, number + (1.0 if "." not in text else _EXACT))
    match = _ISO.fullmatch(text)
    if not match:
        raise DateError(f"'{text}' is not a date (use ISO 8601 or epoch seconds)")
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00").replace(",", "."))
    except ValueError:
        raise DateError(f"'{text}' is not a valid date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    start = moment.timestamp()
    if match["fraction"]:
        return (start, start + _EXACT)
    for part, length in (("second", 1.0), ("minute", 60.0), ("hour", 3600.0)):
        if match[part]:
            return (start, start + length)
    return (start, start + DAY)


def is_date_only(text: str) -> bool:
    match = _ISO.fullmatch(text.strip())
    return match is not None and match["hour"] is None
