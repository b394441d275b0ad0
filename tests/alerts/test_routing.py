"""Routing: first matching route wins (or continues), default route = every enabled notifier."""

from __future__ import annotations

import pytest

from alerts.dispatch.engine import detect_brand
from alerts.dispatch.routing import receivers_for
from listener.config import ConfigError, RouteConfig
from listener.storage.repository import Store
from tests.conftest import utc
from tests.alerts.test_engine import BASELINE, WINDOW, add_counts, policy

START = utc(2026, 11, 2)
SPIKE = START + len(BASELINE) * WINDOW
ENABLED = ["console", "oncall-email", "team-slack"]
BY_SEVERITY = [
    {"severities": ["critical"], "receivers": ["oncall-email"]},
    {"severities": ["warning"], "receivers": ["team-slack"]},
]


def routes(*entries: dict) -> list[RouteConfig]:
    return [RouteConfig(**entry) for entry in entries]


def test_no_routes_sends_to_every_enabled_notifier() -> None:
    assert receivers_for([], "Acme", "warning", "r", "negative_volume", ENABLED) == tuple(ENABLED)


def test_first_matching_route_wins() -> None:
    table = routes(*BY_SEVERITY, {"receivers": ["console"]})
    assert receivers_for(table, "Acme", "critical", "r", "negative_volume", ENABLED) == ("oncall-email",)
    assert receivers_for(table, "Acme", "warning", "r", "negative_volume", ENABLED) == ("team-slack",)


def test_continue_matching_adds_later_routes() -> None:
    table = routes(
        {"brands": ["Acme"], "receivers": ["team-slack"], "continue_matching": True},
        {"severities": ["critical"], "receivers": ["oncall-email", "team-slack"]},
        {"receivers": ["console"]},
    )
    assert receivers_for(table, "Acme", "critical", "r", "volume", ENABLED) == ("team-slack", "oncall-email")
    assert receivers_for(table, "Acme", "warning", "r", "volume", ENABLED) == ("team-slack", "console")
    assert receivers_for(table, "Globex", "warning", "r", "volume", ENABLED) == ("console",)


def test_unmatched_alert_takes_the_default_route_and_rule_metric_match() -> None:
    table = routes({"rules": ["share"], "metrics": ["negative_share"], "receivers": ["team-slack"]})
    assert receivers_for(table, "Acme", "warning", "share", "negative_share", ENABLED) == ("team-slack",)
    assert receivers_for(table, "Acme", "warning", "share", "volume", ENABLED) == tuple(ENABLED)


def test_receiver_not_enabled_is_skipped_and_empty_receivers_send_nothing() -> None:
    table = routes({"brands": ["Globex"], "receivers": []}, {"receivers": ["oncall-email", "console"]})
    assert receivers_for(table, "Acme", "warning", "r", "volume", ["console"]) == ("console",)
    assert receivers_for(table, "Globex", "warning", "r", "volume", ENABLED) == ()


def test_unknown_receiver_is_a_config_error_naming_the_route(make_config) -> None:
    with pytest.raises(ConfigError) as error:
        make_config(notifiers=[{"name": "console", "type": "console"}], routes=[{"receivers": ["ops"]}])
    assert "routes[0].receivers: receiver 'ops' is not defined (known: console)" in str(error.value)
    with pytest.raises(ConfigError, match=r"routes\[0\].rules: rule 'nope' is not defined \(known: negative_spike\)"):
        make_config(routes=[{"rules": ["nope"]}])


def test_critical_goes_to_one_receiver_and_warning_to_another(store: Store) -> None:
    routed = policy(rules=[{"name": "negatives", "critical_ratio": 10}], routes=BY_SEVERITY)
    add_counts(store, "Acme", START, BASELINE + [30])  # 20x the usual: critical
    add_counts(store, "Globex", START, BASELINE + [10], tag="g")  # 6-7x: warning
    now = SPIKE + WINDOW + WINDOW / 3
    for brand in ("Acme", "Globex"):
        detect_brand(store, brand, routed, now, ENABLED)
    sent = sorted((d.alert.brand, d.alert.severity, d.notifier) for d in store.due_deliveries(utc(2100, 1, 1)))
    assert sent == [("Acme", "critical", "oncall-email"), ("Globex", "warning", "team-slack")]


