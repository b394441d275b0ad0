"""Incidents: one message per incident, repeats, escalation, resolution, and restarts.

Each test stores a calm day of Acme mentions (BASELINE), then a spike, and runs the engine's
detection passes over it on SQLite and, when configured, PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import timedelta

from alerts.backtest import CountRow, backtest, grouping_settings, replay, rule_settings
from alerts.dispatch.engine import SUPERSEDED, detect_brand, policy_from_config
from alerts.detect.incidents import Message
from listener.config import parse_config
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from tests.conftest import BASE_CONFIG, merge, utc
from tests.alerts.test_engine import BASELINE, WINDOW, add_counts, policy, run

PINNED = {"false_alarms": "1/year", "baseline": timedelta(days=1), "seasonal": False}
"""As tests.alerts.test_engine.PINNED_DETECTION: the detector's sensitivity is not under test here."""

START = utc(2026, 11, 2)
SPIKE = START + len(BASELINE) * WINDOW


def deliveries(store: Store) -> list[tuple[str, str]]:
    """(alert kind, notifier) of every queued delivery, oldest first."""
    return [(delivery.alert.kind, delivery.notifier) for delivery in store.due_deliveries(utc(2100, 1, 1), limit=1000)]


def test_two_rules_firing_together_send_one_message(store: Store) -> None:
    rules = policy(rules=[{"name": "negatives", "metric": "negative_volume"}, {"name": "volume", "metric": "volume"}])
    add_counts(store, "Acme", START, BASELINE + [20, 20, 1, 2])
    summary = run(store, rules, SPIKE + 4 * WINDOW)
    assert [(alert.kind, alert.rule) for alert in summary.alerts] == [("firing", "negatives")]
    # Both rules fired, in both spike windows: still one incident, one message.
    for rule in ("negatives", "volume"):
        assert store.detector_state("Acme", rule).incident_last_anomalous == SPIKE + WINDOW
    (incident,) = store.incidents("Acme")
    assert incident.status == "open" and incident.receivers == ("console",)
    assert summary.alerts[0].incident_key == incident.key
    assert deliveries(store) == [("firing", "console")]


def test_repeat_after_repeat_interval_with_current_numbers(store: Store) -> None:
    repeating = policy(alerting={"repeat_interval": "30m"})
    add_counts(store, "Acme", START, BASELINE + [20, 25, 30])
    summary = run(store, repeating, SPIKE + 3 * WINDOW)
    assert [(alert.kind, alert.window_start, alert.observed) for alert in summary.alerts] == [
        ("firing", SPIKE, 20),
        ("repeat", SPIKE + 2 * WINDOW, 30),  # 30 minutes after the first message's window closed
    ]
    assert len({alert.incident_key for alert in summary.alerts}) == 1


def test_escalation_to_critical_is_sent_at_once(store: Store) -> None:
    escalating = policy(rules=[{"name": "negatives", "critical_ratio": 10}])
    add_counts(store, "Acme", START, BASELINE + [10, 30])
    summary = run(store, escalating, SPIKE + 2 * WINDOW)
    assert [(alert.kind, alert.severity) for alert in summary.alerts] == [("firing", "warning"), ("escalation", "critical")]
    assert store.incidents("Acme")[0].severity == "critical"


def test_resolved_after_resolve_after_without_a_firing_window(store: Store) -> None:
    resolving = policy(alerting={"send_resolved": True, "resolve_after": "1h"})
    add_counts(store, "Acme", START, BASELINE + [20, 20] + [1, 2] * 4)
    # The last firing window starts at SPIKE+15m; an hour later (SPIKE+75m) is not yet judged.
    assert [a.kind for a in run(store, resolving, SPIKE + 5 * WINDOW).alerts] == ["firing"]
    summary = run(store, resolving, SPIKE + 6 * WINDOW)
    (resolved,) = summary.alerts
    assert resolved.kind == "resolved" and resolved.window_start == SPIKE + 5 * WINDOW
    assert resolved.observed < 5 and resolved.severity == "critical"
    (incident,) = store.incidents("Acme")
    assert incident.status == "resolved" and resolved.incident_key == incident.key
    assert deliveries(store) == [("firing", "console"), ("resolved", "console")]


def test_resolution_is_dated_to_its_first_quiet_window_however_passes_are_batched(store: Store, tmp_path) -> None:
    """Ten quiet hours follow the spike, as after a backlog or a restart: judged in one catch-up
    pass or in many small ones, the incident resolves at last_firing + resolve_after, with that
    window's numbers, not at the latest window the pass judged."""
    resolving = policy(alerting={"send_resolved": True, "resolve_after": "1h"})
    counts = BASELINE + [20, 20] + [1, 2] * 20
    one_pass = Store(create_db_engine(f"sqlite:///{tmp_path / 'one-pass.db'}"))
    upgrade(one_pass.engine)
    for target in (store, one_pass):
        add_counts(target, "Acme", START, counts)
    end = START + len(counts) * WINDOW
    run(one_pass, resolving, end)
    for passes_end in range(len(BASELINE) + 1, len(counts) + 1, 3):
        run(store, resolving, START + passes_end * WINDOW)
    run(store, resolving, end)

    def resolution(target: Store) -> tuple:
        (alert,) = [alert for alert in target.alerts("Acme") if alert.kind == "resolved"]
        (incident,) = target.incidents("Acme")
        return alert.window_start, alert.window_end, alert.observed, incident.resolved_at

    quiet = SPIKE + WINDOW + timedelta(hours=1)  # the last firing window starts at SPIKE + 15m
    assert resolution(one_pass) == resolution(store) == (quiet, quiet + WINDOW, counts[len(BASELINE) + 5], quiet)
    one_pass.engine.dispose()


