"""Sentiment history per brand in time buckets, for the CLI (and later the API)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from alerts.engine import EPOCH, align
from listener.storage.repository import Store

MONDAY = EPOCH + timedelta(days=4)
"""Weeks start on Monday; the Unix epoch was a Thursday."""

BUCKETS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


@dataclass(frozen=True)
class HistoryRow:
    bucket_start: datetime
    mentions: int
    negative: int
    neutral: int
    positive: int
    net_sentiment: float | None
    """(positive - negative) / (positive + negative); None when neither occurs."""

    def as_json(self) -> dict[str, object]:
        row = asdict(self)
        row["bucket_start"] = self.bucket_start.isoformat().replace("+00:00", "Z")
        return row


def brand_history(
    store: Store, brand: str, bucket: str = "hour", since: datetime | None = None, until: datetime | None = None
) -> list[HistoryRow]:
    width = BUCKETS[bucket]
    first = store.first_mention_time(brand)
    if first is None:
        return []
    origin = MONDAY if bucket == "week" else EPOCH
    start = align(since or first, width, origin)
    end = align(until, width, origin) + width if until else _latest_end(store, brand, start, width)
    rows = []
    for window in store.window_counts(brand, start, end, width):
        polar = window.positive + window.negative
        net = round((window.positive - window.negative) / polar, 4) if polar else None
        rows.append(
            HistoryRow(window.start, window.total, window.negative, window.neutral, window.positive, net)
        )
    return rows


def _latest_end(store: Store, brand: str, start: datetime, width: timedelta) -> datetime:
    latest = store.last_mention_time(brand) or start
    return start + ((latest - start) // width + 1) * width
