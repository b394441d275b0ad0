"""The outbox: deliveries due, their results, and the threads follow-ups reply in."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Collection

from sqlalchemy import select, update

from listener.core.records import Delivery, DeliveryStatus
from listener.storage.rows import StoreBase, alert_from_row
from listener.storage.schema import AlertRow, OutboxRow


class OutboxStore(StoreBase):
    # -- outbox -----------------------------------------------------------------------------

    def due_deliveries(
        self, now: datetime, limit: int = 50, claim: bool = False, skip_ids: Collection[int] = ()
    ) -> list[Delivery]:
        """`claim` locks the rows returned until the caller's transaction ends, skipping rows another
        worker holds (PostgreSQL's FOR UPDATE SKIP LOCKED; see `listener.storage.cluster.claiming_store`);
        `skip_ids` leaves out rows the caller has already looked at (a follow-up held back)."""
        query = (
            select(OutboxRow, AlertRow)
            .join(AlertRow, AlertRow.id == OutboxRow.alert_id)
            .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if skip_ids:
            query = query.where(OutboxRow.id.not_in(list(skip_ids)))
        if claim:
            query = query.with_for_update(skip_locked=True, of=OutboxRow)
        with self._sessions() as session:
            rows = session.execute(query).all()
        return [
            Delivery(
                outbox.id,
                outbox.notifier,
                outbox.attempts,
                alert_from_row(alert, self.mentions_by_id(alert.top_mention_ids)),
            )
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

    def delivery_statuses(self, limit: int = 100, status: str | None = None, alert_id: int | None = None) -> list[DeliveryStatus]:
        """Newest deliveries first; `status` keeps only pending, delivered or dead ones, `alert_id`
        only those of one message."""
        query = (
            select(OutboxRow, AlertRow)
            .join(AlertRow, AlertRow.id == OutboxRow.alert_id)
            .order_by(OutboxRow.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(OutboxRow.status == status)
        if alert_id is not None:
            query = query.where(OutboxRow.alert_id == alert_id)
        with self._sessions() as session:
            rows = session.execute(query).all()
        return [
            DeliveryStatus(
                alert.key,
                alert.brand,
                alert.window_start,
                alert.severity,
                alert.observed,
                alert.expected,
                row.notifier,
                row.status,
                row.attempts,
                row.last_error,
                row.delivered_at,
                kind=alert.kind or "firing",
                next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
                reference=row.reference,
                alert_id=alert.id,
            )
            for row, alert in rows
        ]
