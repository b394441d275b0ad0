"""End-to-end throughput of `listener run` (SQLite, PostgreSQL) and of the cluster (1 and 2
workers), the scheduler's failover time, and peak RSS per role. Printed, not asserted.

Every mode runs the real commands as subprocesses over the same input: `--mentions` mentions of
the demo data's texts (fresh ids), dated over the last hour, in a JSONL file the demo source
reads (a local source: the platform's latency is not what is measured). Throughput is
mentions / (last verdict stored - first mention stored), both read from the database, so process
start and model loading are left out; judging and rollups run alongside, as in production.

    python bench/cluster.py --postgres postgresql://postgres@127.0.0.1/bench \\
        --broker amqp://guest:guest@127.0.0.1:5672/bench [--mentions 2000] [--threads 1] [--model minilm-l6-lora-v1]

The databases are emptied (and migrated) before each mode. RabbitMQ queues are named per run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from listener.config import parse_config  # noqa: E402
from listener.core.text import clean_text  # noqa: E402
from listener.sources.matching import mentions_brand  # noqa: E402
from listener.storage.database import create_db_engine, upgrade  # noqa: E402
from listener.storage.schema import Base, MentionRow  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEADLINE = 1800.0

CONFIG = """\
process_interval = "1s"
[model]
name = "{model}"
threads = {threads}
[storage]
url = "{database_url}"
[[brands]]
name = "Acme"
keywords = ["acme", "acmecloud"]
phrases = ["acme cloud"]
[[brands]]
name = "Globex"
keywords = ["globex"]
[[sources]]
name = "demo"
type = "demo"
interval = "1s"
data = "mentions.jsonl"
[web]
enabled = false
{cluster}
"""

CLUSTER = """\
[cluster]
broker_url = "${{BENCH_BROKER_URL}}"
score_shards = 4
[cluster.queues]
collect = "{prefix}.collect"
classify = "{prefix}.classify"
detect = "{prefix}.detect"
notify = "{prefix}.notify"
"""


def write_mentions(path: Path, count: int, now: datetime) -> None:
    """`count` mentions of a configured brand, the demo's texts under fresh ids, over the last hour.
    Only texts the brands' queries match are used, so that every one is stored."""
    brands = parse_config(tomllib.loads(CONFIG.format(database_url="sqlite://", cluster="", threads=0, model="default"))).brands
    bundled = (resources.files("listener") / "demo_data" / "mentions.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in bundled.splitlines()]
    records = [
        record for record in records
        if any(mentions_brand(brand, clean_text(record["text"]), record.get("language")) for brand in brands)
    ]  # fmt: skip
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            record = dict(records[number % len(records)])
            record["id"] = f"bench-{number}"
            record["created_at"] = (now - timedelta(hours=1) + timedelta(seconds=3600 * number / count)).isoformat()
            out.write(json.dumps(record) + "\n")


def reset(url: str) -> None:
    engine = create_db_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)
    engine.dispose()


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """CPU time the process and its waited-for children used (utime, stime, cutime, cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time every core of the machine spent busy since boot (all but idle and iowait)."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


class Run:
    def __init__(self, directory: Path, database_url: str, broker_url: str | None, threads: int = 0, model: str = "default"):
        self.directory = directory
        self.database_url = database_url
        cluster = CLUSTER.format(prefix=f"bench-{uuid.uuid4().hex[:8]}") if broker_url else ""
        self.config = directory / "bench.toml"
        self.config.write_text(
            CONFIG.format(database_url=database_url, cluster=cluster, threads=threads, model=model), encoding="utf-8"
        )
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "BENCH_BROKER_URL": broker_url or ""}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        log = (self.directory / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "listener", *command, "--config", str(self.config)],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def wait_scored(self, count: int) -> float:
        """Mentions per second from the first mention stored to the last verdict stored."""
        engine = create_db_engine(self.database_url)
        give_up = time.monotonic() + DEADLINE
        try:
            while time.monotonic() < give_up:
                with engine.connect() as connection:
                    stored, scored, first, last = connection.execute(
                        select(
                            func.count(), func.count(MentionRow.scored_at),
                            func.min(MentionRow.collected_at), func.max(MentionRow.scored_at),
                        )
                    ).one()  # fmt: skip
                if stored >= count and scored >= count:
                    return count / max((_utc(last) - _utc(first)).total_seconds(), 1e-3)
                time.sleep(0.5)
        finally:
            engine.dispose()
        raise SystemExit(f"gave up: not all {count} mentions were scored within {DEADLINE:.0f}s; see {self.directory}")

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(process.pid) for name, process in self.processes.items() if process.poll() is None}

    def stop(self) -> dict[str, float]:
        rss = {name: peak_rss_mb(process.pid) for name, process in self.processes.items() if process.poll() is None}
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        return rss


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def measure(
    label: str, workdir: Path, count: int, database_url: str, broker: str | None, workers: int, threads: int,
    model: str = "default",
) -> None:
    directory = Path(tempfile.mkdtemp(prefix="mode-", dir=workdir))
    write_mentions(directory / "mentions.jsonl", count, datetime.now(UTC))
    reset(database_url)
    run = Run(directory, database_url, broker, threads, model)
    if broker is None:
        run.start("run", "run")
    else:
        # Workers first, each with its model loaded, then the scheduler that sends the first poll:
        # otherwise one worker scores alone while the other still loads, and start-up is measured.
        names = [f"worker-{number + 1}" for number in range(workers)]
        for name in names:
            run.start(name, "worker")
        for name in names:
            _wait(lambda name=name: "worker: consuming" in run.log(name), f"{name} to load its model and consume")
        run.start("scheduler", "scheduler")
    busy_before = machine_busy_seconds()
    try:
        rate = run.wait_scored(count)
        cpu, busy = run.cpu(), machine_busy_seconds() - busy_before
    finally:
        rss = run.stop()
    memory = ", ".join(f"{name} {megabytes:.0f} MB" for name, megabytes in rss.items())
    print(f"{label:<34} {rate:8.1f} mentions/s   peak RSS: {memory}", flush=True)
    # Where the cores went while this mode ran (start-up included): the nodes, and the rest of
    # the machine (PostgreSQL, RabbitMQ, anything else running).
    spent = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in cpu.items())
    print(f"{'':<34} CPU: {spent}; the rest of the machine {max(busy - sum(cpu.values()), 0):.0f} s", flush=True)


def failover(workdir: Path, database_url: str, broker: str) -> None:
    directory = Path(tempfile.mkdtemp(prefix="failover-", dir=workdir))
    write_mentions(directory / "mentions.jsonl", 10, datetime.now(UTC))
    reset(database_url)
    run = Run(directory, database_url, broker)
    leader = run.start("scheduler-1", "scheduler")
    _wait(lambda: "leading" in run.log("scheduler-1"), "the first scheduler to lead")
    run.start("scheduler-2", "scheduler")
    _wait(lambda: "standby" in run.log("scheduler-2"), "the second scheduler to stand by")
    leader.send_signal(signal.SIGKILL)
    leader.wait()
    killed = time.monotonic()
    _wait(lambda: "leading" in run.log("scheduler-2"), "the standby to lead")
    print(f"{'failover (leader killed -> standby leads)':<34} {time.monotonic() - killed:8.1f} s", flush=True)
    run.stop()


def _wait(condition, what: str) -> None:  # noqa: ANN001
    give_up = time.monotonic() + 120
    while not condition():
        if time.monotonic() > give_up:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="PostgreSQL URL (emptied before each mode)")
    parser.add_argument("--broker", required=True, help="RabbitMQ URL for the cluster modes")
    parser.add_argument("--mentions", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=0, help="[model] threads per process (0: one per core)")
    parser.add_argument("--model", default="default", help="[model] name: the shipped default, or a version such as minilm-l6-lora-v1")
    parser.add_argument("--only-cluster", action="store_true", help="skip the listener run modes")
    args = parser.parse_args()
    print(
        f"{args.mentions} mentions per mode, model {args.model}, threads {args.threads or 'one per core'}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as workdir:
        work = Path(workdir)
        if not args.only_cluster:
            sqlite = f"sqlite:///{work / 'bench.db'}"
            measure("listener run, SQLite", work, args.mentions, sqlite, None, 0, args.threads, args.model)
            measure("listener run, PostgreSQL", work, args.mentions, args.postgres, None, 0, args.threads, args.model)
        measure("cluster, 1 worker", work, args.mentions, args.postgres, args.broker, 1, args.threads, args.model)
        measure("cluster, 2 workers", work, args.mentions, args.postgres, args.broker, 2, args.threads, args.model)
        failover(work, args.postgres, args.broker)


if __name__ == "__main__":
    main()
