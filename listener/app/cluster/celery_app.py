"""The Celery application from `[cluster]`, and the one place that names tasks and their queues.

Delivery semantics (README, "Running a cluster"): a task is acknowledged only after it finished
(`acks_late`), a task whose worker died is put back on its queue (`reject_on_worker_lost`), and a
worker takes one message at a time (prefetch 1), so a killed worker loses at most the task in hand,
which another worker then runs again. Every task is idempotent for that reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta

from celery import Celery
from kombu import Connection, Queue

from listener.app import metrics
from listener.app.retention import RETENTION_EVERY
from listener.config import ClusterConfig, ListenerConfig

POLL = "listener.poll"
SCORE = "listener.score"
JUDGE = "listener.judge"
DELIVER = "listener.deliver"
RETAIN = "listener.retain"


def cluster_of(config: ListenerConfig) -> ClusterConfig:
    if config.cluster is None:
        raise ValueError("this command needs a [cluster] section in the config (see the README, Running a cluster)")
    return config.cluster


def build_celery(config: ListenerConfig) -> Celery:
    cluster = cluster_of(config)
    queues = cluster.queues
    app = Celery("listener", broker=cluster.resolved_broker_url(), set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_queues=[Queue(name, routing_key=name) for name in queues.named(list(queues.model_fields))],
        task_default_queue=queues.collect,
        task_routes={
            POLL: {"queue": queues.collect, "routing_key": queues.collect},
            SCORE: {"queue": queues.classify, "routing_key": queues.classify},
            JUDGE: {"queue": queues.detect, "routing_key": queues.detect},
            DELIVER: {"queue": queues.notify, "routing_key": queues.notify},
            RETAIN: {"queue": queues.detect, "routing_key": queues.detect},
        },
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_heartbeat=10,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_enable_remote_control=False,
        worker_send_task_events=False,
    )
    return app


class Dispatcher:
    """Sends work to the queues, never more than the queue can use.

    Scoring, judging and delivery are asked for on every tick, and a poll on every interval: while
    the workers are busy, a tick's work that still waits in its queue is not sent again (a queue
    full of copies would only delay the polls and deliveries behind them). What is sent expires
    after `ttl`, so work that waited out a stopped worker is dropped rather than run stale.
    """

    def __init__(self, app: Celery, config: ListenerConfig):
        self.app = app
        self.config = config
        self.queues = cluster_of(config).queues
        self.shards = cluster_of(config).score_shards
        self.ttl = max(config.process_interval * 3, timedelta(seconds=30))
        self.polls = sum(
            1 for source in config.sources if source.enabled for brand in config.brands
            if source.brands is None or brand.name in source.brands
        )  # fmt: skip

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A connection of its own for each batch of sends, closed after it. Not the producer pool:
        a pooled connection that the broker closed (a restart) could leave a send waiting forever
        for a connection from an exhausted pool, and the scheduler silently idle."""
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=3)
            yield connection

    def _waiting(self, connection: Connection, queue: str) -> int:
        """Messages ready in `queue` (not counting those a worker holds); 0 if it cannot be asked."""
        channel = connection.channel()
        try:
            depth = channel.queue_declare(queue=queue, passive=True).message_count
        except Exception:  # noqa: BLE001 - not declared yet (no worker ever started): send
            return 0
        finally:
            with suppress(Exception):
                channel.close()
        metrics.QUEUE_DEPTH.labels(queue).set(depth)
        return depth

    def _send(self, connection: Connection, name: str, args: list[object], ttl: timedelta | None = None) -> None:
        self.app.send_task(name, args=args, expires=(ttl or self.ttl).total_seconds(), connection=connection)

    def poll(self, source: str, brand: str, interval: timedelta) -> None:
        with self._connection() as connection:
            if self._waiting(connection, self.queues.collect) < self.polls:
                self._send(connection, POLL, [source, brand], max(interval * 2, timedelta(seconds=30)))

    def score(self, shards: list[int] | None = None) -> None:
        with self._connection() as connection:
            if self._waiting(connection, self.queues.classify) >= self.shards:
                return
            for shard in range(self.shards) if shards is None else shards:
                self._send(connection, SCORE, [shard])

    def judge(self) -> None:
        with self._connection() as connection:
            if self._waiting(connection, self.queues.detect) >= len(self.config.brands):
                return
            for brand in self.config.brands:
                self._send(connection, JUDGE, [brand.name])

    def deliver(self) -> None:
        with self._connection() as connection:
            if not self._waiting(connection, self.queues.notify):
                self._send(connection, DELIVER, [])

    def retain(self) -> None:
        with self._connection() as connection:
            self._send(connection, RETAIN, [], RETENTION_EVERY)
