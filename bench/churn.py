"""Precision and recall of the churn-intent detector per language, on the dev and held-out halves
of the hand-labelled set, and how fast it tags mentions.

    python bench/churn.py [--sentiment] [--misses] [--rate-texts 20000]

The labelled set and its guidelines are in classifiers/data/churn_intent/. The patterns were tuned
on dev.jsonl; heldout.jsonl was never read while writing them, so its figures are the result.
`--misses` lists the dev half's errors with the pattern that decided (never the held-out half's:
reading them would make it a second dev set). `--sentiment` also scores every mention with the
shipped default sentiment model and reports the detector gated on it (a positive mention is
never churn), to show what that gate costs and buys.

The tagging rate is measured on the labelled texts repeated (each with its brand and language),
judged against the three configured brands, on one core, after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from classifiers.churn import ChurnDetector
from listener.config import BrandConfig

DATA = REPO / "classifiers" / "data" / "churn_intent"
BRANDS = [
    BrandConfig(name="Acme", keywords=("acme", "acmecloud"), phrases=("acme cloud",)),
    BrandConfig(name="Globex", keywords=("globex",)),
    BrandConfig(name="Initech", keywords=("initech",)),
]
"""What a user with these three brands would configure (the demo's two, plus a telecom/bank)."""
LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "ar", "hi")


def read(split: str) -> list[dict]:
    lines = (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def scores(records: list[dict], predictions: list[bool]) -> dict[str, tuple[int, int, int, int]]:
    """Per language (and "all"): true positives, false positives, false negatives, mentions."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for record, predicted in zip(records, predictions):
        for key in (record["language"], "all"):
            slot = counts[key]
            slot[0] += predicted and record["label"]
            slot[1] += predicted and not record["label"]
            slot[2] += (not predicted) and record["label"]
            slot[3] += 1
    return {key: tuple(value) for key, value in counts.items()}  # type: ignore[misc]


def ratio(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:5.1f}" if denominator else "    -"


def table(title: str, by_split: dict[str, dict[str, tuple[int, int, int, int]]]) -> None:
    print(f"\n{title}")
    print("| language | dev P | dev R | dev n (pos) | held-out P | held-out R | held-out n (pos) |")
    print("|---|---|---|---|---|---|---|")
    for language in (*LANGUAGES, "all"):
        cells = []
        for split in ("dev", "heldout"):
            tp, fp, fn, total = by_split[split].get(language, (0, 0, 0, 0))
            cells += [ratio(tp, tp + fp), ratio(tp, tp + fn), f"{total} ({tp + fn})"]
        name = f"**{language}**" if language == "all" else language
        print(f"| {name} | " + " | ".join(cells) + " |")


def tagging_rate(detector: ChurnDetector, records: list[dict], texts: int) -> float:
    stream = (records * (texts // len(records) + 1))[:texts]
    for record in stream[:500]:
        detector.judge_brands(record["text"], [record["brand"]], record["language"])
    started = time.perf_counter()
    for record in stream:
        detector.judge_brands(record["text"], [record["brand"]], record["language"])
    return len(stream) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sentiment", action="store_true", help="also report the detector gated on the default sentiment model"
    )
    parser.add_argument("--misses", action="store_true", help="list the dev half's errors")
    parser.add_argument("--rate-texts", type=int, default=20000, help="mentions judged for the tagging rate")
    arguments = parser.parse_args()

    splits = {split: read(split) for split in ("dev", "heldout")}
    detector = ChurnDetector(BRANDS)
    verdicts = {
        split: [detector.judge(r["text"], r["brand"], r["language"]) for r in records]
        for split, records in splits.items()
    }
    print(f"labelled set: {len(splits['dev'])} dev + {len(splits['heldout'])} held-out mentions, "
          f"{sum(r['label'] for rs in splits.values() for r in rs)} churn")  # fmt: skip
    table(
        "Patterns alone (P = precision, R = recall, %):",
        {split: scores(records, [v.churn for v in verdicts[split]]) for split, records in splits.items()},
    )
    if arguments.sentiment:
        from classifiers import load_classifier
        from listener.config import ModelConfig

        classifier = load_classifier(ModelConfig())
        by_split = {}
        for split, records in splits.items():
            labels = [sentiment.label for sentiment in classifier.classify([r["text"] for r in records])]
            predictions = [verdict.churn and label != "positive" for verdict, label in zip(verdicts[split], labels)]
            by_split[split] = scores(records, predictions)
        table(f"Gated on the sentiment model ({classifier.version}: positive is never churn):", by_split)
    if arguments.misses:
        print("\ndev errors:")
        for record, verdict in zip(splits["dev"], verdicts["dev"]):
            if verdict.churn != record["label"]:
                kind = "missed" if record["label"] else "false alarm"
                print(f"  {kind:11} {record['id']} [{record['brand']}] {verdict.pattern}: {record['text']}")
    rate = tagging_rate(detector, splits["dev"] + splits["heldout"], arguments.rate_texts)
    print(f"\ntagging rate: {rate:,.0f} mention-brand judgements/s (one core, {arguments.rate_texts:,} judged)")


if __name__ == "__main__":
    main()
