"""Tables for `listener alerts list` and `listener alerts silences`: every delivery's state, so a dead letter and its cause are seen, not lost.

Errors and brand names are shown as plain text, never as rich markup: a receiver's error reply
such as `[mailbox busy]` must appear as written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from listener.core.records import Alert, DeliveryStatus, Silence

STATUS_STYLES = {"pending": "yellow", "delivered": "green", "dead": "bold red"}


def message_severity(kind: str, severity: str) -> str:
    """Blank for a resolution: it carries the severity the incident had, and a `critical` beside it
    reads as a new critical alert."""
    return "" if kind == "resolved" else severity


def deliveries_table(statuses: list[DeliveryStatus]) -> Table:
    table = Table(title="alert deliveries (newest first)")
    for column in (
        "id", "brand", "window (UTC)", "message", "severity", "negative vs expected", "notifier", "status", "attempts",
        "next try (UTC)", "last error",
    ):  # fmt: skip
        table.add_column(column)
    for status in statuses:
        next_try = status.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if status.next_attempt_at else ""
        table.add_row(
            str(status.alert_id or ""),
            Text(status.brand),
            status.window_start.strftime("%Y-%m-%d %H:%M"),
            status.kind,
            message_severity(status.kind, status.severity),
            f"{status.observed} vs {status.expected:.1f}",
            Text(status.notifier),
            Text(status.status, style=STATUS_STYLES.get(status.status, "")),
            str(status.attempts),
            next_try,
            Text(status.last_error or ""),
        )
    return table


def silences_table(silences: Sequence[Silence], now: datetime) -> Table:
    table = Table(title="silences (newest first)")
    for column in ("id", "brand", "rule", "state", "from (UTC)", "until (UTC)", "by", "reason"):
        table.add_column(column)
    for silence in silences:
        state = "active" if silence.starts_at <= now < silence.ends_at else ("pending" if now < silence.starts_at else "expired")
        table.add_row(
            str(silence.id), escape(silence.brand or "*"), escape(silence.rule or "*"), state,
            f"{silence.starts_at:%Y-%m-%d %H:%M}", f"{silence.ends_at:%Y-%m-%d %H:%M}",
            escape(silence.created_by), escape(silence.reason),
        )  # fmt: skip
    return table


def suppressed_table(suppressed: Sequence[tuple[Alert, str]]) -> Table:
    """Messages that were recorded but not delivered, and why (for `listener alerts list`)."""
    table = Table(title="recorded, not delivered (newest first)")
    for column in ("id", "brand", "kind", "rule", "window (UTC)", "severity", "observed vs expected", "why"):
        table.add_column(column)
    for alert, reason in suppressed:
        table.add_row(
            str(alert.id or ""), escape(alert.brand), alert.kind, escape(alert.rule), f"{alert.window_start:%Y-%m-%d %H:%M}",
            message_severity(alert.kind, alert.severity), f"{alert.observed} vs {alert.expected:.1f}", escape(reason),
        )  # fmt: skip
    return table
