"""Logins under attack: a stolen cookie after logout, someone else's wrong guesses, and a flood of
parallel wrong passwords (issue 18)."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from listener.storage.repository import Store
from listener.storage.web_sessions import WebSessionStore
from listener.web import create_app
from listener.web import auth as auth_module
from listener.web.auth import Authenticator, LoginBusy
from tests.web_seed import PASSWORD, csrf_from, login, sqlite_store, web_settings  # noqa: F401 (fixture)


@pytest.fixture
def app_factory(sqlite_store: Store, make_config, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", "unused-token-0123456789")
    monkeypatch.setenv("LISTENER_TEST_SESSION_SECRET", "a-fixed-secret-so-cookies-outlive-the-process")

    def factory():
        return create_app(make_config(web=web_settings(session_secret="${LISTENER_TEST_SESSION_SECRET}")), sqlite_store)

    return factory


def _cookie(client: TestClient) -> str:
    return client.cookies["listener_session"]


def test_a_cookie_saved_before_logout_no_longer_logs_in(app_factory) -> None:
    with TestClient(app_factory()) as client:
        assert login(client).status_code == 303
        stolen = _cookie(client)
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)})
    with TestClient(app_factory(), cookies={"listener_session": stolen}) as thief:
        assert thief.get("/api/v1/brands").status_code == 401
        assert thief.get("/", follow_redirects=False).status_code == 303


def test_a_login_survives_a_restart_and_its_logout_too(app_factory) -> None:
    with TestClient(app_factory()) as client:
        login(client)
        cookie = _cookie(client)
    with TestClient(app_factory(), cookies={"listener_session": cookie}) as after_restart:
        assert after_restart.get("/api/v1/brands").status_code == 200
        after_restart.post("/logout", data={"csrf_token": csrf_from(after_restart.get("/").text)})
    with TestClient(app_factory(), cookies={"listener_session": cookie}) as replay:
        assert replay.get("/api/v1/brands").status_code == 401


def test_wrong_guesses_from_elsewhere_do_not_lock_the_user_out(app_factory) -> None:
    app = app_factory()
    with TestClient(app, client=("203.0.113.9", 4444)) as attacker:
        for _ in range(10):
            assert login(attacker, "marketing", "guess").status_code == 401
        assert login(attacker, "marketing", PASSWORD).status_code == 429
    with TestClient(app, client=("198.51.100.7", 5555)) as real_user:
        assert login(real_user, "marketing", PASSWORD).status_code == 303


def test_one_client_guessing_many_names_is_throttled_too(app_factory) -> None:
    with TestClient(app_factory(), client=("203.0.113.9", 4444)) as attacker:
        statuses = [login(attacker, f"user{n}", "guess").status_code for n in range(51)]
    assert statuses[:50] == [401] * 50 and statuses[50] == 429


def test_parallel_wrong_logins_hash_at_most_the_slots_and_the_rest_are_refused_fast(
    sqlite_store: Store, make_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """24 parallel bad logins took the API from 0.16 s to 6.1 s: argon2 must not take every core.

    The hashes block until every other login has been refused, so the test proves that the
    refusals never wait for a hash to finish, however slowly this machine starts the threads."""
    running, most_running, lock = 0, 0, threading.Lock()
    release = threading.Event()

    class BlockedHasher:
        def verify(self, _hash: str, _password: str) -> bool:
            nonlocal running, most_running
            with lock:
                running += 1
                most_running = max(most_running, running)
            assert release.wait(timeout=60), "the refused logins never came back"
            with lock:
                running -= 1
            return False

    monkeypatch.setattr(auth_module, "_HASHER", BlockedHasher())
    authenticator = Authenticator(make_config(web=web_settings()).web, WebSessionStore(sqlite_store.engine), hash_slots=2)
    outcomes: list[str] = []
    all_refused = threading.Event()

    def attempt() -> None:
        try:
            outcome = str(authenticator.verify_login("marketing", "guess"))
        except LoginBusy:
            outcome = "busy"
        with lock:
            outcomes.append(outcome)
            if outcomes.count("busy") == 22:
                all_refused.set()

    threads = [threading.Thread(target=attempt) for _ in range(24)]
    for thread in threads:
        thread.start()
    refused_while_hashing = all_refused.wait(timeout=60)
    release.set()
    for thread in threads:
        thread.join()
    assert refused_while_hashing  # the 22 were refused while both hashes were still running
    assert most_running == 2
    assert outcomes.count("False") == 2 and outcomes.count("busy") == 22


def test_a_busy_login_answers_503_with_retry_after(app_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    app = app_factory()

    def busy(_username: str, _password: str) -> bool:
        raise LoginBusy()

    monkeypatch.setattr(app.state.auth, "verify_login", busy)
    with TestClient(app) as client:
        response = login(client, "marketing", PASSWORD)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
