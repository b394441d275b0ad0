"""Retention: raw mentions older than `[storage] keep_mentions` are deleted, in small batches.

What outlives them: the hourly and daily rollups (the dashboard's history and the detectors'
baselines are counted there, so they are left as they are), alerts with their evidence (the
mentions an alert quotes are kept however old), incidents and the outbox. Each batch is its own
short transaction, so a purge of a year of mentions never holds a lock the daemon waits on for
long, and an interrupted purge simply resumes on its next run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from listener.storage.repository import Store
from listener.storage.schema import AlertRow, MentionBrandRow, MentionRow

BATCH = 500


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
            if doomed:
                session.execute(delete(MentionBrandRow).where(MentionBrandRow.mention_id.in_(doomed)))
                deleted += session.execute(delete(MentionRow).where(MentionRow.id.in_(doomed))).rowcount
        if len(candidates) < batch:
            return deleted
        after_id = candidates[-1]
