"""The JSON API under /api/v1, and its CSV/XLSX exports. Read-only; every route needs a login
session or a bearer token. The OpenAPI description is served at /openapi.json."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field, WithJsonSchema

from listener.config import ListenerConfig
from listener.core.buckets import Bucket
from listener.core.records import AlertKind
from listener.core.terms import brand_words
from listener.storage.queries import MAX_PAGE, Analytics, MentionFilter
from listener.web.auth import require_api_user
from listener.web.errors import ERROR_RESPONSES
from listener.web.exports import (
    CSV_MEDIA_TYPE,
    MENTION_COLUMNS,
    SERIES_COLUMNS,
    XLSX_MEDIA_TYPE,
    csv_lines,
    download_name,
    mention_values,
    series_values,
    xlsx_bytes,
)
from listener.web.params import BucketParam, mention_filter

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(require_api_user)], responses=ERROR_RESPONSES)

Filter = Annotated[MentionFilter, Depends(mention_filter)]


class BrandOut(BaseModel):
    name: str
    keywords: list[str]
    phrases: list[str]
    exclude: list[str]
    languages: list[str]


class SeriesPoint(BaseModel):
    bucket_start: datetime
    mentions: int
    negative: int
    neutral: int
    positive: int
    net_sentiment: float | None


class SeriesOut(BaseModel):
    brand: str | None
    bucket: Bucket
    series: list[SeriesPoint]


class MentionOut(BaseModel):
    id: int
    created_at: datetime
    source: str
    author: str | None
    author_reach: int | None
    url: str | None
    language: str | None
    text: str
    sentiment: Literal["negative", "neutral", "positive"] | None
    score: float | None
    brands: list[str]
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    """A review's stars; null for every other mention."""


class MentionPageOut(BaseModel):
    mentions: list[MentionOut]
    next_cursor: str | None


class AlertOut(BaseModel):
    id: int
    brand: str
    window_start: datetime
    window_end: datetime
    observed: int
    expected: float
    severity: str
    """The incident's severity; for a `resolved` message, the one it had before it ended."""
    score: float
    top_mention_ids: list[int]
    kind: AlertKind
    """firing (a new incident), escalation (warning to critical), repeat (still going) or resolved (it ended)."""
    not_sent: str | None = None
    """Why it was recorded without being sent (a silence, quiet hours, history); null when it was sent."""
    negative_share: float = 0.0
    """Negative mentions over all mentions in the window (so far, for an early alert)."""


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


def analytics(request: Request) -> Analytics:
    return request.app.state.analytics


Queries = Annotated[Analytics, Depends(analytics)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Mentions per page, 1-{MAX_PAGE}.")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="next_cursor of the previous page; blank or absent: the first page."),
    WithJsonSchema({"type": "string", "maxLength": 200}),
]


@router.get("/brands", response_model=list[BrandOut])
def brands(request: Request) -> list[dict[str, Any]]:
    """The configured brands and their search terms."""
    config: ListenerConfig = request.app.state.config
    return [brand.model_dump() for brand in config.brands]


@router.get("/series", response_model=SeriesOut)
def series(queries: Queries, selected: Filter, bucket: BucketParam = "hour") -> dict[str, Any]:
    """Mentions and sentiment per time bucket (UTC), zero-filled, for the filtered mentions."""
    rows = queries.series(selected, bucket)
    return {"brand": selected.brand, "bucket": bucket, "series": [row.as_json() for row in rows]}


