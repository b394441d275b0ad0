"""The JSON API and its exports, through real HTTP requests to the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from listener.cli.main import main
from listener.core.records import Alert, QueuedMessage
from listener.storage.repository import Store
from listener.web import create_app
from tests.conftest import utc
from tests.web_seed import API_TOKEN, Seed, add_mentions, seed, web_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def client(store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    seed(store)
    app = create_app(make_config(web=web_settings()), store)
    with TestClient(app, headers=AUTH) as test_client:
        yield test_client


def test_brands_lists_the_configured_brands(client: TestClient) -> None:
    response = client.get("/api/v1/brands")
    assert response.status_code == 200
    assert [brand["name"] for brand in response.json()] == ["Acme", "Globex"]
    assert response.json()[0]["keywords"] == ["acme", "acmecloud"]


def test_series_by_day_with_filters(client: TestClient) -> None:
    body = client.get("/api/v1/series", params={"brand": "Acme", "bucket": "day"}).json()
    assert body["bucket"] == "day"
    assert [(p["bucket_start"], p["mentions"], p["negative"], p["net_sentiment"]) for p in body["series"]] == [
        ("2026-11-02T00:00:00Z", 5, 2, 0.0),
        ("2026-11-03T00:00:00Z", 2, 2, -100.0),
    ]
    filtered = client.get(
        "/api/v1/series",
        params=[("brand", "Acme"), ("bucket", "day"), ("source", "reddit"), ("source", "demo"), ("sentiment", "negative"), ("language", "en")],
    ).json()
    assert [p["mentions"] for p in filtered["series"]] == [1, 2]


def test_series_matches_listener_history_for_the_same_filters(client: TestClient, database_url: str, tmp_path: Path) -> None:
    config = tmp_path / "listener.toml"
    config.write_text(
        f'[storage]\nurl = "{database_url}"\n[[brands]]\nname = "Acme"\nkeywords = ["acme"]\n'
        '[[sources]]\nname = "demo"\ntype = "demo"\n'
    )
    window = ["--since", "2026-11-02T09:30", "--until", "2026-11-03 12:59"]
    cli = CliRunner().invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--format", "json", *window])
    assert cli.exit_code == 0, cli.output
    api = client.get("/api/v1/series", params={"brand": "Acme", "since": "2026-11-02T09:30", "until": "2026-11-03T12:59"}).json()
    assert json.loads(cli.output) == api["series"]
    assert len(api["series"]) == 28


def test_mentions_paginate_with_a_cursor(client: TestClient) -> None:
    first = client.get("/api/v1/mentions", params={"brand": "Acme", "limit": 4}).json()
    assert len(first["mentions"]) == 4 and first["next_cursor"]
    second = client.get("/api/v1/mentions", params={"brand": "Acme", "limit": 4, "cursor": first["next_cursor"]}).json()
    assert len(second["mentions"]) == 3 and second["next_cursor"] is None
    assert client.get("/api/v1/mentions", params={"brand": "Acme", "limit": 4, "cursor": ""}).json() == first
    newest = first["mentions"][0]
    assert newest["created_at"] == "2026-11-03T13:00:00Z" and newest["brands"] == ["Acme", "Globex"]
    assert set(newest) >= {"author", "author_reach", "url", "language", "score", "sentiment", "text", "source"}


def test_mentions_filter_by_text_and_time(client: TestClient) -> None:
    body = client.get("/api/v1/mentions", params={"q": "outage", "since": "2026-11-03", "until": "2026-11-04"}).json()
    assert [m["text"] for m in body["mentions"]] == ["acme outage again? #outage"]


def test_alerts_endpoint(client: TestClient) -> None:
    body = client.get("/api/v1/alerts", params={"brand": "Acme"}).json()
    assert [(a["window_start"], a["severity"], a["observed"]) for a in body["alerts"]] == [("2026-11-02T09:00:00Z", "critical", 2)]
    assert client.get("/api/v1/alerts", params={"brand": "Globex"}).json() == {"alerts": []}


def test_an_alert_recorded_but_not_sent_says_why_in_the_api_and_on_the_dashboard(client: TestClient, store: Store) -> None:
    """A silenced (or history) message is on the record; whoever reads it must see it was not sent,
    and why. The reason is escaped: a silence's reason is typed by staff."""
    reason = 'silence #1 by kim until 2026-11-02 12:00 UTC: <script>alert("x")</script>'
    alert = Alert("Acme", "negative_volume", utc(2026, 11, 2, 10, 0), utc(2026, 11, 2, 10, 15), observed=3,
                  expected=0.5, negative_share=0.7, severity="warning", score=0.999)
    store.record_alerting("Acme", {}, [], [QueuedMessage(alert, (), reason)])
    body = client.get("/api/v1/alerts", params={"brand": "Acme"}).json()
    assert [(a["window_start"], a["not_sent"]) for a in body["alerts"]] == [
        ("2026-11-02T10:00:00Z", reason), ("2026-11-02T09:00:00Z", None)
    ]
    assert body["alerts"][0]["negative_share"] == 0.7
    page = client.get("/", params={"brand": "Acme", "since": "2026-11-02", "until": "2026-11-03"}).text
    assert page.count("(not sent)") == 1
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page


