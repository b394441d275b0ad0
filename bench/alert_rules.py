"""How long the alerting step takes per brand and pass, as rules are added.

Seeds a SQLite store (or PostgreSQL with --postgres) with `--days` days of one brand's scored
mentions (`--per-window` per 15-minute window, a fifth negative, over three sources and three
languages, a spike on the last day), then times, for one to three rules:

- the first pass, which judges every window of the history (a daemon starting on old data);
- a steady-state pass, which judges one new window (what the daemon does every 15 minutes);
- a quiet pass a minute later, with nothing new (what most of a quiet brand's passes are);
- a pass 10 s later, after a few new mentions in the open window (what a busy brand's passes
  are, every `process_interval`: the open window is judged again, its history is not read again).

Prints one line per configuration with the median of `--repeat` runs.

    python bench/alert_rules.py [--days 7] [--per-window 40] [--repeat 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from alerts.dispatch.engine import detect_brand, policy_from_config  # noqa: E402
from listener.config import parse_config  # noqa: E402
from listener.core.records import Mention, Sentiment  # noqa: E402
from listener.storage.database import create_db_engine, upgrade  # noqa: E402
from listener.storage.repository import Store  # noqa: E402
from listener.storage.schema import Base  # noqa: E402

START = datetime(2026, 11, 2, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
RULES = {
    "1 rule (default)": [],
    "2 rules": [{"name": "volume"}, {"name": "share", "metric": "negative_share"}],
    "3 rules, one split by source": [
        {"name": "volume"},
        {"name": "share", "metric": "negative_share"},
        {"name": "by-source", "split_by": ["source"]},
    ],
}


def seed(store: Store, days: int, per_window: int) -> int:
    rng = random.Random(1)
    windows = days * 96
    mentions, labels = [], {}
    for window in range(windows):
        spike = 60 if window == windows - 8 else 0
        for index in range(per_window + spike):
            external_id = f"{window}-{index}"
            label = "negative" if index < per_window // 5 + spike else rng.choice(["neutral", "positive"])
            created = START + window * WINDOW + timedelta(seconds=rng.uniform(0, 899))
            source = rng.choice(["twitter", "reddit", "forum"])
            mentions.append(Mention(source, external_id, f"acme {external_id}", created, language=rng.choice(["en", "de", "fr"])))
            labels[external_id] = label
    for offset in range(0, len(mentions), 5000):
        store.store_batch("bench", "Acme", mentions[offset : offset + 5000], {})
    pending = store.unscored(len(mentions) + 1)
    store.save_scores([(row_id, Sentiment(labels[text.split()[-1]], 0.0, 0.9)) for row_id, text in pending], "bench")
    return windows


def add_open_window_mentions(store: Store, moment: datetime, run: int) -> None:
    """Three scored mentions, one negative, at `moment` (unique to each `run`)."""
    mentions = [Mention("bench", f"open-{run}-{index}", f"acme open-{run}-{index}", moment) for index in range(3)]
    store.store_batch("bench", "Acme", mentions, {})
    scores = [(row_id, Sentiment("negative" if "-0" in text else "neutral", 0.0, 0.9)) for row_id, text in store.unscored(10)]
    store.save_scores(scores, "bench")


def reset(store: Store) -> None:
    from sqlalchemy import delete

    from listener.storage.schema import AlertRow, DetectorStateRow, IncidentRow, OutboxRow

    with store.engine.begin() as connection:
        for table in (OutboxRow, AlertRow, IncidentRow, DetectorStateRow):
            connection.execute(delete(table))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--per-window", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of a temporary SQLite file (its tables are dropped)")
    args = parser.parse_args()
    logging.getLogger("alerts").setLevel(logging.ERROR)  # the spike's ALERT line, once per run
    with tempfile.TemporaryDirectory() as folder:
        url = args.postgres or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = create_db_engine(url)
        if args.postgres:  # the migrations' own table too, or a second run would not migrate again
            with engine.begin() as connection:
                Base.metadata.drop_all(connection)
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(engine)
        store = Store(engine)
        windows = seed(store, args.days, args.per_window)
        end = START + windows * WINDOW
        print(f"{engine.dialect.name}: {args.days} days, {windows} windows, {store.count_mentions()} mentions")
        for label, rules in RULES.items():
            raw = {
                "brands": [{"name": "Acme", "keywords": ["acme"]}],
                "sources": [{"name": "bench", "type": "demo"}],
                "rules": rules,
            }
            policy = policy_from_config(parse_config(raw, "bench"))
            first, steady, quiet, busy = [], [], [], []
            for run in range(args.repeat):
                reset(store)
                for now, times in ((end - WINDOW + timedelta(minutes=5), first), (end + timedelta(minutes=5), steady),
                                   (end + timedelta(minutes=6), quiet), (end + timedelta(minutes=6, seconds=10), busy)):  # fmt: skip
                    if times is busy:  # new mentions, distinct in every run and configuration
                        add_open_window_mentions(store, end + timedelta(minutes=6), len(RULES) * run + list(RULES).index(label))
                    started = time.perf_counter()
                    detect_brand(store, "Acme", policy, now, ["console"], wall_now=end)
                    times.append(time.perf_counter() - started)
            print(
                f"{label:32s} first pass ({windows - 1} windows): {statistics.median(first):6.2f}s   "
                f"one new window: {statistics.median(steady) * 1000:7.1f} ms   "
                f"nothing new: {statistics.median(quiet) * 1000:7.1f} ms   "
                f"new mentions, open window: {statistics.median(busy) * 1000:7.1f} ms"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
