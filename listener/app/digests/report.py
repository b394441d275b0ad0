"""What a digest reports: its period in local days, and the numbers, mentions and alerts in it.

Periods are local days in the digest's time zone: a daily digest sent on day D covers D-1, a
weekly one the seven days before its send day. Numbers come from the hourly rollups, so a period
is counted in whole UTC hours (in a zone with a half-hour offset it starts 30 minutes early).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from listener.config import WEEKDAYS, DigestConfig, ListenerConfig
from listener.core.records import StoredMention
from listener.core.response_time import ResponseReport
from listener.core.sentiment import negative_share, net_sentiment
from listener.storage.digests import DigestStore, PeriodAlert
from listener.storage.filters import MentionFilter
from listener.storage.responses import ResponseStore
from listener.storage.rollups import SeriesPoint, rollup_series
from listener.storage.topics import TopicOverview, topic_overview

UNANSWERED_SHOWN = 5
"""Unanswered negative mentions a digest lists (widest reach first); the count covers them all."""

# -- periods --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, covering local days `first_day`..`last_day` of `zone`."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date

    @property
    def label(self) -> str:
        if self.first_day == self.last_day:
            return f"{self.first_day:%a} {self.first_day.day} {self.first_day:%b %Y}"
        return f"{self.first_day.day} {self.first_day:%b} – {self.last_day.day} {self.last_day:%b %Y}"


def period_of_days(first_day: date, days: int, zone: ZoneInfo) -> Period:
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first_day + timedelta(days=days), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    return Period(start, end, first_day, first_day + timedelta(days=days - 1))


def latest_period(digest: DigestConfig, now: datetime) -> Period:
    """The most recent period whose send time (local `digest.time`) is not after `now`."""
    zone = ZoneInfo(digest.timezone)
    local_now = now.astimezone(zone)
    send_day = local_now.date()
    if local_now.time().replace(tzinfo=None) < digest.local_time:
        send_day -= timedelta(days=1)
    if digest.schedule == "daily":
        return period_of_days(send_day - timedelta(days=1), 1, zone)
    send_day -= timedelta(days=(send_day.weekday() - WEEKDAYS.index(digest.weekday)) % 7)
    return period_of_days(send_day - timedelta(days=7), 7, zone)


def previous_period(period: Period, zone: ZoneInfo) -> Period:
    days = (period.last_day - period.first_day).days + 1
    return period_of_days(period.first_day - timedelta(days=days), days, zone)


# -- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    mentions: int
    negative: int
    neutral: int
    positive: int
    reach: int

    @property
    def net_sentiment(self) -> float | None:
        return net_sentiment(self.positive, self.neutral, self.negative)

    @property
    def negative_share(self) -> float | None:
        return negative_share(self.positive, self.neutral, self.negative)


@dataclass(frozen=True)
class ChartPoint:
    label: str
    totals: Totals


@dataclass(frozen=True)
class DigestReport:
    digest: str
    schedule: str
    brand: str
    period: Period
    totals: Totals
    previous: Totals
    points: list[ChartPoint]
    share_of_voice: list[tuple[str, int]]
    top_reach: list[StoredMention]
    most_negative: list[StoredMention]
    alerts: list[PeriodAlert]
    responses: ResponseReport | None = None
    """Response time, for a brand with `own_accounts`; None for one without."""
    business_hours: bool = False
    topics: TopicOverview | None = None
    """Sentiment per `[[topics]]` entry and touchpoint in the period; None without topics."""
    previous_topics: TopicOverview | None = None
    """The same for the period before, for the change in each topic's net sentiment."""


def _totals(points: Sequence[SeriesPoint]) -> Totals:
    return Totals(
        mentions=sum(p.mentions for p in points),
        negative=sum(p.negative for p in points),
        neutral=sum(p.neutral for p in points),
        positive=sum(p.positive for p in points),
        reach=sum(p.reach for p in points),
    )


def build_report(
    config: ListenerConfig,
    engine: Engine,
    digest: DigestConfig,
    brand: str,
    period: Period,
    answered_by: datetime | None = None,
) -> DigestReport:
    """`answered_by` (default: the period's end) is how late an answer to the period's mentions counts."""
    zone = ZoneInfo(digest.timezone)
    hours = rollup_series(engine, brand, period.start, period.end, "hour")
    before = previous_period(period, zone)
    previous = _totals(rollup_series(engine, brand, before.start, before.end, "hour"))
    groups: dict[str, list[SeriesPoint]] = {}
    for point in hours:
        local = point.bucket_start.astimezone(zone)
        label = f"{local:%H}" if digest.schedule == "daily" else f"{local:%a} {local.day}"
        groups.setdefault(label, []).append(point)
    share = [
        (other.name, sum(p.mentions for p in rollup_series(engine, other.name, period.start, period.end, "hour")))
        for other in config.brands
    ]
    reads = DigestStore(engine)
    return DigestReport(
        digest=digest.name,
        schedule=digest.schedule,
        brand=brand,
        period=period,
        totals=_totals(hours),
        previous=previous,
        points=[ChartPoint(label, _totals(points)) for label, points in groups.items()],
        share_of_voice=sorted(share, key=lambda item: -item[1]),
        top_reach=reads.notable_mentions(brand, period.start, period.end, "reach", digest.top_mentions),
        most_negative=reads.notable_mentions(brand, period.start, period.end, "negative", digest.top_mentions),
        alerts=reads.alerts_between(brand, period.start, period.end),
        responses=_responses(config, engine, brand, period, answered_by or period.end),
        business_hours=config.brand(brand).business_hours is not None,
        topics=_topics(config, engine, brand, period),
        previous_topics=_topics(config, engine, brand, before),
    )


def _topics(config: ListenerConfig, engine: Engine, brand: str, period: Period) -> TopicOverview | None:
    """The dashboard's topic panel for the period (`topic_overview`), so both say the same."""
    if not config.topics:
        return None
    return topic_overview(engine, MentionFilter(brand=brand, since=period.start, until=period.end), config.topics)


def _responses(config: ListenerConfig, engine: Engine, brand: str, period: Period, now: datetime) -> ResponseReport | None:
    brand_config = config.brand(brand)
    if not brand_config.own_accounts.configured:
        return None
    return ResponseStore(engine).report(
        brand_config, config.sources, period.start, period.end, max(now, period.end), texts_for=UNANSWERED_SHOWN
    )
