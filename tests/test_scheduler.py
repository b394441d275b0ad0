"""Scheduling: sources run independently, failures back off and are logged with the source name."""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

import pytest

from listener.clock import ManualClock
from listener.config import BrandConfig
from listener.models import Mention
from listener.pipeline import Pipeline
from listener.scheduler import Scheduler, next_backoff
from listener.sources import FetchResult, SourceUnavailable
from tests.conftest import utc


class CountingCollector:
    """Returns one new mention per call, like a busy platform."""

    def __init__(self, delay: float = 0.0):
        self.calls = 0
        self.delay = delay

    def fetch(self, brand: BrandConfig, cursor):  # type: ignore[no-untyped-def]
        time.sleep(self.delay)
        self.calls += 1
        position = (cursor or {}).get("position", 0) + 1
        mention = Mention("src", f"{brand.name}-{position}", f"{brand.name} post {position}", utc(2026, 11, 2))
        return FetchResult([mention], {"position": position})


class FailingCollector:
    def __init__(self, retry_after: float | None = None):
        self.calls = 0
        self.retry_after = retry_after

    def fetch(self, brand: BrandConfig, cursor):  # type: ignore[no-untyped-def]
        self.calls += 1
        raise SourceUnavailable("HTTP 503 from platform", retry_after=self.retry_after)


@pytest.fixture
def pipeline(make_config, tmp_path) -> Pipeline:
    config = make_config(
        storage={"url": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        sources=[
            {"name": "fast", "type": "demo", "interval": "0.2s"},
            {"name": "slow", "type": "demo", "interval": "0.2s"},
        ],
    )
    return Pipeline(config, clock=ManualClock(utc(2026, 11, 2)), notifiers={})


def test_slow_source_does_not_delay_the_others(pipeline: Pipeline) -> None:
    fast, slow = CountingCollector(), CountingCollector(delay=2.0)
    pipeline.collectors.update(fast=fast, slow=slow)
    scheduler = Scheduler(pipeline)
    scheduler.run_process = lambda: None  # this test is about sources only
    scheduler.start()
    try:
        time.sleep(1.5)
        assert slow.calls == 0  # still inside its first, slow poll
        assert fast.calls >= 6  # two brands per poll, several polls
    finally:
        scheduler.shutdown()
    # Shutdown waited for the fetch in hand and stored it, then stopped before the next brand.
    assert slow.calls == 1
    assert pipeline.store.get_cursor("slow", "Acme") == {"position": 1}
    assert pipeline.store.get_cursor("slow", "Globex") is None


def test_failing_source_backs_off_and_logs_its_name_once(pipeline: Pipeline, caplog) -> None:
    failing = FailingCollector()
    pipeline.collectors.update(fast=CountingCollector(), slow=failing)
    scheduler = Scheduler(pipeline, rng=random.Random(0))
    with caplog.at_level(logging.DEBUG, logger="listener.scheduler"):
        for _ in range(5):
            scheduler.run_source("slow")
            scheduler.run_source("fast")
    assert failing.calls == 2  # one poll (two brands), then backing off
    assert scheduler.health["slow"].failures == 1
    assert scheduler.health["fast"].failures == 0
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith("source slow is failing")
    assert "Acme" in errors[0] and "HTTP 503" in errors[0]


def test_recovery_is_logged_once(pipeline: Pipeline, caplog) -> None:
    collector = FailingCollector()
    pipeline.collectors["slow"] = collector
    scheduler = Scheduler(pipeline, rng=random.Random(0))
    scheduler.run_source("slow")
    scheduler.health["slow"].resume_at = 0  # the backoff has passed
    pipeline.collectors["slow"] = CountingCollector()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="listener.scheduler"):
        scheduler.run_source("slow")
        scheduler.run_source("slow")
    assert [r.getMessage() for r in caplog.records] == ["source slow recovered after 1 failed polls"]


def test_retry_after_overrides_backoff() -> None:
    rng = random.Random(0)
    assert next_backoff(1, timedelta(minutes=5), 42.0, rng) == 42.0
    first = next_backoff(1, timedelta(seconds=60), None, rng)
    third = next_backoff(3, timedelta(seconds=60), None, rng)
    assert 48 <= first <= 72 and 192 <= third <= 288
    assert next_backoff(30, timedelta(seconds=60), None, rng) <= 30 * 60 * 1.2


def test_one_brand_failing_keeps_the_other_brands_mentions(pipeline: Pipeline) -> None:
    class AcmeDown(CountingCollector):
        def fetch(self, brand, cursor):  # type: ignore[no-untyped-def]
            if brand.name == "Acme":
                raise SourceUnavailable("acme search timed out")
            return super().fetch(brand, cursor)

    pipeline.collectors["fast"] = AcmeDown()
    with pytest.raises(Exception, match="acme search timed out"):
        pipeline.collect("fast")
    assert pipeline.store.get_cursor("fast", "Globex") == {"position": 1}
    assert pipeline.store.get_cursor("fast", "Acme") is None


def test_mentions_are_stored_under_the_configured_source_name(pipeline: Pipeline) -> None:
    pipeline.collectors["fast"] = CountingCollector()  # its mentions say source "src"
    pipeline.collect("fast")
    ids = [row_id for row_id, _ in pipeline.store.unscored(10)]
    assert {mention.source for mention in pipeline.store.mentions_by_id(ids)} == {"fast"}
