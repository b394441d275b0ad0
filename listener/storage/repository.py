"""All reads and writes of the pipeline's state, as plain records in and out.

Each public method is one transaction. The few that must be atomic together are one method:
`store_batch` commits mentions with their cursor, `record_alert` commits an alert with its outbox
rows, so a crash between two steps can never lose a mention or an alert delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Iterable, Sequence

from sqlalchemy import Engine, Integer, case, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from listener.clock import utcnow
from listener.models import Alert, Mention, Sentiment, StoredMention
from listener.storage.schema import (
    AlertRow,
    CursorRow,
    DetectorStateRow,
    MentionBrandRow,
    MentionRow,
    OutboxRow,
)


@dataclass(frozen=True)
class WindowCount:
    start: datetime
    total: int
    negative: int
    neutral: int
    positive: int


@dataclass(frozen=True)
class DetectorState:
    evaluated_until: datetime
    incident_last_anomalous: datetime | None


@dataclass(frozen=True)
class Delivery:
    id: int
    notifier: str
    attempts: int
    alert: Alert


@dataclass(frozen=True)
class DeliveryStatus:
    alert_key: str
    brand: str
    window_start: datetime
    severity: str
    observed: int
    expected: float
    notifier: str
    status: str
    attempts: int
    last_error: str | None
    delivered_at: datetime | None


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # -- mentions ---------------------------------------------------------------------------

    def store_batch(
        self,
        source: str,
        brand: str,
        mentions: Sequence[Mention],
        cursor: dict[str, Any],
        collected_until: datetime | None = None,
    ) -> int:
        """Store one poll's mentions of `brand` and its next cursor atomically; return how many were new.

        `collected_until` (the daemon-clock time the poll started) tells detection that this
        source has delivered everything older, so windows before it can be judged.

        A mention seen before is not duplicated: its counts are refreshed, and if its text was
        edited the sentiment is cleared so it is scored again.
        """
        now = utcnow()
        new_count = 0
        with self._sessions.begin() as session:
            for mention in _dedupe(mentions):
                row, is_new = self._upsert_mention(session, mention, now)
                new_count += is_new
                self._link_brand(session, row, brand)
            self._save_cursor(session, source, brand, cursor, now, collected_until)
        return new_count

    def _upsert_mention(self, session: Session, mention: Mention, now: datetime) -> tuple[MentionRow, bool]:
        existing = session.execute(
            select(MentionRow).where(
                MentionRow.source == mention.source, MentionRow.external_id == mention.external_id
            )
        ).scalar_one_or_none()
        if existing is None:
            row = MentionRow(
                source=mention.source,
                external_id=mention.external_id,
                text=mention.text,
                created_at=mention.created_at,
                collected_at=now,
                author=mention.author,
                author_reach=mention.author_reach,
                url=mention.url,
                language=mention.language,
                likes=mention.likes,
                shares=mention.shares,
                replies=mention.replies,
            )
            session.add(row)
            session.flush()
            return row, True
        existing.likes, existing.shares, existing.replies = mention.likes, mention.shares, mention.replies
        existing.author_reach = mention.author_reach if mention.author_reach is not None else existing.author_reach
        if existing.text != mention.text:
            existing.text = mention.text
            existing.sentiment_label = existing.sentiment_score = existing.sentiment_confidence = None
            existing.model = existing.scored_at = None
            session.execute(
                update(MentionBrandRow).where(MentionBrandRow.mention_id == existing.id).values(sentiment_label=None)
            )
        return existing, False

    def _link_brand(self, session: Session, mention: MentionRow, brand: str) -> None:
        """Link a mention to a brand, carrying its label over: a mention already scored for
        another brand must not look unscored to this one."""
        values = {
            "mention_id": mention.id,
            "brand": brand,
            "created_at": mention.created_at,
            "sentiment_label": mention.sentiment_label,
        }
        dialect = session.get_bind().dialect.name
        if dialect in ("sqlite", "postgresql"):
            insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(MentionBrandRow)
            session.execute(insert.values(**values).on_conflict_do_nothing())
        elif session.get(MentionBrandRow, (mention.id, brand)) is None:
            session.add(MentionBrandRow(**values))

    def get_cursor(self, source: str, brand: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.get(CursorRow, (source, brand))
            return None if row is None else dict(row.value)

    def _save_cursor(
        self,
        session: Session,
        source: str,
        brand: str,
        cursor: dict[str, Any],
        now: datetime,
        collected_until: datetime | None,
    ) -> None:
        row = session.get(CursorRow, (source, brand))
        if row is None:
            session.add(
                CursorRow(source=source, brand=brand, value=cursor, updated_at=now, collected_until=collected_until)
            )
        else:
            row.value, row.updated_at = cursor, now
            if collected_until is not None:
                row.collected_until = collected_until

    def collected_until(self, brand: str, sources: Sequence[str]) -> dict[str, datetime | None]:
        """Per source, how far `brand` has been collected (None: never polled successfully)."""
        with self._sessions() as session:
            rows = session.execute(
                select(CursorRow.source, CursorRow.collected_until).where(
                    CursorRow.brand == brand, CursorRow.source.in_(sources)
                )
            ).all()
        progress: dict[str, datetime | None] = dict.fromkeys(sources)
        progress.update({row.source: row.collected_until for row in rows})
        return progress

    def count_mentions(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(MentionRow)) or 0

    # -- scoring ----------------------------------------------------------------------------

    def unscored(self, limit: int) -> list[tuple[int, str]]:
        """Oldest unscored mentions first, so detection windows complete in time order."""
        with self._sessions() as session:
            rows = session.execute(
                select(MentionRow.id, MentionRow.text)
                .where(MentionRow.scored_at.is_(None))
                .order_by(MentionRow.created_at, MentionRow.id)
                .limit(limit)
            ).all()
            return [(row.id, row.text) for row in rows]

    def save_scores(self, scores: Iterable[tuple[int, Sentiment]], model: str) -> None:
        now = utcnow()
        with self._sessions.begin() as session:
            for mention_id, sentiment in scores:
                session.execute(
                    update(MentionRow)
                    .where(MentionRow.id == mention_id)
                    .values(
                        sentiment_label=sentiment.label,
                        sentiment_score=sentiment.score,
                        sentiment_confidence=sentiment.confidence,
                        model=model,
                        scored_at=now,
                    )
                )
                session.execute(
                    update(MentionBrandRow)
                    .where(MentionBrandRow.mention_id == mention_id)
                    .values(sentiment_label=sentiment.label)
                )

    def oldest_unscored(self, brand: str) -> datetime | None:
        with self._sessions() as session:
            return session.scalar(
                select(func.min(MentionBrandRow.created_at)).where(
                    MentionBrandRow.brand == brand, MentionBrandRow.sentiment_label.is_(None)
                )
            )

    # -- aggregates -------------------------------------------------------------------------

    def window_counts(self, brand: str, start: datetime, end: datetime, window: timedelta) -> list[WindowCount]:
        """Counts per sentiment in consecutive windows [start, end), zero-filled, aligned on `start`."""
        seconds = window.total_seconds()
        with self._sessions() as session:
            bucket = _bucket_index(session, MentionBrandRow.created_at, start, seconds).label("bucket")
            label = MentionBrandRow.sentiment_label
            rows = session.execute(
                select(
                    bucket,
                    func.count(),
                    func.sum(case((label == "negative", 1), else_=0)),
                    func.sum(case((label == "neutral", 1), else_=0)),
                    func.sum(case((label == "positive", 1), else_=0)),
                )
                .where(
                    MentionBrandRow.brand == brand,
                    MentionBrandRow.created_at >= start,
                    MentionBrandRow.created_at < end,
                )
                .group_by(bucket)
            ).all()
        by_bucket = {int(row[0]): row for row in rows}
        windows = int((end - start).total_seconds() // seconds)
        counts = []
        for index in range(windows):
            row = by_bucket.get(index)
            counts.append(
                WindowCount(
                    start=start + index * window,
                    total=int(row[1]) if row else 0,
                    negative=int(row[2] or 0) if row else 0,
                    neutral=int(row[3] or 0) if row else 0,
                    positive=int(row[4] or 0) if row else 0,
                )
            )
        return counts

    def first_mention_time(self, brand: str) -> datetime | None:
        with self._sessions() as session:
            return session.scalar(select(func.min(MentionBrandRow.created_at)).where(MentionBrandRow.brand == brand))

    def last_mention_time(self, brand: str) -> datetime | None:
        with self._sessions() as session:
            return session.scalar(select(func.max(MentionBrandRow.created_at)).where(MentionBrandRow.brand == brand))

    def top_negative_mentions(self, brand: str, start: datetime, end: datetime, limit: int) -> list[StoredMention]:
        """The negative mentions most people saw: by author reach, then engagement."""
        with self._sessions() as session:
            rows = session.scalars(
                select(MentionRow)
                .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
                .where(
                    MentionBrandRow.brand == brand,
                    MentionBrandRow.created_at >= start,
                    MentionBrandRow.created_at < end,
                    MentionBrandRow.sentiment_label == "negative",
                )
                .order_by(
                    func.coalesce(MentionRow.author_reach, 0).desc(),
                    (MentionRow.likes + MentionRow.shares + MentionRow.replies).desc(),
                    MentionRow.id,
                )
                .limit(limit)
            ).all()
            return [_stored_mention(row, (brand,)) for row in rows]

    def mentions_by_id(self, ids: Sequence[int]) -> list[StoredMention]:
        if not ids:
            return []
        with self._sessions() as session:
            rows = {row.id: row for row in session.scalars(select(MentionRow).where(MentionRow.id.in_(ids)))}
            return [_stored_mention(rows[i]) for i in ids if i in rows]

    # -- detection state --------------------------------------------------------------------

    def detector_state(self, brand: str, rule: str) -> DetectorState | None:
        with self._sessions() as session:
            row = session.get(DetectorStateRow, (brand, rule))
            return None if row is None else DetectorState(row.evaluated_until, row.incident_last_anomalous)

    def record_evaluation(
        self,
        brand: str,
        rule: str,
        state: DetectorState,
        alert: Alert | None = None,
        notifiers: Sequence[str] = (),
    ) -> Alert | None:
        """Advance the detector and, if it fired, store the alert and queue one delivery per
        notifier, all in one transaction: a restart can neither re-fire nor drop the alert."""
        now = utcnow()
        stored: Alert | None = None
        with self._sessions.begin() as session:
            row = session.get(DetectorStateRow, (brand, rule))
            if row is None:
                session.add(
                    DetectorStateRow(
                        brand=brand,
                        rule=rule,
                        evaluated_until=state.evaluated_until,
                        incident_last_anomalous=state.incident_last_anomalous,
                    )
                )
            else:
                row.evaluated_until = state.evaluated_until
                row.incident_last_anomalous = state.incident_last_anomalous
            if alert is not None and session.scalar(select(AlertRow.id).where(AlertRow.key == alert.key)) is None:
                alert_row = _alert_row(alert, now)
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
                stored = _alert(alert_row, list(alert.top_mentions))
        return stored

    def alerts(self, brand: str | None = None, limit: int = 100) -> list[Alert]:
        with self._sessions() as session:
            query = select(AlertRow).order_by(AlertRow.window_start.desc()).limit(limit)
            if brand is not None:
                query = query.where(AlertRow.brand == brand)
            rows = session.scalars(query).all()
        return [_alert(row, self.mentions_by_id(row.top_mention_ids)) for row in rows]

    # -- outbox -----------------------------------------------------------------------------

    def due_deliveries(self, now: datetime, limit: int = 50) -> list[Delivery]:
        with self._sessions() as session:
            rows = session.execute(
                select(OutboxRow, AlertRow)
                .join(AlertRow, AlertRow.id == OutboxRow.alert_id)
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(limit)
            ).all()
        return [
            Delivery(outbox.id, outbox.notifier, outbox.attempts, _alert(alert, self.mentions_by_id(alert.top_mention_ids)))
            for outbox, alert in rows
        ]

    def mark_delivered(self, delivery_id: int) -> None:
        now = utcnow()
        with self._sessions.begin() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == delivery_id)
                .values(status="delivered", delivered_at=now, attempts=OutboxRow.attempts + 1, last_error=None)
            )

    def mark_failed(self, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; `retry_at=None` moves the delivery to the dead letters."""
        values: dict[str, Any] = {"attempts": OutboxRow.attempts + 1, "last_error": error[:2000]}
        if retry_at is None:
            values["status"] = "dead"
        else:
            values["next_attempt_at"] = retry_at
        with self._sessions.begin() as session:
            session.execute(update(OutboxRow).where(OutboxRow.id == delivery_id).values(**values))

    def delivery_statuses(self, limit: int = 100) -> list[DeliveryStatus]:
        with self._sessions() as session:
            rows = session.execute(
                select(OutboxRow, AlertRow)
                .join(AlertRow, AlertRow.id == OutboxRow.alert_id)
                .order_by(OutboxRow.id.desc())
                .limit(limit)
            ).all()
        return [
            DeliveryStatus(
                alert.key, alert.brand, alert.window_start, alert.severity, alert.observed, alert.expected,
                row.notifier, row.status, row.attempts, row.last_error, row.delivered_at,
            )
            for row, alert in rows
        ]


def _dedupe(mentions: Sequence[Mention]) -> list[Mention]:
    """Keep the last copy of each external id: platforms repeat items across result pages."""
    return list({mention.external_id: mention for mention in mentions}.values())


def _bucket_index(session: Session, column: Any, origin: datetime, seconds: float) -> Any:
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


def _stored_mention(row: MentionRow, brands: tuple[str, ...] = ()) -> StoredMention:
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
    )


def _alert_row(alert: Alert, now: datetime) -> AlertRow:
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
    )


def _alert(row: AlertRow, top_mentions: Sequence[StoredMention]) -> Alert:
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
    )
