"""Every response carries the security headers, errors included, and a forged Host header gets
neither an answer nor a redirect to itself (issue 18)."""

from __future__ import annotations

from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from listener.web import create_app
from tests.web_seed import API_TOKEN, login, seed, web_settings

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")


@pytest.fixture
def app(tmp_path, make_config, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'web.db'}")
    upgrade(engine)
    store = Store(engine)
    seed(store)
    yield create_app(make_config(web=web_settings()), store)
    engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_server_error_still_carries_the_security_headers(app, client: TestClient, monkeypatch) -> None:  # noqa: ANN001
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(app.state.analytics, "brands", broken, raising=False)
    monkeypatch.setattr(app.state.store, "judging_stalls", broken)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "database exploded" not in response.text
    for header in SECURITY_HEADERS:
        assert header in response.headers, header
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/api/v1/nowhere", "/login?next=x", "/static/missing.js"])
def test_errors_and_pages_carry_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Authorization": f"Bearer {API_TOKEN}"})
    for header in SECURITY_HEADERS:
        assert header in response.headers, (path, header)


def test_a_forged_host_is_refused(client: TestClient) -> None:
    response = client.get("/api/v1/brands/", headers={"Host": "evil.example", "Authorization": f"Bearer {API_TOKEN}"},
                          follow_redirects=False)
    assert response.status_code == 400
    assert "evil.example" not in response.headers.get("location", "")
    for header in SECURITY_HEADERS:
        assert header in response.headers, header


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "testserver"])
def test_redirects_are_relative_paths(client: TestClient, host: str) -> None:
    response = client.get("/api/v1/brands/", headers={"Host": host, "Authorization": f"Bearer {API_TOKEN}"},
                          follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/api/v1/brands"


def test_the_configured_host_and_allowed_hosts_are_served(tmp_path, make_config) -> None:  # noqa: ANN001
    engine = create_db_engine(f"sqlite:///{tmp_path / 'hosts.db'}")
    upgrade(engine)
    config = make_config(web=web_settings(host="dash.internal", allowed_hosts=["listener.example.com"]))
    with TestClient(create_app(config, Store(engine)), base_url="http://dash.internal") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"Host": "listener.example.com"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    engine.dispose()


def test_login_redirect_stays_on_the_site(client: TestClient) -> None:
    assert login(client, next_path="/?brand=Acme").headers["location"] == "/?brand=Acme"
