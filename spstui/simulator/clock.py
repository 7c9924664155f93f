"""The simulator's notion of "now".

Everything that changes over time (active sessions ending, events appearing,
index status moving on, cookies and snapshots expiring) asks a clock, so tests
can freeze and advance time instead of sleeping.
"""

from __future__ import annotations

import time


class Clock:
    """Wall-clock time, optionally shifted so the simulated "now" starts elsewhere."""

    def __init__(self, start: float | None = None) -> None:
        self._offset = 0.0 if start is None else start - time.time()

    def now(self) -> float:
        return time.time() + self._offset


class ManualClock(Clock):
    """A clock that only moves when told to (for tests and screenshots)."""

    def __init__(self, start: float) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: float) -> None:
        self._now = float(when)