def test_summary_has_share_of_voice_periods_authors_and_terms(client: TestClient) -> None:
    body = client.get("/api/v1/summary", params={"brand": "Acme", "top": 2}).json()
    assert body["share_of_voice"] == {"Acme": 7, "Globex": 2}
    assert (body["this_week"]["mentions"], body["this_week"]["until"]) == (7, "2026-11-04T00:00:00Z")
    assert body["last_week"]["mentions"] == 0
    assert [a["author"] for a in body["top_authors_by_reach"]] == ["carol", "alice"]
    assert body["top_authors_by_negative"][0] == {"author": "carol", "reach": 5000, "mentions": 1, "negative": 1}
    assert body["top_terms"]["negative"]["hashtags"][0] == {"term": "#outage", "count": 3}
    assert "acme" not in {t["term"] for t in body["top_terms"]["negative"]["terms"]}


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/v1/series", {"brand": "Initech"}, "brand: brand 'Initech' is not in the config (known: Acme, Globex)"),
        ("/api/v1/series", {"bucket": "fortnight"}, "query parameter 'bucket'"),
        ("/api/v1/series", {"since": "yesterday"}, "query parameter 'since'"),
        ("/api/v1/series", {"since": "2026-11-03", "until": "2026-11-02"}, "must be before until"),
        ("/api/v1/series", {"since": "1970-01-01", "bucket": "hour"}, "choose a wider bucket or a shorter range"),
        ("/api/v1/mentions", {"sentiment": "angry"}, "sentiment: unknown label 'angry' (use negative, neutral, positive)"),
        ("/api/v1/mentions", {"limit": 0}, "query parameter 'limit'"),
        ("/api/v1/mentions", {"limit": 5000}, "query parameter 'limit'"),
        ("/api/v1/mentions", {"cursor": "garbage!"}, "invalid cursor"),
        ("/api/v1/mentions", {"q": "x" * 201}, "query parameter 'q'"),
        ("/api/v1/alerts", {"limit": -1}, "query parameter 'limit'"),
        ("/api/v1/summary", {"top": 1000}, "query parameter 'top'"),
        ("/api/v1/mentions.csv", {"brand": "Initech"}, "not in the config"),
        ("/api/v1/series.xlsx", {"bucket": "year"}, "query parameter 'bucket'"),
    ],
)
def test_bad_parameters_are_422_with_a_message(client: TestClient, path: str, params: dict, message: str) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_mentions_csv_export_neutralises_formulas(client: TestClient, store: Store) -> None:
    add_mentions(store, [Seed("f1", utc(2026, 11, 2, 12), "demo", "=cmd", 1, "en", '=HYPERLINK("http://x","acme")', "neutral", ("Acme",))])
    response = client.get("/api/v1/mentions.csv", params={"brand": "Acme", "sentiment": "neutral"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="mentions-Acme-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["text"] for row in rows] == ["'=HYPERLINK(\"http://x\",\"acme\")", "acme pricing page updated 100%"]
    assert rows[0]["author"] == "'=cmd"


def test_mentions_xlsx_export_keeps_text_as_text(client: TestClient, store: Store) -> None:
    add_mentions(store, [Seed("f2", utc(2026, 11, 2, 12), "demo", "x", 1, "en", "=1+1 acme", "neutral", ("Acme",))])
    response = client.get("/api/v1/mentions.xlsx", params={"brand": "Acme"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("created_at", "brands", "source") and len(rows) == 1 + 8
    formula_cell = next(cell for row in sheet.iter_rows() for cell in row if cell.value == "=1+1 acme")
    assert formula_cell.data_type == "s"


def test_series_exports_match_the_json(client: TestClient) -> None:
    params = {"brand": "Acme", "bucket": "day"}
    as_json = client.get("/api/v1/series", params=params).json()["series"]
    as_csv = list(csv.DictReader(io.StringIO(client.get("/api/v1/series.csv", params=params).text)))
    assert [(r["bucket_start"], int(r["mentions"])) for r in as_csv] == [(p["bucket_start"], p["mentions"]) for p in as_json]
    sheet = load_workbook(io.BytesIO(client.get("/api/v1/series.xlsx", params=params).content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [5, 2]


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/brands", "/api/v1/series", "/api/v1/mentions", "/api/v1/alerts", "/api/v1/summary", "/api/v1/mentions.csv",
                 "/api/v1/mentions.xlsx", "/api/v1/series.csv", "/api/v1/series.xlsx"):
        assert path in paths
    parameters = {p["name"] for p in paths["/api/v1/mentions"]["get"]["parameters"]}
    assert parameters >= {"brand", "since", "until", "source", "language", "sentiment", "q", "limit", "cursor"}
