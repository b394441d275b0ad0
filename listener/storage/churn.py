"""Churn intent: writing each brand link's verdict with its mention's scores, and the reads the
dashboard, the API and `listener rescore` need.

Churn is judged per brand ("switched from Globex to Acme" is churn for Globex only), so the verdict
lives on `mention_brands`; the mention's own `churn_intent` says whether any of its brands lost
the author, and that it has been judged at all. Counts read only the flagged links through
`ix_mention_brands_brand_churn_created`: churn is a few percent of mentions, so no rollup is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from listener.core.buckets import Bucket, bucket_floor, bucket_next
from listener.core.records import StoredMention
from listener.storage.rows import StoreBase, counted_links, counted_mentions, stored_mention
from listener.storage.schema import MentionBrandRow, MentionRow

ChurnJudgements = Mapping[int, Mapping[str, tuple[bool, str | None]]]
"""Per mention id, per brand: (churn intent, the pattern that flagged it)."""

MAX_RANGE_BUCKETS = 20_000
"""The most buckets one series may have (two years of hours), so a wide range cannot exhaust memory."""


@dataclass(frozen=True)
class ChurnBucket:
    bucket_start: datetime
    churn: int


@dataclass(frozen=True)
class ChurnMention:
    mention: StoredMention
    pattern: str | None


def write_churn(session: Session, judgements: ChurnJudgements) -> None:
    """Store the verdicts in the caller's transaction (the one that stores the mentions' scores).

    A brand link not in `judgements` (linked after the pass read its brands) is left unjudged; a
    mention with no brand links is judged not churn."""
    links = [
        {"b_id": mention_id, "b_brand": brand, "b_churn": churn, "b_pattern": pattern if churn else None}
        for mention_id, by_brand in judgements.items()
        for brand, (churn, pattern) in by_brand.items()
    ]
    mentions = [
        {"b_id": mention_id, "b_churn": any(churn for churn, _ in by_brand.values())}
        for mention_id, by_brand in judgements.items()
    ]
    connection = session.connection()  # each an executemany: one statement for the batch
    if links:
        connection.execute(
            update(MentionBrandRow)
            .where(MentionBrandRow.mention_id == bindparam("b_id"), MentionBrandRow.brand == bindparam("b_brand"))
            .values(churn_intent=bindparam("b_churn"), churn_pattern=bindparam("b_pattern")),
            links,
        )
    if mentions:
        connection.execute(
            update(MentionRow).where(MentionRow.id == bindparam("b_id")).values(churn_intent=bindparam("b_churn")), mentions
        )


class ChurnStore(StoreBase):
    def brands_of(self, mention_ids: Sequence[int]) -> dict[int, list[str]]:
        """The brands each mention is stored for: what its churn is judged against."""
        brands: dict[int, list[str]] = {mention_id: [] for mention_id in mention_ids}
        with self._sessions() as session:
            for offset in range(0, len(mention_ids), 500):
                rows = session.execute(
                    select(MentionBrandRow.mention_id, MentionBrandRow.brand)
                    .where(MentionBrandRow.mention_id.in_(list(mention_ids[offset : offset + 500])))
                    .order_by(MentionBrandRow.mention_id, MentionBrandRow.brand)
                ).all()
                for mention_id, brand in rows:
                    brands[mention_id].append(brand)
        return brands

    def churn_series(self, brand: str | None, start: datetime, end: datetime, bucket: Bucket) -> list[ChurnBucket]:
        """Churn-intent mentions of `brand` (None: of any brand, each mention once) per bucket over
        [start, end), zero-filled over whole buckets; undated mentions are left out, as in the
        alert rules' windows."""
        first = bucket_floor(start, bucket)
        starts: list[datetime] = []
        moment = first
        while moment < end:
            if len(starts) >= MAX_RANGE_BUCKETS:
                raise ValueError(f"the range has more than {MAX_RANGE_BUCKETS:,} {bucket}s: choose a longer bucket")
            starts.append(moment)
            moment = bucket_next(moment, bucket)
        if brand is None:
            query = select(MentionRow.created_at).where(
                MentionRow.churn_intent.is_(True), MentionRow.undated.is_(False), counted_mentions()
            )
            created = MentionRow.created_at
        else:
            query = select(MentionBrandRow.created_at).where(
                MentionBrandRow.brand == brand,
                MentionBrandRow.churn_intent.is_(True),
                MentionBrandRow.undated.is_(False),
                counted_links(),
            )
            created = MentionBrandRow.created_at
        counts = dict.fromkeys(starts, 0)
        with self._sessions() as session:
            for created_at in session.scalars(query.where(created >= first, created < end)):
                counts[bucket_floor(created_at, bucket)] += 1
        return [ChurnBucket(start, count) for start, count in counts.items()]

    def top_churn_mentions(self, brand: str | None, start: datetime, end: datetime, limit: int) -> list[ChurnMention]:
        """Churn-intent mentions of `brand` (None: of any brand) in [start, end) that most people
        saw: by author reach, then engagement, then newest."""
        pattern = (
            select(func.min(MentionBrandRow.churn_pattern))
            .where(MentionBrandRow.mention_id == MentionRow.id, MentionBrandRow.churn_intent.is_(True))
            .correlate(MentionRow)
            .scalar_subquery()
        )
        if brand is None:
            query = select(MentionRow, pattern).where(
                MentionRow.churn_intent.is_(True), MentionRow.created_at >= start, MentionRow.created_at < end, counted_mentions()
            )
        else:
            query = (
                select(MentionRow, MentionBrandRow.churn_pattern)
                .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
                .where(
                    MentionBrandRow.brand == brand,
                    MentionBrandRow.churn_intent.is_(True),
                    MentionBrandRow.created_at >= start,
                    MentionBrandRow.created_at < end,
                    counted_links(),
                )
            )
        ordered = query.order_by(
            func.coalesce(MentionRow.author_reach, 0).desc(),
            (MentionRow.likes + MentionRow.shares + MentionRow.replies).desc(),
            MentionRow.created_at.desc(),
            MentionRow.id,
        ).limit(limit)
        with self._sessions() as session:
            rows = session.execute(ordered).all()
            brands = () if brand is None else (brand,)
            return [ChurnMention(stored_mention(row, brands), found) for row, found in rows]
