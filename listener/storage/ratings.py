"""Star ratings of reviews (App Store, Google Play), read beside sentiment.

Sentiment says how people sound; a review's stars are what they scored, in their own hand. The
two disagree often enough to be worth showing side by side ("great app, 1 star: it logs me out").
Only reviews carry stars, so every number here covers the rated mentions among the filtered ones,
with the dashboard's filters (brand, range, sources, languages, sentiment, text) applied the same
way as every other panel's, through `filters.filtered`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from listener.core.buckets import BUCKETS, Bucket, bucket_starts
from listener.core.clock import utcnow
from listener.core.limits import DEFAULT_MAX_FUTURE, EARLIEST, RATINGS
from listener.storage.filters import (
    MentionFilter,
    QueryError,
    bucket_key,
    bucket_span,
    filtered,
    iso,
    parse_bucket,
)
from listener.storage.repository import Store
from listener.storage.schema import MentionRow


@dataclass(frozen=True)
class RatingPoint:
    """One bucket of the trend: how many reviews, and their mean stars (None when there were none)."""

    bucket_start: datetime
    reviews: int
    average: float | None


@dataclass(frozen=True)
class RatingSummary:
    reviews: int
    average: float | None
    """Mean stars over the range, to two decimals; None without a rated mention."""
    distribution: dict[int, int]
    """Reviews per star, 1 to 5, every star present (0 when none)."""
    trend: list[RatingPoint]
    """Per bucket over the range, zero-filled; empty without a rated mention."""

    def as_json(self) -> dict[str, object]:
        return {
            "reviews": self.reviews,
            "average": self.average,
            "distribution": {str(stars): count for stars, count in self.distribution.items()},
            "trend": [
                {"bucket_start": iso(point.bucket_start), "reviews": point.reviews, "average": point.average}
                for point in self.trend
            ],
        }


class RatingReads:
    """Read-only; one short session per call, like `queries.Analytics`."""

    def __init__(self, store: Store, max_future: timedelta = DEFAULT_MAX_FUTURE, now: Callable[[], datetime] = utcnow):
        self.engine = store.engine
        self._max_future = max_future
        self._now = now

    def has_ratings(self, brand: str | None = None) -> bool:
        """Whether any rated mention (of `brand`) is stored: the dashboard shows the panel only then."""
        query = filtered(select(MentionRow.id), MentionFilter(brand=brand), join_always=True)
        with Session(self.engine) as session:
            return session.execute(query.where(MentionRow.rating.is_not(None)).limit(1)).first() is not None

    def summary(self, mention_filter: MentionFilter, bucket: Bucket = "day") -> RatingSummary:
        """Average, distribution and trend of the filtered reviews' stars.

        Without `since`/`until` the range runs from the first to the last rated mention (only those
        whose time can be true, as for the series); without `since`, over MAX_BUCKETS buckets at
        most, the latest. An explicit range longer than that is refused, as for the series.
        """
        if bucket not in BUCKETS:
            raise QueryError(f"unknown bucket {bucket!r} (use {', '.join(BUCKETS)})")
        rated = MentionRow.rating.is_not(None)
        with Session(self.engine) as session:
            start, end = mention_filter.since, mention_filter.until
            if start is None or end is None:
                bounds = filtered(
                    select(func.min(MentionRow.created_at), func.max(MentionRow.created_at)),
                    mention_filter,
                    join_always=True,
                ).where(
                    rated, MentionRow.created_at >= EARLIEST, MentionRow.created_at <= self._now() + self._max_future
                )
                first, last = session.execute(bounds).one()
                if first is None:
                    return RatingSummary(0, None, dict.fromkeys(RATINGS, 0), [])
                start = start or first
                end = end or last + timedelta(microseconds=1)
            start, end = bucket_span(start, end, bucket, since_given=mention_filter.since is not None)
            ranged = MentionFilter(
                brand=mention_filter.brand,
                since=start,
                until=end,
                sources=mention_filter.sources,
                languages=mention_filter.languages,
                sentiments=mention_filter.sentiments,
                search=mention_filter.search,
            )
            key = bucket_key(session, MentionRow.created_at, bucket).label("bucket")
            query = filtered(select(key, MentionRow.rating, func.count()), ranged, join_always=True)
            rows = session.execute(query.where(rated).group_by(key, MentionRow.rating)).all()
        return _summarise([(parse_bucket(row[0]), int(row[1]), int(row[2])) for row in rows], start, end, bucket)


def _summarise(
    counts: list[tuple[datetime, int, int]], start: datetime, end: datetime, bucket: Bucket
) -> RatingSummary:
    """(bucket start, stars, reviews) rows into the summary; stars outside 1-5 (written into the
    database by hand) are left out rather than skewing the mean."""
    distribution: Counter[int] = Counter()
    reviews_by_bucket: Counter[datetime] = Counter()
    stars_by_bucket: Counter[datetime] = Counter()
    for bucket_start, stars, reviews in counts:
        if stars not in RATINGS:
            continue
        distribution[stars] += reviews
        reviews_by_bucket[bucket_start] += reviews
        stars_by_bucket[bucket_start] += stars * reviews
    total = sum(distribution.values())
    trend = [
        RatingPoint(moment, reviews_by_bucket[moment], _mean(stars_by_bucket[moment], reviews_by_bucket[moment]))
        for moment in bucket_starts(start, end, bucket)
    ]
    return RatingSummary(
        reviews=total,
        average=_mean(sum(stars * count for stars, count in distribution.items()), total),
        distribution={stars: distribution[stars] for stars in RATINGS},
        trend=trend if total else [],
    )


def _mean(stars: int, reviews: int) -> float | None:
    return round(stars / reviews, 2) if reviews else None
