"""The API keeps the contract its /openapi.json declares, read as a client generator reads it.

schemathesis loads the served schema and sends what it generates from it (valid requests and
invalid ones) to the app in-process, on the seeded SQLite history, running every check it has:
valid requests are accepted, invalid ones refused, and every answer (errors included) has the
status, media type, headers and body the schema declares. Deterministic (derandomised), and a
bounded number of examples per operation, so it runs in seconds.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listener.core.buckets import BUCKET_WIDTH
from listener.core.limits import TIME_RANGE
from listener.storage.filters import MAX_BUCKETS
from listener.storage.queries import encode_cursor
from listener.storage.repository import Store
from listener.web import create_app
from listener.web.params import MOMENT_PATTERN, parse_moment
from tests.web_seed import API_TOKEN, MENTIONS, sqlite_store, web_settings  # noqa: F401 (fixture)

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
SEED_LAST = max(seed.created_at for seed in MENTIONS)
REAL_CURSOR = encode_cursor(SEED_LAST, 8)
"""A next_cursor as a first page hands it out: the newest seeded mention."""


@pytest.fixture
def app(sqlite_store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    topics = [{"name": "outage", "query": "outage OR down", "touchpoint": "retention"}, {"name": "pricing", "query": "pricing"}]
    return create_app(make_config(web=web_settings(), topics=topics), sqlite_store)


@pytest.fixture
def served_schema(app: FastAPI) -> Any:
    # A fresh default config, every check enabled, whatever a schemathesis.toml nearby would say.
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=schemathesis.Config(), headers=AUTH)


schema = schemathesis.pytest.from_fixture("served_schema")


@schema.parametrize()
@settings(max_examples=10, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_keeps_its_openapi_contract(case: schemathesis.Case) -> None:
    if case.meta is not None and case.meta.generation.mode.is_positive:
        keep_rules_json_schema_cannot_state(case.path, case.query)
    case.call_and_validate(headers=AUTH)


def keep_rules_json_schema_cannot_state(path: str, query: dict[str, Any] | None) -> None:
    """Makes a valid generated query keep the rules that tie parameters together or need state,
    which JSON Schema cannot state and the parameters' descriptions do: `since` before `until`,
    a series (or churn series) of at most MAX_BUCKETS buckets from `since`, and a `cursor` that a previous page
    handed out. Each is its own 422 with its own message (tests/web/test_api.py)."""
    if query is None:
        return
    since, until = parse_moment(query.get("since")), parse_moment(query.get("until"))
    if since and until and since > until:
        query["since"], query["until"] = query["until"], query["since"]
        since, until = until, since
    if since and until and since == until:
        del query["until"]
        until = None
    if since and path.startswith(("/api/v1/series", "/api/v1/surveys", "/api/v1/ratings", "/api/v1/churn")):
        end = until or SEED_LAST
        if (end - since) / BUCKET_WIDTH[query.get("bucket") or "hour"] > MAX_BUCKETS - 2:
            query["bucket"] = "month"
    if query.get("cursor"):
        query["cursor"] = REAL_CURSOR


@pytest.fixture
def served(served_schema: Any) -> dict[str, Any]:
    return served_schema.raw_schema


API_OPERATIONS = ["/api/v1/brands", "/api/v1/series", "/api/v1/mentions", "/api/v1/alerts", "/api/v1/summary",
                  "/api/v1/mentions.csv", "/api/v1/mentions.xlsx", "/api/v1/series.csv", "/api/v1/series.xlsx",
                  "/api/v1/surveys", "/api/v1/ratings", "/api/v1/churn"]


def _parameter(served: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    return next(p for p in served["paths"][path]["get"]["parameters"] if p["name"] == name)


def test_closed_sets_are_declared_as_enums(served: dict[str, Any]) -> None:
    assert _parameter(served, "/api/v1/series", "bucket")["schema"]["enum"] == ["hour", "day", "week", "month"]
    assert _parameter(served, "/api/v1/mentions", "sentiment")["schema"]["items"]["enum"] == ["negative", "neutral", "positive", ""]
    assert _parameter(served, "/api/v1/summary", "brand")["schema"]["enum"] == ["Acme", "Globex", ""]


def test_every_error_answer_is_declared_with_the_one_error_model(served: dict[str, Any]) -> None:
    error_model = {"$ref": "#/components/schemas/ErrorOut"}
    for path in API_OPERATIONS:
        responses = served["paths"][path]["get"]["responses"]
        for status in ("401", "422"):
            assert responses[status]["content"]["application/json"]["schema"] == error_model, (path, status)
    assert "HTTPValidationError" not in served["components"]["schemas"]
    assert set(served["components"]["securitySchemes"]) == {"bearerToken", "loginSession"}


def test_exports_declare_their_media_types(served: dict[str, Any]) -> None:
    for path, media_type in (("/api/v1/mentions.csv", "text/csv"), ("/api/v1/series.csv", "text/csv"),
                             ("/api/v1/mentions.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                             ("/api/v1/series.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        assert list(served["paths"][path]["get"]["responses"]["200"]["content"]) == [media_type], path


def test_every_error_has_the_declared_shape(app: FastAPI) -> None:
    with TestClient(app) as client:
        answers = {
            401: client.get("/api/v1/series"),
            404: client.get("/api/v1/nothing", headers=AUTH),
            405: client.post("/api/v1/series", headers=AUTH),
            422: client.get("/api/v1/series", params={"brand": "Initech", "since": "soon"}, headers=AUTH),
        }
    for status, response in answers.items():
        assert response.status_code == status
        body = response.json()
        assert set(body) == {"detail", "errors"} and body["detail"] == "; ".join(body["errors"]), (status, body)
    assert answers[401].headers["www-authenticate"] == "Bearer"
    assert answers[405].headers["allow"] == "GET"
    [problem] = answers[422].json()["errors"]
    assert problem.startswith("query parameter 'since': use an ISO 8601 date or time such as 2026-11-02")


@settings(max_examples=300, derandomize=True, database=None)
@given(st.from_regex(re.compile(MOMENT_PATTERN), fullmatch=True))
def test_every_time_the_declared_pattern_admits_is_accepted(written: str) -> None:
    moment = parse_moment(written)
    assert isinstance(moment, datetime) and TIME_RANGE[0] <= moment < TIME_RANGE[1]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("0001-01-01", "must be from 1970-01-01 to before 2200-01-01"),
        ("9999-12-31T23:00:00-05:00", "must be from 1970-01-01 to before 2200-01-01"),
        ("2026-02-30", "not a real day and time"),
        ("2026-11-02T24:00", "not a real day and time"),
        ("yesterday", "use an ISO 8601 date or time such as 2026-11-02"),
        ("1700000000", "use an ISO 8601 date or time such as 2026-11-02"),
    ],
)
def test_a_time_the_pattern_refuses_says_why(written: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_moment(written)


def test_an_offset_past_the_time_range_reads_as_its_edge() -> None:
    assert parse_moment("1970-01-01T00:00+05:00") == TIME_RANGE[0]
    assert parse_moment("2199-12-31T23:00-05:00") < TIME_RANGE[1]
