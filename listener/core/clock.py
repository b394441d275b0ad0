"""Where the daemon reads the time from.

Every stage takes `now` from a Clock instead of calling `datetime.now()`, so that the demo can
replay days of mentions in minutes and tests can step time deterministically.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class ReplayClock:
    """Time that starts at `start` and runs `speed` times faster than the wall clock."""

    def __init__(self, start: datetime, speed: float, monotonic=time.monotonic):
        self._start = start
        self._speed = speed
        self._monotonic = monotonic
        self._wall_start = monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(self._monotonic() - self._wall_start) * self._speed)

    def restart(self) -> None:
        """Start over at `start`, from this moment of the wall clock."""
        self._wall_start = self._monotonic()


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta
