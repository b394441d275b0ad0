"""The whole pipeline in-process on the demo data: demo source -> storage -> real model ->
detector -> outbox -> console, Slack (loopback HTTP) and email (loopback SMTP).

The demo's three days are stepped through with a manual clock; the one negative spike (the Acme
outage on 2026-11-04 from 10:00 UTC) must produce exactly one alert per notifier, and a restart
must neither lose nor repeat a delivery.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from classifiers import load_classifier
from listener.clock import ManualClock
from listener.config import ModelConfig
from listener.daemon import run_once
from listener.pipeline import Pipeline
from tests.conftest import utc
from tests.servers import recording_http_server, smtp_server

DEMO_START = utc(2026, 11, 2)
DEMO_END = utc(2026, 11, 5, 0, 30)
SPIKE_START = utc(2026, 11, 4, 10)


@pytest.fixture(scope="module")
def classifier():
    return load_classifier(ModelConfig())


def demo_config(make_config, database_url: str, alert_file: Path, smtp_port: int):
    return make_config(
        storage={"url": database_url},
        sources=[{"name": "demo", "type": "demo", "interval": "2s"}],
        notifiers=[
            {"name": "console", "type": "console", "path": str(alert_file)},
            {"name": "team-slack", "type": "slack", "webhook_url": "${SLACK_WEBHOOK_URL}"},
            {
                "name": "oncall-email", "type": "email", "host": "${SMTP_HOST}", "port": smtp_port,
                "security": "none", "sender": "listener@example.com", "recipients": ["oncall@example.com"],
            },
        ],
    )


def replay(pipeline: Pipeline, clock: ManualClock, until, step: timedelta) -> None:
    while clock.now() < until:
        clock.advance(step)
        run_once(pipeline)


def test_demo_spike_alerts_once_per_notifier_and_survives_restart(
    make_config, database_url, tmp_path, monkeypatch, classifier, capsys
) -> None:
    alert_file = tmp_path / "alerts.jsonl"
    with recording_http_server() as slack, smtp_server() as smtp:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{slack.url}/services/T000/B000/XXXX")
        monkeypatch.setenv("SMTP_HOST", smtp.host)
        config = demo_config(make_config, database_url, alert_file, smtp.port)

        clock = ManualClock(DEMO_START)
        pipeline = Pipeline(config, clock=clock, classifier=classifier)
        assert sorted(pipeline.notifiers) == ["console", "oncall-email", "team-slack"]
        replay(pipeline, clock, utc(2026, 11, 4, 9), timedelta(hours=3))
        assert pipeline.store.alerts() == []  # two quiet days and a quiet morning: no false alert

        # The daemon restarts mid-way; the new process resumes from the stored cursors.
        stored_before_restart = pipeline.store.count_mentions()
        pipeline.store.engine.dispose()
        pipeline = Pipeline(config, clock=clock, classifier=classifier)
        replay(pipeline, clock, DEMO_END, timedelta(minutes=30))

        alerts = pipeline.store.alerts()
        assert len(alerts) == 1
        alert = alerts[0]
        assert alert.brand == "Acme" and alert.severity == "critical"
        assert SPIKE_START <= alert.window_start <= SPIKE_START + timedelta(minutes=30)
        assert alert.observed >= 5 * max(alert.expected, 1)
        assert alert.top_mentions and all(m.sentiment.label == "negative" for m in alert.top_mentions)

        assert len(slack.requests) == 1
        slack_text = json.dumps(slack.requests[0].json())
        assert "Acme" in slack_text
        assert len(smtp.messages) == 1
        assert "Acme" in smtp.messages[0]["Subject"]
        lines = alert_file.read_text().splitlines()
        assert len(lines) == 1 and json.loads(lines[0])["brand"] == "Acme"
        assert "Acme" in capsys.readouterr().out

        # Every bundled mention of a configured brand was stored exactly once, and scored.
        total = pipeline.store.count_mentions()
        assert stored_before_restart < total
        assert pipeline.store.unscored(1) == []

        # Another restart after the end: nothing is collected, judged or delivered again.
        pipeline.store.engine.dispose()
        pipeline = Pipeline(config, clock=clock, classifier=classifier)
        clock.advance(timedelta(hours=1))
        run_once(pipeline)
        assert pipeline.store.count_mentions() == total
        assert len(pipeline.store.alerts()) == 1
        assert len(slack.requests) == 1 and len(smtp.messages) == 1
        assert len(alert_file.read_text().splitlines()) == 1
        assert {status.status for status in pipeline.store.delivery_statuses()} == {"delivered"}
