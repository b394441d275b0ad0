"""Dashboard latency on a year of mentions: the overview series (rollups vs raw rows) and filtered
mention pages (page 1 and a deep keyset page), on SQLite and optionally PostgreSQL.

Loads N mentions (default 1,000,000) of 5 brands spread over a year with a bulk insert
(executemany on SQLite, COPY on PostgreSQL), builds the rollups with `rebuild`, then times the
same functions the API calls (`listener.storage.queries.Analytics`, `listener.storage.rollups`) and, when
the web app is importable, the same requests through FastAPI's TestClient. Prints p50/p95 in ms.

    python bench/dashboard.py [--mentions 1000000] [--postgres URL] [--runs 40] [--sqlite PATH]

`--postgres` (or $LISTENER_BENCH_POSTGRES) names a database whose listener tables are dropped and
reloaded: never point it at real data. Targets: overview p95 < 150 ms, mention page p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, text

from listener.storage.database import create_db_engine, upgrade
from listener.storage.rollups import rebuild_rollups, rollup_series
from listener.storage.schema import Base

BRANDS = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"]
BRAND_WEIGHTS = [0.35, 0.25, 0.2, 0.12, 0.08]
SOURCES = ["x", "reddit", "mastodon", "bluesky", "rss"]
LANGUAGES = ["en", "en", "en", "de", "fr", "es", None]
LABELS = ["negative", "neutral", "neutral", "positive", "positive"]
START = datetime(2025, 11, 1, tzinfo=UTC)
DAYS = 365
WORDS = ["service", "outage", "love", "hate", "support", "price", "update", "launch", "app", "login", "slow", "great", "broken", "fast", "team", "thanks"]

MENTION_COLUMNS = (
    "id", "source", "external_id", "text", "created_at", "collected_at", "author", "author_reach", "url",
    "language", "likes", "shares", "replies", "sentiment_label", "sentiment_score", "sentiment_confidence",
    "model", "scored_at",
)
LINK_COLUMNS = ("mention_id", "brand", "created_at", "sentiment_label")


@dataclass(frozen=True)
class Generated:
    mentions: list[tuple[Any, ...]]
    links: list[tuple[Any, ...]]


def generate(count: int, seed: int = 7) -> Generated:
    """`count` mentions in time order with a daily rhythm; 5% mention two brands."""
    rng = random.Random(seed)
    span = DAYS * 86400
    offsets = sorted(rng.random() * span for _ in range(count))
    mentions, links = [], []
    for index, offset in enumerate(offsets, start=1):
        created = (START + timedelta(seconds=offset)).replace(tzinfo=None)
        label = rng.choice(LABELS)
        score = {"negative": -0.7, "neutral": 0.0, "positive": 0.7}[label] + rng.uniform(-0.25, 0.25)
        brand = rng.choices(BRANDS, BRAND_WEIGHTS)[0]
        text_words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18)))
        source = rng.choice(SOURCES)
        mentions.append((
            index, source, f"{source}-{index}", f"{brand.lower()} {text_words}", created, created,
            f"user{rng.randint(1, 50_000)}", int(rng.lognormvariate(5, 2)), f"https://example.invalid/{index}",
            rng.choice(LANGUAGES), rng.randint(0, 50), rng.randint(0, 10), rng.randint(0, 10),
            label, round(score, 4), 0.9, "bench", created,
        ))
        links.append((index, brand, created, label))
        if rng.random() < 0.05:
            other = rng.choice([b for b in BRANDS if b != brand])
            links.append((index, other, created, label))
    return Generated(mentions, links)


def reset(engine: Engine) -> None:
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)


def load(engine: Engine, data: Generated) -> float:
    """Bulk-load raw rows (driver-level executemany or COPY), then build rollups; returns seconds."""
    began = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            for table, columns, rows in (
                ("mentions", MENTION_COLUMNS, data.mentions),
                ("mention_brands", LINK_COLUMNS, data.links),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            cursor.execute("SELECT setval('mentions_id_seq', (SELECT max(id) FROM mentions))")
        else:
            fmt = lambda value: value.isoformat(sep=" ", timespec="microseconds") if isinstance(value, datetime) else value
            for table, columns, rows in (
                ("mentions", MENTION_COLUMNS, data.mentions),
                ("mention_brands", LINK_COLUMNS, data.links),
            ):
                marks = ", ".join("?" for _ in columns)
                statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                for offset in range(0, len(rows), 50_000):
                    cursor.executemany(statement, [tuple(fmt(v) for v in row) for row in rows[offset : offset + 50_000]])
        raw.commit()
    finally:
        raw.close()
    rebuild_rollups(engine)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - began


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(function: Callable[[int], Any], runs: int) -> tuple[float, float]:
    function(0)  # warm caches and statement compilation
    samples = []
    for run in range(runs):
        began = time.perf_counter()
        function(run)
        samples.append(time.perf_counter() - began)
    return percentiles(samples)


def ranges(rng: random.Random, days: int) -> Iterator[tuple[datetime, datetime]]:
    while True:
        start = START + timedelta(days=rng.randint(0, DAYS - days))
        yield start, start + timedelta(days=days)


def bench(engine: Engine, label: str, runs: int) -> list[tuple[str, float, float]]:
    from listener.storage.queries import Analytics, MentionFilter
    from listener.storage.repository import Store

    analytics = Analytics(Store(engine))
    rng = random.Random(1)
    year = (START, START + timedelta(days=DAYS))
    month = ranges(rng, 30)
    results: list[tuple[str, float, float]] = []

    def brand(run: int) -> str:
        return BRANDS[run % len(BRANDS)]

    cases: list[tuple[str, Callable[[int], Any]]] = [
        ("overview: year by day, rollups", lambda r: rollup_series(engine, brand(r), *year, "day")),
        ("overview: year by day, raw rows", lambda r: analytics.series(MentionFilter(brand(r), *year), "day", rollups=False)),
        ("overview: 30 days by hour, rollups", lambda r: rollup_series(engine, brand(r), *next(month), "hour")),
        ("overview: 30 days by hour, raw rows", lambda r: analytics.series(MentionFilter(brand(r), *next(month)), "hour", rollups=False)),
        ("series: year by week, source+sentiment, rollups", lambda r: rollup_series(
            engine, brand(r), *year, "week", sources=["x"], sentiments=["negative"])),
        ("series: year by week, source+sentiment, raw rows", lambda r: analytics.series(
            MentionFilter(brand(r), *year, sources=("x",), sentiments=("negative",)), "week", rollups=False)),
    ]
    page_filter = lambda r: MentionFilter(
        brand(r), *next(month), sources=(SOURCES[r % len(SOURCES)],), sentiments=("negative",)
    )
    cases.append(("mentions: 30 days+source+sentiment, page 1", lambda r: analytics.mentions(page_filter(r), 50)))
    deep_cursors = []
    for r in range(runs + 1):
        mention_filter = page_filter(r)
        cursor = None
        for _ in range(20):
            page = analytics.mentions(mention_filter, 50, cursor)
            cursor = page.next_cursor or cursor
        deep_cursors.append((mention_filter, cursor))
    cases.append(("mentions: same, page 21 (keyset)", lambda r: analytics.mentions(deep_cursors[r][0], 50, deep_cursors[r][1])))
    year_filter = lambda r: MentionFilter(brand(r), *year, sentiments=("negative",))
    cases.append(("mentions: year+sentiment, page 1", lambda r: analytics.mentions(year_filter(r), 50)))
    # The smallest brand, one source, one language, negative: ~0.05% of mentions, the worst case
    # for a page that walks the time index and filters.
    rare = MentionFilter("Hooli", *year, sources=("rss",), languages=("fr",), sentiments=("negative",))
    cases.append(("mentions: year, rare filter (0.05%), page 1", lambda r: analytics.mentions(rare, 50)))

    for name, function in cases:
        p50, p95 = timed(function, runs)
        results.append((f"{label}: {name}", p50, p95))
        print(f"{label:10} {name:52} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms", flush=True)
    results.extend(bench_http(engine, label, runs))
    return results


def bench_http(engine: Engine, label: str, runs: int) -> list[tuple[str, float, float]]:
    """The same queries through the web app, when it exists (it is built alongside)."""
    try:
        from fastapi.testclient import TestClient

        from listener.config import parse_config
        from listener.storage.repository import Store
        from listener.web.app import create_app
    except ImportError as missing:
        print(f"{label:10} (HTTP skipped: {missing})")
        return []
    os.environ["LISTENER_BENCH_TOKEN"] = token = "bench-token"
    config = parse_config(
        {
            "storage": {"url": engine.url.render_as_string(hide_password=False)},
            "brands": [{"name": brand, "keywords": [brand.lower()]} for brand in BRANDS],
            "sources": [{"name": "demo", "type": "demo"}],
            "web": {"api_tokens": ["${LISTENER_BENCH_TOKEN}"]},
        },
        "bench.toml",
    )
    client = TestClient(create_app(config, Store(engine)), headers={"Authorization": f"Bearer {token}"})
    results = []
    for name, path in (
        ("HTTP series: year by day", "/api/v1/series?brand={brand}&since=2025-11-01&until=2026-11-01&bucket=day"),
        ("HTTP series: 30 days by hour", "/api/v1/series?brand={brand}&since=2026-03-01&until=2026-03-31&bucket=hour"),
        ("HTTP mentions: source+sentiment, page 1", "/api/v1/mentions?brand={brand}&since=2026-03-01&until=2026-03-31&source=x&sentiment=negative&limit=50"),
    ):
        def call(run: int, path: str = path) -> None:
            response = client.get(path.format(brand=BRANDS[run % len(BRANDS)]))
            response.raise_for_status()

        p50, p95 = timed(call, runs)
        results.append((f"{label}: {name}", p50, p95))
        print(f"{label:10} {name:52} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--sqlite", type=Path, help="SQLite file to (re)create (default: a temporary one)")
    parser.add_argument("--postgres", default=os.environ.get("LISTENER_BENCH_POSTGRES"), help="PostgreSQL URL to (re)load")
    parser.add_argument("--reuse", action="store_true", help="Skip loading when the database already holds data")
    args = parser.parse_args()

    data: Generated | None = None
    with tempfile.TemporaryDirectory() as scratch:
        targets = [("sqlite", f"sqlite:///{args.sqlite or Path(scratch) / 'bench.db'}")]
        if args.postgres:
            targets.append(("postgresql", args.postgres))
        for label, url in targets:
            engine = create_db_engine(url)
            loaded = False
            if args.reuse:
                upgrade(engine)
                with engine.connect() as connection:
                    loaded = bool(connection.scalar(text("SELECT count(*) FROM mentions")))
            if not loaded:
                if data is None:
                    began = time.perf_counter()
                    data = generate(args.mentions)
                    print(f"generated {len(data.mentions):,} mentions ({len(data.links):,} brand links) in {time.perf_counter() - began:.1f}s")
                reset(engine)
                seconds = load(engine, data)
                print(f"{label:10} loaded and rolled up in {seconds:.1f}s")
            bench(engine, label, args.runs)
            engine.dispose()


if __name__ == "__main__":
    main()
