"""Runs each source on its own interval with APScheduler, and the processing job beside them.

Every source job runs in its own worker thread, so a slow or hung platform delays only itself.
A failing source backs off exponentially (capped, jittered, honouring a platform's Retry-After)
and its outage and recovery are each logged once rather than on every poll. A poll that stored
mentions asks for processing at once (`listener/app/process_loop.py`), so that they are scored and
judged while a spike is happening rather than up to `process_interval` later.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from listener.app import metrics
from listener.core.clock import utcnow
from listener.app.digests.send import schedule_digests
from listener.app.pipeline import CollectFailed, Pipeline
from listener.app.process_loop import ProcessLoop
from listener.app.retention import RETENTION_EVERY, apply_retention
from listener.sources import SourceUnavailable

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=30)


@dataclass
class SourceHealth:
    """Consecutive failures of one source and when it may be polled again (monotonic seconds)."""

    failures: int = 0
    resume_at: float = 0.0


def next_backoff(failures: int, interval: timedelta, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait after `failures` consecutive failures: the interval doubled per failure,
    capped, with +-20% jitter so many sources do not retry in lockstep."""
    if retry_after is not None:
        return max(retry_after, 0.0)
    base = min(interval.total_seconds() * 2 ** (failures - 1), MAX_BACKOFF.total_seconds())
    return base * rng.uniform(0.8, 1.2)


class Scheduler:
    """`monotonic` is the clock backoff is measured on; tests pass one they move by hand, so that
    whether a backoff has passed never depends on how fast the machine runs the test."""

    def __init__(
        self, pipeline: Pipeline, rng: random.Random | None = None, monotonic: Callable[[], float] = time.monotonic
    ):
        self.pipeline = pipeline
        self.health = {name: SourceHealth() for name in pipeline.collectors}
        self._rng = rng or random.Random()
        self._monotonic = monotonic
        # Sources share a pool with a thread each; processing has a thread of its own, so the
        # model always runs on the same thread (one set of allocator arenas, not one per thread).
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=max(1, len(pipeline.collectors)))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        self._process = ProcessLoop(lambda: self.run_process(), pipeline.config.process_interval)

    def run_source(self, name: str) -> None:
        health = self.health[name]
        if self._monotonic() < health.resume_at:
            return
        source = self.pipeline.source_config(name)
        try:
            new_by_brand = self.pipeline.collect(name)
        except Exception as error:
            health.failures += 1
            retry_after = _retry_after(error)
            wait = next_backoff(health.failures, source.interval, retry_after, self._rng)
            health.resume_at = self._monotonic() + wait
            metrics.SOURCE_ERRORS.labels(name).inc()
            metrics.SOURCE_BACKOFF.labels(name).set(wait)
            if health.failures == 1:
                log.error("source %s is failing: %s; backing off %.1fs", name, error, wait)
            else:
                log.debug("source %s still failing (%d in a row): %s", name, health.failures, error)
            if not isinstance(error, (CollectFailed, SourceUnavailable)):
                log.debug("source %s: unexpected error", name, exc_info=error)
            return
        if health.failures:
            log.warning("source %s recovered after %d failed polls", name, health.failures)
        health.failures, health.resume_at = 0, 0.0
        metrics.SOURCE_BACKOFF.labels(name).set(0)
        if any(new_by_brand.values()):
            self._process.request()

    def run_process(self) -> None:
        try:
            self.pipeline.process()
        except Exception:
            log.exception("processing failed; retrying on the next run")

    def start(self) -> None:
        for name in self.pipeline.collectors:
            interval = self.pipeline.source_config(name).interval
            self._scheduler.add_job(
                self.run_source, "interval", args=[name], id=f"source:{name}", name=f"source {name}",
                seconds=interval.total_seconds(), next_run_time=utcnow(),
            )
        if (keep := self.pipeline.config.storage.keep_mentions) is not None:
            self._scheduler.add_job(
                lambda: apply_retention(self.pipeline.store, keep, self.pipeline.clock.now()), "interval",
                id="retention", seconds=RETENTION_EVERY.total_seconds(), next_run_time=utcnow(),
            )  # fmt: skip
        schedule_digests(self._scheduler, self.pipeline.config, self.pipeline.store.engine, self.pipeline.clock.now)
        self._scheduler.start()
        self._process.start()

    def shutdown(self) -> None:
        """Stop scheduling and wait for running jobs to finish the batch in hand."""
        self.pipeline.stopping.set()
        self._scheduler.shutdown(wait=True)
        self._process.stop()


def _retry_after(error: BaseException) -> float | None:
    for candidate in (error, error.__cause__):
        if isinstance(candidate, SourceUnavailable) and candidate.retry_after is not None:
            return candidate.retry_after
    return None
