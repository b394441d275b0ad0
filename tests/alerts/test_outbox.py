"""The persistent outbox: every (alert, notifier) delivered once, retried with backoff, or dead-lettered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerts.notify.notifiers import PermanentError, RetryableError
from alerts.notify.outbox import backoff, deliver_due
from listener.core.clock import SystemClock
from listener.core.clock import utcnow
from listener.config import DeliveryConfig
from listener.core.records import Alert
from listener.storage.repository import Store
from listener.core.records import DetectorState
from tests.conftest import record_alert, utc

POLICY = DeliveryConfig(max_attempts=4, initial_backoff=timedelta(seconds=5), max_backoff=timedelta(seconds=30))


@pytest.fixture
def now():
    """A little after the outbox rows are queued (queued rows are due at wall-clock time)."""
    return utcnow() + timedelta(minutes=5)


class ScriptedNotifier:
    """Fails with the scripted errors in order, then succeeds; records what it delivered, under
    which thread, and returns `ref-N` as the Nth message's reference."""

    def __init__(self, name: str, errors: list[Exception] | None = None):
        self.name = name
        self.errors = list(errors or [])
        self.delivered: list[str] = []
        self.threads: list[str | None] = []

    def send(self, alert: Alert, thread: str | None = None) -> str:
        if self.errors:
            raise self.errors.pop(0)
        self.delivered.append(alert.key)
        self.threads.append(thread)
        return f"ref-{len(self.delivered)}"


def queue_alert(store: Store, notifiers: list[str], minute: int = 0, **fields: Any) -> Alert:
    start = utc(2026, 11, 4, 10, minute)
    alert = Alert(
        "Acme", "negative_spike", start, start + timedelta(minutes=15), 30, 2.0, 0.7, "critical", 0.99999, **fields
    )
    stored = record_alert(store, "Acme", "negative_spike", DetectorState(start + timedelta(minutes=15), start), alert, notifiers)
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
    from alerts.notify.notifiers import NOTIFIERS, NotifierContext
    from tests.servers import recording_http_server

    with recording_http_server([(500, {}, "oops"), (503, {}, "busy"), (200, {}, "ok")]) as server:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{server.url}/services/T/B/secret")
        slack_type = NOTIFIERS.get("slack")
        settings = slack_type.settings_model.model_validate({"webhook_url": "${SLACK_WEBHOOK_URL}"})
        slack = slack_type.build(NotifierContext("team-slack", settings, SystemClock()))
        queue_alert(store, ["team-slack"])
        moment = now
        for _ in range(5):
            deliver_due(store, {"team-slack": slack}, POLICY, moment)
            moment += timedelta(minutes=1)
        assert len(server.requests) == 3
        assert server.requests[0].body == server.requests[2].body
    (status,) = store.delivery_statuses()
    assert (status.status, status.attempts) == ("delivered", 3)


INCIDENT = "Acme:negative_spike:2026-11-04T10:00:00+00:00"


def test_follow_ups_get_the_first_messages_reference_per_notifier(store: Store, now) -> None:
    slack, email = ScriptedNotifier("slack"), ScriptedNotifier("email")
    notifiers = {"slack": slack, "email": email}
    queue_alert(store, ["email", "slack"], 0, incident_key=INCIDENT)
    deliver_due(store, notifiers, POLICY, now)
    queue_alert(store, ["email", "slack"], 15, kind="repeat", incident_key=INCIDENT)
    queue_alert(store, ["slack"], 30, kind="resolved", incident_key=INCIDENT)
    queue_alert(store, ["slack"], 45, incident_key="another incident")
    deliver_due(store, notifiers, POLICY, now)

    assert email.threads == [None, "ref-1"]
    assert slack.threads == [None, "ref-1", "ref-1", None]
    references = {(status.notifier, status.kind): status.reference for status in store.delivery_statuses()}
    assert references[("slack", "firing")] == "ref-1" and references[("slack", "resolved")] == "ref-3"


def test_follow_up_whose_first_message_never_arrived_is_sent_unthreaded(store: Store, now) -> None:
    slack = ScriptedNotifier("slack", [PermanentError("HTTP 404")])
    queue_alert(store, ["slack"], 0, incident_key=INCIDENT)
    deliver_due(store, {"slack": slack}, POLICY, now)
    queue_alert(store, ["slack"], 15, kind="repeat", incident_key=INCIDENT)
    queue_alert(store, ["slack"], 30, kind="resolved", incident_key=INCIDENT)
    deliver_due(store, {"slack": slack}, POLICY, now)
    assert slack.threads == [None, "ref-1"]  # the repeat went out on its own and became the thread


