"""What retention costs on PostgreSQL: dropping whole months against deleting the same rows in batches.

Fills a scratch PostgreSQL database (every table in it is dropped first) with `--mentions`
mentions of one brand spread evenly over `--months` months, then applies `[storage]
keep_mentions` so that the older half of the months is past the horizon, twice on the same data:

- as the daemon does on PostgreSQL: whole months dropped (`drop_months_before`), then batches for
  what is left (nothing here: the horizon falls on a month boundary);
- the batch path alone (`delete_mentions_before`, 500 mentions a transaction), as on SQLite.

Prints, for each, the time taken and the disk used by mentions and their brand links before and
after (a batch delete leaves its dead rows on disk until vacuum).

    python bench/retention.py --postgres postgresql://postgres@127.0.0.1:5432/scratch [--mentions 200000] [--months 12]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, text  # noqa: E402

from listener.storage.database import create_db_engine, upgrade  # noqa: E402
from listener.storage.partitions import ensure_month_partitions  # noqa: E402
from listener.storage.repository import Store  # noqa: E402
from listener.storage.retention import delete_mentions_before, drop_months_before  # noqa: E402
from listener.storage.schema import Base  # noqa: E402

START = datetime(2025, 1, 1, tzinfo=UTC)


def fill(engine: Engine, mentions: int, months: int) -> datetime:
    """Store `mentions` spread over `months` months; return the first instant after them."""
    firsts = [START]
    for _ in range(months):
        firsts.append((firsts[-1] + timedelta(days=32)).replace(day=1))
    end = firsts.pop()
    ensure_month_partitions(engine, firsts)
    seconds = (end - START).total_seconds()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO mentions (source, external_id, text, created_at, collected_at, likes, shares, replies, "
                "sentiment_label, scored_at) SELECT 'bench', 'm' || n, 'acme mention number ' || n, "
                "CAST(:start AS timestamp) + n * make_interval(secs => :step), now(), 0, 0, 0, 'neutral', now() "
                "FROM generate_series(0, :last) AS n"
            ),
            {"start": START.replace(tzinfo=None), "step": seconds / mentions, "last": mentions - 1},
        )
        connection.execute(
            text(
                "INSERT INTO mention_brands (mention_id, brand, created_at, sentiment_label) "
                "SELECT id, 'Acme', created_at, sentiment_label FROM mentions"
            )
        )
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return end


def disk_mb(engine: Engine) -> float:
    with engine.connect() as connection:
        total = connection.scalar(
            text(
                "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                "WHERE inhparent IN ('mentions'::regclass, 'mention_brands'::regclass)"
            )
        )
    return float(total or 0) / 1e6


def reset(engine: Engine) -> None:
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="a scratch database: its tables are dropped")
    parser.add_argument("--mentions", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    engine = create_db_engine(args.postgres)
    print(f"{args.mentions:,} mentions over {args.months} months; the older {args.months // 2} months are past the horizon")
    print(f"{'method':<34}{'deleted':>10}{'seconds':>10}{'MB before':>11}{'MB after':>10}")
    for method, purge in (("drop whole months (PostgreSQL)", drop_months_before), ("batches of 500 (SQLite's path)", None)):
        reset(engine)
        end = fill(engine, args.mentions, args.months)
        horizon = START
        for _ in range(args.months // 2):
            horizon = (horizon + timedelta(days=32)).replace(day=1)
        assert horizon < end
        store = Store(engine)
        before = disk_mb(engine)
        started = time.perf_counter()
        deleted = (purge(store, horizon) if purge else 0) + delete_mentions_before(store, horizon)
        took = time.perf_counter() - started
        print(f"{method:<34}{deleted:>10,}{took:>10.2f}{before:>11.1f}{disk_mb(engine):>10.1f}")
    reset(engine)


if __name__ == "__main__":
    main()
