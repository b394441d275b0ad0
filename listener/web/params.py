"""Query parameters shared by the API, the exports and the dashboard, parsed into one MentionFilter.

Empty values count as absent, so an HTML form's blank "any" fields need no special casing; a
value that is present but wrong is a 422 naming the parameter and what it accepts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query, Request
from pydantic import BeforeValidator

from listener.analytics import Bucket, MentionFilter, QueryError
from listener.config import ListenerConfig
from listener.models import SENTIMENT_LABELS


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


OptionalTime = Annotated[datetime | None, BeforeValidator(_blank_is_none)]


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