def test_dead_letter_keeps_its_last_error_and_pending_shows_the_next_attempt(store: Store, now) -> None:
    queue_alert(store, ["slack"], 0)
    queue_alert(store, ["email"], 15)
    deliver_due(
        store,
        {"slack": ScriptedNotifier("slack", [PermanentError("HTTP 404: no_service")]),
         "email": ScriptedNotifier("email", [RetryableError("450 mailbox busy")])},
        POLICY,
        now,
    )
    by_notifier = {status.notifier: status for status in store.delivery_statuses()}
    dead, pending = by_notifier["slack"], by_notifier["email"]
    assert (dead.status, dead.last_error, dead.next_attempt_at) == ("dead", "permanent: HTTP 404: no_service", None)
    assert (pending.status, pending.last_error) == ("pending", "450 mailbox busy")
    assert pending.next_attempt_at == now + timedelta(seconds=5)


def test_bot_token_slack_threads_an_incident_through_the_outbox(store: Store, now, monkeypatch) -> None:
    """Firing, repeat and resolved through the real Slack notifier and a fake Slack Web API."""
    from alerts.notify.notifiers import NOTIFIERS, NotifierContext
    from tests.servers import fake_slack_api

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    for variable in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(variable, raising=False)
    with fake_slack_api("xoxb-test") as api:
        slack_type = NOTIFIERS.get("slack")
        settings = slack_type.settings_model.model_validate(
            {"token": "${SLACK_BOT_TOKEN}", "channel": "C0ALERTS", "api_url": api.url}
        )
        slack = {"team-slack": slack_type.build(NotifierContext("team-slack", settings, SystemClock()))}
        api.server.fail_next((503, {"Content-Type": "application/json"}, '{"ok": false}'))
        queue_alert(store, ["team-slack"], 0, incident_key=INCIDENT)
        deliver_due(store, slack, POLICY, now)  # 503: retried
        deliver_due(store, slack, POLICY, now + timedelta(seconds=5))
        queue_alert(store, ["team-slack"], 15, kind="repeat", incident_key=INCIDENT)
        queue_alert(store, ["team-slack"], 30, kind="resolved", incident_key=INCIDENT)
        deliver_due(store, slack, POLICY, now + timedelta(seconds=10))
    firing, repeat, resolved = api.messages
    assert "thread_ts" not in firing
    assert repeat["thread_ts"] == resolved["thread_ts"] == firing["ts"]
    assert [status.attempts for status in store.delivery_statuses()] == [1, 1, 2]


def test_alerts_list_status_dead_shows_only_dead_letters_with_their_error(tmp_path, now) -> None:
    from click.testing import CliRunner

    from listener.cli.main import main
    from listener.storage.database import create_db_engine, upgrade

    config = tmp_path / "listener.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "list.db"}"\n\n[[brands]]\nname = "Acme"\nkeywords = ["acme"]\n\n'
        '[[sources]]\nname = "demo"\ntype = "demo"\n'
    )
    store = Store(create_db_engine(f"sqlite:///{tmp_path / 'list.db'}"))
    upgrade(store.engine)
    queue_alert(store, ["slack", "email"], 0)
    deliver_due(
        store,
        {"slack": ScriptedNotifier("slack", [PermanentError("[channel_not_found] check the channel")]),
         "email": ScriptedNotifier("email")},
        POLICY,
        now,
    )
    result = CliRunner().invoke(main, ["alerts", "list", "--config", str(config), "--status", "dead"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "Acme" in line]
    assert len(rows) == 1
    assert "slack" in rows[0] and "dead" in rows[0] and "firing" in rows[0]
    assert "permanent: [channel_not_found] check the" in result.output  # brackets are text, not markup


def test_follow_up_waits_while_the_first_message_is_retried_then_threads(store: Store, now) -> None:
    slack = ScriptedNotifier("slack", [RetryableError("HTTP 503")])
    queue_alert(store, ["slack"], 0, incident_key=INCIDENT)
    assert deliver_due(store, {"slack": slack}, POLICY, now).retrying == 1
    queue_alert(store, ["slack"], 15, kind="resolved", incident_key=INCIDENT)
    assert deliver_due(store, {"slack": slack}, POLICY, now + timedelta(seconds=1)).held == 1
    assert slack.delivered == []
    deliver_due(store, {"slack": slack}, POLICY, now + timedelta(seconds=5))
    deliver_due(store, {"slack": slack}, POLICY, now + timedelta(seconds=6))
    assert slack.threads == [None, "ref-1"]
    assert {status.status for status in store.delivery_statuses()} == {"delivered"}
