"""`GET /api/v1/churn`: churn-intent mentions per time bucket, beside all mentions, and the churn
mentions most people saw, each with the pattern that flagged it.

The buckets are the overview series' own (`Analytics.series`: the same range defaults, widening
and bucket limit), so the churn chart lines up with the sentiment chart above it and a churn
rate per bucket is `churn_intent / mentions`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from listener.config import ListenerConfig
from listener.core.buckets import Bucket, bucket_next
from listener.storage.filters import MentionFilter, QueryError
from listener.storage.repository import Store
from listener.web.api import Queries
from listener.web.auth import require_api_user
from listener.web.errors import ERROR_RESPONSES
from listener.web.params import SINCE_DESCRIPTION, BucketParam, OptionalBrand, OptionalTime

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(require_api_user)], responses=ERROR_RESPONSES)


class ChurnBucketOut(BaseModel):
    bucket_start: datetime
    mentions: int
    churn_intent: int


class ChurnMentionOut(BaseModel):
    id: int
    created_at: datetime
    source: str
    author: str | None
    author_reach: int | None
    url: str | None
    language: str | None
    text: str
    pattern: str | None
    """The pattern that flagged it (`language:name`, classifiers/churn_patterns.py)."""


class ChurnOut(BaseModel):
    brand: str | None
    bucket: Bucket
    churn_intent: int
    """Churn-intent mentions over the whole series."""
    series: list[ChurnBucketOut]
    top_mentions: list[ChurnMentionOut]


@router.get("/churn", response_model=ChurnOut)
def churn(
    request: Request,
    queries: Queries,
    brand: Annotated[OptionalBrand, Query(description="A configured brand name; default: every brand.")] = None,
    since: Annotated[OptionalTime, Query(description=SINCE_DESCRIPTION)] = None,
    until: Annotated[
        OptionalTime, Query(description="End, exclusive, after `since` (widened to whole buckets).")
    ] = None,
    bucket: BucketParam = "day",
    top: Annotated[int, Query(ge=1, le=50, description="Churn mentions to list, 1-50.")] = 10,
) -> dict[str, Any]:
    """Churn-intent mentions (customers saying they leave, cancel or switch) per bucket (UTC),
    zero-filled, and the `top` of them by author reach. Without a brand, a mention leaving any
    brand counts once."""
    config: ListenerConfig = request.app.state.config
    brand = brand or None
    if brand is not None:
        try:
            config.brand(brand)
        except KeyError as unknown:
            raise QueryError(f"brand: {unknown.args[0]}") from None
    series = queries.series(MentionFilter(brand=brand, since=since, until=until), bucket)
    if not series:
        return {"brand": brand, "bucket": bucket, "churn_intent": 0, "series": [], "top_mentions": []}
    store: Store = request.app.state.store
    start, end = series[0].bucket_start, bucket_next(series[-1].bucket_start, bucket)
    churn_by_bucket = {point.bucket_start: point.churn for point in store.churn_series(brand, start, end, bucket)}
    top_mentions = store.top_churn_mentions(brand, start, end, top)
    return {
        "brand": brand,
        "bucket": bucket,
        "churn_intent": sum(churn_by_bucket.values()),
        "series": [
            {
                "bucket_start": row.bucket_start,
                "mentions": row.mentions,
                "churn_intent": churn_by_bucket.get(row.bucket_start, 0),
            }
            for row in series
        ],
        "top_mentions": [
            {
                "id": found.mention.id,
                "created_at": found.mention.created_at,
                "source": found.mention.source,
                "author": found.mention.author,
                "author_reach": found.mention.author_reach,
                "url": found.mention.url,
                "language": found.mention.language,
                "text": found.mention.text,
                "pattern": found.pattern,
            }
            for found in top_mentions
        ],
    }
