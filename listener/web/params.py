"""Query parameters shared by the API, the exports and the dashboard, parsed into one MentionFilter.

Empty values count as absent, so an HTML form's blank "any" fields need no special casing; a
value that is present but wrong is a 422 naming the parameter and what it accepts, never a 500:
times must lie in `TIME_RANGE` (year 1 or 9999 cannot be bucketed, a week before year 1 does not
exist), and text may not hold NUL characters (PostgreSQL refuses them in any query).

Each parameter's OpenAPI schema states exactly what it accepts, so a client generated from it
neither sends a value the API refuses nor is refused one the schema allows: times are a pattern
(the one the parser checks), closed sets are enums, and free text excludes NUL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BeforeValidator, WithJsonSchema

from listener.config import ListenerConfig
from listener.core.buckets import Bucket
from listener.core.limits import TIME_RANGE
from listener.core.records import SENTIMENT_LABELS
from listener.core.text import BROKEN_CHARACTERS
from listener.storage.filters import MAX_BUCKETS, MentionFilter, QueryError

_YEAR = r"(?:19[7-9][0-9]|2[01][0-9]{2})"
_LEAP_YEAR = r"(?:19(?:7[26]|8[048]|9[26])|20(?:[02468][048]|[13579][26])|21(?:0[48]|[2468][048]|[13579][26]))"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
MOMENT_PATTERN = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)(?:[T ]{_TIME}{_OFFSET}?)?"
"""An ISO 8601 date, or date and time (minutes, seconds or microseconds; UTC unless an offset is
given), from 1970-01-01 to 2199-12-31: every string it matches is a real day and time that
`datetime.fromisoformat` reads, so the schema can promise exactly what the parser accepts."""
_MOMENT = re.compile(MOMENT_PATTERN)
_MOMENT_SHAPE = re.compile(
    r"([0-9]{4})-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
"""Written like a moment, digits aside: refused for its year, or for a day or time that does not exist."""
_MOMENT_EXAMPLE = "use an ISO 8601 date or time such as 2026-11-02, 2026-11-02T09:30 or 2026-11-02T09:30:00+01:00"

NO_NUL_PATTERN = r"^[^\x00]*$"
"""Free text as the schema states it: anything but NUL (a lone surrogate cannot be sent in a URL)."""


def parse_moment(value: object) -> datetime | None:
    """A `since`/`until` value as an aware UTC time. The year range applies to the time as written:
    an offset that carries 1970-01-01T00:00+05:00 before 1970 in UTC reads it as the first moment
    the store keeps (nothing is stored earlier), likewise at the end, so no value the pattern
    admits is refused for its offset."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(_MOMENT_EXAMPLE)  # noqa: TRY004 - pydantic reports a ValueError as a 422, a TypeError as a 500
    if not _MOMENT.fullmatch(value):
        raise ValueError(_why_not_a_moment(value))
    moment = datetime.fromisoformat(value)
    moment = (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)
    start, end = TIME_RANGE
    return min(max(moment, start), end - timedelta(microseconds=1))


def _why_not_a_moment(value: str) -> str:
    shape = _MOMENT_SHAPE.fullmatch(value)
    if shape is None:
        return _MOMENT_EXAMPLE
    start, end = TIME_RANGE
    if not start.year <= int(shape.group(1)) < end.year:
        return f"must be from {start:%Y-%m-%d} to before {end:%Y-%m-%d}"
    return "not a real day and time: check the day of the month, hours 00-23 and minutes and seconds 00-59"


SINCE_DESCRIPTION = (
    "Start, inclusive: ISO 8601 date or time, UTC unless an offset is given. "
    f"A series from `since` spans at most {MAX_BUCKETS:,} buckets: choose a wider bucket for a longer range."
)

OptionalTime = Annotated[
    datetime | None,
    BeforeValidator(parse_moment),
    WithJsonSchema({"type": "string", "pattern": f"^(?:{MOMENT_PATTERN})?$"}),
]
"""A time parameter; blank is absent. Parsed by `parse_moment` alone: pydantic's own datetime parsing
would also take a Unix timestamp ("0" is 1970), which no schema pattern could describe."""


def _text_list_schema(items: dict[str, Any]) -> WithJsonSchema:
    return WithJsonSchema({"type": "array", "items": items})


TextList = Annotated[list[str], _text_list_schema({"type": "string", "pattern": NO_NUL_PATTERN})]
SentimentList = Annotated[list[str], _text_list_schema({"type": "string", "enum": [*SENTIMENT_LABELS, ""]})]
"""Validated by `mention_filter`, whose message names the labels; the schema declares the same set
(blank included: it means "any", as an HTML form sends it)."""
OptionalText = Annotated[
    str | None, WithJsonSchema({"type": "string", "maxLength": 200, "pattern": NO_NUL_PATTERN})
]
OptionalBrand = Annotated[str | None, WithJsonSchema({"type": "string"})]
"""The configured brand names are filled in as an enum when the app builds its schema (app.py)."""


def mention_filter(
    request: Request,
    brand: Annotated[OptionalBrand, Query(description="A configured brand name; default: every brand.")] = None,
    since: Annotated[OptionalTime, Query(description=SINCE_DESCRIPTION)] = None,
    until: Annotated[OptionalTime, Query(description="End, exclusive, after `since` (series widen to whole buckets).")] = None,
    source: Annotated[TextList, Query(description="Only these sources (repeatable).")] = [],  # noqa: B006 - FastAPI copies defaults
    language: Annotated[TextList, Query(description="Only these language codes (repeatable).")] = [],  # noqa: B006
    sentiment: Annotated[SentimentList, Query(description="Only these labels: negative, neutral, positive (repeatable).")] = [],  # noqa: B006
    q: Annotated[OptionalText, Query(max_length=200, description="Text search, case-insensitive substring.")] = None,
    topic: Annotated[TextList, Query(description="Only mentions tagged with these configured topics (repeatable).")] = [],  # noqa: B006
) -> MentionFilter:
    config: ListenerConfig = request.app.state.config
    for name, values in (("brand", [brand]), ("source", source), ("language", language), ("q", [q]), ("topic", topic)):
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
    known_topics = [configured.name for configured in config.topics]
    if unknown_topics := [value for value in topic if value and value not in known_topics]:
        raise QueryError(f"topic: {unknown_topics[0]!r} is not a configured topic (known: {', '.join(known_topics) or 'none'})")
    return MentionFilter(
        brand=brand,
        since=since,
        until=until,
        sources=tuple(value for value in source if value),
        languages=tuple(value for value in language if value),
        sentiments=tuple(value for value in sentiment if value),
        search=(q or "").strip() or None,
        topics=tuple(value for value in topic if value),
    )


BucketParam = Annotated[Bucket, Query(description="Bucket width: hour, day, week (from Monday) or month; UTC.")]
