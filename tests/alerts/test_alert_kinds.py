"""An incident's messages (firing, escalation, repeat, resolved) are told apart wherever alerts are
listed: a resolution must never read as a new critical alert (issue 17)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from listener.cli.main import main
from listener.core.records import Alert
from listener.storage.repository import Store
from listener.core.records import DetectorState
from listener.web import create_app
from tests.conftest import record_alert, utc
from tests.web_seed import API_TOKEN, ALERT_WINDOW, login, seed, web_settings

FIRING = Alert("Acme", "negative_volume", *ALERT_WINDOW, observed=2, expected=0.4, negative_share=0.66,
               severity="critical", score=0.99999)
ESCALATION = replace(FIRING, window_start=utc(2026, 11, 2, 9, 15), window_end=utc(2026, 11, 2, 9, 30), kind="escalation")
RESOLVED = replace(FIRING, window_start=utc(2026, 11, 2, 11, 0), window_end=utc(2026, 11, 2, 11, 15), observed=0,
                   negative_share=0.0, kind="resolved")
"""Resolved inside the charted mentions' range."""
RESOLVED_LATER = replace(RESOLVED, window_start=utc(2026, 11, 9, 0, 0), window_end=utc(2026, 11, 9, 0, 15))
"""Resolved days after the last mention: on the chart it would stretch the time axis over empty days."""


def record(store: Store, *alerts: Alert) -> None:
    for alert in alerts:
        record_alert(store, "Acme", alert.rule, DetectorState(alert.window_end, alert.window_end), alert, ["console"])


@pytest.fixture
def client(store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    seed(store)  # records FIRING (same key): stored once
    record(store, ESCALATION, RESOLVED, RESOLVED_LATER)
    with TestClient(create_app(make_config(web=web_settings()), store)) as test_client:
        login(test_client)
        yield test_client


def page_data(html: str) -> dict:
    island = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert island is not None
    return json.loads(island.group(1))


def test_api_alerts_carry_their_kind(client: TestClient) -> None:
    body = client.get("/api/v1/alerts", params={"brand": "Acme"}).json()
    assert [(alert["window_start"], alert["kind"]) for alert in body["alerts"]] == [
        ("2026-11-09T00:00:00Z", "resolved"),
        ("2026-11-02T11:00:00Z", "resolved"),
        ("2026-11-02T09:15:00Z", "escalation"),
        ("2026-11-02T09:00:00Z", "firing"),
    ]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["AlertOut"]
    assert "kind" in schema["required"]
    assert schema["properties"]["kind"]["enum"] == ["firing", "escalation", "repeat", "resolved"]


def test_dashboard_alerts_card_names_each_kind_and_a_resolution_is_not_critical(client: TestClient) -> None:
    html = client.get("/?brand=Acme").text
    card = html[html.index("<h2>Alerts</h2>"): html.index("Top authors by reach")]
    rows = re.findall(r'<tr class="([^"]*)">(.*?)</tr>', card, re.DOTALL)
    assert [row_class for row_class, _ in rows] == ["resolved", "resolved", "escalation critical", "firing critical"]
    cells = [re.findall(r"<td>(.*?)</td>", body, re.DOTALL) for _, body in rows]
    assert [row[1] for row in cells] == ["resolved", "resolved", "escalated to critical", "critical"]
    assert all("critical" not in cell for cell in cells[0])


def test_chart_draws_only_firing_and_escalation_as_spikes_and_resolutions_inside_its_range(client: TestClient) -> None:
    data = page_data(client.get("/?brand=Acme").text)
    assert "alerts" not in data
    assert [(spike["window_start"], spike["kind"]) for spike in data["spikes"]] == [
        ("2026-11-02T09:15:00Z", "escalation"),
        ("2026-11-02T09:00:00Z", "firing"),
    ]
    assert [resolution["window_start"] for resolution in data["resolutions"]] == ["2026-11-02T11:00:00Z"]


def test_cli_alerts_list_names_the_kind_and_a_resolution_is_not_a_critical_alert(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    record(store, FIRING, RESOLVED)
    config = tmp_path / "listener.toml"
    config.write_text(
        f'[storage]\nurl = "{database_url}"\n[[brands]]\nname = "Acme"\nkeywords = ["acme"]\n'
        '[[sources]]\nname = "demo"\ntype = "demo"\n'
    )
    run = CliRunner().invoke(main, ["alerts", "list", "--config", str(config)], env={"COLUMNS": "200"})
    assert run.exit_code == 0, run.output
    rows = [line for line in run.output.splitlines() if "Acme" in line]
    assert len(rows) == 2
    resolved, firing = rows
    assert "resolved" in resolved and "critical" not in resolved
    assert "firing" in firing and "critical" in firing


def test_digest_lists_a_resolution_as_resolved_not_as_a_critical_alert(store: Store) -> None:
    from listener.app.digests.render import _alert_line
    from listener.storage.digests import DigestStore

    record(store, FIRING, ESCALATION, RESOLVED)
    listed = DigestStore(store.engine).alerts_between("Acme", FIRING.window_start, RESOLVED.window_end)
    lines = [_alert_line(alert, None) for alert in listed]
    assert [line.split(" · ")[1] for line in lines] == ["critical", "escalated to critical", "resolved"]
