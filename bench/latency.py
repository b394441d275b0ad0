"""Alert latency of the live daemon: from the mention that makes a window anomalous becoming
available to the collector, to the Slack request arriving.

Each run starts the real daemon (`listener.app.daemon.run_daemon`: APScheduler, the process loop,
SQLite in a scratch folder, the shipped model, the system clock) with one demo source replaying a
file: two hours of calm mentions, all in the past and collected by the first poll, then a spike of
negative mentions stamped a few seconds apart in the near future. The demo source releases a
mention when the clock passes its time, so its timestamp is the moment it becomes available.
Slack points at a loopback HTTP server that notes when each request arrives.

With `--cluster`, the same replay runs through a cluster instead: `listener scheduler` and
`listener worker` as subprocesses on PostgreSQL and RabbitMQ (the database is emptied before each
run, the queues are named per run and deleted after it).

Which spike mention made the count anomalous is worked out after the run, on what the daemon
stored: the alert window's negatives (as the model labelled them) in time order, and the first
count that the rule's own `judge` calls anomalous against the window's history. Prints each run,
the median and max, and the target: one collection interval plus 5 s.

    python bench/latency.py [--runs 5] [--interval 5]
    python bench/latency.py --cluster --postgres postgresql://postgres@127.0.0.1/bench \
        --broker amqp://guest:guest@127.0.0.1:5672/ [--runs 5] [--interval 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.detect.detector import baseline_windows  # noqa: E402
from alerts.detect.rules import default_rule, judge  # noqa: E402
from alerts.detect.windows import align  # noqa: E402
from classifiers import SentimentClassifier, load_classifier  # noqa: E402
from listener.app.daemon import run_daemon  # noqa: E402
from listener.app.pipeline import Pipeline  # noqa: E402
from listener.config import ModelConfig, parse_config  # noqa: E402
from listener.core.records import WindowCount  # noqa: E402
from listener.storage.database import open_database  # noqa: E402
from listener.storage.repository import Store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

WINDOW = timedelta(minutes=1)
"""Short windows keep a run short; latency does not depend on the window's length."""
HISTORY = timedelta(hours=2)
LEAD = timedelta(seconds=25)
"""Time for the daemon to start and score the history before the spike window begins."""
SPIKE_EVERY = timedelta(seconds=1.5)
SPIKE_LENGTH = 30
CALM = ("acme release notes for version {n} are out", "love the new acme dashboard, great work {n}")
NEGATIVE = "acme is down again, every request fails with 502 errors. terrible service #{n}"
SLACK_WAIT = 120.0


class SlackServer:
    """A loopback Slack webhook that records when each request arrived (wall-clock seconds)."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.received = threading.Event()
        arrivals, received = self.arrivals, self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                arrivals.append(time.time())
                received.set()
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/XXXX"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_replay(path: Path, now: datetime) -> datetime:
    """Calm history up to `now`, then the spike; returns the spike window's start."""
    records = []
    minute = align(now - HISTORY, WINDOW)
    number = 0
    while minute < now:
        texts = [CALM[0], CALM[1]] + ([NEGATIVE] if number % 3 == 0 else [])
        for offset, text in enumerate(texts):
            records.append((minute + timedelta(seconds=5 + 15 * offset), text.format(n=number)))
        minute += WINDOW
        number += 1
    spike = align(now + LEAD, WINDOW) + WINDOW
    for index in range(SPIKE_LENGTH):
        records.append((spike + timedelta(seconds=2) + index * SPIKE_EVERY, NEGATIVE.format(n=f"s{index}")))
    with path.open("w", encoding="utf-8") as replay:
        for index, (created, text) in enumerate(records):
            replay.write(json.dumps({"id": f"r{index}", "created_at": created.isoformat(), "text": text, "language": "en"}) + "\n")
    return spike


CLUSTER_CONFIG = """\
process_interval = "1s"
[storage]
url = "{database_url}"
[[brands]]
name = "Acme"
keywords = ["acme"]
[[sources]]
name = "replay"
type = "demo"
interval = "{interval}s"
data = "{replay}"
[detection]
window = "1m"
baseline = "1h"
[[notifiers]]
name = "team-slack"
type = "slack"
webhook_url = "${{SLACK_WEBHOOK_URL}}"
[web]
enabled = false
[cluster]
broker_url = "${{LATENCY_BROKER_URL}}"
[cluster.queues]
collect = "{prefix}.collect"
classify = "{prefix}.classify"
detect = "{prefix}.detect"
notify = "{prefix}.notify"
"""


def config_for(scratch: Path, replay: Path, interval: float) -> Any:
    return parse_config(
        {
            "storage": {"url": f"sqlite:///{scratch / 'latency.db'}"},
            "brands": [{"name": "Acme", "keywords": ["acme"]}],
            "sources": [{"name": "replay", "type": "demo", "interval": f"{interval}s", "data": str(replay)}],
            "detection": {"window": "1m", "baseline": "1h"},
            "notifiers": [{"name": "team-slack", "type": "slack", "webhook_url": "${SLACK_WEBHOOK_URL}"}],
            "web": {"enabled": False},
        },
        "bench/latency.py",
    )


