"""All reads and writes of the pipeline's state, as plain records in and out.

Each public method is one transaction. The few that must be atomic together are one method:
`store_batch` commits mentions with their cursor, `record_alert` commits an alert with its outbox
rows, so a crash between two steps can never lose a mention or an alert delivery.

Writers run at once (each collect job in its own thread, the process job in another, `listener
rescore` in another process), and several writes read before they write: a new brand link copies
its mention's label, a rollup delta reads what a mention contributed. Those reads must see the
state the write commits over, so on SQLite a write transaction (`self._sessions.begin()`) takes
the database's write lock before its first read (`BEGIN IMMEDIATE`), and on PostgreSQL every write
that changes a mention's labels or links first locks the mention row (`RollupDelta.subtract`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Iterable, Literal, Sequence

from sqlalchemy import ColumnElement, Engine, Integer, case, cast, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction, SessionTransactionOrigin, sessionmaker

from listener.core.clock import Clock, SystemClock
from listener.core.limits import storable
from listener.core.records import (
    SENTIMENT_LABELS,
    Alert,
    AlertEvidence,
    Delivery,
    DeliveryStatus,
    DetectorState,
    IncidentState,
    JudgingStall,
    Mention,
    MentionToScore,
    QueuedMessage,
    Sentiment,
    Silence,
    StoredMention,
    TermGrowth,
    WindowCount,
)
from listener.storage.rollups import RollupDelta, existing_mention_ids
from listener.storage.schema import (
    AlertRow,
    Base,
    CursorRow,
    DetectorStateRow,
    IncidentRow,
    JudgingStallRow,
    MentionBrandRow,
    MentionRow,
    OutboxRow,
    SilenceRow,
)

log = logging.getLogger(__name__)


def labelled_count(label: Any, name: str) -> Any:
    """SQL: how many rows of a group carry sentiment label `name` (a column of counts per group)."""
    return func.sum(case((label == name, 1), else_=0))

class Store:
    def __init__(self, engine: Engine, clock: Clock | None = None):
        """`clock` gives the bookkeeping times (when a batch was stored, a mention scored, an
        alert delivered): the app passes its wall clock; tests pass a `ManualClock`."""
        self.engine = engine
        self._clock: Clock = clock or SystemClock()
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        """`self._sessions()` reads; `self._sessions.begin()` writes, holding SQLite's write lock throughout."""
        if engine.dialect.name == "sqlite":
            event.listen(self._sessions, "after_begin", _lock_sqlite_for_write)

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
        edited the sentiment is cleared so it is scored again. Counts are clamped to what their
        columns hold, and a mention the columns cannot hold at all (`listener.core.limits`) is logged and
        left out: one such mention must not fail the batch, and with its cursor every later poll.
        """
        now = self._clock.now()
        new_count = 0
        with self._sessions.begin() as session:
            batch = _storable(_dedupe(mentions))
            rollup = RollupDelta()
            rollup.subtract(session, existing_mention_ids(session, [(m.source, m.external_id) for m in batch]))
            stored_ids = []
            for mention in batch:
                row, is_new = self._upsert_mention(session, mention, now)
                new_count += is_new
                self._link_brand(session, row, brand)
                stored_ids.append(row.id)
            rollup.add(session, stored_ids)
            rollup.apply(session)
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
                undated=mention.undated,
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
            "undated": mention.undated,
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

    def latest_collected_until(self) -> datetime | None:
        """The clock of the latest successful poll of any source and brand."""
        with self._sessions() as session:
            return session.scalar(select(func.max(CursorRow.collected_until)))

    def mention_sources(self) -> set[str]:
        with self._sessions() as session:
            return set(session.scalars(select(MentionRow.source).distinct()))

    def clear(self) -> None:
        """Delete every row of every table (the schema stays): for replaying the demo afresh."""
        with self._sessions.begin() as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())

    def count_mentions(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(MentionRow)) or 0

    def count_unscored(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(MentionRow).where(MentionRow.scored_at.is_(None))) or 0

    def delete_mentions(self, mention_ids: Sequence[int]) -> int:
        """Delete mentions (and their brand links) with their rollup counts; returns how many went."""
        with self._sessions.begin() as session:
            rollup = RollupDelta()
            rollup.subtract(session, mention_ids)
            rollup.apply(session)
            deleted = 0
            for offset in range(0, len(mention_ids), 500):
                chunk = list(mention_ids[offset : offset + 500])
                session.execute(delete(MentionBrandRow).where(MentionBrandRow.mention_id.in_(chunk)))
                deleted += session.execute(delete(MentionRow).where(MentionRow.id.in_(chunk))).rowcount
            return deleted

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

    def mentions_to_score(self, limit: int) -> list[MentionToScore]:
        """Like `unscored`, with each mention's language tag, for language detection."""
        with self._sessions() as session:
            rows = session.execute(
                select(MentionRow.id, MentionRow.text, MentionRow.language)
                .where(MentionRow.scored_at.is_(None))
                .order_by(MentionRow.created_at, MentionRow.id)
                .limit(limit)
            ).all()
            return [MentionToScore(row.id, row.text, row.language) for row in rows]

    @staticmethod
    def _rescore_filter(since: datetime, until: datetime | None, brand: str | None) -> list[Any]:
        conditions: list[Any] = [MentionRow.created_at >= since]
        if until is not None:
            conditions.append(MentionRow.created_at < until)
        if brand is not None:
            conditions.append(
                MentionRow.id.in_(select(MentionBrandRow.mention_id).where(MentionBrandRow.brand == brand))
            )
        return conditions

    def count_for_rescore(
        self, model: str, since: datetime, until: datetime | None = None, brand: str | None = None
    ) -> tuple[int, int]:
        """(mentions in range not yet scored by `model`, mentions in range already scored by it)."""
        conditions = self._rescore_filter(since, until, brand)
        done = func.coalesce(func.sum(case((MentionRow.model == model, 1), else_=0)), 0)
        with self._sessions() as session:
            total, already = session.execute(select(func.count(), done).select_from(MentionRow).where(*conditions)).one()
        return int(total) - int(already), int(already)

    def mentions_for_rescore(
        self,
        model: str,
        since: datetime,
        until: datetime | None = None,
        brand: str | None = None,
        after_id: int = 0,
        limit: int = 256,
    ) -> list[MentionToScore]:
        """Mentions in [since, until) (of `brand`) not scored by `model`, by id after `after_id`.

        Skipping what `model` already scored is what makes a rescore resumable: an interrupted run
        started again picks up the rest. Paging by id keeps each page an index range scan.
        """
        conditions = self._rescore_filter(since, until, brand)
        conditions += [MentionRow.id > after_id, (MentionRow.model != model) | MentionRow.model.is_(None)]
        with self._sessions() as session:
            rows = session.execute(
                select(MentionRow.id, MentionRow.text, MentionRow.language)
                .where(*conditions)
                .order_by(MentionRow.id)
                .limit(limit)
            ).all()
            return [MentionToScore(row.id, row.text, row.language) for row in rows]

    def save_scores(
        self, scores: Iterable[tuple[int, Sentiment]], model: str, languages: dict[int, str] | None = None
    ) -> None:
        """Store verdicts (and detected languages, for mentions that have none) in one transaction.

        The language is written between the rollup's subtract and add, so a mention moves from the
        unknown-language rollup bucket to its language's in the same step.
        """
        now = self._clock.now()
        scores = list(scores)
        with self._sessions.begin() as session:
            touched = [mention_id for mention_id, _ in scores] + list(languages or {})
            rollup = RollupDelta()
            rollup.subtract(session, touched)
            for mention_id, language in (languages or {}).items():
                session.execute(
                    update(MentionRow)
                    .where(MentionRow.id == mention_id, MentionRow.language.is_(None))
                    .values(language=language)
                )
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
            rollup.add(session, touched)
            rollup.apply(session)

    def oldest_unscored(self, brand: str, since: datetime | None = None) -> datetime | None:
        """Creation time of `brand`'s oldest unscored mention (created at or after `since`, if given)."""
        conditions = [MentionBrandRow.brand == brand, MentionBrandRow.sentiment_label.is_(None)]
        if since is not None:
            conditions.append(MentionBrandRow.created_at >= since)
        with self._sessions() as session:
            return session.scalar(select(func.min(MentionBrandRow.created_at)).where(*conditions))

    def relabel_scored_links(self, brand: str) -> int:
        """Copy their mention's label onto `brand`'s unlabelled links of scored mentions; returns
        how many links changed.

        Such links are what the race of issue 11 left behind in databases written before it was
        fixed: their mention counts as scored, so scoring never comes back to them."""
        with self._sessions.begin() as session:
            unlabelled = select(MentionBrandRow.mention_id).where(
                MentionBrandRow.brand == brand, MentionBrandRow.sentiment_label.is_(None)
            )
            candidates = session.scalars(unlabelled).all()
            if not candidates:
                return 0
            rollup = RollupDelta()
            rollup.subtract(session, candidates)
            label = select(MentionRow.sentiment_label).where(MentionRow.id == MentionBrandRow.mention_id).scalar_subquery()
            changed = session.execute(
                update(MentionBrandRow)
                .where(
                    MentionBrandRow.brand == brand,
                    MentionBrandRow.sentiment_label.is_(None),
                    MentionBrandRow.mention_id.in_(candidates),
                    label.is_not(None),
                )
                .values(sentiment_label=label)
                .execution_options(synchronize_session=False)
            ).rowcount
            rollup.add(session, candidates)
            rollup.apply(session)
            return changed

    # -- judging stalls (alerts/dispatch/engine.py's guard) ------------------------------------------

    def judging_stalls(self) -> list[JudgingStall]:
        with self._sessions() as session:
            rows = session.scalars(select(JudgingStallRow).order_by(JudgingStallRow.brand)).all()
        return [_judging_stall(row) for row in rows]

    def start_judging_stall(self, brand: str, oldest_unscored: datetime, since: datetime) -> bool:
        """Record that `brand` is judged without its oldest unscored mentions; False if it already was."""
        with self._sessions.begin() as session:
            if session.get(JudgingStallRow, brand) is not None:
                return False
            session.add(JudgingStallRow(brand=brand, oldest_unscored=oldest_unscored, since=since))
            return True

    def end_judging_stall(self, brand: str) -> JudgingStall | None:
        """Forget `brand`'s stall; returns it, or None if there was none (checked by a read first:
        this runs on every detection pass, and a write would take SQLite's write lock each time)."""
        with self._sessions() as session:
            if session.get(JudgingStallRow, brand) is None:
                return None
        with self._sessions.begin() as session:
            row = session.get(JudgingStallRow, brand)
            if row is None:
                return None
            session.delete(row)
            return _judging_stall(row)

    # -- aggregates -------------------------------------------------------------------------

    def window_counts(self, brand: str, start: datetime, end: datetime, window: timedelta) -> list[WindowCount]:
        """Counts per sentiment in consecutive windows [start, end), zero-filled, aligned on `start`;
        undated mentions (timed only by when they were collected) are not counted."""
        windows = int((end - start).total_seconds() // window.total_seconds())
        empty = [WindowCount(start + index * window, 0, 0, 0, 0) for index in range(windows)]
        return self.window_counts_split(brand, start, end, window, ()).get((), empty)

    def first_mention_time(self, brand: str) -> datetime | None:
        with self._sessions() as session:
            return session.scalar(select(func.min(MentionBrandRow.created_at)).where(MentionBrandRow.brand == brand))

    def top_negative_mentions(self, brand: str, start: datetime, end: datetime, limit: int) -> list[StoredMention]:
        """The negative mentions most people saw: by author reach, then engagement."""
        return self.top_negative_mentions_in(brand, start, end, limit)

    def mentions_by_id(self, ids: Sequence[int]) -> list[StoredMention]:
        if not ids:
            return []
        with self._sessions() as session:
            rows = {row.id: row for row in session.scalars(select(MentionRow).where(MentionRow.id.in_(ids)))}
            return [stored_mention(rows[i]) for i in ids if i in rows]

    # -- alert evidence ---------------------------------------------------------------------

    def negative_texts(self, brand: str, start: datetime, end: datetime, limit: int) -> list[tuple[datetime, str]]:
        """(time, text) of `brand`'s negative mentions in [start, end), newest first, at most `limit`."""
        with self._sessions() as session:
            rows = session.execute(
                select(MentionBrandRow.created_at, MentionRow.text)
                .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
                .where(*_negative_mentions_of(brand, start, end))
                .order_by(MentionBrandRow.created_at.desc(), MentionRow.id.desc())
                .limit(limit)
            ).all()
        return [(row.created_at, row.text) for row in rows]

    def negative_counts_by(
        self, brand: str, start: datetime, end: datetime, column: Literal["source", "language"]
    ) -> list[tuple[str, int]]:
        """Negative mentions of `brand` in [start, end) per source or language, largest first."""
        group = MentionRow.source if column == "source" else func.coalesce(MentionRow.language, "unknown")
        with self._sessions() as session:
            rows = session.execute(
                select(group.label("value"), func.count().label("count"))
                .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
                .where(*_negative_mentions_of(brand, start, end))
                .group_by(group)
            ).all()
        return sorted(((str(row.value), int(row.count)) for row in rows), key=lambda item: (-item[1], item[0]))

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
        now = self._clock.now()
        stored: Alert | None = None
        with self._sessions.begin() as session:
            _save_detector_state(session, brand, rule, state)
            if alert is not None and session.scalar(select(AlertRow.id).where(AlertRow.key == alert.key)) is None:
                alert_row = _add_alert_with_deliveries(session, alert, notifiers, now)
                stored = _alert(alert_row, list(alert.top_mentions))
        return stored

    def alerts(self, brand: str | None = None, limit: int = 100) -> list[Alert]:
        with self._sessions() as session:
            query = select(AlertRow).order_by(AlertRow.window_start.desc()).limit(limit)
            if brand is not None:
                query = query.where(AlertRow.brand == brand)
            rows = session.scalars(query).all()
        return [_alert(row, self.mentions_by_id(row.top_mention_ids)) for row in rows]

    # -- alert rules: split counts, incidents and silences (alerts/dispatch/engine.py) ---------------

    def window_counts_split(
        self, brand: str, start: datetime, end: datetime, window: timedelta, by: Sequence[str]
    ) -> dict[tuple[str, ...], list[WindowCount]]:
        """`window_counts` per value of `by` ("source" and/or "language", unknown language as
        "unknown"); only values with a mention in [start, end) appear."""
        seconds = window.total_seconds()
        splits = [
            (MentionRow.source if column == "source" else func.coalesce(MentionRow.language, "unknown")).label(
                f"split_{index}"
            )
            for index, column in enumerate(by)
        ]
        with self._sessions() as session:
            bucket = _bucket_index(session, MentionBrandRow.created_at, start, seconds).label("bucket")
            label = MentionBrandRow.sentiment_label
            query = (
                select(
                    bucket,
                    *splits,
                    func.count(),
                    *(labelled_count(label, name) for name in SENTIMENT_LABELS),
                )
                .where(
                    MentionBrandRow.brand == brand,
                    MentionBrandRow.created_at >= start,
                    MentionBrandRow.created_at < end,
                    MentionBrandRow.undated.is_(False),
                )
                .group_by(bucket, *splits)
            )
            if by:  # the split columns live on the mention row; the plain count needs no join
                query = query.join(MentionRow, MentionRow.id == MentionBrandRow.mention_id)
            rows = session.execute(query).all()
        by_split: dict[tuple[str, ...], dict[int, Any]] = {}
        for row in rows:
            by_split.setdefault(tuple(str(value) for value in row[1 : 1 + len(by)]), {})[int(row[0])] = row[1 + len(by) :]
        windows = int((end - start).total_seconds() // seconds)
        empty = (0, 0, 0, 0)
        return {
            split: [
                WindowCount(start + index * window, *(int(value or 0) for value in buckets.get(index, empty)))
                for index in range(windows)
            ]
            for split, buckets in sorted(by_split.items())
        }

    def top_negative_mentions_in(
        self,
        brand: str,
        start: datetime,
        end: datetime,
        limit: int,
        source: str | None = None,
        language: str | None = None,
    ) -> list[StoredMention]:
        """`top_negative_mentions` restricted to one source and/or language (a split rule's evidence)."""
        conditions = _negative_mentions_of(brand, start, end)
        if source is not None:
            conditions.append(MentionRow.source == source)
        if language is not None:
            conditions.append(func.coalesce(MentionRow.language, "unknown") == language)
        with self._sessions() as session:
            rows = session.scalars(
                select(MentionRow)
                .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
                .where(*conditions)
                .order_by(
                    func.coalesce(MentionRow.author_reach, 0).desc(),
                    (MentionRow.likes + MentionRow.shares + MentionRow.replies).desc(),
                    MentionRow.id,
                )
                .limit(limit)
            ).all()
            return [stored_mention(row, (brand,)) for row in rows]

    def open_incidents(self, brand: str) -> list[IncidentState]:
        with self._sessions() as session:
            rows = session.scalars(
                select(IncidentRow).where(IncidentRow.brand == brand, IncidentRow.status == "open")
            ).all()
        return [_incident(row) for row in rows]

    def incidents(self, brand: str | None = None, limit: int = 100) -> list[IncidentState]:
        with self._sessions() as session:
            query = select(IncidentRow).order_by(IncidentRow.started_at.desc()).limit(limit)
            if brand is not None:
                query = query.where(IncidentRow.brand == brand)
            rows = session.scalars(query).all()
        return [_incident(row) for row in rows]

    def record_alerting(
        self,
        brand: str,
        states: dict[str, DetectorState],
        incidents: Sequence[IncidentState],
        messages: Sequence[QueuedMessage],
    ) -> list[Alert]:
        """One detection pass of a brand in one transaction: every rule's progress, the incidents'
        state, and each message with its outbox rows. A crash before the commit re-runs the whole
        pass; after it, nothing is judged or sent twice. Returns the messages newly stored."""
        now = self._clock.now()
        stored: list[Alert] = []
        with self._sessions.begin() as session:
            for rule, state in states.items():
                _save_detector_state(session, brand, rule, state)
            for incident in incidents:
                incident_row = session.get(IncidentRow, incident.key)
                if incident_row is None:
                    incident_row = IncidentRow(key=incident.key)
                    session.add(incident_row)
                incident_row.brand, incident_row.group_key = incident.brand, incident.group_key
                incident_row.status, incident_row.rule = incident.status, incident.rule
                incident_row.metric, incident_row.severity = incident.metric, incident.severity
                incident_row.started_at, incident_row.last_firing = incident.started_at, incident.last_firing
                incident_row.last_message_at, incident_row.receivers = incident.last_message_at, list(incident.receivers)
                incident_row.resolved_at, incident_row.updated_at = incident.resolved_at, now
            for message in messages:
                if session.scalar(select(AlertRow.id).where(AlertRow.key == message.alert.key)) is not None:
                    continue
                alert_row = _add_alert_with_deliveries(session, message.alert, message.notifiers, now, message.suppressed)
                stored.append(_alert(alert_row, list(message.alert.top_mentions)))
        return stored

    def suppressed_alerts(self, limit: int = 100) -> list[tuple[Alert, str]]:
        """Messages recorded without deliveries (silenced, quiet hours), newest first, with why."""
        with self._sessions() as session:
            rows = session.scalars(
                select(AlertRow).where(AlertRow.suppressed.is_not(None)).order_by(AlertRow.id.desc()).limit(limit)
            ).all()
        return [(_alert(row, ()), row.suppressed or "") for row in rows]

    def add_silence(
        self, brand: str | None, rule: str | None, reason: str, created_by: str, starts_at: datetime, ends_at: datetime
    ) -> Silence:
        with self._sessions.begin() as session:
            row = SilenceRow(
                brand=brand,
                rule=rule,
                reason=reason,
                created_by=created_by,
                created_at=self._clock.now(),
                starts_at=starts_at,
                ends_at=ends_at,
            )
            session.add(row)
            session.flush()
            return _silence(row)

    def silences(self, active_at: datetime | None = None) -> list[Silence]:
        """Stored silences, newest first; only those in force at `active_at` when it is given."""
        with self._sessions() as session:
            query = select(SilenceRow).order_by(SilenceRow.id.desc())
            if active_at is not None:
                query = query.where(SilenceRow.starts_at <= active_at, SilenceRow.ends_at > active_at)
            return [_silence(row) for row in session.scalars(query).all()]

    def expire_silence(self, silence_id: int, now: datetime) -> Silence | None:
        """End a silence now; it is kept for the record. None when there is no such silence."""
        with self._sessions.begin() as session:
            row = session.get(SilenceRow, silence_id)
            if row is None:
                return None
            if row.ends_at > now:
                row.ends_at = max(now, row.starts_at)
            return _silence(row)

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

    def mark_delivered(self, delivery_id: int, reference: str | None = None, thread_key: str | None = None) -> None:
        """Record a delivery with the receiver's `reference` for the message (Slack ts, Message-ID),
        filed under `thread_key` (the incident) so that follow-ups can find it."""
        now = self._clock.now()
        with self._sessions.begin() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == delivery_id)
                .values(
                    status="delivered",
                    delivered_at=now,
                    attempts=OutboxRow.attempts + 1,
                    last_error=None,
                    reference=reference[:300] if reference else None,
                    thread_key=thread_key,
                )
            )

    def thread_reference(self, notifier: str, thread_key: str) -> str | None:
        """The reference of the first message of incident `thread_key` delivered to `notifier`, if any."""
        with self._sessions() as session:
            return session.scalar(
                select(OutboxRow.reference)
                .where(
                    OutboxRow.notifier == notifier,
                    OutboxRow.thread_key == thread_key,
                    OutboxRow.reference.is_not(None),
                )
                .order_by(OutboxRow.delivered_at, OutboxRow.id)
                .limit(1)
            )

    def earlier_message_pending(self, delivery_id: int, notifier: str, incident_key: str) -> bool:
        """Whether an earlier message of the incident still waits to reach `notifier` (being retried)."""
        with self._sessions() as session:
            pending = session.scalar(
                select(OutboxRow.id)
                .join(AlertRow, AlertRow.id == OutboxRow.alert_id)
                .where(
                    OutboxRow.notifier == notifier,
                    OutboxRow.status == "pending",
                    OutboxRow.id < delivery_id,
                    AlertRow.incident_key == incident_key,
                )
                .limit(1)
            )
        return pending is not None

    def mark_failed(self, delivery_id: int, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; `retry_at=None` moves the delivery to the dead letters."""
        values: dict[str, Any] = {"attempts": OutboxRow.attempts + 1, "last_error": error[:2000]}
        if retry_at is None:
            values["status"] = "dead"
        else:
            values["next_attempt_at"] = retry_at
        with self._sessions.begin() as session:
            session.execute(update(OutboxRow).where(OutboxRow.id == delivery_id).values(**values))

    def delivery_statuses(self, limit: int = 100, status: str | None = None) -> list[DeliveryStatus]:
        """Newest deliveries first; `status` keeps only pending, delivered or dead ones."""
        query = (
            select(OutboxRow, AlertRow)
            .join(AlertRow, AlertRow.id == OutboxRow.alert_id)
            .order_by(OutboxRow.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(OutboxRow.status == status)
        with self._sessions() as session:
            rows = session.execute(query).all()
        return [
            DeliveryStatus(
                alert.key, alert.brand, alert.window_start, alert.severity, alert.observed, alert.expected,
                row.notifier, row.status, row.attempts, row.last_error, row.delivered_at,
                kind=alert.kind or "firing",
                next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
                reference=row.reference,
            )
            for row, alert in rows
        ]


def _lock_sqlite_for_write(_session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    """Start a write transaction with SQLite's write lock, before its first read.

    The sqlite3 driver otherwise begins a transaction only at the first INSERT, UPDATE or DELETE,
    so the reads before it run outside the transaction and another writer can commit in between:
    a brand link then copied a label that had just changed (issue 11), and a rollup delta
    subtracted a state that was no longer there. Reads (`self._sessions()`, autobegun) stay
    unlocked: in WAL mode they never wait for a writer.
    """
    if transaction.origin is SessionTransactionOrigin.BEGIN:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _dedupe(mentions: Sequence[Mention]) -> list[Mention]:
    """Keep the last copy of each external id: platforms repeat items across result pages."""
    return list({mention.external_id: mention for mention in mentions}.values())


def _storable(mentions: Sequence[Mention]) -> list[Mention]:
    kept = []
    for mention in mentions:
        bounded, problem = storable(mention)
        if bounded is None:
            log.warning("%s: mention %r not stored: %s", mention.source, mention.external_id[:80], problem)
        else:
            kept.append(bounded)
    return kept


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
    )


def _negative_mentions_of(brand: str, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    """The conditions selecting `brand`'s negative mentions in [start, end) (on MentionBrandRow).

    Undated mentions are left out: their time is when they were collected, so a feed added with a
    backlog of undated entries would put them all in one window, a spike that never happened."""
    return [
        MentionBrandRow.brand == brand,
        MentionBrandRow.created_at >= start,
        MentionBrandRow.created_at < end,
        MentionBrandRow.sentiment_label == "negative",
        MentionBrandRow.undated.is_(False),
    ]


def _save_detector_state(session: Session, brand: str, rule: str, state: DetectorState) -> None:
    row = session.get(DetectorStateRow, (brand, rule))
    if row is None:
        row = DetectorStateRow(brand=brand, rule=rule)
        session.add(row)
    row.evaluated_until = state.evaluated_until
    row.incident_last_anomalous = state.incident_last_anomalous


def _add_alert_with_deliveries(
    session: Session, alert: Alert, notifiers: Sequence[str], now: datetime, suppressed: str | None = None
) -> AlertRow:
    """Store `alert` and queue one pending delivery per notifier, due now."""
    alert_row = _alert_row(alert, now)
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
        kind=alert.kind,
        incident_key=alert.incident_key,
        metric=alert.metric,
        evidence=None if alert.evidence is None else _evidence_json(alert.evidence),
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
        kind=row.kind,  # type: ignore[arg-type]
        incident_key=row.incident_key,
        metric=row.metric,
        evidence=None if row.evidence is None else _evidence_from_json(row.evidence),
    )


def _evidence_json(evidence: AlertEvidence) -> dict[str, Any]:
    return {
        "window_starts": [moment.isoformat() for moment in evidence.window_starts],
        "observed_series": list(evidence.observed_series),
        "expected_series": list(evidence.expected_series),
        "driving_terms": [[term.term, term.spike_count, term.baseline_rate] for term in evidence.driving_terms],
        "sources": [list(item) for item in evidence.sources],
        "languages": [list(item) for item in evidence.languages],
        "counted_until": None if evidence.counted_until is None else evidence.counted_until.isoformat(),
    }


def _evidence_from_json(data: dict[str, Any]) -> AlertEvidence:
    return AlertEvidence(
        window_starts=tuple(datetime.fromisoformat(moment) for moment in data.get("window_starts", [])),
        observed_series=tuple(data.get("observed_series", [])),
        expected_series=tuple(data.get("expected_series", [])),
        driving_terms=tuple(TermGrowth(str(t), int(c), float(r)) for t, c, r in data.get("driving_terms", [])),
        sources=tuple((str(name), int(count)) for name, count in data.get("sources", [])),
        languages=tuple((str(name), int(count)) for name, count in data.get("languages", [])),
        counted_until=datetime.fromisoformat(data["counted_until"]) if data.get("counted_until") else None,
    )


def _incident(row: IncidentRow) -> IncidentState:
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


def _judging_stall(row: JudgingStallRow) -> JudgingStall:
    return JudgingStall(row.brand, row.oldest_unscored, row.since)


def _silence(row: SilenceRow) -> Silence:
    return Silence(row.id, row.brand, row.rule, row.reason, row.created_by, row.created_at, row.starts_at, row.ends_at)
