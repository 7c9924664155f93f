"""Relative date forms people type (`-24h`, `-7d`, `today`) turned into ISO 8601."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def resolve_date(text: str, now: datetime | None = None) -> str:
    """ISO 8601 for `-24h`, `-7d`, `-30m`, `-2w`, `today`, `yesterday`, `now`;
    anything else is passed on unchanged for the appliance to judge."""
    value = text.strip()
    current = now or datetime.now(UTC)
    m = re.fullmatch(r"-(\d+)\s*([mhdw])", value)
    if m:
        moment = current - timedelta(**{_UNITS[m[2]]: int(m[1])})
        return moment.isoformat(timespec="seconds")
    midnight = current.replace(hour=0, minute=0, second=0, microsecond=0)
    named = {"now": current, "today": midnight, "yesterday": midnight - timedelta(days=1)}
    if value.lower() in named:
        return named[value.lower()].isoformat(timespec="seconds")
    return value
