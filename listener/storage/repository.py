"""All reads and writes of the pipeline's state, as plain records in and out.

Each public method is one transaction. The few that must be atomic together are one method:
`store_batch` commits mentions with their cursor, `record_alert` commits an alert with its outbox
rows, so a crash between two steps can never lose a mention or an alert delivery.

Writers run at once (each collect job in its own thread, the process job in another, `listener
rescore` in another process), and several writes read before they write: a new brand link copies
its mention's label, a rollup delta reads what a mention contributed. Those reads must see the
state the write commits over, so on SQLite a write transaction (`self._sessions.begin()`) takes
the database's write lock before its first read (`BEGIN IMMEDIATE`), and on PostgreSQL every write
that changes a mention's labels or links first locks the mention row (`RollupDelta.subtract`).
"""

from __future__ import annotations

from sqlalchemy import Engine, event
from sqlalchemy.orm import sessionmaker

from listener.core.clock import Clock, SystemClock
from listener.storage.alerting import AlertingStore
from listener.storage.churn import ChurnStore
from listener.storage.mentions import MentionStore
from listener.storage.outbox import OutboxStore
from listener.storage.rows import lock_sqlite_for_write
from listener.storage.topics import TopicStore
from listener.storage.windows import WindowStore


class Store(MentionStore, WindowStore, AlertingStore, OutboxStore, ChurnStore, TopicStore):
    """All reads and writes of the pipeline's state: one object, its parts in their own modules."""

    def __init__(self, engine: Engine, clock: Clock | None = None):
        """`clock` gives the bookkeeping times (when a batch was stored, a mention scored, an
        alert delivered): the app passes its wall clock; tests pass a `ManualClock`."""
        self.engine = engine
        self._clock: Clock = clock or SystemClock()
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        """`self._sessions()` reads; `self._sessions.begin()` writes, holding SQLite's write lock throughout."""
        if engine.dialect.name == "sqlite":
            event.listen(self._sessions, "after_begin", lock_sqlite_for_write)
