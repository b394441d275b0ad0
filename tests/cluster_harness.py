"""A real cluster for fault tests: each node a subprocess, RabbitMQ and PostgreSQL on loopback.

Nodes run `python -m listener scheduler|worker` from this checkout against their own queues
(named per test, deleted after it) and the PostgreSQL database of LISTENER_TEST_DATABASE_URL.
The spike they collect is the end-to-end test's slice of the demo data, moved in time so that
it ends half an hour ago: the system clock, which every node shares, sees it as recent history.
Tests skip when RabbitMQ (LISTENER_TEST_BROKER_URL, default guest on 127.0.0.1:5672) or
PostgreSQL is not reachable.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Callable, TypeVar
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import Engine, text

from listener.config import BrandConfig, load_config
from listener.sources.matching import mentions_brand

REPO = Path(__file__).resolve().parents[1]
DEADLINE = 120.0
"""Seconds a test waits for the cluster to get somewhere: generous, as the machine may be busy."""

SLICE_START = datetime(2026, 11, 3, 20, tzinfo=UTC)
SLICE_END = datetime(2026, 11, 4, 12, 30, tzinfo=UTC)
KEEP_EVERY = 4
"""Of the mentions the demo data calls neutral or positive, one in this many is kept: the machine
scoring them may be busy, and the negative ones alone make the baseline and the spike."""

T = TypeVar("T")


def broker_url() -> str:
    return os.environ.get("LISTENER_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


def require_broker() -> None:
    from kombu import Connection

    try:
        with Connection(broker_url(), connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as error:  # noqa: BLE001 - any failure means: no broker here
        pytest.skip(f"RabbitMQ is not reachable at {broker_url()}: {error}")


def require_postgres() -> str:
    url = os.environ.get("LISTENER_TEST_DATABASE_URL")
    if not url:
        pytest.skip("LISTENER_TEST_DATABASE_URL is not set: the cluster needs PostgreSQL")
    return url


NODE_APPLICATION = "listener-cluster-test"
"""The PostgreSQL application_name of the nodes' connections, so a test can cut exactly those."""


