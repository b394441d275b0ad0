"""SQLAlchemy table definitions. Alembic migrations in `migrations/` create and evolve them.

Times are stored as naive UTC and returned as aware UTC (`UTCDateTime`), because SQLite has no
time-zone type and mixing aware and naive datetimes is the classic source of off-by-hours bugs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class MentionRow(Base):
    """One post, stored once per (source, external id) however often it is collected."""

    __tablename__ = "mentions"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_mentions_source_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the poll that stored it (or last changed its text) started, on the daemon clock."""
    author: Mapped[str | None] = mapped_column(String(200))
    author_reach: Mapped[int | None] = mapped_column(BigInteger)
    url: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    likes: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    undated: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """The platform gave no time: `created_at` is when the mention was first collected."""
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    """A review's stars, 1 to 5, as the review site gives them; NULL for every other mention."""
    conversation_id: Mapped[str | None] = mapped_column(String(200))
    in_reply_to: Mapped[str | None] = mapped_column(String(200))
    """External id (same source) of the post this one answers: how a brand's reply finds its mention."""
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sentiment_confidence: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(String(200))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    churn_intent: Mapped[bool | None] = mapped_column(Boolean)
    """Whether the author says they are leaving one of the mention's brands (`classifiers.churn`),
    judged when it is scored; None until then. Per brand in `mention_brands`."""


Index("ix_mentions_unscored", MentionRow.scored_at, MentionRow.id)
Index("ix_mentions_source_in_reply_to", MentionRow.source, MentionRow.in_reply_to)


class MentionBrandRow(Base):
    """Which brands a mention matched. Time and label are copied here so that window counts per
    brand are answered from one index, without touching the (large) text rows."""

    __tablename__ = "mention_brands"
    __table_args__ = (
        Index("ix_mention_brands_brand_created", "brand", "created_at"),
        # Partial: the few own posts, so "written by no brand's account" reads a handful of rows.
        Index("ix_mention_brands_own", "mention_id", sqlite_where=text("own"), postgresql_where=text("own")),
    )

    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True)
    brand: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    undated: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """Copied from the mention: its time is only when it was collected, so the alert rules'
    window counts leave it out."""
    own: Mapped[bool] = mapped_column(Boolean, server_default=false())
    """Written by one of the brand's `own_accounts` (its answer to a customer): kept so that
    response times can be measured, but the brand speaking is not a mention of it, so every
    count, series, list and alert leaves it out (`listener.storage.rows.counted_links`)."""
    churn_intent: Mapped[bool | None] = mapped_column(Boolean)
    """Whether the author says they are leaving *this* brand: "switched from Globex to Acme" is
    churn for Globex only. None until judged (with scoring, or by `listener rescore`)."""
    churn_pattern: Mapped[str | None] = mapped_column(String(80))
    """The pattern that flagged it (`classifiers.churn_patterns`), so a flag can be explained."""


class CursorRow(Base):
    """Where each (source, brand) poll resumes after a restart."""

    __tablename__ = "cursors"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    brand: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    collected_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Daemon-clock time at which the last successful poll started: everything before it is in."""


class DetectorStateRow(Base):
    """How far detection has got per brand and rule, so a restart neither skips nor repeats windows."""

    __tablename__ = "detector_state"

    brand: Mapped[str] = mapped_column(String(100), primary_key=True)
    rule: Mapped[str] = mapped_column(String(100), primary_key=True)
    evaluated_until: Mapped[datetime] = mapped_column(UTCDateTime)
    incident_last_anomalous: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    brand: Mapped[str] = mapped_column(String(100), index=True)
    rule: Mapped[str] = mapped_column(String(100))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    observed: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    negative_share: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float)
    top_mention_ids: Mapped[list[int]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16), server_default="firing")
    """firing, repeat or resolved: one incident's messages (alerts/detect/incidents.py)."""
    incident_key: Mapped[str | None] = mapped_column(String(300), index=True)
    metric: Mapped[str] = mapped_column(String(32), server_default="negative_volume")
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    suppressed: Mapped[str | None] = mapped_column(String(300))
    """Why this message was recorded but not queued for delivery (a silence, quiet hours); None if queued."""


class IncidentRow(Base):
    """One incident per alert group: which messages it has had, so a restart neither repeats nor
    loses one. Times are window times (mention time), like the detector's."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_brand_status", "brand", "status"),)

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    brand: Mapped[str] = mapped_column(String(100))
    group_key: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    """open or resolved."""
    rule: Mapped[str] = mapped_column(String(200))
    """The rule (and split) that opened it."""
    metric: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_firing: Mapped[datetime] = mapped_column(UTCDateTime)
    """Start of the latest firing window."""
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """End of the window of the latest firing or repeat message, for repeat_interval."""
    receivers: Mapped[list[str]] = mapped_column(JSON)
    """Notifiers that were sent a message of this incident: the resolved message goes to them."""
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SilenceRow(Base):
    """An operator's silence (`listener alerts silence`): matching incidents are recorded, not delivered."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand: Mapped[str | None] = mapped_column(String(100))
    rule: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OutboxRow(Base):
    """One delivery of one alert to one notifier: pending -> delivered, or -> dead after retries."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("alert_id", "notifier", name="uq_outbox_alert_notifier"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_thread", "notifier", "thread_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    notifier: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reference: Mapped[str | None] = mapped_column(String(300))
    """What the receiver calls the delivered message (Slack ts, email Message-ID): follow-ups thread on it."""
    thread_key: Mapped[str | None] = mapped_column(String(300))
    """The incident the delivered message belongs to, so a follow-up finds the first message's reference."""


