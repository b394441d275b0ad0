"""Access control: logins, bearer tokens, signed sessions and CSRF, over real HTTP."""

from __future__ import annotations

import base64
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from fastapi.testclient import TestClient

from listener.cli.main import main
from listener.config import ConfigError, WebConfig, load_config
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from listener.web import create_app
from listener.web.auth import LoginThrottle
from listener.web.server import BackgroundServer
from tests.web_seed import API_TOKEN, PASSWORD, PASSWORD_HASH, csrf_from, login, sqlite_store, web_settings  # noqa: F401 (fixture)

API_PATHS = [
    "/api/v1/brands", "/api/v1/series", "/api/v1/mentions", "/api/v1/alerts", "/api/v1/summary",
    "/api/v1/mentions.csv", "/api/v1/mentions.xlsx", "/api/v1/series.csv", "/api/v1/series.xlsx", "/openapi.json",
]


@pytest.fixture
def app_factory(sqlite_store: Store, make_config, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)

    def factory(**web: object):
        return create_app(make_config(web=web_settings(**web)), sqlite_store)

    return factory


@pytest.fixture
def client(app_factory) -> Iterator[TestClient]:
    with TestClient(app_factory()) as test_client:
        yield test_client


@pytest.mark.parametrize("path", API_PATHS)
def test_api_needs_credentials(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["detail"]
    assert client.get(path, headers={"Authorization": "Bearer wrong-token"}).status_code == 401
    assert client.get(path, headers={"Authorization": f"Basic {API_TOKEN}"}).status_code == 401
    assert client.get(path, headers={"Authorization": f"Bearer {API_TOKEN}"}).status_code == 200


def test_only_healthz_is_public(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "stalled_brands": []}
    page = client.get("/?brand=Globex&sentiment=negative", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/%3Fbrand%3DGlobex%26sentiment%3Dnegative"


def test_token_from_an_unset_variable_lets_nobody_in(app_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LISTENER_TEST_API_TOKEN")
    with TestClient(app_factory()) as client:
        assert client.get("/api/v1/brands", headers={"Authorization": "Bearer "}).status_code == 401
        assert client.get("/api/v1/brands", headers={"Authorization": f"Bearer {API_TOKEN}"}).status_code == 401


def test_login_sets_a_session_that_opens_pages_and_api(client: TestClient) -> None:
    response = login(client, next_path="/?brand=Globex")
    assert response.status_code == 303 and response.headers["location"] == "/?brand=Globex"
    cookie = response.headers["set-cookie"]
    assert "listener_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert client.get("/api/v1/brands").status_code == 200
    page = client.get("/?brand=Globex")
    assert page.status_code == 200 and "marketing" in page.text


@pytest.mark.parametrize(("username", "password"), [("marketing", "wrong"), ("nobody", PASSWORD), ("", "")])
def test_wrong_credentials_are_refused_alike(client: TestClient, username: str, password: str) -> None:
    response = login(client, username, password)
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert client.get("/api/v1/brands").status_code == 401


def test_login_without_or_with_a_foreign_csrf_token_is_rejected(client: TestClient, app_factory) -> None:
    client.get("/login")
    missing = client.post("/login", data={"username": "marketing", "password": PASSWORD}, follow_redirects=False)
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    with TestClient(app_factory()) as other:
        foreign = csrf_from(other.get("/login").text)
    forged = client.post(
        "/login", data={"username": "marketing", "password": PASSWORD, "csrf_token": foreign}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert client.get("/api/v1/brands").status_code == 401


def test_logout_needs_the_csrf_token(client: TestClient) -> None:
    login(client)
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/api/v1/brands").status_code == 200  # a cross-site POST cannot log anyone out
    token = csrf_from(client.get("/").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/api/v1/brands").status_code == 401


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client: TestClient, target: str) -> None:
    assert login(client, next_path=target).headers["location"] == "/"


def test_a_forged_or_tampered_session_cookie_is_ignored(client: TestClient) -> None:
    unsigned = base64.b64encode(json.dumps({"user": "marketing"}).encode()).decode()
    client.cookies.set("listener_session", unsigned)
    assert client.get("/api/v1/brands").status_code == 401
    client.cookies.clear()
    login(client)
    genuine = client.cookies.get("listener_session")
    client.cookies.clear()
    client.cookies.set("listener_session", genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"))
    assert client.get("/api/v1/brands").status_code == 401


def test_session_secret_from_the_environment_survives_a_restart(app_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENER_TEST_SESSION_SECRET", "s" * 40)
    with TestClient(app_factory(session_secret="${LISTENER_TEST_SESSION_SECRET}")) as first:
        login(first)
        cookie = first.cookies.get("listener_session")
    with TestClient(app_factory(session_secret="${LISTENER_TEST_SESSION_SECRET}"), cookies={"listener_session": cookie}) as restarted:
        assert restarted.get("/api/v1/brands").status_code == 200
    with TestClient(app_factory(), cookies={"listener_session": cookie}) as random_secret:
        assert random_secret.get("/api/v1/brands").status_code == 401


def test_a_removed_user_loses_access(app_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENER_TEST_SESSION_SECRET", "s" * 40)
    with TestClient(app_factory(session_secret="${LISTENER_TEST_SESSION_SECRET}")) as first:
        login(first)
        cookie = first.cookies.get("listener_session")
    app = app_factory(session_secret="${LISTENER_TEST_SESSION_SECRET}", users={"someone-else": PASSWORD_HASH})
    with TestClient(app, cookies={"listener_session": cookie}) as client:
        assert client.get("/api/v1/brands").status_code == 401


def test_password_hash_can_come_from_the_environment(app_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENER_TEST_OPS_HASH", PASSWORD_HASH)
    with TestClient(app_factory(users={"ops": "${LISTENER_TEST_OPS_HASH}"})) as client:
        assert login(client, "ops").status_code == 303
    monkeypatch.setenv("LISTENER_TEST_OPS_HASH", PASSWORD)  # a plain password in the variable is refused
    with TestClient(app_factory(users={"ops": "${LISTENER_TEST_OPS_HASH}"})) as client:
        assert login(client, "ops").status_code == 401


def test_config_refuses_plain_passwords_and_literal_tokens(make_config) -> None:
    with pytest.raises(ConfigError, match=r"web.users: .*never a plain password"):
        make_config(web={"users": {"marketing": "hunter2"}})
    with pytest.raises(ConfigError, match=r"web.api_tokens\[0\]: must be an environment variable reference"):
        make_config(web={"api_tokens": ["literal-token"]})


def test_web_listens_on_loopback_by_default() -> None:
    assert (WebConfig().host, WebConfig().port) == ("127.0.0.1", 8000)


def test_hash_password_command_prints_a_verifiable_argon2_hash() -> None:
    result = CliRunner().invoke(main, ["web", "hash-password", "--password-stdin"], input="s3cret pass\n")
    assert result.exit_code == 0, result.output
    hashed = result.output.strip()
    assert hashed.startswith("$argon2id$") and PasswordHasher().verify(hashed, "s3cret pass")
    prompted = CliRunner().invoke(main, ["web", "hash-password"], input="abc\nabc\n")
    assert prompted.exit_code == 0 and "$argon2id$" in prompted.output and "abc\n" not in prompted.output.split("$argon2")[-1]


def test_responses_carry_security_headers(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_background_server_serves_on_a_loopback_port(make_config, sqlite_store: Store) -> None:
    server = BackgroundServer(make_config(web=web_settings()), sqlite_store, port=0).start()
    try:
        assert server.wait_started()
        assert httpx.get(server.url + "/healthz").json() == {"status": "ok", "stalled_brands": []}
        assert httpx.get(server.url + "/api/v1/brands").status_code == 401
    finally:
        server.stop()
    assert not server.thread.is_alive()


def test_serve_reports_a_busy_port_and_exits_2(tmp_path) -> None:
    config = tmp_path / "listener.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "serve.db"}"\n[[brands]]\nname = "Acme"\nkeywords = ["acme"]\n'
        '[[sources]]\nname = "demo"\ntype = "demo"\n'
    )
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--config", str(config), "--port", str(port)])
    assert result.exit_code == 2


def test_background_server_on_a_busy_port_fails_without_raising(make_config, sqlite_store: Store) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = BackgroundServer(make_config(web=web_settings()), sqlite_store, port=port).start()
        assert not server.wait_started()
        server.thread.join(10)
    assert not server.thread.is_alive()  # the daemon that started it goes on without a dashboard


def test_overview_renders_before_any_mention_arrives(make_config, tmp_path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    with TestClient(create_app(make_config(web=web_settings()), Store(engine))) as client:
        login(client)
        page = client.get("/")
        assert page.status_code == 200 and "No alerts in this period." in page.text
        assert client.get("/api/v1/series", params={"brand": "Acme"}).json()["series"] == []
    engine.dispose()


def test_the_demo_config_serves_the_dashboard_to_the_demo_user(sqlite_store: Store) -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "config" / "demo.toml")
    assert config.web.enabled and config.web.host == "127.0.0.1"
    with TestClient(create_app(config, sqlite_store), base_url="http://127.0.0.1:8000") as client:
        assert login(client, "demo", "demo").status_code == 303
        assert "Acme" in client.get("/").text


def test_repeated_failed_logins_are_throttled_per_client_and_user(client: TestClient) -> None:
    for _ in range(10):
        assert login(client, "marketing", "guess").status_code == 401
    blocked = login(client, "marketing", PASSWORD)  # even the right password, for a while, from here
    assert blocked.status_code == 429 and "Too many failed logins from here" in blocked.text
    assert login(client, "nobody", "guess").status_code == 401  # other names are not affected


def test_login_throttle_forgets_old_failures() -> None:
    throttle = LoginThrottle(limit=2, period=timedelta(minutes=15))
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    throttle.failed("10.0.0.1", "Marketing", start)
    throttle.failed("10.0.0.1", "marketing", start + timedelta(minutes=1))
    assert throttle.blocked_for("10.0.0.1", "MARKETING", start + timedelta(minutes=5)) == timedelta(minutes=10)
    assert throttle.blocked_for("10.0.0.2", "marketing", start + timedelta(minutes=5)) is None
    assert throttle.blocked_for("10.0.0.1", "marketing", start + timedelta(minutes=15)) is None
    throttle.failed("10.0.0.1", "marketing", start + timedelta(minutes=20))
    throttle.succeeded("10.0.0.1", "marketing")
    assert throttle.blocked_for("10.0.0.1", "marketing", start + timedelta(minutes=20)) is None


def test_secure_cookies_mark_the_session_cookie_secure(app_factory) -> None:
    with TestClient(app_factory(secure_cookies=True), base_url="https://testserver") as client:
        cookie = login(client).headers["set-cookie"].lower()
    assert "; secure" in cookie
