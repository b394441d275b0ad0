"""The cluster's work, as Celery tasks over the single-process pipeline's own steps.

Every task is idempotent, because a task lost with its worker runs again (`celery_app`):
- `poll(source, brand)` upserts mentions by (source, external id) and commits the cursor with its
  batch (`Pipeline.collect` -> `Store.store_batch`); run twice, it stores nothing twice.
- `score(shard)` scores the oldest unscored mentions whose id falls in its shard; a batch killed
  half-way committed nothing, and the shard's advisory lock keeps two workers off one batch.
- `judge(brand)` judges the brand's closed windows under the brand's advisory lock (one worker at
  a time); the alerts and their outbox rows commit with the judged windows.
- `deliver()` sends outbox rows one by one, each claimed with FOR UPDATE SKIP LOCKED and marked
  delivered in the transaction that holds it.
A task that does not get its lock returns at once: the holder is doing that work now.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

from celery import Celery

from alerts.notify.outbox import DeliveryReport, deliver_one
from listener.app import metrics
from listener.app.cluster.celery_app import DELIVER, JUDGE, POLL, RETAIN, SCORE, Dispatcher, cluster_of
from listener.app.pipeline import Pipeline
from listener.app.retention import apply_retention
from listener.config import ListenerConfig
from listener.core.clock import utcnow
from listener.storage.cluster import claiming_store, mentions_to_score_in_shard, try_lock

log = logging.getLogger(__name__)

MAX_DELIVERIES_PER_TASK = 200
"""Deliveries one `deliver` task sends before handing the queue back (the scheduler asks again)."""


class WorkerRuntime:
    """The pipeline of one worker process, built on first use.

    Built lazily and dropped after a fork (`worker_process_init`), so a prefork child never uses a
    database connection or model session it inherited from its parent.
    """

    def __init__(self, config: ListenerConfig):
        self.config = config
        self._pipeline: Pipeline | None = None
        self._lock = threading.Lock()

    @property
    def pipeline(self) -> Pipeline:
        with self._lock:
            if self._pipeline is None:
                self._pipeline = Pipeline(self.config)
            return self._pipeline

    def forget_after_fork(self, **_: Any) -> None:
        """Connected to `worker_process_init` by a prefork worker (the solo pool sends it too, and
        there the pipeline already built is the process's own)."""
        self._pipeline = None


def register_tasks(app: Celery, runtime: WorkerRuntime) -> None:
    config = runtime.config
    dispatcher = Dispatcher(app, config)
    shards = cluster_of(config).score_shards
    batch_size = max(config.model.batch_size * 8, 64)
    options: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}

    @app.task(name=POLL, **options)
    def poll(source: str, brand: str) -> int:
        pipeline = runtime.pipeline
        # One poll of a source at a time, whatever the brand: two brands' polls can carry the same
        # mention, and two transactions inserting it at once would fail one of them.
        with try_lock(pipeline.store.engine, "poll", source) as taken:
            if not taken:
                return 0
            try:
                new_mentions = pipeline.collect(source, [brand]).get(brand, 0)
            except Exception as error:
                log.error("source %s failed for %s: %s", source, brand, error)
                metrics.SOURCE_ERRORS.labels(source).inc()
                return 0
        if new_mentions:
            dispatcher.score()
        return new_mentions

    @app.task(name=SCORE, **options)
    def score(shard: int) -> int:
        pipeline = runtime.pipeline
        with try_lock(pipeline.store.engine, "score", str(shard)) as taken:
            if not taken:
                return 0
            pending = mentions_to_score_in_shard(pipeline.store, batch_size, shard, shards)
            if pending:
                log.info("shard %d: scoring a batch of %d", shard, len(pending))
                pipeline.score(pending)
        if len(pending) == batch_size:
            dispatcher.score([shard])  # more waiting: the next batch goes back on the queue
        elif pending:
            dispatcher.judge()
        return len(pending)

    @app.task(name=JUDGE, **options)
    def judge(brand: str) -> int:
        pipeline = runtime.pipeline
        with try_lock(pipeline.store.engine, "judge", brand) as taken:
            if not taken:
                return 0
            summary = pipeline.judge(brand, pipeline.clock.now())
        if summary.alerts:
            dispatcher.deliver()
        return len(summary.alerts)

    @app.task(name=DELIVER, **options)
    def deliver() -> int:
        pipeline = runtime.pipeline
        held: list[int] = []
        outcomes: Counter[str] = Counter()
        for _ in range(MAX_DELIVERIES_PER_TASK):
            now = utcnow()
            with claiming_store(pipeline.store.engine) as store:
                claimed = store.due_deliveries(now, limit=1, claim=True, skip_ids=held)
                if not claimed:
                    break
                outcome = deliver_one(store, pipeline.notifiers, config.delivery, now, claimed[0])
            if outcome == "held":
                held.append(claimed[0].id)
            outcomes[outcome] += 1
        metrics.count_delivery(DeliveryReport(outcomes["delivered"], outcomes["retrying"], outcomes["dead"]))
        return outcomes["delivered"]

    @app.task(name=RETAIN, **options)
    def retain() -> int:
        keep = config.storage.keep_mentions
        pipeline = runtime.pipeline
        if keep is None:
            return 0
        with try_lock(pipeline.store.engine, "retain") as taken:
            return apply_retention(pipeline.store, keep, pipeline.clock.now()) if taken else 0
