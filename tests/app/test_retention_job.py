"""`[storage] keep_mentions` runs by itself in `listener run`: the scheduler purges on start and hourly."""

from __future__ import annotations

import time

from listener.app.pipeline import Pipeline
from listener.app.scheduler import Scheduler
from listener.core.clock import ManualClock
from listener.core.records import Mention
from tests.app.test_scheduler import DEADLINE, CountingCollector
from tests.conftest import utc


def test_daemon_scheduler_deletes_mentions_past_the_horizon(make_config, tmp_path) -> None:
    config = make_config(storage={"url": f"sqlite:///{tmp_path / 'db.sqlite'}", "keep_mentions": "30d"})
    pipeline = Pipeline(config, clock=ManualClock(utc(2026, 11, 2)), notifiers={})
    pipeline.collectors["demo"] = CountingCollector()  # mentions dated 2026-11-02: kept
    old = [Mention("demo", f"old-{n}", f"acme old {n}", utc(2026, 9, 1, n)) for n in range(3)]
    pipeline.store.store_batch("demo", "Acme", old, {"position": 0})
    scheduler = Scheduler(pipeline)
    scheduler.run_process = lambda: None  # this test is about retention only
    scheduler.start()
    try:
        give_up = time.monotonic() + DEADLINE
        while {m.external_id for m in pipeline.store.mentions_by_id(range(1, 4))} & {"old-0", "old-1", "old-2"}:
            assert time.monotonic() < give_up, "the old mentions were never deleted"
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert all(not mention.external_id.startswith("old") for mention in pipeline.store.mentions_by_id(range(1, 50)))
