"""Rows to records and back, and the SQL pieces the store's parts share."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any, Sequence

from sqlalchemy import ColumnElement, Connection, Engine, Integer, case, cast, delete, func, select
from sqlalchemy.orm import (
    Session,
    SessionTransaction,
    SessionTransactionOrigin,
    sessionmaker,
)

from listener.core.clock import Clock
from listener.core.limits import storable
from listener.core.records import (
    Alert,
    AlertEvidence,
    DetectorState,
    IncidentState,
    JudgingStall,
    Mention,
    Sentiment,
    ShownMentions,
    Silence,
    StoredMention,
    Story,
    TermGrowth,
    VolumeContext,
)
from listener.storage.schema import (
    AlertRow,
    DetectorStateRow,
    IncidentRow,
    JudgingStallRow,
    MentionBrandRow,
    MentionRow,
    MentionTopicRow,
    OutboxRow,
    SilenceRow,
)

log = logging.getLogger(__name__)


class StoreBase:
    """What every part of the store works with: the engine, its sessions and the clock."""

    engine: Engine
    _sessions: sessionmaker[Session]
    _clock: Clock


def labelled_count(label: Any, name: str) -> Any:
    """SQL: how many rows of a group carry sentiment label `name` (a column of counts per group)."""
    return func.sum(case((label == name, 1), else_=0))


def lock_sqlite_for_write(_session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    """Start a write transaction with SQLite's write lock, before its first read.

    The sqlite3 driver otherwise begins a transaction only at the first INSERT, UPDATE or DELETE,
    so the reads before it run outside the transaction and another writer can commit in between:
    a brand link then copied a label that had just changed (issue 11), and a rollup delta
    subtracted a state that was no longer there. Reads (`self._sessions()`, autobegun) stay
    unlocked: in WAL mode they never wait for a writer.
    """
    if transaction.origin is SessionTransactionOrigin.BEGIN:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def dedupe_mentions(mentions: Sequence[Mention]) -> list[Mention]:
    """Keep the last copy of each external id: platforms repeat items across result pages."""
    return list({mention.external_id: mention for mention in mentions}.values())


def storable_mentions(mentions: Sequence[Mention]) -> list[Mention]:
    kept = []
    for mention in mentions:
        bounded, problem = storable(mention)
        if bounded is None:
            log.warning("%s: mention %r not stored: %s", mention.source, mention.external_id[:80], problem)
        else:
            kept.append(bounded)
    return kept


def delete_mention_rows(session: Session, mention_ids: Sequence[int]) -> int:
    """Delete mentions with their brand links and topic tags; return how many mentions went.

    Spelled out rather than left to ON DELETE CASCADE: on PostgreSQL the topic tags have no
    foreign key to the partitioned mentions (`listener.storage.partitions`)."""
    deleted = 0
    for offset in range(0, len(mention_ids), 500):
        chunk = list(mention_ids[offset : offset + 500])
        session.execute(delete(MentionTopicRow).where(MentionTopicRow.mention_id.in_(chunk)))
        session.execute(delete(MentionBrandRow).where(MentionBrandRow.mention_id.in_(chunk)))
        deleted += session.execute(delete(MentionRow).where(MentionRow.id.in_(chunk))).rowcount
    return deleted


def bucket_index(session: Session, column: Any, origin: datetime, seconds: float) -> Any:
    """Index of the `seconds`-wide window a timestamp falls in, counted from `origin`, in SQL."""
    naive_origin = origin.astimezone(UTC).replace(tzinfo=None)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # julianday() is a float of days: round to milliseconds so a mention exactly on a window
        # boundary is not pushed back into the previous window by floating-point error.
        elapsed = func.round((func.julianday(column) - func.julianday(naive_origin.isoformat(sep=" "))) * 86400.0, 3)
        return cast(elapsed / seconds, Integer)
    if dialect == "postgresql":
        return func.floor(func.extract("epoch", column - origin) / seconds)
    raise NotImplementedError(f"window counts are not implemented for the {dialect} dialect")


def stored_mention(row: MentionRow, brands: tuple[str, ...] = ()) -> StoredMention:
    sentiment = None
    if row.sentiment_label is not None:
        sentiment = Sentiment(row.sentiment_label, row.sentiment_score or 0.0, row.sentiment_confidence or 0.0)  # type: ignore[arg-type]
    return StoredMention(
        id=row.id,
        source=row.source,
        external_id=row.external_id,
        text=row.text,
        created_at=row.created_at,
        author=row.author,
        author_reach=row.author_reach,
        url=row.url,
        language=row.language,
        likes=row.likes,
        shares=row.shares,
        replies=row.replies,
        brands=brands,
        sentiment=sentiment,
        model=row.model,
        rating=row.rating,
    )


def counted_links() -> ColumnElement[bool]:
    """The brand links that count as mentions of their brand: not the brand's own posts (`own`).

    An answer from the brand's support account is stored for response times, but it is the brand
    speaking: its "sorry for the outage" is no negative mention, and its volume is not the
    brand's. Every count, series, list and alert window reads links through this."""
    return MentionBrandRow.own.is_(False)


def counted_mentions() -> ColumnElement[bool]:
    """On `MentionRow`, for questions over every brand: mentions no brand's own account wrote."""
    return MentionRow.id.not_in(select(MentionBrandRow.mention_id).where(MentionBrandRow.own.is_(True)))


