"""The persistent outbox: every (alert, notifier) delivered once, retried with backoff, or dead-lettered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.notifiers import PermanentError, RetryableError
from alerts.outbox import backoff, deliver_due
from listener.clock import utcnow
from listener.config import DeliveryConfig
from listener.models import Alert
from listener.storage.repository import DetectorState, Store
from tests.conftest import utc

POLICY = DeliveryConfig(max_attempts=4, initial_backoff=timedelta(seconds=5), max_backoff=timedelta(seconds=30))


@pytest.fixture
def now():
    """A little after the outbox rows are queued (queued rows are due at wall-clock time)."""
    return utcnow() + timedelta(minutes=5)


class ScriptedNotifier:
    """Fails with the scripted errors in order, then succeeds; records what it delivered."""

    def __init__(self, name: str, errors: list[Exception] | None = None):
        self.name = name
        self.errors = list(errors or [])
        self.delivered: list[str] = []

    def send(self, alert: Alert) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append(alert.key)


def queue_alert(store: Store, notifiers: list[str], minute: int = 0) -> Alert:
    start = utc(2026, 11, 4, 10, minute)
    alert = Alert("Acme", "negative_spike", start, start + timedelta(minutes=15), 30, 2.0, 0.7, "critical", 0.99999)
    stored = store.record_evaluation("Acme", "negative_spike", DetectorState(start + timedelta(minutes=15), start), alert, notifiers)
    assert stored is not None
    return stored


def test_fails_twice_then_delivers_exactly_once(store: Store, now) -> None:
    notifier = ScriptedNotifier("slack", [RetryableError("HTTP 500"), RetryableError("HTTP 502")])
    alert = queue_alert(store, ["slack"])
    moment = now
    reports = []
    for _ in range(6):
        reports.append(deliver_due(store, {"slack": notifier}, POLICY, moment))
        moment += timedelta(seconds=60)
    assert notifier.delivered == [alert.key]
    assert [r.delivered for r in reports] == [0, 0, 1, 0, 0, 0]
    (status,) = store.delivery_statuses()
    assert (status.status, status.attempts, status.last_error) == ("delivered", 3, None)


def test_retry_waits_for_backoff(store: Store, now) -> None:
    notifier = ScriptedNotifier("slack", [RetryableError("HTTP 503")])
    queue_alert(store, ["slack"])
    deliver_due(store, {"slack": notifier}, POLICY, now)
    assert deliver_due(store, {"slack": notifier}, POLICY, now + timedelta(seconds=4)).delivered == 0
    assert deliver_due(store, {"slack": notifier}, POLICY, now + timedelta(seconds=5)).delivered == 1


def test_retry_after_from_the_server_wins(store: Store, now) -> None:
    notifier = ScriptedNotifier("slack", [RetryableError("HTTP 429", retry_after=90)])
    queue_alert(store, ["slack"])
    deliver_due(store, {"slack": notifier}, POLICY, now)
    assert deliver_due(store, {"slack": notifier}, POLICY, now + timedelta(seconds=89)).delivered == 0
    assert deliver_due(store, {"slack": notifier}, POLICY, now + timedelta(seconds=90)).delivered == 1


def test_permanent_error_dead_letters_at_once(store: Store, now) -> None:
    notifier = ScriptedNotifier("slack", [PermanentError("HTTP 404: no such webhook")])
    queue_alert(store, ["slack"])
    report = deliver_due(store, {"slack": notifier}, POLICY, now)
    assert report.dead == 1
    assert deliver_due(store, {"slack": notifier}, POLICY, now + timedelta(days=1)).delivered == 0
    (status,) = store.delivery_statuses()
    assert status.status == "dead" and "404" in (status.last_error or "")


def test_gives_up_after_max_attempts(store: Store, now) -> None:
    notifier = ScriptedNotifier("slack", [RetryableError(f"HTTP 500 #{i}") for i in range(10)])
    queue_alert(store, ["slack"])
    moment = now
    for _ in range(8):
        deliver_due(store, {"slack": notifier}, POLICY, moment)
        moment += timedelta(minutes=5)
    (status,) = store.delivery_statuses()
    assert (status.status, status.attempts) == ("dead", POLICY.max_attempts)
    assert notifier.delivered == []


def test_one_failing_notifier_does_not_hold_back_another(store: Store, now) -> None:
    slack = ScriptedNotifier("slack", [RetryableError("HTTP 500")] * 2)
    email = ScriptedNotifier("email")
    alert = queue_alert(store, ["email", "slack"])
    deliver_due(store, {"slack": slack, "email": email}, POLICY, now)
    assert email.delivered == [alert.key] and slack.delivered == []


def test_restart_does_not_resend_delivered_alerts(database_url: str, now) -> None:
    from listener.storage.database import create_db_engine, upgrade

    first = Store(create_db_engine(database_url))
    upgrade(first.engine)
    notifier = ScriptedNotifier("console")
    queue_alert(first, ["console"])
    deliver_due(first, {"console": notifier}, POLICY, now)
    first.engine.dispose()
    second = Store(create_db_engine(database_url))
    again = ScriptedNotifier("console")
    assert deliver_due(second, {"console": again}, POLICY, now + timedelta(hours=1)).delivered == 0
    assert again.delivered == [] and len(notifier.delivered) == 1


def test_removed_notifier_is_dead_lettered_not_lost_silently(store: Store, now) -> None:
    queue_alert(store, ["old-pager"])
    assert deliver_due(store, {}, POLICY, now).dead == 1
    (status,) = store.delivery_statuses()
    assert "no longer configured" in (status.last_error or "")


@pytest.mark.parametrize(("attempt", "seconds"), [(1, 5), (2, 10), (3, 20), (4, 30), (9, 30)])
def test_backoff_doubles_and_caps(attempt: int, seconds: int) -> None:
    assert backoff(attempt, POLICY) == timedelta(seconds=seconds)


def test_slack_failing_twice_then_ok_posts_exactly_once_over_http(store: Store, now, monkeypatch) -> None:
    """The same guarantee end to end with the real Slack notifier and a real HTTP server."""
    from alerts.notifiers import NOTIFIERS, NotifierContext
    from tests.servers import recording_http_server

    with recording_http_server([(500, {}, "oops"), (503, {}, "busy"), (200, {}, "ok")]) as server:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{server.url}/services/T/B/secret")
        slack_type = NOTIFIERS.get("slack")
        settings = slack_type.settings_model.model_validate({"webhook_url": "${SLACK_WEBHOOK_URL}"})
        slack = slack_type.build(NotifierContext("team-slack", settings))
        queue_alert(store, ["team-slack"])
        moment = now
        for _ in range(5):
            deliver_due(store, {"team-slack": slack}, POLICY, moment)
            moment += timedelta(minutes=1)
        assert len(server.requests) == 3
        assert server.requests[0].body == server.requests[2].body
    (status,) = store.delivery_statuses()
    assert (status.status, status.attempts) == ("delivered", 3)
