"""`GET /api/v1/topics`: sentiment and net sentiment per configured topic and per touchpoint.

What customer-experience teams read as "NPS by touchpoint": for each `[[topics]]` entry, how its
mentions split into negative, neutral and positive under the usual filters (brand, time, source,
language, text), and the same for each stage of the customer journey that has topics. Net
sentiment is `listener.core.sentiment`'s, like every other net sentiment the API returns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from listener.config import ListenerConfig
from listener.config.topics import Touchpoint
from listener.storage.filters import MentionFilter
from listener.storage.topics import TopicOverview, topic_overview
from listener.web.auth import require_api_user
from listener.web.errors import ERROR_RESPONSES
from listener.web.params import mention_filter

router = APIRouter(prefix="/api/v1", tags=["api"], dependencies=[Depends(require_api_user)], responses=ERROR_RESPONSES)


class TopicSentimentOut(BaseModel):
    name: str
    touchpoint: Touchpoint | None
    mentions: int
    """Tagged mentions under the filter, scored or not; the three labels count the scored ones."""
    negative: int
    neutral: int
    positive: int
    net_sentiment: float | None
    """-100..100: the share of positive minus the share of negative scored mentions; None without any."""


class TouchpointSentimentOut(BaseModel):
    name: Touchpoint
    mentions: int
    """Distinct mentions tagged with any of the touchpoint's topics."""
    negative: int
    neutral: int
    positive: int
    net_sentiment: float | None


class TopicsOut(BaseModel):
    brand: str | None
    since: datetime | None
    until: datetime | None
    topics: list[TopicSentimentOut]
    """Every configured topic, in config order, with zeros where nothing matched."""
    touchpoints: list[TouchpointSentimentOut]
    """Every touchpoint that has a topic, in journey order."""


def overview_for(request: Request, selected: MentionFilter) -> TopicOverview:
    """The topics panel's and this route's numbers, from the app's config and store."""
    config: ListenerConfig = request.app.state.config
    return topic_overview(request.app.state.store.engine, selected, config.topics)


@router.get("/topics", response_model=TopicsOut)
def topics(request: Request, selected: Annotated[MentionFilter, Depends(mention_filter)]) -> dict[str, Any]:
    """Mentions and net sentiment per topic and per touchpoint. The `sentiment` and `topic`
    filters do not apply here: every topic's whole sentiment split is the answer."""
    overview = overview_for(request, selected)
    return {
        "brand": selected.brand,
        "since": selected.since,
        "until": selected.until,
        "topics": [counts.as_json() for counts in overview.topics],
        "touchpoints": [
            {key: value for key, value in counts.as_json().items() if key != "touchpoint"}
            for counts in overview.touchpoints
        ],
    }
