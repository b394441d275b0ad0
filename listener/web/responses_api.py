"""`GET /api/v1/responses`: how fast each brand answers its customers, and the dashboard panel's data.

The numbers are `listener.core.response_time`'s. A period covers the customer mentions made in
it; their answers count whenever they came, up to the time collection has reached (the daemon's
clock at its latest poll, which in the demo's replay is replayed time), so an answer is never
missed for coming after the period and a mention is not called overdue by the wall clock while
the replay is still three weeks behind it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from listener.config import BrandConfig, ListenerConfig
from listener.core.limits import TIME_RANGE
from listener.core.response_time import ResponseReport, ResponseStats, format_duration
from listener.storage.filters import MentionFilter
from listener.storage.repository import Store
from listener.storage.responses import ResponseStore
from listener.web.auth import require_api_user
from listener.web.errors import ERROR_RESPONSES
from listener.web.params import mention_filter

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(require_api_user)], responses=ERROR_RESPONSES)


class ResponseStatsOut(BaseModel):
    source: str
    """A source name, or `all` for every source together."""
    customer_mentions: int
    """Mentions in the period not written by one of the brand's own accounts."""
    answered: int
    answered_share: float | None
    """answered / customer_mentions (0..1); null with no customer mentions."""
    median_first_response_seconds: float | None
    mean_first_response_seconds: float | None
    median_business_seconds: float | None
    """Counting only the brand's business hours; null when none are configured."""
    mean_business_seconds: float | None


class UnansweredOut(BaseModel):
    id: int
    source: str
    created_at: datetime
    author: str | None
    author_reach: int | None
    url: str | None
    text: str
    waiting_seconds: float


class BrandResponsesOut(BaseModel):
    brand: str
    since: datetime | None
    until: datetime
    measured_at: datetime
    """Answers made up to this time count (where collection has reached)."""
    own_accounts_configured: bool
    business_hours: str | None
    overall: ResponseStatsOut
    by_source: list[ResponseStatsOut]
    unanswered_negative: list[UnansweredOut]
    """Negative customer mentions still unanswered, widest reach first (at most `limit`)."""
    unanswered_negative_total: int


class ResponsesOut(BaseModel):
    brands: list[BrandResponsesOut]


def _stats_out(stats: ResponseStats) -> ResponseStatsOut:
    return ResponseStatsOut(
        source=stats.source,
        customer_mentions=stats.customer_mentions,
        answered=stats.answered,
        answered_share=stats.answered_share,
        median_first_response_seconds=stats.median_seconds,
        mean_first_response_seconds=stats.mean_seconds,
        median_business_seconds=stats.median_business_seconds,
        mean_business_seconds=stats.mean_business_seconds,
    )


def measured_at(store: Store, wall: datetime) -> datetime:
    """Where collection has reached (the daemon's clock at its latest poll), else the wall clock."""
    collected = store.latest_collected_until()
    return min(collected, wall) if collected is not None else wall


def brand_responses(
    config: ListenerConfig, store: Store, brand: BrandConfig, selected: MentionFilter, limit: int, wall: datetime
) -> BrandResponsesOut:
    now = measured_at(store, wall)
    until = selected.until or now
    report: ResponseReport = ResponseStore(store.engine).report(
        brand,
        config.sources,
        selected.since or TIME_RANGE[0],
        until,
        now,
        texts_for=limit,
        only_sources=selected.sources,
    )
    hours = brand.business_hours
    return BrandResponsesOut(
        brand=brand.name,
        since=selected.since,
        until=until,
        measured_at=now,
        own_accounts_configured=brand.own_accounts.configured,
        business_hours=f"{hours.days} {hours.start}-{hours.end} {hours.timezone}" if hours else None,
        overall=_stats_out(report.overall),
        by_source=[_stats_out(stats) for stats in report.by_source],
        unanswered_negative=[
            UnansweredOut(
                id=item.post.id,
                source=item.post.source,
                created_at=item.post.created_at,
                author=item.post.author,
                author_reach=item.post.author_reach,
                url=item.post.url,
                text=item.post.text,
                waiting_seconds=item.waiting_seconds,
            )
            for item in report.unanswered_negative[:limit]
        ],
        unanswered_negative_total=len(report.unanswered_negative),
    )


@router.get("/responses", response_model=ResponsesOut)
def responses(
    request: Request,
    selected: Annotated[MentionFilter, Depends(mention_filter)],
    limit: Annotated[
        int, Query(ge=1, le=200, description="Unanswered negative mentions listed per brand, 1-200.")
    ] = 20,
) -> ResponsesOut:
    """Per brand and source: the share of customer mentions answered by the brand's own accounts,
    median and mean first-response time (around the clock and in business hours), and the
    unanswered negative mentions, widest reach first. `brand`, `since`, `until` and `source`
    apply; the other mention filters do not (an answer is measured whatever its words)."""
    config: ListenerConfig = request.app.state.config
    store: Store = request.app.state.store
    brands = [config.brand(selected.brand)] if selected.brand else config.brands
    wall = request.app.state.auth.clock.now()
    return ResponsesOut(brands=[brand_responses(config, store, brand, selected, limit, wall) for brand in brands])


def response_panel(request: Request, selected: MentionFilter) -> dict[str, Any]:
    """The dashboard panel's context (`_responses.html`) for the selected brand and period:
    the numbers, and durations worded as the CLI and digests word them."""
    config: ListenerConfig = request.app.state.config
    assert selected.brand is not None
    wall = request.app.state.auth.clock.now()
    data = brand_responses(config, request.app.state.store, config.brand(selected.brand), selected, 10, wall)
    return {"data": data, "duration": format_duration}
