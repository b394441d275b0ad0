"""Deliver queued alerts: each (alert, notifier) pair once, with retries, backoff and dead letters.

Deliveries are rows written in the same transaction as the alert, so nothing is lost in a crash.
A row is marked delivered right after its notifier returns; the only window for a repeat is a
crash between those two steps, which is why the email notifier's Message-ID is derived from the
alert (receivers dedupe it).

Follow-ups thread: the reference a notifier returns for a message (Slack ts, Message-ID) is stored
under the alert's incident, and each later message of that incident to the same notifier is sent
with the first one's reference. A follow-up waits while an earlier message of its incident is
still being retried to that notifier, so it is not posted before (and outside) the thread.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from alerts.notify.notifiers import Notifier, PermanentError, RetryableError
from listener.config import DeliveryConfig
from listener.core.records import Delivery
from listener.core.redaction import redact
from listener.storage.repository import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    held: int = 0
    """Follow-ups waiting for an earlier message of their incident that is still being retried."""


def backoff(attempt: int, policy: DeliveryConfig, retry_after: float | None = None) -> timedelta:
    """Wait before retry number `attempt` (1-based): exponential, capped; a server's Retry-After wins."""
    if retry_after is not None:
        return timedelta(seconds=max(retry_after, 0.0))
    return min(policy.initial_backoff * (2 ** (attempt - 1)), policy.max_backoff)


DeliveryOutcome = Literal["delivered", "retrying", "dead", "held"]


def deliver_due(store: Store, notifiers: dict[str, Notifier], policy: DeliveryConfig, now: datetime) -> DeliveryReport:
    outcomes = Counter(deliver_one(store, notifiers, policy, now, delivery) for delivery in store.due_deliveries(now))
    return DeliveryReport(outcomes["delivered"], outcomes["retrying"], outcomes["dead"], outcomes["held"])


def deliver_one(
    store: Store, notifiers: dict[str, Notifier], policy: DeliveryConfig, now: datetime, delivery: Delivery
) -> DeliveryOutcome:
    """Send one due delivery and record the result; a cluster's worker calls this for each row it
    claimed (`listener.storage.cluster.claiming_store`), so that no other worker sends it too."""
    notifier = notifiers.get(delivery.notifier)
    attempt = delivery.attempts + 1
    label = f"alert {delivery.alert.key} -> {delivery.notifier}"
    if notifier is None:
        store.mark_failed(delivery.id, "notifier is no longer configured or enabled", None)
        log.error("%s: dead letter: notifier is no longer configured or enabled", label)
        return "dead"
    thread_key = delivery.alert.incident_key or delivery.alert.key
    if delivery.alert.incident_key is not None and store.earlier_message_pending(
        delivery.id, delivery.notifier, delivery.alert.incident_key
    ):
        return "held"  # wait for the incident's first message, so this one can thread under it
    try:
        reference = notifier.send(delivery.alert, store.thread_reference(delivery.notifier, thread_key))
    except PermanentError as error:
        store.mark_failed(delivery.id, redact(f"permanent: {error}"), None)
        log.error("%s: dead letter after attempt %d: %s", label, attempt, error)
        return "dead"
    except Exception as error:  # anything else may pass: retry, but never forever
        retry_after = error.retry_after if isinstance(error, RetryableError) else None
        if not isinstance(error, RetryableError):
            log.exception("%s: unexpected error", label)
        if attempt >= policy.max_attempts:
            store.mark_failed(delivery.id, redact(f"gave up after {attempt} attempts: {error}"), None)
            log.error("%s: dead letter after %d attempts: %s", label, attempt, error)
            return "dead"
        wait = backoff(attempt, policy, retry_after)
        store.mark_failed(delivery.id, redact(str(error)), now + wait)
        log.warning("%s: attempt %d failed (%s); retrying in %s", label, attempt, error, wait)
        return "retrying"
    store.mark_delivered(delivery.id, reference, thread_key)
    log.info("%s: delivered", label)
    return "delivered"