def test_without_send_resolved_the_incident_closes_silently(store: Store) -> None:
    add_counts(store, "Acme", START, BASELINE + [20, 20] + [1, 2] * 10)
    silent = policy(alerting={"send_resolved": False, "resolve_after": "1h"})
    summary = run(store, silent, SPIKE + 12 * WINDOW)
    assert [alert.kind for alert in summary.alerts] == ["firing"]
    assert store.incidents("Acme")[0].status == "resolved"


def test_a_new_spike_after_resolution_is_a_new_incident(store: Store) -> None:
    resolving = policy(alerting={"send_resolved": True, "resolve_after": "1h"})
    add_counts(store, "Acme", START, BASELINE + [20] + [1, 2] * 4 + [1, 40])
    summary = run(store, resolving, SPIKE + 11 * WINDOW)
    assert [alert.kind for alert in summary.alerts] == ["firing", "resolved", "firing"]
    first, resolved, second = summary.alerts
    assert first.incident_key == resolved.incident_key != second.incident_key
    assert [incident.status for incident in store.incidents("Acme")] == ["open", "resolved"]


def test_restart_mid_incident_neither_repeats_nor_loses_messages(database_url: str) -> None:
    repeating = policy(alerting={"repeat_interval": "30m", "send_resolved": True, "resolve_after": "1h"})
    first = Store(create_db_engine(database_url))
    upgrade(first.engine)
    add_counts(first, "Acme", START, BASELINE + [20, 25, 30] + [1, 2] * 4)
    assert [a.kind for a in run(first, repeating, SPIKE + WINDOW).alerts] == ["firing"]
    assert run(first, repeating, SPIKE + WINDOW).alerts == []  # the same pass again: nothing new
    first.engine.dispose()

    second = Store(create_db_engine(database_url))  # a new process on the same database
    upgrade(second.engine)
    assert [a.kind for a in run(second, repeating, SPIKE + 2 * WINDOW).alerts] == []
    assert [a.kind for a in run(second, repeating, SPIKE + 3 * WINDOW).alerts] == ["repeat"]
    assert [a.kind for a in run(second, repeating, SPIKE + 11 * WINDOW).alerts] == ["resolved"]
    assert deliveries(second) == [("firing", "console"), ("repeat", "console"), ("resolved", "console")]
    assert len({alert.incident_key for alert in second.alerts("Acme")}) == 1
    second.engine.dispose()


def replayed_history() -> list[int]:
    """A calm day; spikes at random gaps; the rest of that day and a whole day calm again (so the
    detector sees a calm baseline); then a spike that escalates from warning to critical and keeps
    rising past `repeat_interval`."""
    rng = random.Random(5)
    counts = list(BASELINE)
    for _ in range(5):
        counts += [rng.choice([1, 2, 3]) for _ in range(rng.randint(2, 14))] + [rng.randint(15, 40)]
    counts += [1] * (-len(counts) % len(BASELINE))
    return counts + BASELINE + [10, 50, 100, 200] + [1, 2] * 10


def message_view(message: Message) -> tuple:
    """(kind, window start, window end, observed, severity) of a replayed message, as the daemon
    stores it (`alerts.dispatch.engine._Dispatcher._alert`)."""
    firing = message.firing
    assert firing is not None, message
    severity = (firing.detection.severity if message.kind != "resolved" else None) or message.incident.severity
    return (message.kind, firing.start, firing.end, firing.detection.observed, severity)


def test_backtest_sends_exactly_the_daemons_messages(store: Store) -> None:
    """One stored history, through the daemon (passes of uneven size, as it runs them) and through
    `listener backtest` over the same per-window counts, with the same config: the same firing,
    repeat, escalation and resolved messages, for the same windows."""
    config = parse_config(
        merge(
            BASE_CONFIG,
            {
                "notifiers": [{"name": "console", "type": "console"}],
                "detection": {**PINNED, "critical_ratio": 20},
                "alerting": {"resolve_after": "1h", "repeat_interval": "30m", "send_resolved": True},
            },
        ),
        "test.toml",
    )
    counts = replayed_history()
    add_counts(store, "Acme", START, counts)
    rng = random.Random(7)
    end = len(BASELINE)
    while end < len(counts):
        end = min(len(counts), end + rng.randint(1, 20))
        run(store, policy_from_config(config), START + end * WINDOW)
    daemon = [
        (alert.kind, alert.window_start, alert.window_end, alert.observed, alert.severity)
        for alert in store.alerts("Acme", limit=1000)
    ]

    points = [CountRow((START + index * WINDOW).isoformat(), count) for index, count in enumerate(counts)]
    replayed = [
        message_view(message)
        for window in replay(points, rule_settings(config, None), grouping_settings(config))
        for message in window.messages
    ]
    kinds = [view[0] for view in replayed]
    assert kinds.count("firing") >= 3 and kinds.count("resolved") >= 3
    assert kinds.count("escalation") >= 1 and kinds.count("repeat") >= 1
    assert sorted(daemon, key=lambda view: view[:2]) == sorted(replayed, key=lambda view: view[:2])
    rows = list(backtest(points, rule_settings(config, None), grouping_settings(config)))
    assert [START + index * WINDOW for index, row in enumerate(rows) if row.alert] == [
        view[1] for view in replayed if view[0] in ("firing", "escalation")
    ]


