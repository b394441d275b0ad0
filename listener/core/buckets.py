"""Calendar buckets of the history (hour, day, week, month) in UTC, for every series we show.

One definition, so that the dashboard, the API, `listener history`, exports and digests put a
mention in the same bucket. Weeks start on Monday (ISO 8601).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Iterator, Literal

Bucket = Literal["hour", "day", "week", "month"]
BUCKETS: tuple[Bucket, ...] = ("hour", "day", "week", "month")
BUCKET_WIDTH = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1), "month": timedelta(days=28)}
"""Each bucket's shortest width: a month is at least 28 days, for bounds on how many buckets a range holds."""


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def bucket_floor(moment: datetime, bucket: Bucket) -> datetime:
    """Start of the UTC bucket holding `moment`."""
    hour = hour_of(moment)
    if bucket == "hour":
        return hour
    day = hour.replace(hour=0)
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown bucket {bucket!r}: use one of {', '.join(BUCKETS)}")


def bucket_next(start: datetime, bucket: Bucket) -> datetime:
    """Start of the bucket after the one starting at `start`."""
    if bucket == "month":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start + BUCKET_WIDTH[bucket]


def bucket_ceil(moment: datetime, bucket: Bucket) -> datetime:
    floor = bucket_floor(moment, bucket)
    return floor if floor == moment else bucket_next(floor, bucket)


def bucket_starts(start: datetime, end: datetime, bucket: Bucket) -> Iterator[datetime]:
    """Every bucket from the one holding `start` up to (not including) `end`."""
    current = bucket_floor(start, bucket)
    while current < end:
        yield current
        current = bucket_next(current, bucket)
