"""Exactly one active scheduler: leadership is a PostgreSQL session advisory lock.

The leader holds the lock on a connection of its own and checks it every `check_every` seconds;
standbys try to take it as often. When the leader dies its connection closes, PostgreSQL frees the
lock, and the first standby to try takes over: within `check_every` plus the time PostgreSQL
needs to notice the closed connection (immediate for a killed process on the same network). A
leader that loses its connection (backend terminated, network cut) stops scheduling at once,
because a standby may already lead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from listener.core.outage import OutageLog
from listener.storage.cluster import SessionLock

log = logging.getLogger(__name__)

LEADER_LOCK = "scheduler-leader"


class Leadership:
    def __init__(self, engine: Engine, stop: threading.Event, check_every: float = 2.0):
        self._lock = SessionLock(engine, LEADER_LOCK)
        self._stop = stop
        self._check_every = check_every
        self._database = OutageLog(log, "scheduler: the database")
        self.leading = False

    def run(self, lead: Callable[[], Callable[[], None]]) -> None:
        """Campaign until `stop`; while leading, `lead()` starts the work and returns how to stop it."""
        standby_logged = False
        while not self._stop.is_set():
            if not self._try_acquire():
                if not standby_logged:
                    log.info("standby: another scheduler leads; trying to take over every %gs", self._check_every)
                    standby_logged = True
                self._stop.wait(self._check_every)
                continue
            standby_logged = False
            log.info("leading: this scheduler took the leader lock and schedules the cluster's work")
            stop_leading = lead()
            self.leading = True
            try:
                while not self._stop.wait(self._check_every):
                    if not self._lock.still_held():
                        log.error("lost the leader lock (database connection gone); standing by")
                        break
            finally:
                self.leading = False
                stop_leading()
        self._lock.release()

    def _try_acquire(self) -> bool:
        try:
            taken = self._lock.acquire()
        except Exception as error:
            self._database.failed(error)
            return False
        self._database.succeeded()
        return taken
