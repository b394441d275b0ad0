"""Window counts, for the detector, and the mentions and terms an alert's evidence is read from."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal, Sequence

from sqlalchemy import case, func, select

from listener.core.records import SENTIMENT_LABELS, ShownMentions, StoredMention, WindowCount
from listener.storage.rows import (
    StoreBase,
    bucket_index,
    counted_links,
    labelled_count,
    mentions_of,
    stored_mention,
)
from listener.storage.schema import MentionBrandRow, MentionRow


class WindowStore(StoreBase):
    # -- aggregates -------------------------------------------------------------------------

    def window_counts(self, brand: str, start: datetime, end: datetime, window: timedelta) -> list[WindowCount]:
        """Counts per sentiment (and of churn intent) in consecutive windows [start, end), zero-filled, aligned on `start`;
        undated mentions (timed only by when they were collected) and the brand's own posts are not counted."""
        windows = int((end - start).total_seconds() // window.total_seconds())
        empty = [WindowCount(start + index * window, 0, 0, 0, 0, 0) for index in range(windows)]
        return self.window_counts_split(brand, start, end, window, ()).get((), empty)

    def first_mention_time(self, brand: str) -> datetime | None:
        with self._sessions() as session:
            return session.scalar(
                select(func.min(MentionBrandRow.created_at)).where(MentionBrandRow.brand == brand, counted_links())
            )

    def top_negative_mentions(self, brand: str, start: datetime, end: datetime, limit: int) -> list[StoredMention]:
        """The negative mentions most people saw: by author reach, then engagement."""
        return self.top_mentions_in(brand, start, end, limit)

    def mentions_by_id(self, ids: Sequence[int]) -> list[StoredMention]:
        if not ids:
            return []
        with self._sessions() as session:
            rows = {row.id: row for row in session.scalars(select(MentionRow).where(MentionRow.id.in_(ids)))}
            return [stored_mention(rows[i]) for i in ids if i in rows]

    # -- alert evidence ---------------------------------------------------------------------

    def mention_texts(
        self, brand: str, start: datetime, end: datetime, limit: int, which: ShownMentions = "negative"
    ) -> list[tuple[datetime, str]]:
        """(time, text) of `brand`'s mentions of `which` kind in [start, end), newest first, at most `limit`."""
        with self._sessions() as session:
            rows = session.execute(
                select(MentionBrandRow.created_at, MentionRow.text)
                .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
                .where(*mentions_of(brand, start, end, which))
                .order_by(MentionBrandRow.created_at.desc(), MentionRow.id.desc())
                .limit(limit)
            ).all()
        return [(row.created_at, row.text) for row in rows]

    def mention_counts_by(
        self,
        brand: str,
        start: datetime,
        end: datetime,
        column: Literal["source", "language"],
        which: ShownMentions = "negative",
    ) -> list[tuple[str, int]]:
        """Mentions of `which` kind of `brand` in [start, end) per source or language, largest first."""
        group = MentionRow.source if column == "source" else func.coalesce(MentionRow.language, "unknown")
        with self._sessions() as session:
            rows = session.execute(
                select(group.label("value"), func.count().label("count"))
                .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
                .where(*mentions_of(brand, start, end, which))
                .group_by(group)
            ).all()
        return sorted(((str(row.value), int(row.count)) for row in rows), key=lambda item: (-item[1], item[0]))

    # -- alert rules: split counts, incidents and silences (alerts/dispatch/engine.py) ---------------

    def window_counts_split(
        self, brand: str, start: datetime, end: datetime, window: timedelta, by: Sequence[str]
    ) -> dict[tuple[str, ...], list[WindowCount]]:
        """`window_counts` per value of `by` ("source" and/or "language", unknown language as
        "unknown"); only values with a mention in [start, end) appear."""
        seconds = window.total_seconds()
        splits = [
            (MentionRow.source if column == "source" else func.coalesce(MentionRow.language, "unknown")).label(
                f"split_{index}"
            )
            for index, column in enumerate(by)
        ]
        with self._sessions() as session:
            bucket = bucket_index(session, MentionBrandRow.created_at, start, seconds).label("bucket")
            label = MentionBrandRow.sentiment_label
            query = (
                select(
                    bucket,
                    *splits,
                    func.count(),
                    *(labelled_count(label, name) for name in SENTIMENT_LABELS),
                    func.sum(case((MentionBrandRow.churn_intent.is_(True), 1), else_=0)),
                )
                .where(
                    MentionBrandRow.brand == brand,
                    MentionBrandRow.created_at >= start,
                    MentionBrandRow.created_at < end,
                    MentionBrandRow.undated.is_(False),
                    counted_links(),
                )
                .group_by(bucket, *splits)
            )
            if by:  # the split columns live on the mention row; the plain count needs no join
                query = query.join(MentionRow, MentionRow.id == MentionBrandRow.mention_id)
            rows = session.execute(query).all()
        by_split: dict[tuple[str, ...], dict[int, Any]] = {}
        for row in rows:
            by_split.setdefault(tuple(str(value) for value in row[1 : 1 + len(by)]), {})[int(row[0])] = row[
                1 + len(by) :
            ]
        windows = int((end - start).total_seconds() // seconds)
        empty = (0, 0, 0, 0, 0)
        return {
            split: [
                WindowCount(start + index * window, *(int(value or 0) for value in buckets.get(index, empty)))
                for index in range(windows)
            ]
            for split, buckets in sorted(by_split.items())
        }

    def top_mentions_in(
        self,
        brand: str,
        start: datetime,
        end: datetime,
        limit: int,
        source: str | None = None,
        language: str | None = None,
        which: ShownMentions = "negative",
    ) -> list[StoredMention]:
        """The mentions of `which` kind most people saw (by author reach, then engagement),
        restricted to one source and/or language for a split rule's evidence."""
        conditions = mentions_of(brand, start, end, which)
        if source is not None:
            conditions.append(MentionRow.source == source)
        if language is not None:
            conditions.append(func.coalesce(MentionRow.language, "unknown") == language)
        with self._sessions() as session:
            rows = session.scalars(
                select(MentionRow)
                .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
                .where(*conditions)
                .order_by(
                    func.coalesce(MentionRow.author_reach, 0).desc(),
                    (MentionRow.likes + MentionRow.shares + MentionRow.replies).desc(),
                    MentionRow.id,
                )
                .limit(limit)
            ).all()
            return [stored_mention(row, (brand,)) for row in rows]
