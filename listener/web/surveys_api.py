"""`GET /api/v1/surveys`: survey NPS, CSAT and CES per time bucket beside social net sentiment.

The question a customer-experience team asks is whether what people say in public moves with what
they answer in surveys; so both series come on the same buckets (listener/core/buckets.py) for the
same brand, with Pearson's r over the buckets where both have a value.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from listener.config import ListenerConfig
from listener.core.buckets import Bucket, bucket_ceil, bucket_floor, bucket_next
from listener.core.surveys import SURVEY_KINDS, SurveyKind, pearson, survey_number
from listener.core.text import BROKEN_CHARACTERS
from listener.storage.queries import Analytics, MentionFilter, QueryError
from listener.storage.surveys import SurveyScore, SurveyStore
from listener.web.auth import require_api_user
from listener.web.errors import ERROR_RESPONSES
from listener.web.params import SINCE_DESCRIPTION, BucketParam, OptionalBrand, OptionalTime

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(require_api_user)], responses=ERROR_RESPONSES)


class SurveyBucketOut(BaseModel):
    bucket_start: datetime
    nps: float | None
    """% promoters (9-10) minus % detractors (0-6); None without NPS answers in the bucket."""
    nps_responses: int
    csat: float | None
    """% of CSAT answers that are 4 or 5 (of 5)."""
    csat_responses: int
    ces: float | None
    """Mean CES answer (1-7)."""
    ces_responses: int
    mentions: int
    net_sentiment: float | None
    """Social net sentiment of the brand's mentions in the bucket (listener/core/sentiment.py)."""


class CorrelationOut(BaseModel):
    survey: SurveyKind
    """Which survey number was correlated with net sentiment."""
    value: float | None
    """Pearson's r, -1..1; None when it cannot be computed, `reason` says why."""
    paired_buckets: int
    """Buckets with both survey answers and scored mentions: the points r is computed from."""
    reason: str | None


class SurveyTotalsOut(BaseModel):
    nps: float | None
    nps_responses: int
    csat: float | None
    csat_responses: int
    ces: float | None
    ces_responses: int


class SurveyTopicOut(SurveyTotalsOut):
    topic: str
    """A configured `[[topics]]` name: the numbers of the answers whose comment matched it."""


class SurveysOut(BaseModel):
    brand: str | None
    bucket: Bucket
    since: datetime | None
    until: datetime | None
    """The whole buckets covered; both None when there are no survey answers to show."""
    totals: SurveyTotalsOut
    by_topic: list[SurveyTopicOut]
    """Per configured topic with answers in the period, in config order (survey NPS by touchpoint)."""
    buckets: list[SurveyBucketOut]
    correlation: CorrelationOut


def analytics(request: Request) -> Analytics:
    return request.app.state.analytics


@router.get("/surveys", response_model=SurveysOut)
def surveys(
    request: Request,
    queries: Annotated[Analytics, Depends(analytics)],
    brand: Annotated[OptionalBrand, Query(description="A configured brand name; default: every brand.")] = None,
    since: Annotated[OptionalTime, Query(description=SINCE_DESCRIPTION)] = None,
    until: Annotated[
        OptionalTime, Query(description="End, exclusive, after `since` (widened to whole buckets).")
    ] = None,
    bucket: BucketParam = "day",
    kind: Annotated[
        SurveyKind, Query(description="The survey number to correlate with net sentiment: nps, csat or ces.")
    ] = "nps",
) -> dict[str, Any]:
    """Survey NPS, CSAT and CES and their answer counts per bucket (UTC) beside the brand's social
    net sentiment, and Pearson's r between `kind` and net sentiment over the buckets where both
    have a value. Without `since`/`until` the range is that of the brand's survey answers."""
    brand = _brand(request.app.state.config, brand)
    store = SurveyStore(request.app.state.store.engine)
    start, end = since, until
    if start is None or end is None:
        span = store.span(brand)
        if span is None:
            return _empty(brand, bucket, kind, "no survey answers")
        start, end = start or span[0], end or span[1] + timedelta(microseconds=1)
        if start >= end:
            return _empty(brand, bucket, kind, "no survey answers in the period")
    social = queries.series(MentionFilter(brand=brand, since=start, until=end), bucket)  # refuses too many buckets
    start, end = bucket_floor(start, bucket), bucket_ceil(end, bucket)
    answers = store.scores(brand, start, end)
    by_bucket: dict[datetime, list[SurveyScore]] = defaultdict(list)
    for answer in answers:
        by_bucket[bucket_floor(answer.responded_at, bucket)].append(answer)
    social_by_bucket = {row.bucket_start: row for row in social}
    rows = []
    current = start
    while current < end:
        row = social_by_bucket.get(current)
        rows.append(
            {
                "bucket_start": current,
                **_numbers(by_bucket.get(current, [])),
                "mentions": row.mentions if row else 0,
                "net_sentiment": row.net_sentiment if row else None,
            }
        )
        current = bucket_next(current, bucket)
    pairs = [
        (row[kind], row["net_sentiment"]) for row in rows if row[kind] is not None and row["net_sentiment"] is not None
    ]
    correlation = pearson(pairs)
    return {
        "brand": brand,
        "bucket": bucket,
        "since": start,
        "until": end,
        "totals": _numbers(answers),
        "by_topic": _by_topic(request.app.state.config, answers),
        "buckets": rows,
        "correlation": {
            "survey": kind,
            "value": correlation.value,
            "paired_buckets": correlation.paired_buckets,
            "reason": correlation.reason,
        },
    }


def _brand(config: ListenerConfig, brand: str | None) -> str | None:
    if not brand:
        return None
    if BROKEN_CHARACTERS.search(brand):
        raise QueryError("brand: contains a NUL character or broken text")
    try:
        return config.brand(brand).name
    except KeyError as unknown:
        raise QueryError(f"brand: {unknown.args[0]}") from None


def _numbers(answers: list[SurveyScore]) -> dict[str, Any]:
    numbers: dict[str, Any] = {}
    for kind in SURVEY_KINDS:
        scores = [answer.score for answer in answers if answer.kind == kind]
        numbers[kind] = survey_number(kind, scores)
        numbers[f"{kind}_responses"] = len(scores)
    return numbers


def _by_topic(config: ListenerConfig, answers: list[SurveyScore]) -> list[dict[str, Any]]:
    by_topic = []
    for topic in config.topics:
        tagged = [answer for answer in answers if topic.name in answer.topics]
        if tagged:
            by_topic.append({"topic": topic.name, **_numbers(tagged)})
    return by_topic


def _empty(brand: str | None, bucket: Bucket, kind: SurveyKind, reason: str) -> dict[str, Any]:
    return {
        "brand": brand,
        "bucket": bucket,
        "since": None,
        "until": None,
        "totals": _numbers([]),
        "by_topic": [],
        "buckets": [],
        "correlation": {"survey": kind, "value": None, "paired_buckets": 0, "reason": reason},
    }
