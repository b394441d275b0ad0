"""The long-running process: scheduler in the background, signals handled in the foreground.

SIGINT and SIGTERM stop scheduling new work and wait for the jobs in flight to finish their
batch, so a stop never leaves a half-stored poll or a half-scored batch behind.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING

from listener.app.own_posts import flag_own_posts
from listener.app.pipeline import CollectFailed, Pipeline, ProcessReport
from listener.app.replay_restart import restart_finished_replay
from listener.app.scheduler import Scheduler
from listener.app.surveys import import_configured_surveys
from listener.config import ListenerConfig
from listener.core.clock import ReplayClock
from listener.core.text import plural
from listener.storage.surveys import SurveyStore

if TYPE_CHECKING:
    from listener.web.server import BackgroundServer

log = logging.getLogger(__name__)


def run_daemon(config: ListenerConfig, pipeline: Pipeline | None = None, stop: threading.Event | None = None) -> None:
    pipeline = pipeline or Pipeline(config)
    stop = stop or threading.Event()

    def _request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the batch in hand, then stopping", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _request_stop)
        signal.signal(signal.SIGTERM, _request_stop)

    restart_finished_replay(pipeline)
    flag_own_posts(config, pipeline.store)
    # The model loads before the first poll, so its cost shows here rather than inside a poll.
    model_version = pipeline.classifier.version
    if isinstance(pipeline.clock, ReplayClock):
        # A replay starts when the daemon listens: the first start's model export (seconds, so
        # hours of replayed time at the demo's 1440x) would otherwise pass with nothing collected,
        # and the first poll would bring hours of mentions that judging finds unscored and old.
        pipeline.clock.restart()
    log.info(
        "listening for %s on %s; model: %s; notifiers: %s; storage: %s",
        ", ".join(brand.name for brand in config.brands),
        ", ".join(f"{name} (every {pipeline.source_config(name).interval})" for name in pipeline.collectors),
        model_version,
        ", ".join(sorted(pipeline.notifiers)) or "none",
        pipeline.store.engine.url.render_as_string(hide_password=True),
    )
    # After a finished replay is cleared (which empties every table), so the demo's survey is there.
    import_configured_surveys(config, SurveyStore(pipeline.store.engine), lambda: pipeline.classifier)
    scheduler = Scheduler(pipeline)
    scheduler.start()
    dashboard = _start_dashboard(config, pipeline)
    try:
        stop.wait()
    finally:
        scheduler.shutdown()
        if dashboard is not None:
            dashboard.stop()
        log.info("stopped")


def _start_dashboard(config: ListenerConfig, pipeline: Pipeline) -> BackgroundServer | None:
    """The dashboard runs beside the daemon unless `[web] enabled = false`; it only reads."""
    if not config.web.enabled:
        return None
    from listener.web.server import BackgroundServer

    log.info("dashboard on http://%s:%d/", config.web.host, config.web.port)
    return BackgroundServer(config, pipeline.store).start()


@dataclass
class OnceReport:
    """What `listener run --once` did: its closing line and its exit status."""

    new_mentions: int = 0
    failed_sources: list[str] = field(default_factory=list)
    processed: ProcessReport = field(default_factory=ProcessReport)

    def summary(self) -> str:
        alerts = len(self.processed.alerts)
        line = (
            f"run --once: {self.new_mentions} new {plural(self.new_mentions, 'mention')}, "
            f"{self.processed.scored} scored, {alerts} {plural(alerts, 'alert')}"
        )
        if self.processed.held:
            line += f" ({self.processed.held} recorded, not delivered: `listener alerts list` says why)"
        if self.failed_sources:
            line += f"; {len(self.failed_sources)} {plural(len(self.failed_sources), 'source')} failed: "
            line += ", ".join(self.failed_sources)
        return line


def run_once(pipeline: Pipeline) -> OnceReport:
    """One poll of every source, then one processing pass: for cron-style use and smoke tests.

    There is no backoff: a failed source is logged once and the report says so (the exit status is
    how a cron job tells anyone); the next run simply tries again. The model loads first, as in the
    daemon, so a model that cannot load fails the run even when nothing new came in.
    """
    log.debug("model %s ready", pipeline.classifier.version)
    import_configured_surveys(pipeline.config, SurveyStore(pipeline.store.engine), lambda: pipeline.classifier)
    report = OnceReport()
    for name in pipeline.collectors:
        try:
            new_by_brand = pipeline.collect(name)
        except CollectFailed as error:
            log.error("%s", error)
            report.failed_sources.append(name)
            new_by_brand = error.new_by_brand
        except Exception as error:
            log.error("source %s failed: %s", name, error)
            log.debug("source %s: unexpected error", name, exc_info=error)
            report.failed_sources.append(name)
            continue
        report.new_mentions += sum(new_by_brand.values())
    report.processed = pipeline.process()
    return report