class SentimentRollupRow(Base):
    """Mentions per (brand, UTC hour, source, language, sentiment), kept up to date in the same
    transaction as the write that changes them, so dashboards and digests sum a few thousand
    rows instead of scanning a year of mentions. Longer buckets are sums of hours.

    Primary-key columns cannot be NULL, so an unknown language and an unscored mention are
    stored as '' (`listener.storage.rollups` maps them back to None)."""

    __tablename__ = "sentiment_rollups"

    brand: Mapped[str] = mapped_column(String(100), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(16), primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(BigInteger)
    """Sum of the mentions' author reach (unknown reach counts 0)."""
    score_sum: Mapped[float] = mapped_column(Float)
    """Sum of sentiment scores in [-1, 1]; divided by the scored mentions it is the mean score."""


class DailySentimentRollupRow(Base):
    """The same counts per UTC day: a year's overview sums a few hundred rows per filter value
    instead of thousands of hours. Maintained with the hourly rows, in the same transaction."""

    __tablename__ = "sentiment_rollups_daily"

    brand: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(16), primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(BigInteger)
    score_sum: Mapped[float] = mapped_column(Float)


class HourlySentimentTotalRow(Base):
    """Per brand, UTC hour and sentiment only: a brand's plain hourly overview sums four rows an
    hour here instead of one per source and language."""

    __tablename__ = "sentiment_totals_hourly"

    brand: Mapped[str] = mapped_column(String(100), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(16), primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(BigInteger)
    score_sum: Mapped[float] = mapped_column(Float)


class JudgingStallRow(Base):
    """A brand whose detection stopped waiting for an unscored mention older than `source_wait`.

    Written by the daemon when the stall starts and deleted when it ends, so the log says each once
    and the dashboard, in whatever process it runs, shows what the daemon decided (the daemon's
    clock may be a replayed one that the dashboard cannot know)."""

    __tablename__ = "judging_stalls"

    brand: Mapped[str] = mapped_column(String(100), primary_key=True)
    oldest_unscored: Mapped[datetime] = mapped_column(UTCDateTime)
    """Creation time of the oldest mention still unscored when the stall started."""
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    """Daemon-clock time at which detection went on without it."""


class DailySentimentTotalRow(Base):
    """Per brand, UTC day and sentiment only: the unfiltered overview (a brand's year by day,
    week or month) sums four rows a day here instead of one per source and language."""

    __tablename__ = "sentiment_totals_daily"

    brand: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(16), primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer)
    reach: Mapped[int] = mapped_column(BigInteger)
    score_sum: Mapped[float] = mapped_column(Float)


Index(
    "ix_mention_brands_brand_label_created",
    MentionBrandRow.brand,
    MentionBrandRow.sentiment_label,
    MentionBrandRow.created_at,
)


Index(
    "ix_mention_brands_brand_churn_created",
    MentionBrandRow.brand,
    MentionBrandRow.churn_intent,
    MentionBrandRow.created_at,
)
"""Churn counts per window and bucket read only the few flagged links, not a brand's whole range,
so they need no rollup of their own."""


class DigestSentRow(Base):
    """One scheduled digest that went out, so a restart never sends the same period twice."""

    __tablename__ = "digests_sent"

    digest: Mapped[str] = mapped_column(String(100), primary_key=True)
    brand: Mapped[str] = mapped_column(String(100), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSessionRow(Base):
    """A dashboard login. The signed cookie only names the session; this row is what makes it
    valid, so logging out (deleting the row) revokes a cookie copied before, across restarts."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    """sha256 of the session id in the cookie: a copy of the database logs nobody in."""
    username: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class MentionTopicRow(Base):
    """Which configured topics a mention matched (`[[topics]]`), tagged when it is scored and again
    by `listener rescore`. The dashboard's topic filter and the per-topic sentiment join on it."""

    __tablename__ = "mention_topics"
    __table_args__ = (Index("ix_mention_topics_topic", "topic", "mention_id"),)

    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), primary_key=True)


class SurveyResponseRow(Base):
    """One answer to an NPS, CSAT or CES survey, imported from an export file
    (`listener surveys import`). Stored once per (brand, kind, response_key) however often its file
    is imported. The comment is scored like a mention; `touchpoint` is kept for topic tagging."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("brand", "kind", "response_key", name="uq_survey_responses_brand_kind_key"),
        Index("ix_survey_responses_brand_responded", "brand", "responded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    brand: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))
    """nps, csat or ces: which scale `score` is on (listener/core/surveys.py)."""
    response_key: Mapped[str] = mapped_column(String(200))
    """`<format>:<the export's response id>`, or `sha256:<hash of the row>` for files without ids."""
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    touchpoint: Mapped[str | None] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(16))
    """surveymonkey, typeform, qualtrics or plain."""
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sentiment_confidence: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(String(200))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    topics: Mapped[list[str] | None] = mapped_column(JSON)
    """The `[[topics]]` the comment matched when it was scored (the tagger mentions get), so survey
    numbers can be read per topic; NULL until scored."""
