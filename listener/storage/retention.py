"""Retention: raw mentions older than `[storage] keep_mentions` are deleted, in small batches.

What outlives them: the hourly and daily rollups (the dashboard's history and the detectors'
baselines are counted there, so they are left as they are), alerts with their evidence (the
mentions an alert quotes are kept however old), incidents and the outbox. Each batch is its own
short transaction, so a purge of a year of mentions never holds a lock the daemon waits on for
long, and an interrupted purge simply resumes on its next run.

On PostgreSQL a month that ended before the horizon is dropped whole (`drop_months_before`,
`listener.storage.partitions`) unless an alert quotes one of its mentions; the batches then
delete what is left: the month the horizon falls in, and the rest of the months alerts quote.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import OperationalError

from listener.storage.partitions import existing_months, month_start, next_month, partition_name
from listener.storage.repository import Store
from listener.storage.rows import delete_mention_rows
from listener.storage.schema import AlertRow, MentionRow

log = logging.getLogger(__name__)

BATCH = 500
LOCK_TIMEOUT = "10s"
"""How long dropping a month waits for the tables' lock before leaving it to the next run: the
drop needs the parents to itself for a moment, and must not queue the daemon's writes behind a
long dashboard query."""


def evidence_mention_ids(store: Store) -> set[int]:
    """The mentions alerts quote as evidence: never deleted by retention."""
    with store._sessions() as session:
        return {mention_id for ids in session.scalars(select(AlertRow.top_mention_ids)) for mention_id in ids or []}


def delete_mentions_before(store: Store, horizon: datetime, batch: int = BATCH) -> int:
    """Delete mentions created before `horizon`, except alert evidence; return how many went."""
    keep = evidence_mention_ids(store)
    deleted = 0
    after_id = 0
    while True:
        with store._sessions.begin() as session:
            candidates = session.scalars(
                select(MentionRow.id)
                .where(MentionRow.created_at < horizon, MentionRow.id > after_id)
                .order_by(MentionRow.id)
                .limit(batch)
            ).all()
            doomed = [mention_id for mention_id in candidates if mention_id not in keep]
            deleted += delete_mention_rows(session, doomed)
        if len(candidates) < batch:
            return deleted
        after_id = candidates[-1]


def drop_months_before(store: Store, horizon: datetime) -> int:
    """On PostgreSQL, drop each month that ended before `horizon` and holds no alert evidence, its
    brand links and topic tags with it; return how many mentions went. A no-op on SQLite."""
    if store.engine.dialect.name != "postgresql":
        return 0
    keep = sorted(evidence_mention_ids(store))
    with store.engine.connect() as connection:
        months = [month for month in existing_months(connection) if next_month(month) <= month_start(horizon)]
    dropped = 0
    for month in months:
        try:
            with store.engine.begin() as connection:
                connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                count = _drop_month(connection, month, keep)
        except OperationalError as error:
            log.warning("retention: %s stays until the next run: %s", partition_name("mentions", month), error.orig)
            break
        if count is not None:
            log.info("retention: dropped %s (%d mentions)", partition_name("mentions", month), count)
            dropped += count
    return dropped


def _drop_month(connection: Connection, month: datetime, keep: list[int]) -> int | None:
    """Drop `month`'s partitions and return how many mentions they held; None if an alert quotes one."""
    mentions = partition_name("mentions", month)
    quoted = connection.scalar(
        text(f"SELECT EXISTS (SELECT 1 FROM {mentions} WHERE id = ANY(CAST(:keep AS integer[])))"), {"keep": keep}
    )
    if quoted:
        return None  # the batches delete the rest of it
    count = connection.scalar(text(f"SELECT count(*) FROM {mentions}")) or 0
    connection.execute(text(f"DELETE FROM mention_topics WHERE mention_id IN (SELECT id FROM {mentions})"))
    connection.execute(text(f"DROP TABLE {partition_name('mention_brands', month)}"))
    connection.execute(text(f"ALTER TABLE mentions DETACH PARTITION {mentions}"))
    connection.execute(text(f"DROP TABLE {mentions}"))
    return count
