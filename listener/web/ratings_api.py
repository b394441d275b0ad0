"""`GET /api/v1/ratings`: review stars (average, distribution, trend) beside sentiment.

Its own router, with the same login/bearer dependency and the same filter parameters as the rest
of the API, so the dashboard's ratings panel asks for exactly what its other panels show."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from listener.core.buckets import Bucket
from listener.storage.filters import MentionFilter
from listener.storage.ratings import RatingReads
from listener.web.auth import require_api_user
from listener.web.errors import ERROR_RESPONSES
from listener.web.params import BucketParam, mention_filter

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(require_api_user)], responses=ERROR_RESPONSES)

Stars = Annotated[float, Field(ge=1, le=5)]


class RatingPointOut(BaseModel):
    bucket_start: datetime
    reviews: int
    average: Stars | None
    """Mean stars of the bucket's reviews; null when it has none."""


class RatingsOut(BaseModel):
    brand: str | None
    bucket: Bucket
    reviews: int
    """Rated mentions (reviews) among the filtered ones."""
    average: Stars | None
    distribution: dict[str, int]
    """Reviews per star, "1" to "5"."""
    trend: list[RatingPointOut]


def rating_reads(request: Request) -> RatingReads:
    """Built once per app, beside `Analytics`, over the same store and clock limits."""
    reads = getattr(request.app.state, "rating_reads", None)
    if reads is None:
        reads = request.app.state.rating_reads = RatingReads(
            request.app.state.store, request.app.state.config.clock.max_future
        )
    return reads


@router.get("/ratings", response_model=RatingsOut)
def ratings(
    reads: Annotated[RatingReads, Depends(rating_reads)],
    selected: Annotated[MentionFilter, Depends(mention_filter)],
    bucket: BucketParam = "day",
) -> dict[str, Any]:
    """Star ratings of the filtered reviews (App Store, Google Play): how many, their mean, how many
    per star, and the mean per bucket (UTC). Mentions without stars are not counted."""
    summary = reads.summary(selected, bucket)
    return {"brand": selected.brand, "bucket": bucket, **summary.as_json()}
