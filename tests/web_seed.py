"""A small, hand-countable history for the analytics, API and dashboard tests.

Acme: five mentions on 2026-11-02 between 09:00 and 11:00 and two on 2026-11-03 (one shared with
Globex), from two sources and two languages, plus one alert; Globex: two mentions. Every number the
tests expect can be read off MENTIONS below.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from listener.config import ListenerConfig
from listener.core.records import Alert, DetectorState, Mention, Sentiment
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from listener.web.auth import hash_password
from listener.web.server import BackgroundServer
from tests.conftest import record_alert, utc

PASSWORD = "correct horse battery staple"
PASSWORD_HASH = hash_password(PASSWORD)
API_TOKEN = "test-token-0123456789"
XSS_TEXT = 'acme <script>window.pwned=1</script><img src=x onerror="window.pwned=2"> "quoted" & more'
XSS_AUTHOR = "<b onmouseover=alert(1)>mallory</b>"

SCORES = {"negative": -0.8, "neutral": 0.1, "positive": 0.7}


@dataclass(frozen=True)
class Seed:
    external_id: str
    created_at: datetime
    source: str
    author: str | None
    reach: int | None
    language: str
    text: str
    label: str
    brands: tuple[str, ...]
    url: str | None = None


MENTIONS = [
    Seed("1", utc(2026, 11, 2, 9, 5), "demo", "alice", 1000, "en", "acme cloud is down again #outage", "negative", ("Acme",), "https://example.com/1"),
    Seed("2", utc(2026, 11, 2, 9, 20), "demo", "bob", 50, "en", "loving the new acme dashboard #love", "positive", ("Acme",)),
    Seed("3", utc(2026, 11, 2, 9, 40), "reddit", "carol", 5000, "de", "acme ist heute langsam #outage", "negative", ("Acme",)),
    Seed("4", utc(2026, 11, 2, 10, 10), "demo", "alice", 1000, "en", "acme support fixed it, thanks", "positive", ("Acme",)),
    Seed("5", utc(2026, 11, 2, 10, 30), "demo", "dave", None, "en", "acme pricing page updated 100%", "neutral", ("Acme",)),
    Seed("6", utc(2026, 11, 3, 12, 0), "reddit", "erin", 200, "en", "acme outage again? #outage", "negative", ("Acme",)),
    Seed("7", utc(2026, 11, 2, 9, 10), "demo", "frank", 300, "en", "globex is fine", "positive", ("Globex",)),
    Seed("8", utc(2026, 11, 3, 13, 0), "demo", "gina", 10, "en", "globex and acme both down", "negative", ("Acme", "Globex")),
]
ALERT_WINDOW = (utc(2026, 11, 2, 9, 0), utc(2026, 11, 2, 9, 15))


def seed(store: Store) -> None:
    """Store and score every seed mention, and record one Acme alert."""
    add_mentions(store, MENTIONS)
    alert = Alert("Acme", "negative_volume", *ALERT_WINDOW, observed=2, expected=0.4, negative_share=0.66,
                  severity="critical", score=0.99999)
    record_alert(store, "Acme", "negative_volume", DetectorState(ALERT_WINDOW[1], ALERT_WINDOW[1]), alert, [])


def add_mentions(store: Store, items: list[Seed]) -> None:
    """Store, link and score `items` as the pipeline would."""
    groups: dict[tuple[str, str], list[Seed]] = {}
    for item in items:
        for brand in item.brands:
            groups.setdefault((item.source, brand), []).append(item)
    for (source, brand), group in groups.items():
        mentions = [Mention(s.source, s.external_id, s.text, s.created_at, s.author, s.reach, s.url, s.language) for s in group]
        store.store_batch(source, brand, mentions, {})
    labels = {(s.source, s.external_id): s.label for s in items}
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT id, source, external_id FROM mentions").all()
    store.save_scores(
        [
            (row[0], Sentiment(labels[(row[1], row[2])], SCORES[labels[(row[1], row[2])]], 0.9))  # type: ignore[arg-type]
            for row in rows
            if (row[1], row[2]) in labels
        ],
        "test",
    )


def web_settings(**overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "users": {"marketing": PASSWORD_HASH},
        "api_tokens": ["${LISTENER_TEST_API_TOKEN}"],
    }
    settings.update(overrides)
    return settings


def login(client: TestClient, username: str = "marketing", password: str = PASSWORD, next_path: str = "/") -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text), "next": next_path},
        follow_redirects=False,
    )


def csrf_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@contextmanager
def seeded_sqlite_store(path: Path) -> Iterator[Store]:
    """A fresh SQLite store at `path` holding the seed history, disposed of afterwards."""
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    store = Store(engine)
    seed(store)
    try:
        yield store
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    """A fresh SQLite store holding the seed history, for the web tests that need no PostgreSQL."""
    with seeded_sqlite_store(tmp_path / "web.db") as store:
        yield store


@contextmanager
def running_dashboard(config: ListenerConfig, store: Store) -> Iterator[str]:
    """The dashboard served on a free loopback port, as the daemon serves it; yields its URL."""
    server = BackgroundServer(config, store, port=0).start()
    assert server.wait_started(), "the dashboard did not start"
    try:
        yield server.url
    finally:
        server.stop()


def log_in(page: Any, username: str = "marketing", password: str = PASSWORD) -> None:
    """Fill and send the login form a browser `page` is on."""
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
