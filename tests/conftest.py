"""Shared fixtures: config factory, stores on every configured database, and time helpers.

Storage tests run on SQLite always and on PostgreSQL too when LISTENER_TEST_DATABASE_URL is set
(CI sets it to the server on 127.0.0.1:5432).
"""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import pytest
from sqlalchemy import text

from listener.config import ListenerConfig, parse_config
from listener.core.records import Alert, DetectorState, QueuedMessage
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from listener.storage.schema import Base

if TYPE_CHECKING:
    from classifiers import SentimentClassifier

BASE_CONFIG: dict[str, Any] = {
    "storage": {"url": "sqlite:///:memory:"},
    "brands": [
        {"name": "Acme", "keywords": ["acme", "acmecloud"], "phrases": ["acme cloud"], "exclude": ["acme anvil"]},
        {"name": "Globex", "keywords": ["globex"]},
    ],
    "sources": [{"name": "demo", "type": "demo", "interval": "1s"}],
    "notifiers": [],
    "web": {"allowed_hosts": ["testserver"]},  # TestClient's Host
}

DATABASE_BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("LISTENER_TEST_DATABASE_URL") else [])


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def record_alert(
    store: Store, brand: str, rule: str, state: DetectorState, alert: Alert, notifiers: Sequence[str] = ()
) -> Alert | None:
    """Store `alert` with its outbox rows as one detection pass does (`Store.record_alerting`);
    None when the same alert was stored before."""
    stored = store.record_alerting(brand, {rule: state}, [], [QueuedMessage(alert, tuple(notifiers))])
    return stored[0] if stored else None


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@pytest.fixture
def make_config():
    """`make_config(detection={"min_count": 3}, ...)`: the base test config with overrides merged in."""

    def factory(**overrides: Any) -> ListenerConfig:
        return parse_config(merge(BASE_CONFIG, overrides), "test.toml")

    return factory


def _reset_postgres(url: str) -> None:
    engine = create_db_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(params=DATABASE_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'listener.db'}"
        return
    url = os.environ["LISTENER_TEST_DATABASE_URL"]
    _reset_postgres(url)
    yield url
    _reset_postgres(url)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = create_db_engine(database_url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()


class CountingClassifier:
    """A classifier (the real model, in the tests that use it) recording every text it is asked to score."""

    def __init__(self, inner: SentimentClassifier):
        self.inner = inner
        self.version = inner.version
        self.seen: list[str] = []

    def classify(self, texts):  # noqa: ANN001, ANN201
        self.seen += list(texts)
        return self.inner.classify(texts)
