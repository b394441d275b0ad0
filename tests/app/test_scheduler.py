"""Scheduling: sources run independently, failures back off and are logged with the source name,
and a poll that stored mentions is processed at once, one pass at a time."""

from __future__ import annotations

import logging
import random
import threading
from datetime import timedelta

import pytest

from listener.core.clock import ManualClock
from listener.config import BrandConfig
from listener.core.records import Mention, Sentiment
from listener.app.pipeline import Pipeline
from listener.app.process_loop import ProcessLoop
from listener.app.scheduler import Scheduler, next_backoff
from listener.sources import FetchResult, SourceUnavailable
from tests.conftest import utc


DEADLINE = 60.0
"""Seconds a test waits for the scheduler's threads: generous, as the machine may be busy."""


class CountingCollector:
    """Returns one new mention per call, like a busy platform."""

    def __init__(self) -> None:
        self.calls = 0

    def fetch(self, brand: BrandConfig, cursor):  # type: ignore[no-untyped-def]
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


class BlockedCollector(CountingCollector):
    """A platform that hangs until the test lets it answer."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def fetch(self, brand: BrandConfig, cursor):  # type: ignore[no-untyped-def]
        self.entered.set()
        assert self.release.wait(DEADLINE), "the test never released the blocked source"
        return super().fetch(brand, cursor)


class NotifyingCollector(CountingCollector):
    """Sets `reached` once it has been called `target` times."""

    def __init__(self, target: int) -> None:
        super().__init__()
        self.target, self.reached = target, threading.Event()

    def fetch(self, brand: BrandConfig, cursor):  # type: ignore[no-untyped-def]
        result = super().fetch(brand, cursor)
        if self.calls >= self.target:
            self.reached.set()
        return result


def test_slow_source_does_not_delay_the_others(pipeline: Pipeline) -> None:
    fast, slow = NotifyingCollector(target=6), BlockedCollector()  # six calls: three polls of two brands
    pipeline.collectors.update(fast=fast, slow=slow)
    scheduler = Scheduler(pipeline)
    scheduler.run_process = lambda: None  # this test is about sources only
    scheduler.start()
    stopper = threading.Thread(target=scheduler.shutdown)
    try:
        assert slow.entered.wait(DEADLINE), "the slow source was never polled"
        assert fast.reached.wait(DEADLINE), "the fast source waited for the slow one"
        assert slow.calls == 0  # still inside its first poll
        # Stop while the slow poll is in hand; shutdown must wait for it, store it, and not go on.
        stopper.start()
        assert pipeline.stopping.wait(DEADLINE)
        assert stopper.is_alive()  # waiting for the poll in hand
    finally:
        slow.release.set()
        if stopper.ident is None:
            scheduler.shutdown()
        else:
            stopper.join(DEADLINE)
    assert not stopper.is_alive()
    assert slow.calls == 1
    assert pipeline.store.get_cursor("slow", "Acme") == {"position": 1}
    assert pipeline.store.get_cursor("slow", "Globex") is None


class HandClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def test_failing_source_backs_off_and_logs_its_name_once(pipeline: Pipeline, caplog) -> None:
    failing = FailingCollector()
    pipeline.collectors.update(fast=CountingCollector(), slow=failing)
    monotonic = HandClock()
    scheduler = Scheduler(pipeline, rng=random.Random(0), monotonic=monotonic)
    with caplog.at_level(logging.DEBUG, logger="listener.app.scheduler"):
        for _ in range(5):
            scheduler.run_source("slow")
            scheduler.run_source("fast")
        assert failing.calls == 2  # one poll (two brands), then backing off
        monotonic.seconds = scheduler.health["slow"].resume_at  # the backoff is over
        scheduler.run_source("slow")
    assert failing.calls == 4
    assert scheduler.health["slow"].failures == 2
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
    with caplog.at_level(logging.WARNING, logger="listener.app.scheduler"):
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


class GatedCollector(CountingCollector):
    """Returns its mention only once `release` is set, so the test decides when it is stored."""

    def __init__(self, release: threading.Event):
        super().__init__()
        self.release = release

    def fetch(self, brand: BrandConfig, cursor):  # type: ignore[no-untyped-def]
        assert self.release.wait(DEADLINE), "the scheduler never ran its first processing pass"
        return super().fetch(brand, cursor)


def test_a_poll_that_stored_mentions_is_processed_at_once(make_config, tmp_path) -> None:
    # Both intervals are an hour: only the poll itself can cause the second processing pass.
    config = make_config(
        storage={"url": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        sources=[{"name": "fast", "type": "demo", "interval": "1h"}],
        process_interval="1h",
    )
    pipeline = Pipeline(config, clock=ManualClock(utc(2026, 11, 2)), notifiers={})
    first_pass, second_pass = threading.Event(), threading.Event()
    pipeline.collectors["fast"] = GatedCollector(release=first_pass)
    scheduler = Scheduler(pipeline)
    unscored_by_pass: list[int] = []

    def run_process() -> None:
        unscored_by_pass.append(len(pipeline.store.unscored(10)))
        (second_pass if first_pass.is_set() else first_pass).set()

    scheduler.run_process = run_process  # type: ignore[method-assign]
    scheduler.start()
    try:
        assert second_pass.wait(DEADLINE), "the stored poll did not trigger processing"
    finally:
        scheduler.shutdown()
    assert unscored_by_pass[:2] == [0, 2]  # nothing at start; then Acme's and Globex's new mention


def test_processing_requests_during_a_pass_coalesce_into_one_more_pass() -> None:
    running, release, second_done = threading.Event(), threading.Event(), threading.Event()
    passes: list[int] = []
    active: list[int] = []

    def run() -> None:
        active.append(1)
        assert len(active) == 1, "two processing passes ran at once"
        passes.append(len(passes))
        if len(passes) == 1:
            running.set()
            assert release.wait(DEADLINE)
        else:
            second_done.set()
        active.pop()

    loop = ProcessLoop(run, timedelta(hours=1))
    loop.start()
    try:
        assert running.wait(DEADLINE)
        for _ in range(5):  # five polls store mentions while the first pass is busy
            loop.request()
        release.set()
        assert second_done.wait(DEADLINE)
    finally:
        loop.stop()
    assert passes == [0, 1]


def test_scoring_stops_at_a_short_batch_so_detection_follows_the_poll(pipeline: Pipeline) -> None:
    class PollDuringScoring:
        """Scores everything neutral; while scoring the first batch, a poll stores one more mention."""

        version = "test"

        def __init__(self) -> None:
            self.batches: list[int] = []

        def classify(self, texts):  # type: ignore[no-untyped-def]
            self.batches.append(len(texts))
            if len(self.batches) == 1:
                pipeline.collect("fast")
            return [Sentiment("neutral", 0.0, 0.9) for _ in texts]

    pipeline.collectors.update(fast=CountingCollector(), slow=CountingCollector())
    pipeline.collect("slow")
    classifier = PollDuringScoring()
    pipeline._classifier = classifier
    report = pipeline.process()
    assert classifier.batches == [2] and report.scored == 2
    assert len(pipeline.store.unscored(10)) == 2  # the poll's mentions wait for the pass it triggers
