"""Mentions dated in the future or before the web: refused when collected from any source, and
harmless to the dashboard's default range when already stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from listener.app.pipeline import Pipeline
from listener.config import BrandConfig
from listener.core.clock import ManualClock, utcnow
from listener.core.records import Mention
from listener.sources import FetchResult
from listener.storage.filters import MAX_BUCKETS, MentionFilter
from listener.storage.partitions import ensure_month_partitions
from listener.storage.queries import Analytics
from listener.storage.repository import Store
from listener.storage.schema import MentionBrandRow, MentionRow
from listener.web import create_app
from tests.conftest import utc
from tests.web_seed import API_TOKEN, login, seed, web_settings

NOW = utc(2026, 11, 10, 12)


class DatedCollector:
    """A source whose platform dates posts however it likes."""

    def __init__(self, times: dict[str, datetime]):
        self.times = times

    def fetch(self, brand: BrandConfig, cursor):
        return FetchResult([Mention("x", name, f"acme {name}", moment) for name, moment in self.times.items()], {"done": True})

    def check(self, brand: BrandConfig) -> str:
        return "ok"


@pytest.mark.parametrize(
    ("max_future", "kept"),
    [(None, ["in-an-hour", "past"]), ("30m", ["past"]), ("3d", ["in-2-days", "in-an-hour", "past"])],
)
def test_mentions_dated_past_max_future_or_before_1990_are_skipped(
    max_future: str | None, kept: list[str], make_config, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    clock = {"max_future": max_future} if max_future else {}
    pipeline = Pipeline(make_config(clock=clock), clock=ManualClock(NOW), store=store, notifiers={})
    pipeline.collectors["demo"] = DatedCollector({
        "past": NOW - timedelta(days=3),
        "in-an-hour": NOW + timedelta(hours=1),
        "in-2-days": NOW + timedelta(days=2),
        "year-2999": datetime(2999, 1, 1, tzinfo=NOW.tzinfo),
        "year-1985": utc(1985, 1, 1),
    })
    with caplog.at_level(logging.WARNING):
        assert pipeline.collect("demo")["Acme"] == len(kept)
    with store.engine.connect() as connection:
        assert sorted(connection.exec_driver_sql("SELECT external_id FROM mentions").scalars()) == kept
    messages = [record.getMessage() for record in caplog.records]
    assert any("demo: skipped mention 'year-2999': dated 2999-01-01" in message for message in messages)
    assert any("demo: skipped mention 'year-1985': dated 1985-01-01T00:00:00+00:00, before 1990" in m for m in messages)


def store_by_hand(store: Store, external_id: str, created_at: datetime) -> None:
    """A mention written before ingestion refused such dates (or into the database by hand; on
    PostgreSQL its month's partition exists, as migration 0015 creates one for every stored month)."""
    ensure_month_partitions(store.engine, [created_at])
    with store.engine.begin() as connection:
        mention_id = connection.execute(
            insert(MentionRow).values(
                source="demo", external_id=external_id, text="acme from another time", created_at=created_at,
                collected_at=utcnow(), likes=0, shares=0, replies=0,
            ).returning(MentionRow.id)
        ).scalar_one()
        connection.execute(insert(MentionBrandRow).values(mention_id=mention_id, brand="Acme", created_at=created_at))


@pytest.fixture
def client(store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    seed(store)
    store_by_hand(store, "year-2999", utc(2999, 1, 1))
    store_by_hand(store, "year-1975", utc(1975, 1, 1))
    app = create_app(make_config(web=web_settings()), store)
    with TestClient(app, headers={"Authorization": f"Bearer {API_TOKEN}"}) as test_client:
        yield test_client


def test_the_default_series_ignores_stored_mentions_that_cannot_be_true(client: TestClient) -> None:
    for brand in ("Acme", None):
        response = client.get("/api/v1/series", params={"brand": brand} if brand else {})
        assert response.status_code == 200, response.text
        series = response.json()["series"]
        assert (series[0]["bucket_start"], series[-1]["bucket_start"]) == ("2026-11-02T09:00:00Z", "2026-11-03T13:00:00Z")
    this_week = client.get("/api/v1/summary", params={"brand": "Acme"}).json()["this_week"]
    assert this_week["until"] == "2026-11-04T00:00:00Z"


def test_the_dashboard_opens_despite_a_mention_dated_2999(client: TestClient) -> None:
    client.headers.pop("Authorization")
    assert login(client).status_code == 303
    response = client.get("/")
    assert response.status_code == 200, response.text
    assert "2999-" not in response.text


def test_a_default_series_longer_than_max_buckets_shows_the_latest(store: Store) -> None:
    """Years of history by hour: the latest MAX_BUCKETS hours, not a 422 for a range nobody asked for."""
    store.store_batch("demo", "Acme", [Mention("demo", "old", "acme old", utc(2020, 1, 1)), Mention("demo", "new", "acme new", utc(2026, 11, 2, 9))], {})
    series = Analytics(store, now=lambda: NOW).series(MentionFilter(brand="Acme"), "hour")
    assert len(series) == MAX_BUCKETS
    assert series[-1].bucket_start == utc(2026, 11, 2, 9) and series[-1].mentions == 1