@router.get("/mentions", response_model=MentionPageOut)
def mentions(queries: Queries, selected: Filter, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    """Filtered mentions, newest first; pass `next_cursor` back as `cursor` for the next page."""
    page = queries.mentions(selected, limit, cursor or None)
    return {"mentions": [mention.as_json() for mention in page.mentions], "next_cursor": page.next_cursor}


@router.get("/alerts", response_model=AlertsOut)
def alerts(
    queries: Queries, selected: Filter, limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100
) -> dict[str, Any]:
    """Alerts whose window overlaps since/until (brand filter applies), newest first."""
    return {"alerts": [alert.as_json() for alert in queries.alerts(selected, limit)]}


class AuthorOut(BaseModel):
    author: str
    reach: int
    mentions: int
    negative: int


class PeriodOut(BaseModel):
    since: datetime
    until: datetime
    mentions: int
    negative: int
    neutral: int
    positive: int
    unscored: int
    net_sentiment: float | None


class TermOut(BaseModel):
    term: str
    count: int


class TermsOut(BaseModel):
    terms: list[TermOut]
    hashtags: list[TermOut]


class SummaryOut(BaseModel):
    brand: str | None
    share_of_voice: dict[str, int]
    this_week: PeriodOut
    last_week: PeriodOut
    top_authors_by_reach: list[AuthorOut]
    top_authors_by_negative: list[AuthorOut]
    top_terms: dict[str, TermsOut]


@router.get("/summary", response_model=SummaryOut)
def summary(
    request: Request, queries: Queries, selected: Filter, top: Annotated[int, Query(ge=1, le=100)] = 10
) -> dict[str, Any]:
    """What the overview shows beside the charts: share of voice among the configured brands, the
    7 days up to `until` (or the latest mention's day) against the 7 before, top authors, and top
    terms and hashtags per sentiment (the brand's own words left out)."""
    config: ListenerConfig = request.app.state.config
    comparison = queries.compare_periods(selected)
    excluded: frozenset[str] = frozenset()
    if selected.brand:
        brand = config.brand(selected.brand)
        excluded = brand_words(brand.name, [*brand.keywords, *brand.phrases])
    return {
        "brand": selected.brand,
        "share_of_voice": queries.share_of_voice(selected, [brand.name for brand in config.brands]),
        "this_week": asdict(comparison.current),
        "last_week": asdict(comparison.previous),
        "top_authors_by_reach": [asdict(author) for author in queries.top_authors(selected, "reach", top)],
        "top_authors_by_negative": [asdict(author) for author in queries.top_authors(selected, "negative", top)],
        "top_terms": {
            sentiment: {kind: [asdict(term) for term in found] for kind, found in kinds.items()}
            for sentiment, kinds in queries.top_terms(selected, top, excluded=excluded).items()
        },
    }


def _file_answer(media_type: str, schema: dict[str, Any], what: str) -> dict[int | str, dict[str, Any]]:
    """An export's 200 answer as the schema declares it: FastAPI has no model for a file, so a
    client would otherwise not know the media type to ask for or how to read the body."""
    return {
        200: {
            "description": f"{what}, as an attachment.",
            "content": {media_type: {"schema": schema}},
            "headers": {
                "Content-Disposition": {
                    "description": 'attachment; filename="<mentions|series>-<brand>-<YYYYmmdd-HHMM>.<csv|xlsx>"',
                    "schema": {"type": "string"},
                }
            },
        }
    }


CSV_ANSWER = _file_answer(CSV_MEDIA_TYPE, {"type": "string"}, "CSV with a header row")
XLSX_ANSWER = _file_answer(XLSX_MEDIA_TYPE, {"type": "string", "format": "binary"}, "An Excel workbook")


@router.get("/mentions.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
def mentions_csv(queries: Queries, selected: Filter) -> StreamingResponse:
    """Every filtered mention as CSV, newest first."""
    rows = (mention_values(mention) for mention in queries.iter_mentions(selected))
    return _attachment_stream(csv_lines(MENTION_COLUMNS, rows), download_name("mentions", selected.brand, "csv", _now()))


@router.get("/mentions.xlsx", response_class=Response, responses=XLSX_ANSWER)
def mentions_xlsx(queries: Queries, selected: Filter) -> Response:
    """Every filtered mention as an Excel workbook (at most one sheet's worth of rows)."""
    rows = (mention_values(mention) for mention in queries.iter_mentions(selected))
    body = xlsx_bytes("mentions", MENTION_COLUMNS, rows)
    return _attachment(body, XLSX_MEDIA_TYPE, download_name("mentions", selected.brand, "xlsx", _now()))


@router.get("/series.csv", response_class=StreamingResponse, responses=CSV_ANSWER)
def series_csv(queries: Queries, selected: Filter, bucket: BucketParam = "hour") -> StreamingResponse:
    """The time series as CSV: the same columns as `listener history --format csv`."""
    rows = [series_values(row) for row in queries.series(selected, bucket)]
    return _attachment_stream(csv_lines(SERIES_COLUMNS, rows), download_name("series", selected.brand, "csv", _now()))


@router.get("/series.xlsx", response_class=Response, responses=XLSX_ANSWER)
def series_xlsx(queries: Queries, selected: Filter, bucket: BucketParam = "hour") -> Response:
    """The time series as an Excel workbook."""
    rows = [series_values(row) for row in queries.series(selected, bucket)]
    body = xlsx_bytes(f"series per {bucket}", SERIES_COLUMNS, rows)
    return _attachment(body, XLSX_MEDIA_TYPE, download_name("series", selected.brand, "xlsx", _now()))


def _attachment_stream(lines: Any, filename: str) -> StreamingResponse:
    return StreamingResponse(
        lines, media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _attachment(body: bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _now() -> datetime:
    return datetime.now(UTC)
