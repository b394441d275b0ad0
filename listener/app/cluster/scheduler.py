"""`listener scheduler`: while it leads (`leader`), APScheduler sends the cluster's work on time.

It only enqueues: every source's poll for every brand it serves on the source's interval, and
scoring, judging and delivery every `process_interval`. Workers do the work. What the scheduler
sends again each tick (scoring, judging, delivery) makes a lost message, or one dropped while the
broker was unreachable, cost one tick and never a mention or an alert.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from listener.app.cluster.celery_app import Dispatcher, build_celery, cluster_of
from listener.app.cluster.leader import Leadership
from listener.app.cluster.observe import serve_observability
from listener.app.own_posts import flag_own_posts
from listener.app.retention import RETENTION_EVERY
from listener.config import ListenerConfig
from listener.core.clock import utcnow
from listener.storage.cluster import migrate_once
from listener.storage.database import create_db_engine
from listener.storage.repository import Store

log = logging.getLogger(__name__)


def run_scheduler(config: ListenerConfig, stop: threading.Event) -> None:
    engine = create_db_engine(config.storage.url)
    migrate_once(engine)
    flag_own_posts(config, Store(engine))
    dispatcher = Dispatcher(build_celery(config), config)
    leadership = Leadership(engine, stop)
    port = cluster_of(config).metrics_port
    if port:
        serve_observability(port, lambda: {"role": "scheduler", "ready": True, "leading": leadership.leading})
    leadership.run(lambda: start_jobs(config, dispatcher))
    engine.dispose()


def start_jobs(config: ListenerConfig, dispatcher: Dispatcher) -> Callable[[], None]:
    """Start sending work; return how to stop."""
    scheduler = BackgroundScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}, timezone="UTC"
    )
    for source in config.sources:
        if not source.enabled:
            continue
        for brand in config.brands:
            if source.brands is not None and brand.name not in source.brands:
                continue
            scheduler.add_job(
                _logged(dispatcher.poll), "interval", args=[source.name, brand.name, source.interval],
                id=f"poll:{source.name}:{brand.name}", seconds=source.interval.total_seconds(), next_run_time=utcnow(),
            )  # fmt: skip
    scheduler.add_job(
        _logged(lambda: (dispatcher.score(), dispatcher.judge(), dispatcher.deliver())), "interval",
        id="process", seconds=config.process_interval.total_seconds(), next_run_time=utcnow(),
    )  # fmt: skip
    if config.storage.keep_mentions is not None:
        scheduler.add_job(
            _logged(dispatcher.retain), "interval", id="retention", seconds=RETENTION_EVERY.total_seconds(),
            next_run_time=utcnow(),
        )  # fmt: skip
    scheduler.start()
    return lambda: scheduler.shutdown(wait=False)


def _logged(send: Callable[..., object]) -> Callable[..., None]:
    """A send that fails (broker unreachable past kombu's retries) is logged; the next tick retries."""

    def job(*args: object) -> None:
        try:
            send(*args)
        except Exception as error:
            log.error("could not enqueue work (the next tick tries again): %s", error)

    return job
