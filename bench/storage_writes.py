"""How fast the store takes a poll's mentions and a scoring batch's verdicts.

Times `Store.store_batch` (new mentions, then the same mentions polled again with new counts,
then a second brand linking them) and `Store.save_scores`, in batches of `--batch` mentions (a
poll's page, a scoring batch), on a fresh SQLite file, or on PostgreSQL with --postgres (its
tables are dropped first and after). Prints mentions per second for each step, the median of
`--repeat` runs.

    python bench/storage_writes.py [--mentions 5000] [--batch 500] [--repeat 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from listener.core.records import Mention, Sentiment  # noqa: E402
from listener.storage.database import create_db_engine, upgrade  # noqa: E402
from listener.storage.repository import Store  # noqa: E402
from listener.storage.schema import Base  # noqa: E402

START = datetime(2026, 11, 2, tzinfo=UTC)


def mentions(count: int, likes: int) -> list[Mention]:
    return [
        Mention("bench", f"m-{n}", f"acme and globex, post {n}", START + timedelta(seconds=30 * n), likes=likes)
        for n in range(count)
    ]


def timed(step: Callable[[], None]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def one_run(url: str, count: int, batch: int) -> dict[str, float]:
    engine = create_db_engine(url)
    upgrade(engine)
    store = Store(engine)
    first, again = mentions(count, likes=0), mentions(count, likes=3)

    def store_all(brand: str, polled: list[Mention]) -> Callable[[], None]:
        return lambda: [store.store_batch("bench", brand, polled[o : o + batch], {}) for o in range(0, count, batch)] and None

    seconds = {
        "new mentions": timed(store_all("Acme", first)),
        "seen again": timed(store_all("Acme", again)),
        "second brand": timed(store_all("Globex", again)),
    }
    pending = [mention_id for mention_id, _ in store.unscored(count)]
    verdict = Sentiment("negative", -0.8, 0.9)
    seconds["scores"] = timed(
        lambda: [store.save_scores([(i, verdict) for i in pending[o : o + batch]], "bench") for o in range(0, count, batch)]
        and None
    )
    engine.dispose()
    return {step: count / spent for step, spent in seconds.items()}


def reset_postgres(url: str) -> None:
    engine = create_db_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database whose tables may be dropped")
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        if args.postgres:
            reset_postgres(args.postgres)
            runs.append(one_run(args.postgres, args.mentions, args.batch))
            reset_postgres(args.postgres)
        else:
            with tempfile.TemporaryDirectory() as directory:
                runs.append(one_run(f"sqlite:///{directory}/bench.db", args.mentions, args.batch))
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{database}, {args.mentions} mentions in batches of {args.batch}, median of {args.repeat} runs:")
    for step in runs[0]:
        print(f"  {step:<13} {statistics.median(run[step] for run in runs):8.0f} mentions/s")


if __name__ == "__main__":
    main()