def test_incidents_are_per_brand(store: Store) -> None:
    add_counts(store, "Acme", START, BASELINE + [20])
    add_counts(store, "Globex", START, BASELINE + [20], tag="g")
    now = SPIKE + WINDOW + timedelta(minutes=5)
    alerts = [detect_brand(store, brand, policy(), now, ["console"]).alerts for brand in ("Acme", "Globex")]
    assert [[alert.kind for alert in brand_alerts] for brand_alerts in alerts] == [["firing"], ["firing"]]
    assert alerts[0][0].incident_key != alerts[1][0].incident_key


def test_rules_firing_in_one_window_open_the_incident_at_the_highest_severity(store: Store) -> None:
    rules = policy(rules=[{"name": "lenient", "critical_ratio": 50}, {"name": "strict", "critical_ratio": 5}])
    add_counts(store, "Acme", START, BASELINE + [20])
    (alert,) = run(store, rules, SPIKE + WINDOW).alerts
    assert (alert.kind, alert.rule, alert.severity) == ("firing", "strict", "critical")


def test_a_first_pass_over_old_mentions_records_their_incidents_without_paging(store: Store) -> None:
    """Mentions imported from an export, or a first poll's backfill, can reach back days. The
    brand's first pass records the incidents of windows that ended a cooldown (a day) or more
    before it, delivering none, and pages about the recent ones; a later pass delivers everything,
    however old, so a restart after a long stop loses nothing."""
    old_spike, recent_spike = SPIKE, SPIKE + 2 * WINDOW + 2 * len(BASELINE) * WINDOW
    add_counts(store, "Acme", START, BASELINE + [20, 20] + BASELINE * 2 + [20, 20] + [1, 2] * 4)
    first = run(store, policy(), recent_spike + 10 * WINDOW)
    firings = sorted((alert.window_start, alert.kind) for alert in first.alerts if alert.kind == "firing")
    assert firings == [(old_spike, "firing"), (recent_spike, "firing")]  # both recorded
    assert deliveries(store) == [("firing", "console")]
    (delivered,) = store.due_deliveries(utc(2100, 1, 1))
    assert delivered.alert.window_start == recent_spike
    held = {alert.window_start: why for alert, why in store.suppressed_alerts()}
    assert held[old_spike] == "history: the window ended 24 h or more before the brand was first judged"
    # The daemon stops for three days; a new spike came in the middle. Judged two days late, but
    # not in the brand's first pass: delivered.
    stopped = recent_spike + 10 * WINDOW
    calm = [1, 2] * 8 + BASELINE
    add_counts(store, "Acme", stopped, calm + [20, 20] + BASELINE * 2, tag="after-the-stop")
    run(store, policy(), stopped + (len(calm) + 2 + 2 * len(BASELINE)) * WINDOW)
    late = [d.alert.window_start for d in store.due_deliveries(utc(2100, 1, 1), limit=1000) if d.alert.kind == "firing"]
    assert late == [recent_spike, stopped + len(calm) * WINDOW]


def test_a_pass_over_hours_of_windows_delivers_only_the_latest_repeat(store: Store) -> None:
    """Back after a stop, one pass judges an incident's hour and a half: it passes
    `repeat_interval` twice. Both repeats are recorded; staff get the last, with the current numbers."""
    repeating = policy(alerting={"repeat_interval": "30m"})
    add_counts(store, "Acme", START, BASELINE + [1, 2])
    run(store, repeating, SPIKE)  # the daemon was watching before the spike
    add_counts(store, "Acme", SPIKE + 2 * WINDOW, [20, 22, 24, 26, 28, 2], tag="spike")
    summary = run(store, repeating, SPIKE + 8 * WINDOW)
    assert [(alert.kind, alert.observed) for alert in summary.alerts] == [("firing", 20), ("repeat", 24), ("repeat", 28)]
    assert deliveries(store) == [("firing", "console"), ("repeat", "console")]
    (_, latest) = store.due_deliveries(utc(2100, 1, 1))
    assert latest.alert.observed == 28
    assert [(alert.observed, why) for alert, why in store.suppressed_alerts()] == [(24, SUPERSEDED)]