def broker_vhost() -> str:
    path = urlsplit(broker_url()).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def close_broker_connections() -> None:
    """Have RabbitMQ close every connection of the test's vhost, as a broker restart would."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        pytest.skip("rabbitmqctl is not installed: cannot close connections from the broker's side")
    closed = subprocess.run(
        [rabbitmqctl, "close_all_connections", "--vhost", broker_vhost(), "fault test: broker-side close"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if closed.returncode != 0:  # not allowed to (no Erlang cookie for this user): the fault cannot be made
        pytest.skip(f"rabbitmqctl could not close the broker's connections: {closed.stderr.strip()[:300]}")


def terminate_node_backends(engine: Engine, seconds: float) -> int:
    """Make PostgreSQL refuse the nodes for `seconds`: terminate each of their backends as soon as it
    appears. Returns how many were terminated."""
    terminated = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with engine.connect() as connection:
            terminated += len(
                connection.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": NODE_APPLICATION},
                ).all()
            )
        time.sleep(0.05)  # the fault's own pace, not a wait for a result
    return terminated


def wait_for(
    condition: Callable[[], T], what: str, deadline: float = DEADLINE, on_fail: Callable[[], str] | None = None
) -> T:
    """Poll `condition` until it returns something truthy; fail naming `what` after `deadline` s
    (with `on_fail()`, the nodes' logs, in the message)."""
    give_up = time.monotonic() + deadline
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > give_up:
            pytest.fail(f"gave up after {deadline:.0f}s waiting for {what}\n{on_fail() if on_fail else ''}")
        time.sleep(0.05)


def write_spike(path: Path, now: datetime) -> Path:
    """The demo data's Acme outage after 14 quiet hours, thinned, ending two hours before `now`
    (time enough for the incident to resolve)."""
    bundled = (resources.files("listener") / "demo_data" / "mentions.jsonl").read_text(encoding="utf-8")
    shift = now.replace(second=0, microsecond=0) - timedelta(hours=2) - SLICE_END
    lines = []
    for number, line in enumerate(bundled.splitlines()):
        record = json.loads(line)
        created_at = datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
        thinned_out = record.get("expected_sentiment") != "negative" and number % KEEP_EVERY
        if SLICE_START <= created_at < SLICE_END and not thinned_out:
            record["created_at"] = (created_at + shift).isoformat()
            lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def expected_mentions(spike: Path, brands: list[BrandConfig]) -> dict[str, set[str]]:
    """External ids each brand must end up with: what the pipeline's brand matching keeps."""
    by_brand: dict[str, set[str]] = {brand.name: set() for brand in brands}
    for line in spike.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for brand in brands:
            if mentions_brand(brand, record["text"], record.get("language")):
                by_brand[brand.name].add(record["id"])
    return by_brand


CONFIG = """\
process_interval = "1s"

[storage]
url = "{database_url}"

[[brands]]
name = "Acme"
keywords = ["acme", "acmecloud"]
phrases = ["acme cloud"]
exclude = ["acme anvil"]

[[brands]]
name = "Globex"
keywords = ["globex"]

[[sources]]
name = "demo"
type = "demo"
interval = "1s"
data = "spike.jsonl"

[detection]
seasonal = false     # the slice holds 18 quiet hours: judge against the last day's median
baseline = "1d"
source_wait = "2d"   # the spike is history to the system clock: wait for every mention's score

[alerting]
resolve_after = "1h"

[[notifiers]]
name = "hook"
type = "webhook"
url = "{webhook_url}"
secret = "${{CLUSTER_TEST_WEBHOOK_SECRET}}"

[web]
enabled = false

[cluster]
broker_url = "${{CLUSTER_TEST_BROKER_URL}}"
score_shards = 4

[cluster.queues]
collect = "{prefix}.collect"
classify = "{prefix}.classify"
detect = "{prefix}.detect"
notify = "{prefix}.notify"
"""


@dataclass
class Node:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """kill -9: no shutdown handler runs, connections simply drop."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)


@dataclass
class Cluster:
    directory: Path
    config_path: Path
    env: dict[str, str]
    queue_names: list[str]
    nodes: list[Node] = field(default_factory=list)

    def start(self, role: str, name: str, *args: str) -> Node:
        log_path = self.directory / f"{name}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "listener", role, "--config", str(self.config_path), *args],
                cwd=REPO, env=self.env, stdout=log_file, stderr=subprocess.STDOUT,
            )  # fmt: skip
        node = Node(name, process, log_path)
        self.nodes.append(node)
        return node

    def stop(self) -> None:
        for node in self.nodes:
            if node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in self.nodes:
            try:
                node.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                node.kill()
        self._delete_queues()

    def _delete_queues(self) -> None:
        from kombu import Connection

        with Connection(broker_url(), connect_timeout=3) as connection:
            channel = connection.channel()
            for name in self.queue_names:
                channel.queue_delete(name)

    def dump_logs(self) -> str:
        """Each node's log tail, and where a live node's threads are (when py-spy is installed)."""
        py_spy = shutil.which("py-spy")
        parts = []
        for node in self.nodes:
            parts.append(f"===== {node.name}\n{node.log()[-6000:]}")
            if py_spy and node.process.poll() is None:
                stacks = subprocess.run(
                    [py_spy, "dump", "--pid", str(node.process.pid)], capture_output=True, text=True
                )
                parts.append(f"----- {node.name} threads\n{stacks.stdout[-4000:]}")
        parts.append(f"===== queues (ready, consumers): {self.queue_state()}")
        return "\n".join(parts)

    def queue_state(self) -> dict[str, tuple[int, int]]:
        from kombu import Connection

        state = {}
        with Connection(broker_url(), connect_timeout=3) as connection:
            for name in self.queue_names:
                try:
                    declared = connection.channel().queue_declare(queue=name, passive=True)
                    state[name] = (declared.message_count, declared.consumer_count)
                except Exception as error:  # noqa: BLE001 - a diagnostic only
                    state[name] = (-1, -1)
                    del error
        return state


def make_cluster(directory: Path, database_url: str, webhook_url: str) -> Cluster:
    write_spike(directory / "spike.jsonl", datetime.now(UTC))
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    config_path = directory / "cluster.toml"
    config_path.write_text(
        CONFIG.format(
            database_url=f"{database_url}{'&' if '?' in database_url else '?'}application_name={NODE_APPLICATION}",
            webhook_url=webhook_url,
            prefix=prefix,
        ),
        encoding="utf-8",
    )
    load_config(config_path)  # a broken config fails here, with its message, not in every node
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "CLUSTER_TEST_BROKER_URL": broker_url(),
        "CLUSTER_TEST_WEBHOOK_SECRET": "cluster-test-secret",
    }
    queues = [f"{prefix}.{role}" for role in ("collect", "classify", "detect", "notify")]
    return Cluster(directory, config_path, env, queues)
