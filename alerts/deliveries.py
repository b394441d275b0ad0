"""`listener alerts list`: every delivery's state, so a dead letter and its cause are seen, not lost.

Errors and brand names are shown as plain text, never as rich markup: a receiver's error reply
such as `[mailbox busy]` must appear as written.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from listener.storage.repository import DeliveryStatus

STATUS_STYLES = {"pending": "yellow", "delivered": "green", "dead": "bold red"}


def message_severity(kind: str, severity: str) -> str:
    """Blank for a resolution: it carries the severity the incident had, and a `critical` beside it
    reads as a new critical alert."""
    return "" if kind == "resolved" else severity


def deliveries_table(statuses: list[DeliveryStatus]) -> Table:
    table = Table(title="alert deliveries (newest first)")
    for column in (
        "brand", "window (UTC)", "message", "severity", "negative vs expected", "notifier", "status", "attempts",
        "next try (UTC)", "last error",
    ):  # fmt: skip
        table.add_column(column)
    for status in statuses:
        next_try = status.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if status.next_attempt_at else ""
        table.add_row(
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
