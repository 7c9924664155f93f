"""Dates as the appliance writes and reads them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)


def iso(ts: float) -> str:
    """Session times: ISO 8601 with milliseconds and an explicit offset."""
    text = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    return text  # e.g. 2026-11-22T09:21:10.832+00:00


def iso_z(ts: float) -> str:
    """Document times (creation_time, archive date) use the Z suffix, as in the samples."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def parse_interval(text: str) -> tuple[float, float]:
    """The half-open interval [lo, hi) of epoch seconds that a written date denotes.

    Accepts the documented ISO 8601 forms (date only, with minutes, seconds,
    fractions, with or without a zone; no zone means the appliance's, UTC) and
    epoch seconds. A date covers its whole day, a minute its whole minute.
    Raises ValueError naming the problem.
    """
    value = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        lo = float(value)
        return lo, lo + 1
    m = _ISO.match(value)
    if not m:
        raise ValueError(
            f"'{text}' is not a date: use ISO 8601, e.g. 2017-01-25, 2017-01-25T10:00 "
            "or 2017-01-25T11:11:52.000+01:00"
        )
    try:
        day = datetime.strptime(m["date"], "%Y-%m-%d")
        if m["h"] is None:
            start, step = day, timedelta(days=1)
        else:
            start = day.replace(hour=int(m["h"]), minute=int(m["m"]))
            step = timedelta(minutes=1)
            if m["s"] is not None:
                start = start.replace(second=int(m["s"]))
                step = timedelta(seconds=1)
                if m["f"]:
                    start += timedelta(microseconds=int(m["f"][:6].ljust(6, "0")))
                    step = timedelta(microseconds=1000)
    except ValueError as err:
        raise ValueError(f"'{text}' is not a valid date: {err}") from None
    tz = m["tz"]
    if tz in (None, "Z"):
        offset = timedelta(0)
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    lo = (start - offset).replace(tzinfo=UTC).timestamp()
    return lo, lo + step.total_seconds()