def test_escalation_and_resolution_follow_the_receivers(store: Store) -> None:
    routed = policy(
        rules=[{"name": "negatives", "critical_ratio": 10}],
        routes=BY_SEVERITY,
        alerting={"send_resolved": True, "resolve_after": "30m"},
    )
    add_counts(store, "Acme", START, BASELINE + [10, 30] + [1, 2] * 3)
    detect_brand(store, "Acme", routed, SPIKE + 8 * WINDOW + WINDOW / 3, ENABLED)
    sent = [(d.alert.kind, d.alert.severity, d.notifier) for d in store.due_deliveries(utc(2100, 1, 1))]
    # The warning goes to Slack, the escalation to email, and both hear that it is resolved.
    assert sent == [
        ("firing", "warning", "team-slack"),
        ("escalation", "critical", "oncall-email"),
        ("resolved", "critical", "team-slack"),
        ("resolved", "critical", "oncall-email"),
    ]


def test_cli_route_test_explains_the_match(tmp_path) -> None:
    from click.testing import CliRunner

    from listener.cli.main import main

    config = tmp_path / "listener.toml"
    config.write_text(
        """
[[brands]]
name = "Acme"
keywords = ["acme"]

[[sources]]
name = "demo"
type = "demo"

[[notifiers]]
name = "team-slack"
type = "console"

[[notifiers]]
name = "oncall-email"
type = "console"

[[routes]]
severities = ["critical"]
receivers = ["oncall-email"]
continue_matching = true

[[routes]]
receivers = ["team-slack"]
""",
        encoding="utf-8",
    )
    run = CliRunner().invoke(main, ["alerts", "route-test", "--config", str(config), "--brand", "Acme"])
    assert run.exit_code == 0, run.output
    assert run.output.splitlines() == [
        "routes[0] matches (continue_matching): oncall-email",
        "routes[1] matches: team-slack",
        "receivers: oncall-email, team-slack",
    ]
    warning = CliRunner().invoke(main, ["alerts", "route-test", "--config", str(config), "--brand", "Acme", "--severity", "warning"])
    assert warning.output.splitlines()[-1] == "receivers: team-slack"
    unknown = CliRunner().invoke(main, ["alerts", "route-test", "--config", str(config), "--brand", "Acme", "--rule", "x"])
    assert unknown.exit_code == 2 and "rule 'x' is not in the config (known: negative_spike)" in unknown.output


def test_cli_route_test_lists_only_enabled_receivers_and_says_why_others_are_skipped(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from listener.cli.main import main

    monkeypatch.delenv("UX_TEST_SLACK_URL", raising=False)
    config = tmp_path / "listener.toml"
    config.write_text(
        """
[[brands]]
name = "Acme"
keywords = ["acme"]

[[sources]]
name = "demo"
type = "demo"

[[notifiers]]
name = "console"
type = "console"

[[notifiers]]
name = "team-slack"
type = "slack"
webhook_url = "${UX_TEST_SLACK_URL}"

[[notifiers]]
name = "muted"
type = "console"
enabled = false
""",
        encoding="utf-8",
    )
    run = CliRunner().invoke(main, ["alerts", "route-test", "--config", str(config), "--brand", "Acme"])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert lines[0] == "no route matches: default route, every enabled notifier (console)"
    assert "receivers: console" in lines
    assert "skipped team-slack: set UX_TEST_SLACK_URL to enable it (the Slack incoming-webhook URL)" in lines
    assert "skipped muted: disabled in config (enabled = false)" in lines
