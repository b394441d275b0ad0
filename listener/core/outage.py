"""Logging a failure that repeats every few seconds without burying the log in it.

While the database is down, the processing pass fails every `process_interval` (2 s in the demo);
a full traceback each time says nothing new and pushes everything else off the screen. As Home
Assistant's update coordinator does, an outage is logged when it starts (with the traceback),
then as one line a minute while it lasts, and once more when it is over.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Callable


class OutageLog:
    def __init__(
        self, logger: logging.Logger, what: str, every: timedelta = timedelta(minutes=1),
        clock: Callable[[], float] = time.monotonic,
    ):
        self.logger, self.what, self.every, self.clock = logger, what, every.total_seconds(), clock
        self._started: float | None = None
        self._last_logged = 0.0
        self._failures = 0

    def failed(self, error: BaseException) -> None:
        now = self.clock()
        self._failures += 1
        if self._started is None:
            self._started = self._last_logged = now
            self.logger.error("%s failed: %s; retrying quietly, one line a minute until it recovers",
                              self.what, one_line(error), exc_info=error)
        elif now - self._last_logged >= self.every:
            self._last_logged = now
            self.logger.error("%s still failing (%d attempts over %s): %s",
                              self.what, self._failures, _duration(now - self._started), one_line(error))

    def succeeded(self) -> None:
        if self._started is None:
            return
        self.logger.warning("%s recovered after %s (%d failed attempts)",
                            self.what, _duration(self.clock() - self._started), self._failures)
        self._started, self._failures = None, 0


def one_line(error: BaseException) -> str:
    """The first line of what went wrong: a DBAPI error's own message, without the SQL and the
    "Background on this error" link SQLAlchemy appends."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def _duration(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))
