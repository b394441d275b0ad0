"""Score the live detector on NAB's real brand-mention volumes, next to the published detectors.

Runs `listener backtest`'s own code path (`alerts.backtest.backtest`) over every series in
`SHARED/data/nab_tweets`, with the shipped detection defaults (or `--config`'s), and scores the
`alert` column (1 where the daemon would have sent a new alert) with NAB's standard profile using
the reference scorer `SHARED/tools/nab_score.py`. Nothing is tuned per series: what is measured
here is what a user gets.

    python bench/nab.py [--shared ../shared] [--config FILE] [--keep DIR] [--rows-per-window N] [--no-loso]
    python bench/nab.py --window-spread [--config FILE]

It then runs the procedure the shipped defaults come from, leave-one-series-out: for each
series, the false-alarm rate (of `RATES`) that scores best on the other four is scored on it,
beside the published detectors' scores on that series, and the rate it picks on all five is named
(the shipped default should be it). The held-out mean is the figure that says what a brand the
detector never saw gets; the in-sample score above is not.

`--window-spread` checks instead that one setting means the same at every window length: the same
settings scored in 5-, 15- and 60-minute windows (`--rows-per-window 1, 3, 12`), and the spread
between the best and the worst (issue 11's target: at most 3 points).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alerts.backtest import CountRow, backtest, read_series, write_backtest
from listener.config import DetectionConfig, load_config
from listener.config.types import parse_duration

DETECTOR = "social-listener"
NAB_ROW = timedelta(minutes=5)
RATES = ("1/year", "1/quarter", "1/month", "2/month", "1/week")
"""The one setting leave-one-series-out chooses, the one an on-call lead sets: five false-alarm rates
a pager can live with. How much history the alarm level is read from follows from the rate
(`alerts.detect.detector.level_baselines`: one return period); every other setting keeps its
default, each with its own reason (`cooldown`: one incident per brand per day;
`alerts.detect.detector.TAIL_SHARE`: enough tail points in a new brand's first days)."""
SPREAD_ROWS = (1, 3, 12)
"""`--window-spread`'s windows, in 5-minute rows: 5, 15 and 60 minutes."""
SPREAD_TARGET = 3.0
"""Issue 11's target for the spread between the best and the worst of those scores, in points."""


def short_name(file_name: str) -> str:
    """AAPL for Twitter_volume_AAPL.csv: how PUBLISHED.md's per-series table names a series."""
    return file_name.removeprefix("Twitter_volume_").removesuffix(".csv")


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


def published_per_series(data_dir: Path) -> dict[str, dict[str, float]]:
    """Per detector, its standard score on each series alone (PUBLISHED.md's per-series table)."""
    path = data_dir / "PUBLISHED.md"
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    header: list[str] = []
    table: dict[str, dict[str, float]] = {}
    for line in lines:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] == "detector" and len(cells) > 2:
            header = cells[1:]
        elif header and len(cells) == len(header) + 1 and re.fullmatch(r"[\w.-]+", cells[0]):
            try:
                table[cells[0]] = dict(zip(header, map(float, cells[1:])))
            except ValueError:
                continue
    return table


def series_scores(scorer: ModuleType, corpus: list, alerts: dict[str, list[float]]) -> dict[str, dict]:
    """Each series' raw NAB standard score and its null and perfect scores (to pool or normalise)."""
    cost = scorer.PROFILES["standard"]
    scored = {}
    for data_file in corpus:
        result = scorer.score_file(data_file, alerts[data_file.basename], 0.5, cost)
        null, perfect = scorer.baselines([data_file], cost)
        scored[data_file.basename] = {**result, "null": null, "perfect": perfect}
    return scored


def pooled(scorer: ModuleType, scored: dict[str, dict], names: list[str]) -> float:
    """The normalised standard score of these series taken together, as NAB scores a corpus."""
    return scorer.normalise(*(sum(scored[name][key] for name in names) for key in ("score", "null", "perfect")))


def standard_result(scorer: ModuleType, corpus: list, alerts: dict[str, list[float]]) -> dict:
    """NAB's standard-profile result for these alert columns: the pooled score and each series'."""
    scores = {data_file.key: alerts[data_file.basename] for data_file in corpus}
    # `alert` is 0 or 1, so any threshold in (0, 1] scores exactly the alerts.
    return scorer.evaluate(corpus, scores, ["standard"], threshold=0.5)["standard"]


def print_window_spread(scorer: ModuleType, corpus: list, data_dir: Path, base: DetectionConfig, settings: str) -> None:
    """The same settings in 5-, 15- and 60-minute windows, and the spread of their scores."""
    names = [data_file.basename for data_file in corpus]
    print(f"NAB standard profile with {settings} at each window length (5-minute rows summed into windows)\n")
    print(f"{'window':<8} {'windows hit':>11} {'alerts outside':>14} {'score':>7}")
    scores = []
    for rows in SPREAD_ROWS:
        rule = base.model_copy(update={"window": rows * NAB_ROW})
        alerts, _ = run_backtests(data_dir, names, rule, None, rows)
        result = standard_result(scorer, corpus, alerts)
        scores.append(result["score"])
        print(f"{rows * 5:>3} min  {result['windows_detected']:>5}/{result['windows']:<5} {result['fp']:>14} {result['score']:>7.2f}")
    spread = max(scores) - min(scores)
    verdict = "met" if spread <= SPREAD_TARGET else "not met"
    print(f"spread (best - worst): {spread:.2f} points (target at most {SPREAD_TARGET:g}: {verdict})")


