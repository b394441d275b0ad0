"""`listener history`: a brand's sentiment per time bucket, from the same queries as the API.

The CLI's `--until` names a bucket to include, so it becomes the end of that bucket; the API's
`until` is exclusive but series always widen to whole buckets, so both give the same rows.
"""

from __future__ import annotations

from datetime import datetime

from listener.storage.queries import Analytics, MentionFilter, SeriesRow
from listener.core.buckets import Bucket, bucket_floor, bucket_next
from listener.storage.repository import Store


def brand_history(
    store: Store, brand: str, bucket: Bucket = "hour", since: datetime | None = None, until: datetime | None = None
) -> list[SeriesRow]:
    end = bucket_next(bucket_floor(until, bucket), bucket) if until else None
    return Analytics(store).series(MentionFilter(brand=brand, since=since, until=end), bucket)
