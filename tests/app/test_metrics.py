"""Prometheus metrics and JSON logs: what each process reports about its own work."""

from __future__ import annotations

import json
import logging
import os
import random
import subprocess
import sys
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from listener.app.cluster.observe import serve_observability
from listener.app.pipeline import Pipeline
from listener.app.scheduler import Scheduler
from listener.cli.log_format import JsonFormatter
from listener.core import redaction
from listener.core.clock import ManualClock
from listener.web import create_app
from tests.app.test_scheduler import CountingCollector, FailingCollector
from tests.conftest import utc

REPO = Path(__file__).resolve().parents[2]


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_polls_count_new_mentions_and_failures_per_source(make_config, tmp_path) -> None:
    config = make_config(
        storage={"url": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        sources=[{"name": "metered", "type": "demo"}, {"name": "broken", "type": "demo"}],
    )
    pipeline = Pipeline(config, clock=ManualClock(utc(2026, 11, 2)), notifiers={})
    pipeline.collectors.update(metered=CountingCollector(), broken=FailingCollector(retry_after=30))
    collected_before = sample("listener_mentions_collected_total", source="metered")
    errors_before = sample("listener_source_errors_total", source="broken")

    scheduler = Scheduler(pipeline, rng=random.Random(1), monotonic=lambda: 0.0)
    scheduler.run_source("metered")  # one new mention for each of the two brands
    scheduler.run_source("broken")

    assert sample("listener_mentions_collected_total", source="metered") == collected_before + 2
    assert sample("listener_source_errors_total", source="broken") == errors_before + 1
    assert sample("listener_source_backoff_seconds", source="broken") == 30
    assert sample("listener_source_backoff_seconds", source="metered") == 0


def test_dashboard_serves_metrics_without_a_login(make_config, store) -> None:
    with TestClient(create_app(make_config(), store)) as client:
        reply = client.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    assert "# TYPE listener_mentions_scored_total counter" in reply.text
    assert "listener_windows_judged_total" in reply.text


def test_cluster_node_serves_metrics_and_its_readiness() -> None:
    state = {"role": "worker", "ready": False}
    server = serve_observability(0, lambda: dict(state), host="127.0.0.1")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert httpx.get(f"{base}/healthz").status_code == 503
        state["ready"] = True
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200 and health.json() == {"role": "worker", "ready": True}
        assert "listener_alerts_sent_total" in httpx.get(f"{base}/metrics").text
        assert httpx.get(f"{base}/other").status_code == 404
    finally:
        server.shutdown()


def test_json_log_lines_carry_the_record_redacted() -> None:
    redaction.register_secret("hunter2-cluster-token")
    record = logging.LogRecord(
        "listener.app", logging.ERROR, __file__, 1, "broker said %s", ("hunter2-cluster-token",), None
    )
    assert redaction.FILTER.filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "ERROR" and line["logger"] == "listener.app"
    assert "hunter2-cluster-token" not in line["message"] and line["message"].startswith("broker said ")
    assert line["time"].endswith("+00:00")


FORKED_WORKER = """
import multiprocessing, sys
from listener.app.cluster.shared_metrics import share_metrics_across_processes

share_metrics_across_processes()  # what `listener worker --concurrency 2` does first
from listener.app import metrics
from listener.app.cluster.observe import serve_observability

def child(scored: int) -> None:  # a prefork child scoring a batch
    metrics.MENTIONS_SCORED.inc(scored)
    metrics.SOURCE_BACKOFF.labels("reddit").set(scored * 10)

if __name__ == "__main__":
    context = multiprocessing.get_context("fork")  # as Celery's prefork pool does
    for scored in (3, 4):
        process = context.Process(target=child, args=(scored,))
        process.start()
        process.join()
    server = serve_observability(0, lambda: {"ready": True}, host="127.0.0.1")
    import httpx
    print(httpx.get(f"http://127.0.0.1:{server.server_address[1]}/metrics").text)
"""


def test_a_prefork_workers_metrics_sum_what_its_children_counted(tmp_path) -> None:
    """The children of `listener worker --concurrency N` do the work and the parent serves
    /metrics: it must report their counts, not its own zeros."""
    script = tmp_path / "forked_worker.py"
    script.write_text(FORKED_WORKER, encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=environment, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    scraped = {
        family.name: family for family in text_string_to_metric_families(done.stdout)
    }
    assert scraped["listener_mentions_scored"].samples[0].value == 7
    (backoff,) = scraped["listener_source_backoff_seconds"].samples
    assert backoff.labels == {"source": "reddit"} and backoff.value == 40  # the longest wait
