"""Alerting state: detector progress, incidents, alerts with their outbox rows, silences."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import select

from listener.core.records import (
    Alert,
    DetectorState,
    IncidentState,
    QueuedMessage,
    Silence,
)
from listener.storage.rows import (
    StoreBase,
    add_alert_with_deliveries,
    alert_from_row,
    incident_state,
    save_detector_state,
    silence_from_row,
)
from listener.storage.schema import AlertRow, DetectorStateRow, IncidentRow, SilenceRow


class AlertingStore(StoreBase):
    # -- detection state --------------------------------------------------------------------

    def detector_state(self, brand: str, rule: str) -> DetectorState | None:
        with self._sessions() as session:
            row = session.get(DetectorStateRow, (brand, rule))
            return None if row is None else DetectorState(row.evaluated_until, row.incident_last_anomalous)

    def alerts(self, brand: str | None = None, limit: int = 100) -> list[Alert]:
        with self._sessions() as session:
            query = select(AlertRow).order_by(AlertRow.window_start.desc()).limit(limit)
            if brand is not None:
                query = query.where(AlertRow.brand == brand)
            rows = session.scalars(query).all()
        return [alert_from_row(row, self.mentions_by_id(row.top_mention_ids)) for row in rows]

    def open_incidents(self, brand: str) -> list[IncidentState]:
        with self._sessions() as session:
            rows = session.scalars(
                select(IncidentRow).where(IncidentRow.brand == brand, IncidentRow.status == "open")
            ).all()
        return [incident_state(row) for row in rows]

    def incidents(self, brand: str | None = None, limit: int = 100) -> list[IncidentState]:
        with self._sessions() as session:
            query = select(IncidentRow).order_by(IncidentRow.started_at.desc()).limit(limit)
            if brand is not None:
                query = query.where(IncidentRow.brand == brand)
            rows = session.scalars(query).all()
        return [incident_state(row) for row in rows]

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
                save_detector_state(session, brand, rule, state)
            for incident in incidents:
                incident_row = session.get(IncidentRow, incident.key)
                if incident_row is None:
                    incident_row = IncidentRow(key=incident.key)
                    session.add(incident_row)
                incident_row.brand, incident_row.group_key = incident.brand, incident.group_key
                incident_row.status, incident_row.rule = incident.status, incident.rule
                incident_row.metric, incident_row.severity = incident.metric, incident.severity
                incident_row.started_at, incident_row.last_firing = incident.started_at, incident.last_firing
                incident_row.last_message_at, incident_row.receivers = (
                    incident.last_message_at,
                    list(incident.receivers),
                )
                incident_row.resolved_at, incident_row.updated_at = incident.resolved_at, now
            for message in messages:
                if session.scalar(select(AlertRow.id).where(AlertRow.key == message.alert.key)) is not None:
                    continue
                alert_row = add_alert_with_deliveries(
                    session, message.alert, message.notifiers, now, message.suppressed
                )
                stored.append(alert_from_row(alert_row, list(message.alert.top_mentions)))
        return stored

    def alert_message(self, alert_id: int) -> tuple[Alert, str | None] | None:
        """One stored message with its top mentions, and why it was recorded without being sent
        (None when it was sent); None when there is no message `alert_id`."""
        with self._sessions() as session:
            row = session.get(AlertRow, alert_id)
        if row is None:
            return None
        return alert_from_row(row, self.mentions_by_id(row.top_mention_ids)), row.suppressed

    def suppressed_alerts(self, limit: int = 100) -> list[tuple[Alert, str]]:
        """Messages recorded without deliveries (silenced, quiet hours), newest first, with why."""
        with self._sessions() as session:
            rows = session.scalars(
                select(AlertRow).where(AlertRow.suppressed.is_not(None)).order_by(AlertRow.id.desc()).limit(limit)
            ).all()
        return [(alert_from_row(row, ()), row.suppressed or "") for row in rows]

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
            return silence_from_row(row)

    def silences(self, active_at: datetime | None = None) -> list[Silence]:
        """Stored silences, newest first; only those in force at `active_at` when it is given."""
        with self._sessions() as session:
            query = select(SilenceRow).order_by(SilenceRow.id.desc())
            if active_at is not None:
                query = query.where(SilenceRow.starts_at <= active_at, SilenceRow.ends_at > active_at)
            return [silence_from_row(row) for row in session.scalars(query).all()]

    def expire_silence(self, silence_id: int, now: datetime) -> Silence | None:
        """End a silence now; it is kept for the record. None when there is no such silence."""
        with self._sessions.begin() as session:
            row = session.get(SilenceRow, silence_id)
            if row is None:
                return None
            if row.ends_at > now:
                row.ends_at = max(now, row.starts_at)
            return silence_from_row(row)
