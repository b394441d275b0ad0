"""The digest's reads (notable mentions, the period's alerts) and its sent-digest ledger.

The ledger is what makes scheduled digests idempotent: a (digest, brand, period) row is written
after the SMTP server accepted the message, and the scheduler skips any period already in it, so
restarts, catch-up runs and a second daemon never send the same period twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from listener.core.records import StoredMention
from listener.storage.rows import counted_links, stored_mention
from listener.storage.schema import AlertRow, DigestSentRow, MentionBrandRow, MentionRow


@dataclass(frozen=True)
class PeriodAlert:
    window_start: datetime
    window_end: datetime
    severity: str
    observed: int
    expected: float
    rule: str
    kind: str = "firing"


class DigestStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def notable_mentions(
        self, brand: str, start: datetime, end: datetime, by: Literal["reach", "negative"], limit: int
    ) -> list[StoredMention]:
        """The period's widest-reaching mentions, or its most negative ones (lowest score first,
        then widest reach)."""
        if limit <= 0:
            return []
        reach = func.coalesce(MentionRow.author_reach, 0)
        query = (
            select(MentionRow)
            .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
            .where(
                MentionBrandRow.brand == brand, MentionBrandRow.created_at >= start, MentionBrandRow.created_at < end, counted_links()
            )
        )
        if by == "negative":
            query = query.where(MentionBrandRow.sentiment_label == "negative").order_by(
                MentionRow.sentiment_score, reach.desc(), MentionRow.id
            )
        else:
            query = query.order_by(reach.desc(), (MentionRow.likes + MentionRow.shares + MentionRow.replies).desc(), MentionRow.id)
        with Session(self.engine) as session:
            return [stored_mention(row, (brand,)) for row in session.scalars(query.limit(limit))]

    def alerts_between(self, brand: str, start: datetime, end: datetime) -> list[PeriodAlert]:
        """Alerts whose window started in [start, end), oldest first."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(AlertRow)
                .where(AlertRow.brand == brand, AlertRow.window_start >= start, AlertRow.window_start < end)
                .order_by(AlertRow.window_start, AlertRow.id)
            ).all()
        return [
            PeriodAlert(row.window_start, row.window_end, row.severity, row.observed, row.expected, row.rule, row.kind)
            for row in rows
        ]

    def was_sent(self, digest: str, brand: str, period_start: datetime) -> bool:
        with Session(self.engine) as session:
            return session.get(DigestSentRow, (digest, brand, period_start)) is not None

    def record_sent(
        self, digest: str, brand: str, period_start: datetime, period_end: datetime, recipients: list[str], sent_at: datetime
    ) -> None:
        """Remember a sent period; recording it twice (two daemons) is harmless."""
        values = {
            "digest": digest,
            "brand": brand,
            "period_start": period_start,
            "period_end": period_end,
            "recipients": recipients,
            "sent_at": sent_at,
        }
        with Session(self.engine) as session, session.begin():
            dialect = session.get_bind().dialect.name
            if dialect in ("sqlite", "postgresql"):
                insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(DigestSentRow)
                session.execute(insert.values(**values).on_conflict_do_nothing())
            elif session.get(DigestSentRow, (digest, brand, period_start)) is None:
                session.add(DigestSentRow(**values))
