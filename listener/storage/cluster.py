"""What the cluster's nodes coordinate through PostgreSQL: advisory locks, shards of the scoring
backlog, and outbox rows claimed by one worker at a time.

PostgreSQL is the only state the nodes share, so it is also where they agree who does what. A
session advisory lock lives exactly as long as the connection that took it: when a node dies
(kill -9, a lost network) its connection closes and the lock is free again, with no lease to
expire and no row to clean up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, func, select, text

from listener.core.records import MentionToScore
from listener.storage.database import upgrade
from listener.storage.lock_keys import lock_key
from listener.storage.repository import Store
from listener.storage.schema import MentionRow


@contextmanager
def try_lock(engine: Engine, *names: str) -> Iterator[bool]:
    """Hold the advisory lock named `names` for the block if no other session holds it.

    Yields whether it was taken; a caller that did not get it skips the work, which the holder is
    doing right now (and the scheduler asks for again on its next tick).
    """
    key = lock_key(*names)
    with engine.connect() as connection:
        taken = bool(connection.scalar(select(func.pg_try_advisory_lock(key))))
        connection.commit()
        try:
            yield taken
        finally:
            if taken:
                connection.scalar(select(func.pg_advisory_unlock(key)))
                connection.commit()


class SessionLock:
    """An advisory lock held by one long-lived connection: the scheduler's leadership.

    `acquire` tries once (standbys call it again on their own schedule); `still_held` checks that
    the connection, and with it the lock, is still alive: a leader whose connection was cut
    (its backend terminated, the network gone) must stop scheduling at once, because a standby
    may already have taken over.
    """

    def __init__(self, engine: Engine, *names: str):
        self._engine = engine
        self._key = lock_key(*names)
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        self.release()
        connection = self._engine.connect()
        try:
            taken = bool(connection.scalar(select(func.pg_try_advisory_lock(self._key))))
            connection.commit()
        except Exception:
            connection.invalidate()
            connection.close()
            raise
        if taken:
            self._connection = connection
        else:
            connection.close()
        return taken

    def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except Exception:
            self._connection.invalidate()
            self._connection = None
            return False
        return True

    def release(self) -> None:
        """Give the lock up by closing its connection (the lock cannot outlive it)."""
        if self._connection is not None:
            self._connection.invalidate()  # never back into the pool still holding the lock
            self._connection.close()
            self._connection = None


def mentions_to_score_in_shard(store: Store, limit: int, shard: int, shards: int) -> list[MentionToScore]:
    """Like `Store.mentions_to_score`, limited to mention ids in `shard` of `shards`, so that
    workers scoring different shards never take the same mention."""
    with store._sessions() as session:
        rows = session.execute(
            select(MentionRow.id, MentionRow.text, MentionRow.language)
            .where(MentionRow.scored_at.is_(None), MentionRow.id % shards == shard)
            .order_by(MentionRow.created_at, MentionRow.id)
            .limit(limit)
        ).all()
        return [MentionToScore(row.id, row.text, row.language) for row in rows]


@contextmanager
def claiming_store(engine: Engine) -> Iterator[Store]:
    """A `Store` whose every read and write runs in one transaction, committed when the block ends.

    The outbox is delivered through it: `due_deliveries(claim=True)` locks the rows it returns
    (`FOR UPDATE SKIP LOCKED`), so another worker skips them, and the sent row is marked delivered
    in the same transaction that holds its lock. A worker that dies mid-send rolls back and frees
    the row for another worker.
    """
    with engine.connect() as connection, connection.begin():
        yield Store(connection)  # type: ignore[arg-type]  # sessions join the connection's transaction


def migrate_once(engine: Engine) -> None:
    """Bring the schema up to date, one node at a time: nodes starting together would otherwise
    race to create the same tables. The others wait, then find it current."""
    key = lock_key("migrate")
    with engine.connect() as connection:
        connection.scalar(select(func.pg_advisory_lock(key)))
        connection.commit()
        try:
            upgrade(engine)
        finally:
            connection.scalar(select(func.pg_advisory_unlock(key)))
            connection.commit()
