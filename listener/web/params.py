"""Query parameters shared by the API, the exports and the dashboard, parsed into one MentionFilter.

Empty values count as absent, so an HTML form's blank "any" fields need no special casing; a
value that is present but wrong is a 422 naming the parameter and what it accepts, never a 500:
times must lie in `TIME_RANGE` (year 1 or 9999 cannot be bucketed, a week before year 1 does not
exist), and text may not hold NUL characters (PostgreSQL refuses them in any query).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query, Request
from pydantic import AfterValidator, BeforeValidator

from listener.storage.queries import MentionFilter, QueryError
from listener.core.buckets import Bucket
from listener.config import ListenerConfig
from listener.core.limits import TIME_RANGE, in_time_range
from listener.core.records import SENTIMENT_LABELS
from listener.core.text import BROKEN_CHARACTERS


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


def _in_time_range(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not in_time_range(moment):
        start, end = TIME_RANGE
        raise ValueError(f"must be from {start:%Y-%m-%d} to before {end:%Y-%m-%d}")
    return moment.astimezone(UTC)


OptionalTime = Annotated[datetime | None, BeforeValidator(_blank_is_none), AfterValidator(_in_time_range)]


def mention_filter(
    request: Request,
    brand: Annotated[str | None, Query(description="A configured brand name; default: every brand.")] = None,
    since: Annotated[OptionalTime, Query(description="Start, inclusive: ISO 8601 date or time, UTC unless an offset is given.")] = None,
    until: Annotated[OptionalTime, Query(description="End, exclusive (series widen to whole buckets).")] = None,
    source: Annotated[list[str], Query(description="Only these sources (repeatable).")] = [],  # noqa: B006 - FastAPI copies defaults
    language: Annotated[list[str], Query(description="Only these language codes (repeatable).")] = [],  # noqa: B006
    sentiment: Annotated[list[str], Query(description="Only these labels: negative, neutral, positive (repeatable).")] = [],  # noqa: B006
    q: Annotated[str | None, Query(max_length=200, description="Text search, case-insensitive substring.")] = None,
) -> MentionFilter:
    config: ListenerConfig = request.app.state.config
    for name, values in (("brand", [brand]), ("source", source), ("language", language), ("q", [q])):
        if any(value and BROKEN_CHARACTERS.search(value) for value in values):
            raise QueryError(f"{name}: contains a NUL character or broken text")
    brand = brand or None
    if brand is not None:
        try:
            config.brand(brand)
        except KeyError as unknown:
            raise QueryError(f"brand: {unknown.args[0]}") from None
    bad_labels = [value for value in sentiment if value and value not in SENTIMENT_LABELS]
    if bad_labels:
        raise QueryError(f"sentiment: unknown label {bad_labels[0]!r} (use {', '.join(SENTIMENT_LABELS)})")
    return MentionFilter(
        brand=brand,
        since=since,
        until=until,
        sources=tuple(value for value in source if value),
        languages=tuple(value for value in language if value),
        sentiments=tuple(value for value in sentiment if value),
        search=(q or "").strip() or None,
    )


BucketParam = Annotated[Bucket, Query(description="Bucket width: hour, day, week (from Monday) or month; UTC.")]
