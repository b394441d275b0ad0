"""Score the live detector on NAB's real brand-mention volumes, next to the published detectors.

Runs `listener backtest`'s own code path (`alerts.backtest.backtest`) over every series in
`SHARED/data/nab_tweets`, with the shipped detection defaults (or `--config`'s), and scores the
`alert` column (1 where the daemon would have sent a new alert) with NAB's standard profile using
the reference scorer `SHARED/tools/nab_score.py`. Nothing is tuned per series: what is measured
here is what a user gets.

    python bench/nab.py [--shared ../shared] [--config FILE] [--keep DIR] [--rows-per-window N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.backtest import SeriesPoint, backtest, read_series, write_backtest
from listener.config import DetectionConfig, load_config

DETECTOR = "social-listener"


def load_scorer(shared: Path) -> ModuleType:
    """Import the reference scorer from the shared folder (it is not part of this project)."""
    path = shared / "tools" / "nab_score.py"
    spec = importlib.util.spec_from_file_location("nab_score", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def published_scores(data_dir: Path) -> dict[str, float]:
    """The published detectors' standard scores on these five series, from PUBLISHED.md."""
    path = data_dir / "PUBLISHED.md"
    if not path.is_file():
        return {}
    scores = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\|\s*([\w.-]+)\s*\|\s*([\d.]+)\s*\|", line.strip())
        if match:
            scores[match.group(1)] = float(match.group(2))
    return scores


def run_backtests(
    data_dir: Path, names: list[str], rule: DetectionConfig, keep: Path | None, rows_per_window: int = 1
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Backtest every series; returns each one's alert column and the seconds its backtest took.

    With `rows_per_window` > 1, consecutive rows are summed into longer windows first (3 turns
    NAB's 5 minutes into the daemon's default 15), and each alert is put on its window's last row:
    the first moment the daemon could have known.
    """
    alerts, seconds = {}, {}
    for name in names:
        with open(data_dir / name, encoding="utf-8", newline="") as stream:
            points = read_series(stream, name)
        windows = [
            SeriesPoint(points[start].timestamp, sum(point.value for point in points[start : start + rows_per_window]))
            for start in range(0, len(points) - rows_per_window + 1, rows_per_window)
        ]
        started = time.perf_counter()
        rows = list(backtest(windows, rule))
        seconds[name] = time.perf_counter() - started
        alert_column = [0.0] * len(points)
        for index, row in enumerate(rows):
            alert_column[index * rows_per_window + rows_per_window - 1] = float(row.alert)
        alerts[name] = alert_column
        if keep is not None:
            with open(keep / name, "w", encoding="utf-8", newline="") as out:
                write_backtest(rows, out)
    return alerts, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared",
                        help="the shared data folder (default ../shared beside the checkout)")
    parser.add_argument("--config", help="take the [detection] settings from this config (default: shipped defaults)")
    parser.add_argument("--keep", type=Path, help="also keep the per-series backtest CSVs in this folder")
    parser.add_argument("--rows-per-window", type=int, default=1, metavar="N",
                        help="sum N consecutive 5-minute rows into one window (3: the daemon's 15 minutes)")
    args = parser.parse_args(argv)

    data_dir = args.shared / "data" / "nab_tweets"
    scorer_path = args.shared / "tools" / "nab_score.py"
    if not (data_dir / "windows.json").is_file() or not scorer_path.is_file():
        print(f"error: {data_dir}/windows.json or {scorer_path} not found; pass --shared PATH to the shared folder "
              "that holds data/nab_tweets and tools/nab_score.py", file=sys.stderr)
        return 2
    rule = load_config(args.config).detection if args.config else DetectionConfig()
    scorer = load_scorer(args.shared)
    names = sorted(json.loads((data_dir / "windows.json").read_text()))

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    alerts, seconds = run_backtests(data_dir, names, rule, args.keep, args.rows_per_window)
    corpus = scorer.load_corpus(str(data_dir), str(data_dir / "windows.json"))
    scores = {data_file.key: alerts[data_file.basename] for data_file in corpus}
    # `alert` is 0 or 1, so any threshold in (0, 1] scores exactly the alerts.
    result = scorer.evaluate(corpus, scores, ["standard"], threshold=0.5)["standard"]
    cost = scorer.PROFILES["standard"]

    settings = f"[detection] of {args.config}" if args.config else "the shipped defaults"
    span = "one window per row" if args.rows_per_window == 1 else f"windows of {args.rows_per_window} rows"
    print(f"NAB standard profile: the alert column of `listener backtest` with {settings}, {span}\n")
    print(f"{'series':<12} {'windows hit':>11} {'alerts outside':>14} {'raw':>8} {'score':>7} {'windows/s':>9}")
    for data_file, per_file in zip(corpus, result["per_file"]):
        null = -cost["fn"] * len(data_file.scorable_windows)
        perfect = cost["tp"] * len(data_file.windows)
        name = data_file.basename.removeprefix("Twitter_volume_").removesuffix(".csv")
        rate = data_file.n / args.rows_per_window / seconds[data_file.basename]
        print(f"{name:<12} {per_file['windows_detected']:>5}/{per_file['windows']:<5} {per_file['fp']:>14} "
              f"{per_file['score']:>8.3f} {scorer.normalise(per_file['score'], null, perfect):>7.2f} {rate:>9.0f}")
    print(f"{'total':<12} {result['windows_detected']:>5}/{result['windows']:<5} {result['fp']:>14} "
          f"{result['raw']:>8.3f} {result['score']:>7.2f}\n")

    table = published_scores(data_dir)
    table[f"* {DETECTOR}"] = result["score"]
    print("standard score on these five series (published detectors at their own NAB thresholds)")
    for name, score in sorted(table.items(), key=lambda item: -item[1]):
        print(f"  {name:<20} {score:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
