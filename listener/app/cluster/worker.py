"""`listener worker`: a Celery worker consuming some of the cluster's queues.

One process (`--concurrency 1`) runs tasks in the worker process itself (Celery's solo pool): a
kill -9 then takes the broker connection with it, and RabbitMQ hands the unacknowledged task to
another worker. More processes use Celery's prefork pool, each child with its own pipeline.
"""

from __future__ import annotations

import logging
import socket
import threading

from celery import signals

from listener.app.cluster.celery_app import build_celery, cluster_of
from listener.app.cluster.observe import serve_observability
from listener.app.cluster.shared_metrics import forget_dead_process, metrics_are_shared
from listener.app.cluster.tasks import WorkerRuntime, register_tasks
from listener.config import ListenerConfig
from listener.storage.cluster import migrate_once
from listener.storage.database import create_db_engine

log = logging.getLogger(__name__)


def run_worker(config: ListenerConfig, roles: list[str], concurrency: int) -> None:
    engine = create_db_engine(config.storage.url)
    migrate_once(engine)
    engine.dispose()
    for chatty in ("celery.worker.strategy", "celery.app.trace"):  # a line per task received and done
        logging.getLogger(chatty).setLevel(logging.WARNING)
    app = build_celery(config)
    runtime = WorkerRuntime(config)
    register_tasks(app, runtime)
    if concurrency > 1:
        signals.worker_process_init.connect(runtime.forget_after_fork, weak=False)
        if metrics_are_shared():
            signals.worker_process_shutdown.connect(lambda pid, **_: forget_dead_process(pid), weak=False)
    if concurrency == 1 and "classify" in roles:
        # The model loads before the first task, so its cost shows at start and not inside a batch.
        log.info("sentiment model %s ready", runtime.pipeline.classifier.version)
    consuming = threading.Event()
    signals.worker_ready.connect(lambda **_: consuming.set(), weak=False)
    if port := cluster_of(config).metrics_port:
        serve_observability(port, lambda: {"role": "worker", "queues": roles, "ready": consuming.is_set()})
    queues = cluster_of(config).queues.named(roles)
    log.info(
        "worker: consuming %s with %d %s",
        ", ".join(queues),
        concurrency,
        "process" if concurrency == 1 else "processes",
    )
    worker = app.Worker(
        hostname=f"listener-{'-'.join(roles)}@{socket.gethostname()}",
        queues=queues,
        concurrency=concurrency,
        pool="solo" if concurrency == 1 else "prefork",
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        quiet=True,
        loglevel=logging.getLogger().getEffectiveLevel(),
    )
    worker.start()
    if worker.exitcode:
        raise SystemExit(worker.exitcode)
