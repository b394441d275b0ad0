"""Cost of the per-mention work every collected mention goes through: cleaning and query matching.

Runs the bundled demo mentions (about 4,000 texts, repeated to `--texts`) through `clean_text`,
then through the matcher of a simple keyword brand, of a larger query with phrases, a
hashtag, a handle, a prefix wildcard, negations and a language filter, and of a proximity query
(`NEAR/n`, `"..."~n`, which find every occurrence rather than the first). Also times parsing and
X compilation of the larger query. Then matches the texts of the query conformance table
(tests/query_cases.toml: 13 scripts, nearly all non-ASCII, so every text takes the slow path of
normalisation) against a brand written in five scripts. Prints mentions (or queries) per second of CPU time (the
machine is shared, so wall time measures the neighbours), best of `--repeat` runs.

    python bench/matching.py [--texts 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from importlib import resources
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listener.sources.matching import query_matcher  # noqa: E402
from listener.core.query import from_terms, parse  # noqa: E402
from listener.sources.x_query import compile_for_x  # noqa: E402
from listener.core.text import clean_text  # noqa: E402

QUERY = (
    '(acme OR acmecloud OR "acme cloud" OR #acmedown OR @acmesupport) '
    '-"acme anvil" -(road runner) -anvil* (lang:en OR lang:de OR lang:fr)'
)
PROXIMITY_QUERY = '(acme OR globex) NEAR/3 (down OR outage OR broken) OR "acme cloud slow"~4'
MULTILINGUAL_QUERY = "acme OR \u30bd\u30cb\u30fc OR \uc0bc\uc131 OR \u0623\u0631\u0627\u0645\u0643\u0648 OR \u091f\u093e\u091f\u093e"
CASES = Path(__file__).resolve().parent.parent / "tests" / "query_cases.toml"


def best_rate(work: Callable[[], int], repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        started = time.process_time()
        count = work()
        rates.append(count / (time.process_time() - started))
    return max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    lines = (resources.files("listener") / "demo_data" / "mentions.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    texts = [(records[i % len(records)]["text"], records[i % len(records)].get("language")) for i in range(args.texts)]

    print(f"clean_text:            {best_rate(lambda: sum(1 for text, _ in texts if clean_text(text)), args.repeat):>12,.0f} texts/s")
    queries = (("keyword brand", from_terms(("acme",))), ("complex query", parse(QUERY)), ("proximity", parse(PROXIMITY_QUERY)))
    for label, ast in queries:
        matcher = query_matcher(ast)
        rate = best_rate(lambda m=matcher: sum(1 for text, language in texts if m.matches(text, language) or True), args.repeat)
        matched = sum(1 for text, language in texts if matcher.matches(text, language))
        print(f"match, {label:<13} {rate:>12,.0f} texts/s ({matched:,} of {len(texts):,} match)")
    table = [case["text"] for case in tomllib.loads(CASES.read_text(encoding="utf-8"))["case"]]
    multilingual = [table[i % len(table)] for i in range(args.texts)]
    matcher = query_matcher(parse(MULTILINGUAL_QUERY))
    rate = best_rate(lambda: sum(1 for text in multilingual if matcher.matches(text) or True), args.repeat)
    print(f"match, 5 scripts {rate:>12,.0f} texts/s (the conformance table's texts)")
    print(f"parse + compile_for_x: {best_rate(lambda: sum(1 for _ in range(2000) if compile_for_x(parse(QUERY))), args.repeat):>12,.0f} queries/s")


if __name__ == "__main__":
    main()
