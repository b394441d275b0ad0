"""How long an alert's evidence and messages take to build: evidence from storage, chart, renderers.

Seeds a SQLite store with a brand's history (one mention a minute, a quarter of them negative,
for `--days` days, then a 15-minute spike of 300 negative mentions) and times, per alert:
`build_evidence` (series, driving terms, sources, languages), the email chart PNG, and each
message format. Prints one line per step with the median of `--repeat` runs.

    python bench/alert_delivery.py [--days 7] [--repeat 5] [--postgres URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.notify.chart import chart_png  # noqa: E402
from alerts.dispatch.evidence import build_evidence  # noqa: E402
from alerts.notify.notifiers.email import build_message  # noqa: E402
from alerts.notify.notifiers.webhook import encode_body, webhook_payload  # noqa: E402
from alerts.notify.render import alert_html, alert_text, slack_payload  # noqa: E402
from listener.core.records import Alert, Mention, Sentiment  # noqa: E402
from listener.storage.database import create_db_engine, upgrade  # noqa: E402
from listener.storage.repository import Store  # noqa: E402

SPIKE = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
WORDS = "slow support billing price login app update delivery order refund account password email page".split()


def seed(store: Store, days: int, rng: random.Random) -> int:
    mentions: list[tuple[Mention, str]] = []
    start = SPIKE - timedelta(days=days)
    for minute in range(days * 24 * 60):
        label = "negative" if rng.random() < 0.25 else rng.choice(["neutral", "positive"])
        text = f"acme {' '.join(rng.sample(WORDS, 4))} #{rng.choice(WORDS)}"
        source, language = rng.choice([("twitter", "en"), ("mastodon", "en"), ("reddit", "de")])
        mentions.append((Mention(source, f"h{minute}", text, start + timedelta(minutes=minute), language=language), label))
    for number in range(300):
        text = f"acme outage again, {rng.choice(WORDS)} broken #acmedown"
        mentions.append((Mention("twitter", f"s{number}", text, SPIKE + timedelta(seconds=3 * number), language="en"), "negative"))
    for offset in range(0, len(mentions), 5000):
        chunk = mentions[offset : offset + 5000]
        by_source: dict[str, list[Mention]] = {}
        for mention, _ in chunk:
            by_source.setdefault(mention.source, []).append(mention)
        for source, batch in by_source.items():
            store.store_batch(source, "Acme", batch, {})
        labels = {(mention.source, mention.external_id): label for mention, label in chunk}
        rows = store.mentions_by_id([mention_id for mention_id, _ in store.unscored(10_000)])
        scores = [(row.id, Sentiment(labels[(row.source, row.external_id)], 0.0, 0.9)) for row in rows]  # type: ignore[arg-type]
        store.save_scores(scores, "bench")
    return len(mentions)


def timed(label: str, repeat: int, step: Callable[[], object]) -> object:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - started)
    print(f"{label:<34} {statistics.median(times) * 1000:9.1f} ms  (median of {repeat})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", help="An empty PostgreSQL database to seed instead of a temporary SQLite file.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.postgres or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = create_db_engine(url)
        upgrade(engine)
        store = Store(engine)
        started = time.perf_counter()
        count = seed(store, args.days, random.Random(7))
        print(f"seeded {count:,} mentions ({args.days} days) on {engine.dialect.name} in {time.perf_counter() - started:.1f}s")
        evidence = timed(
            "build_evidence (1 day baseline)",
            args.repeat,
            lambda: build_evidence(store, "Acme", SPIKE, SPIKE + WINDOW, "negative_volume", brand_terms=["acme"]),
        )
        alert = Alert(
            "Acme", "negative_spike", SPIKE, SPIKE + WINDOW, 300, 3.75, 0.95, "critical", 0.99999,
            top_mentions=tuple(store.top_negative_mentions("Acme", SPIKE, SPIKE + WINDOW, 5)),
            incident_key="bench", evidence=evidence,  # type: ignore[arg-type]
        )
        print("driving terms:", ", ".join(f"{t.term} ({t.spike_count} vs {t.baseline_rate:.2f})" for t in alert.evidence.driving_terms))  # type: ignore[union-attr]
        chart_png(alert)  # the first call imports matplotlib
        png = timed("chart_png", args.repeat, lambda: chart_png(alert))
        print(f"{'  chart size':<34} {len(png):9,} bytes")  # type: ignore[arg-type]
        timed("alert_text + alert_html", args.repeat, lambda: (alert_text(alert), alert_html(alert, "cid")))
        timed("slack_payload", args.repeat, lambda: slack_payload(alert))
        timed("webhook body", args.repeat, lambda: encode_body(webhook_payload(alert)))
        timed(
            "email message with chart",
            args.repeat,
            lambda: build_message(alert, "a@listener.example", ["b@example.com"], alert.window_end, chart=chart_png(alert)).as_bytes(),
        )
        engine.dispose()


if __name__ == "__main__":
    main()