def mentions_of(brand: str, start: datetime, end: datetime, which: ShownMentions) -> list[ColumnElement[bool]]:
    """The conditions selecting `brand`'s counted mentions in [start, end) (on MentionBrandRow):
    its negative ones, its churn-intent ones, or all of them.

    Undated mentions are left out: their time is when they were collected, so a feed added with a
    backlog of undated entries would put them all in one window, a spike that never happened."""
    conditions = [
        MentionBrandRow.brand == brand,
        MentionBrandRow.created_at >= start,
        MentionBrandRow.created_at < end,
        MentionBrandRow.undated.is_(False),
        counted_links(),
    ]
    if which == "negative":
        conditions.append(MentionBrandRow.sentiment_label == "negative")
    elif which == "churn_intent":
        conditions.append(MentionBrandRow.churn_intent.is_(True))
    return conditions


def save_detector_state(session: Session, brand: str, rule: str, state: DetectorState) -> None:
    row = session.get(DetectorStateRow, (brand, rule))
    if row is None:
        row = DetectorStateRow(brand=brand, rule=rule)
        session.add(row)
    row.evaluated_until = state.evaluated_until
    row.incident_last_anomalous = state.incident_last_anomalous


def add_alert_with_deliveries(
    session: Session, alert: Alert, notifiers: Sequence[str], now: datetime, suppressed: str | None = None
) -> AlertRow:
    """Store `alert` and queue one pending delivery per notifier, due now."""
    alert_row = alert_to_row(alert, now)
    alert_row.suppressed = suppressed
    session.add(alert_row)
    session.flush()
    for notifier in notifiers:
        session.add(
            OutboxRow(
                alert_id=alert_row.id,
                notifier=notifier,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    return alert_row


def alert_to_row(alert: Alert, now: datetime) -> AlertRow:
    return AlertRow(
        key=alert.key,
        brand=alert.brand,
        rule=alert.rule,
        window_start=alert.window_start,
        window_end=alert.window_end,
        observed=alert.observed,
        expected=alert.expected,
        negative_share=alert.negative_share,
        severity=alert.severity,
        score=alert.score,
        top_mention_ids=[mention.id for mention in alert.top_mentions],
        created_at=now,
        kind=alert.kind,
        incident_key=alert.incident_key,
        metric=alert.metric,
        evidence=None if alert.evidence is None else evidence_json(alert.evidence),
    )


def alert_from_row(row: AlertRow, top_mentions: Sequence[StoredMention]) -> Alert:
    return Alert(
        brand=row.brand,
        rule=row.rule,
        window_start=row.window_start,
        window_end=row.window_end,
        observed=row.observed,
        expected=row.expected,
        negative_share=row.negative_share,
        severity=row.severity,  # type: ignore[arg-type]
        score=row.score,
        top_mentions=tuple(top_mentions),
        id=row.id,
        created_at=row.created_at,
        kind=row.kind,  # type: ignore[arg-type]
        incident_key=row.incident_key,
        metric=row.metric,
        evidence=None if row.evidence is None else evidence_from_json(row.evidence),
    )


def evidence_json(evidence: AlertEvidence) -> dict[str, Any]:
    return {
        "window_starts": [moment.isoformat() for moment in evidence.window_starts],
        "observed_series": list(evidence.observed_series),
        "expected_series": list(evidence.expected_series),
        "driving_terms": [[term.term, term.spike_count, term.baseline_rate] for term in evidence.driving_terms],
        "sources": [list(item) for item in evidence.sources],
        "languages": [list(item) for item in evidence.languages],
        "stories": [[story.name, story.mentions, list(story.terms)] for story in evidence.stories],
        "stories_from": evidence.stories_from,
        "counted_until": None if evidence.counted_until is None else evidence.counted_until.isoformat(),
        "volume": None if evidence.volume is None else dataclasses.asdict(evidence.volume),
    }


def evidence_from_json(data: dict[str, Any]) -> AlertEvidence:
    return AlertEvidence(
        window_starts=tuple(datetime.fromisoformat(moment) for moment in data.get("window_starts", [])),
        observed_series=tuple(data.get("observed_series", [])),
        expected_series=tuple(data.get("expected_series", [])),
        driving_terms=tuple(TermGrowth(str(t), int(c), float(r)) for t, c, r in data.get("driving_terms", [])),
        sources=tuple((str(name), int(count)) for name, count in data.get("sources", [])),
        languages=tuple((str(name), int(count)) for name, count in data.get("languages", [])),
        stories=tuple(Story(str(name), int(count), tuple(map(str, terms))) for name, count, terms in data.get("stories", [])),
        stories_from=data.get("stories_from"),
        counted_until=datetime.fromisoformat(data["counted_until"]) if data.get("counted_until") else None,
        volume=_volume_from_json(data["volume"]) if data.get("volume") else None,
    )


def _volume_from_json(data: dict[str, Any]) -> VolumeContext:
    share = data.get("usual_negative_share")
    return VolumeContext(int(data["mentions"]), float(data["usual_mentions"]), None if share is None else float(share))


def incident_state(row: IncidentRow) -> IncidentState:
    return IncidentState(
        key=row.key,
        brand=row.brand,
        group_key=row.group_key,
        status=row.status,  # type: ignore[arg-type]
        rule=row.rule,
        metric=row.metric,
        severity=row.severity,
        started_at=row.started_at,
        last_firing=row.last_firing,
        last_message_at=row.last_message_at,
        receivers=tuple(row.receivers),
        resolved_at=row.resolved_at,
    )


def judging_stall(row: JudgingStallRow) -> JudgingStall:
    return JudgingStall(row.brand, row.oldest_unscored, row.since)


def silence_from_row(row: SilenceRow) -> Silence:
    return Silence(row.id, row.brand, row.rule, row.reason, row.created_by, row.created_at, row.starts_at, row.ends_at)
