"""Timestamps as appliances write them: ISO 8601 (with or without zone, with
fractions of a second) or UNIX epoch seconds / milliseconds (older releases)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

# Epoch values above this are milliseconds (seconds would be past the year 5000).
_MS_THRESHOLD = 100_000_000_000
# Epoch seconds or milliseconds as text; anything else is read as ISO 8601 (trying
# float() first cost an exception for every ISO value of a 500-row page).
_EPOCH = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_timestamp(value: object) -> datetime | None:
    """A timezone-aware datetime; naive ISO values are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int | float):
        return _from_epoch(value)
    if isinstance(value, str):
        text = value.strip()
        if _EPOCH.fullmatch(text):
            return _from_epoch(float(text))
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{value}' is not an ISO 8601 or epoch timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"{type(value).__name__} is not a timestamp")


def _from_epoch(number: float) -> datetime:
    try:
        if abs(number) >= _MS_THRESHOLD:
            number /= 1000  # an int too big for a float overflows here
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        # A ValueError, as for any unreadable value: the appliance's answer is refused
        # with a message naming the field, not a crash.
        raise ValueError("an epoch timestamp out of the range of dates") from None


Timestamp = Annotated[
    datetime | None,
    BeforeValidator(parse_timestamp),
    PlainSerializer(lambda d: d.isoformat() if d else None, when_used="json"),
]
