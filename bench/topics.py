"""Cost of topics and stories: tagging every mention with the demo's `[[topics]]`, and grouping a
spike's negative mentions into stories (the model's embeddings, clustering and naming).

Tagging runs the demo config's topics over the bundled demo mentions (about 4,000, repeated to
`--texts`): matching alone, then matching and storing the tags in SQLite in batches of 64 as the
scoring pass does. Stories are timed on the Acme outage's negative mentions (the demo alert's
15-minute window and the outage's hour), and on larger spikes made by repeating the hour's
mentions with a counter so no two are identical, up to 1,000 (the evidence reads 500): embedding
with the shipped model on ONNX Runtime, then clustering and naming; and TF-IDF clustering, the
fallback for a runtime without embeddings. Prints mentions per second of CPU time (the machine is
shared, so wall time measures the neighbours), best of `--repeat` runs.

    python bench/topics.py [--texts 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers import load_classifier  # noqa: E402
from classifiers.base import embedder_of  # noqa: E402
from listener.app.topic_tagging import TopicTagger  # noqa: E402
from listener.config import ModelConfig, load_config  # noqa: E402
from listener.core.records import Mention, MentionToScore  # noqa: E402
from listener.core.terms import brand_words  # noqa: E402
from listener.core.themes import describe, stories, tfidf_vectors  # noqa: E402
from listener.storage.database import create_db_engine, upgrade  # noqa: E402
from listener.storage.repository import Store  # noqa: E402

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "demo.toml"


def best_rate(work: Callable[[], int], repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        started = time.process_time()
        count = work()
        rates.append(count / max(time.process_time() - started, 1e-9))
    return max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    config = load_config(DEMO_CONFIG)
    lines = (resources.files("listener") / "demo_data" / "mentions.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    tagger = TopicTagger(config.topics)
    texts = [(records[i % len(records)]["text"], records[i % len(records)].get("language")) for i in range(args.texts)]
    print(f"tagging: {len(config.topics)} topics of config/demo.toml, {len(texts):,} mentions")
    rate = best_rate(
        lambda: sum(1 for text, language in texts if tagger.topics_of(text, language) is not None), args.repeat
    )
    print(f"  match only                     {rate:>10,.0f} mentions/s")

    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        store = Store(engine)
        demo = [
            Mention("demo", r["id"], r["text"], _time(r["created_at"]), language=r.get("language")) for r in records
        ]
        store.store_batch("demo", "Acme", demo, {})
        pending = [
            MentionToScore(m.id, m.text, m.language)
            for m in store.mentions_to_tag(_time("2000-01-01T00:00:00Z"), None, None, 0, 10_000)
        ]

        def tag_and_store() -> int:
            for start in range(0, len(pending), 64):
                store.tag_topics(tagger.tag(pending[start : start + 64]))
            return len(pending)

        rate = best_rate(tag_and_store, args.repeat)
        print(f"  match and store (SQLite, 64s)  {rate:>10,.0f} mentions/s ({len(pending):,} demo mentions)")
        engine.dispose()

    excluded = brand_words("Acme", ["acme", "acmecloud", "acme cloud"])
    outage = [r for r in records if "acme" in r["text"].lower() and r.get("expected_sentiment") == "negative"]
    window = [r["text"] for r in outage if "2026-11-04T10:15" <= r["created_at"] < "2026-11-04T10:30"]
    hour = [r["text"] for r in outage if "2026-11-04T10:00" <= r["created_at"] < "2026-11-04T11:00"]
    embed = embedder_of(load_classifier(ModelConfig(cache_size=0)))
    assert embed is not None, "the shipped model gives embeddings"
    print("stories (the shipped model on ONNX Runtime):")
    print(f"  demo alert window: {describe(stories(window, embed(window), excluded))}")
    for size in (len(window), len(hour), 250, 1000):
        spike = (
            window
            if size == len(window)
            else [f"{hour[i % len(hour)]} {i}" for i in range(size)]
            if size > len(hour)
            else hour
        )
        vectors = embed(spike)
        embed_rate = best_rate(lambda spike=spike: len(embed(spike)), args.repeat)
        cluster_rate = best_rate(
            lambda spike=spike, vectors=vectors: len(spike) if stories(spike, vectors, excluded) is not None else 0,
            args.repeat,
        )
        tfidf_rate = best_rate(
            lambda spike=spike: (
                len(spike) if stories(spike, tfidf_vectors(spike, excluded), excluded) is not None else 0
            ),
            args.repeat,
        )
        print(
            f"  {size:>5} mentions: embed {embed_rate:>7,.0f}/s, cluster+name {cluster_rate:>8,.0f}/s, "
            f"TF-IDF cluster+name {tfidf_rate:>8,.0f}/s"
        )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


if __name__ == "__main__":
    main()
