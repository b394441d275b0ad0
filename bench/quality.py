"""How accurate the sentiment model is, per language, against published anchors and the targets.

    python bench/quality.py [DATA_DIR] [--config FILE] [--model NAME_OR_PATH] [--json FILE]

DATA_DIR defaults to ../shared/data. Scores the model a config names (the shipped default when no
config or model is given), through the same load_classifier path the daemon uses, on the held-out
validation splits only: UMSAB `umsab/*/val_*` (macro-F1 per language, "all" the mean over the eight
languages, as XLM-T reports it) and TweetEval `tweeteval/val_*` (macro-recall, its official
metric). The anchors are published scores on the matching **test** splits, so the comparison is
indicative, not like for like.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from classifiers.training.evaluation import (  # noqa: E402 - after the path set-up, so it runs from a checkout
    DATA_LABELS,
    TARGET_TWEETEVAL,
    TARGET_UMSAB_ALL,
    TARGET_UMSAB_FLOOR,
    TWEETEVAL_ANCHORS,
    UMSAB_ANCHORS,
    UMSAB_VADER_ALL,
    evaluation_splits,
    macro_f1,
    macro_recall,
)

DEFAULT_DATA = REPO.parent / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--config", type=Path, help="Score the model this config's [model] section names.")
    parser.add_argument("--model", help="Score this Hugging Face model (name or local path) instead.")
    parser.add_argument("--json", type=Path, help="Also write the scores here.")
    args = parser.parse_args()
    if not (args.data_dir / "umsab").is_dir() or not (args.data_dir / "tweeteval").is_dir():
        print(f"no umsab/ and tweeteval/ under {args.data_dir}: pass the shared data folder", file=sys.stderr)
        return 2

    from rich.console import Console
    from rich.table import Table

    from classifiers import load_classifier
    from listener.config import ModelConfig, load_config

    model_config = load_config(args.config).model if args.config else ModelConfig()
    if args.model:
        model_config = model_config.model_copy(update={"name": args.model})
    classifier = load_classifier(model_config.model_copy(update={"cache_size": 0}))
    umsab, tweeteval = evaluation_splits(args.data_dir)

    def predicted_codes(texts: list[str]) -> list[int]:
        return [DATA_LABELS.index(verdict.label) for verdict in classifier.classify(texts)]

    started = time.perf_counter()
    scores = {lang: 100 * macro_f1(predicted_codes(data.texts), data.labels) for lang, data in umsab.items()}
    scores["all"] = sum(scores.values()) / len(umsab)
    tweeteval_recall = 100 * macro_recall(predicted_codes(tweeteval.texts), tweeteval.labels)
    seconds = time.perf_counter() - started

    console = Console(width=120)
    table = Table(title=f"{classifier.version}: UMSAB validation macro-F1 (%) per language")
    for column in ("language", "this model (val)", "FastText (test)", "XLM-R (test)", "XLM-Tw (test)", "target"):
        table.add_column(column, justify="left" if column == "language" else "right")
    for lang, score in scores.items():
        target = TARGET_UMSAB_ALL if lang == "all" else TARGET_UMSAB_FLOOR
        verdict = "met" if score >= target else "missed"
        table.add_row(lang, f"{score:.1f}", *(f"{anchor:.1f}" for anchor in UMSAB_ANCHORS[lang]), f">= {target:.0f} {verdict}")
    console.print(table)
    console.print(f"UMSAB all, VADER (test): {UMSAB_VADER_ALL}")
    anchors = ", ".join(f"{name} {score}" for name, score in TWEETEVAL_ANCHORS.items())
    verdict = "met" if tweeteval_recall >= TARGET_TWEETEVAL else "missed"
    console.print(
        f"TweetEval validation macro-recall: [bold]{tweeteval_recall:.1f}[/bold] "
        f"(target >= {TARGET_TWEETEVAL:.0f}: {verdict}; test anchors: {anchors})"
    )
    texts = sum(len(data.texts) for data in umsab.values()) + len(tweeteval.texts)
    console.print(f"{texts} texts scored in {seconds:.1f} s")
    if args.json:
        payload = {"version": classifier.version, "umsab_val_macro_f1": scores, "tweeteval_val_macro_recall": tweeteval_recall}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
