"""Every route of the dashboard and API against extreme parameters, on SQLite and PostgreSQL:
never a 500 (nor a 200 export cut short), and a 422 naming the parameter where the value is bad."""

from __future__ import annotations

import base64
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from listener.storage.queries import encode_cursor
from listener.storage.repository import Store
from listener.web import create_app
from tests.conftest import utc
from tests.web_seed import API_TOKEN, login, seed, web_settings

FILTER = {"brand", "since", "until", "source", "language", "sentiment", "q"}
ROUTES = {
    "/api/v1/brands": set(),
    "/api/v1/series": FILTER | {"bucket"},
    "/api/v1/mentions": FILTER | {"limit", "cursor"},
    "/api/v1/alerts": FILTER | {"limit"},
    "/api/v1/summary": FILTER | {"top"},
    "/api/v1/mentions.csv": FILTER,
    "/api/v1/mentions.xlsx": FILTER,
    "/api/v1/series.csv": FILTER | {"bucket"},
    "/api/v1/series.xlsx": FILTER | {"bucket"},
    "/api/v1/ratings": FILTER | {"bucket"},
    "/": FILTER | {"bucket"},
}
"""route -> the query parameters it reads (it ignores the others)"""


def raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


EXTREMES = [
    ("since", "0001-01-01", False),
    ("since", "0001-01-01T00:00:00+05:00", False),
    ("until", "0001-01-01T01:00:00", False),
    ("since", "9999-12-31", False),
    ("until", "9999-12-31T23:59:59", False),
    ("until", "9999-12-31T23:00:00-05:00", False),
    ("since", "2200-01-01", False),
    ("since", "99999999999999999999", False),
    ("cursor", encode_cursor(utc(2026, 11, 2), 10**26), False),
    ("cursor", raw_cursor("0001-01-01T00:00:00+00:00|5"), False),
    ("cursor", raw_cursor("2026-11-02T10:00:00|5"), False),
    ("cursor", encode_cursor(utc(2026, 11, 2), -1), False),
    ("limit", "-1", False),
    ("limit", "0", False),
    ("limit", str(10**30), False),
    ("top", "-5", False),
    ("top", str(10**30), False),
    ("q", "acme\x00", False),
    ("source", "demo\x00", False),
    ("language", "\x00", False),
    ("brand", "Acme\x00", False),
    ("since", "1970-01-01T00:00:00Z", True),
    ("since", "2199-12-31T23:00:00Z", True),
    ("until", "1970-01-08", True),
    ("limit", "1000", True),
    ("top", "100", True),
]
"""(parameter, value, valid?)"""


@pytest.fixture
def client(store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    seed(store)
    app = create_app(make_config(web=web_settings()), store)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        assert login(test_client).status_code == 303
        yield test_client


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_extreme_parameters_are_a_422_naming_them_never_a_500(client: TestClient, route: str) -> None:
    for name, value, valid in EXTREMES:
        params = {name: value, "bucket": "month"}  # from 1970 by the default hour would be too many bars
        response = client.get(route, params=params)
        assert response.status_code != 500, (route, name, value)
        if name in ROUTES[route] and not valid:
            assert response.status_code == 422, (route, name, value, response.text[:200])
            detail = response.json()["detail"]
            assert f"'{name}'" in detail or detail.startswith(f"{name}:") or f" {name}:" in detail, (route, name, detail)
        else:
            assert response.status_code == 200, (route, name, value, response.text[:200])


def test_an_export_that_cannot_be_answered_is_a_422_not_an_empty_200(client: TestClient) -> None:
    response = client.get("/api/v1/mentions.csv", params={"since": "0001-01-01"})
    assert response.status_code == 422
    assert "query parameter 'since'" in response.json()["detail"]


def test_extreme_but_valid_ranges_answer(client: TestClient) -> None:
    response = client.get("/api/v1/series", params={"brand": "Acme", "since": "1970-01-01", "until": "2199-12-31", "bucket": "month"})
    assert response.status_code == 200
    assert sum(point["mentions"] for point in response.json()["series"]) == 7