def crossing_time(store: Store, config: Any) -> tuple[datetime, int, int]:
    """When the mention that made the first alert's window anomalous was made available, its
    place among the window's negatives, and the count the alert was sent with."""
    alert = next(alert for alert in store.alerts("Acme") if alert.kind == "firing")
    rule = default_rule(config.detection)
    first = store.first_mention_time("Acme")
    assert first is not None
    history_start = max(align(first, WINDOW), alert.window_start - baseline_windows(rule.detection) * WINDOW)
    history = store.window_counts("Acme", history_start, alert.window_start, WINDOW)
    negatives = sorted(created for created, _ in store.mention_texts("Acme", alert.window_start, alert.window_end, 1000))
    for count, created in enumerate(negatives, start=1):
        if judge(rule, history, WindowCount(alert.window_start, count, count, 0, 0)).anomalous:
            return created.replace(tzinfo=created.tzinfo or UTC), count, alert.observed
    raise RuntimeError("the alert window's stored negatives are not anomalous: was it judged on another history?")


def cluster_run(database_url: str, broker_url: str, interval: float) -> tuple[float, int, int]:
    """One run through a scheduler and a worker (subprocesses), as `one_run` through the daemon."""
    from kombu import Connection

    slack = SlackServer()
    prefix = f"latency-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        replay = scratch / "replay.jsonl"
        engine = open_database(database_url)
        empty_database(engine)
        write_replay(replay, datetime.now(UTC))
        config_path = scratch / "cluster.toml"
        config_path.write_text(
            CLUSTER_CONFIG.format(database_url=database_url, interval=interval, replay=replay, prefix=prefix), encoding="utf-8"
        )
        environment = {**os.environ, "PYTHONPATH": str(REPO), "SLACK_WEBHOOK_URL": slack.url, "LATENCY_BROKER_URL": broker_url}
        nodes = []
        for role in ("scheduler", "worker"):
            with (scratch / f"{role}.log").open("wb") as log:
                nodes.append(subprocess.Popen(
                    [sys.executable, "-m", "listener", role, "--config", str(config_path)],
                    cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT,
                ))  # fmt: skip
        try:
            if not slack.received.wait(LEAD.total_seconds() + SLACK_WAIT):
                tails = "\n".join((scratch / f"{role}.log").read_text(errors="replace")[-3000:] for role in ("scheduler", "worker"))
                raise RuntimeError(f"no Slack request arrived: the spike was not alerted on\n{tails}")
        finally:
            for node in nodes:
                node.send_signal(signal.SIGTERM)
            for node in nodes:
                try:
                    node.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    node.kill()
            slack.close()
            with Connection(broker_url, connect_timeout=5) as connection:
                channel = connection.channel()
                for kind in ("collect", "classify", "detect", "notify"):
                    channel.queue_delete(f"{prefix}.{kind}")
        config = parse_config(tomllib.loads(config_path.read_text(encoding="utf-8")), str(config_path))
        available, place, observed = crossing_time(Store(engine), config)
        engine.dispose()
    return slack.arrivals[0] - available.timestamp(), place, observed


def empty_database(engine: Any) -> None:
    """Every table emptied (the schema is kept, already migrated by `open_database`)."""
    from sqlalchemy import text

    from listener.storage.schema import Base

    with engine.begin() as connection:
        names = ", ".join(table.name for table in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def one_run(classifier: SentimentClassifier, interval: float) -> tuple[float, int, int]:
    slack = SlackServer()
    os.environ["SLACK_WEBHOOK_URL"] = slack.url
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        replay = scratch / "replay.jsonl"
        write_replay(replay, datetime.now(UTC))
        config = config_for(scratch, replay, interval)
        pipeline = Pipeline(config, classifier=classifier)
        stop = threading.Event()
        daemon = threading.Thread(target=run_daemon, args=(config, pipeline, stop), daemon=True)
        daemon.start()
        try:
            if not slack.received.wait(LEAD.total_seconds() + SLACK_WAIT):
                raise RuntimeError("no Slack request arrived: the spike was not alerted on")
        finally:
            stop.set()
            daemon.join()
            slack.close()
        available, place, observed = crossing_time(pipeline.store, config)
        pipeline.store.engine.dispose()
    return slack.arrivals[0] - available.timestamp(), place, observed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--interval", type=float, default=5.0, help="the source's collection interval in seconds")
    parser.add_argument("--cluster", action="store_true", help="run a scheduler and a worker instead of the daemon")
    parser.add_argument("--postgres", help="the cluster's database (emptied before each run)")
    parser.add_argument("--broker", help="the cluster's RabbitMQ URL")
    args = parser.parse_args()
    if args.cluster and not (args.postgres and args.broker):
        parser.error("--cluster needs --postgres and --broker")
    logging.basicConfig(level=logging.ERROR, format="%(levelname)-8s %(name)s: %(message)s")
    classifier = None if args.cluster else load_classifier(ModelConfig())
    target = args.interval + 5.0
    latencies = []
    for run in range(1, args.runs + 1):
        if args.cluster:
            latency, place, observed = cluster_run(args.postgres, args.broker, args.interval)
        else:
            assert classifier is not None
            latency, place, observed = one_run(classifier, args.interval)
        latencies.append(latency)
        print(f"run {run}: {latency:5.2f} s (negative #{place} made the window anomalous; alert sent with {observed})", flush=True)
    median, worst = statistics.median(latencies), max(latencies)
    print(f"latency over {args.runs} runs: median {median:.2f} s, max {worst:.2f} s; target under {target:g} s "
          f"(collection interval {args.interval:g} s + 5 s): {'met' if worst < target else 'NOT met'}")
    return 0 if worst < target else 1


if __name__ == "__main__":
    sys.exit(main())