def leave_one_out(
    scorer: ModuleType, corpus: list, data_dir: Path, base: DetectionConfig, rows_per_window: int
) -> tuple[list[tuple[str, str, float]], str]:
    """For each series: the rate that scores best pooled over the other four, and its score on
    the held-out one (normalised alone, as PUBLISHED.md scores each series); and the rate the same
    procedure picks on all five, which the shipped default should be."""
    names = [data_file.basename for data_file in corpus]
    by_candidate = []
    for rate in RATES:
        rule = DetectionConfig.model_validate({**base.model_dump(), "false_alarms": rate})
        alerts, _ = run_backtests(data_dir, names, rule, None, rows_per_window)
        by_candidate.append((rate, series_scores(scorer, corpus, alerts)))
    folds = []
    for held_out in names:
        training = [name for name in names if name != held_out]
        candidate, scored = max(by_candidate, key=lambda entry: pooled(scorer, entry[1], training))
        folds.append((held_out, candidate, pooled(scorer, scored, [held_out])))
    overall, _ = max(by_candidate, key=lambda entry: pooled(scorer, entry[1], names))
    return folds, overall


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
            CountRow(points[start].timestamp, sum(point.value for point in points[start : start + rows_per_window]))
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
    parser.add_argument("--window", type=parse_duration, metavar="DURATION",
                        help="the daemon's window (default: N rows of 5 minutes, so each summed row is one window); "
                             "e.g. --rows-per-window 1 --window 15m scores the shipped defaults on the raw series")
    parser.add_argument("--no-loso", action="store_true", help="skip the leave-one-series-out table")
    parser.add_argument("--window-spread", action="store_true",
                        help="only score the settings in 5-, 15- and 60-minute windows, and print the spread")
    args = parser.parse_args(argv)

    data_dir = args.shared / "data" / "nab_tweets"
    scorer_path = args.shared / "tools" / "nab_score.py"
    if not (data_dir / "windows.json").is_file() or not scorer_path.is_file():
        print(f"error: {data_dir}/windows.json or {scorer_path} not found; pass --shared PATH to the shared folder "
              "that holds data/nab_tweets and tools/nab_score.py", file=sys.stderr)
        return 2
    base = load_config(args.config).detection if args.config else DetectionConfig()
    rule = base.model_copy(update={"window": args.window or args.rows_per_window * NAB_ROW})
    scorer = load_scorer(args.shared)
    names = sorted(json.loads((data_dir / "windows.json").read_text()))
    corpus = scorer.load_corpus(str(data_dir), str(data_dir / "windows.json"))
    settings = f"[detection] of {args.config}" if args.config else "the shipped defaults"
    if args.window_spread:
        print_window_spread(scorer, corpus, data_dir, base, settings)
        return 0

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    alerts, seconds = run_backtests(data_dir, names, rule, args.keep, args.rows_per_window)
    result = standard_result(scorer, corpus, alerts)
    cost = scorer.PROFILES["standard"]

    span = f"{'rows' if args.rows_per_window == 1 else f'sums of {args.rows_per_window} rows'} in windows of {rule.window}"
    print(f"NAB standard profile: the alert column of `listener backtest` with {settings}, {span}\n")
    print(f"{'series':<12} {'windows hit':>11} {'alerts outside':>14} {'raw':>8} {'score':>7} {'windows/s':>9}")
    for data_file, per_file in zip(corpus, result["per_file"]):
        null = -cost["fn"] * len(data_file.scorable_windows)
        perfect = cost["tp"] * len(data_file.windows)
        name = short_name(data_file.basename)
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
    if not args.no_loso:
        print_leave_one_out(scorer, corpus, data_dir, rule, args.rows_per_window, result["score"])
    return 0


def print_leave_one_out(
    scorer: ModuleType,
    corpus: list,
    data_dir: Path,
    rule: DetectionConfig,
    rows_per_window: int,
    in_sample: float,
) -> None:
    folds, overall = leave_one_out(scorer, corpus, data_dir, rule, rows_per_window)
    published = published_per_series(data_dir)
    leaders = sorted(published, key=lambda name: -sum(published[name].values()))[:3]
    print(f"\nleave-one-series-out: the false-alarm rate chosen on the other four among {', '.join(RATES)}, "
          "scored on the fifth alone (the level history follows the rate)")
    print(f"{'held out':<10} {'chosen':<22} {'score':>7}  " + "  ".join(f"{name:>10}" for name in leaders))
    for held_out, chosen, score in folds:
        name = short_name(held_out)
        print(f"{name:<10} {chosen:<22} {score:7.2f}  " + "  ".join(f"{published[leader].get(name, float('nan')):>10.2f}" for leader in leaders))
    held_out_mean = sum(score for _, _, score in folds) / len(folds)
    means = "  ".join(f"{sum(published[leader].values()) / len(published[leader]):>10.2f}" for leader in leaders)
    print(f"{'mean':<10} {'':<22} {held_out_mean:7.2f}  {means}")
    print(f"in-sample (these settings, all five pooled) {in_sample:.2f}; held-out mean {held_out_mean:.2f}; "
          f"gap {in_sample - held_out_mean:+.2f}")
    if "ARTime" in published:
        worst = min(score - published["ARTime"].get(short_name(held_out), score) for held_out, _, score in folds)
        print(f"worst fold against ARTime on its series: {worst:+.2f}")
    print(f"chosen on all five: {overall}{' (these settings)' if overall == str(rule.false_alarms) else ''}")


if __name__ == "__main__":
    sys.exit(main())
