"""Is this window's count a spike? Pure functions of the window and the windows before it, no I/O.

Three questions, each answered from the brand's own history and nothing tuned per brand:

1. **What count was expected?** Mentions follow the clock (nights are quiet, weekends differ), so
   a window is compared with the same time of day on each earlier day of the baseline (give or
   take `SEASON_SLACK`); the median of those is the expected count. The median ignores
   yesterday's spike, and a week of days covers every weekday. Before a day of history exists,
   or for a rule with `seasonal = false`, it is the median of the baseline's windows.
2. **How surprising is this count?** Counts carry Poisson noise plus the series' own burstiness,
   learnt from the baseline's log-ratios to their expected counts (their median absolute
   deviation, less what Poisson noise explains). That makes a negative binomial, and the
   window's *surprise* is `-ln` of its mid-p upper tail: 7 means a count this high comes by
   chance once in e^7 ~ 1,100 windows, if the model were right.
3. **Is it surprising for this brand?** The model is never quite right: a news-driven brand
   is surprised most days. So the alarm level comes from the brand's own surprises over one
   return period of `false_alarms` (`level_baselines`), the way SPOT (Siffer et al., KDD 2017)
   sets extreme-value thresholds: the top `TAIL_SHARE` of them are fitted with a generalised
   Pareto tail, which is extrapolated to the chance per window that `false_alarms` allows
   (`1/month` at 15-minute windows: 1 in 2,922). Surprises already above the level (past
   incidents) are left out and the tail is fitted once more, so an outage does not raise the
   bar for the next one. The level never drops below `-ln` of that chance, where the count
   model alone would put it.

`min_count` and `min_ratio` then keep a quiet brand going from 1 to 3 mentions from paging.

Every verdict depends only on the `history_windows` windows before the judged one, so the
daemon (one window at a time, `evaluate`) and `listener backtest` (a whole series at once,
`judge_series`) reach the same verdicts by construction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import betainc, gammainc  # type: ignore[import-untyped]

from listener.config import DetectionConfig

MIN_EXPECTED = 0.5
"""Expected count used when the baseline is all zeros, so a first mention is not infinitely surprising."""
PSEUDO_COUNT = 2.0
"""Added to both sides of a log-ratio so that 0 -> 1 mention is a small rise, not an infinite one."""
MIN_DISPERSION = 0.05
"""Least burstiness assumed (variance = mean + 0.05 mean^2): real traffic is never exactly Poisson."""
SEASON_SLACK = timedelta(minutes=10)
"""A window's seasonal neighbours are the windows this close to the same time on earlier days."""
MIN_RESIDUALS = 8
"""Fewer baseline windows than this say nothing about the series' noise."""
TAIL_SHARE = 0.1
"""The share of the baseline's surprises fitted as its tail. SPOT's usual 2% leaves too few
points: a brand with a day or two of history (a new install) has 96 or 192 15-minute windows,
and its tail needs ten points or more to be fitted at all. (5% scores 1 point higher on NAB's
two-month series, and misses the demo's outage on its third day.)"""
MIN_TAIL_FOR_SHAPE = 30
"""Below 30 tail points the tail is taken as exponential: the shape's standard error (about
1.15 / sqrt(points)) would exceed 0.2, as large as the shapes it is meant to find. A brand's
first days (and a week of hourly windows) are judged with the exponential tail."""
MAX_SHAPE = 0.5
"""Heavier tails than this have infinite variance, where probability-weighted moments fail."""
MAD_TO_SD = 1.4826
MAX_SURPRISE = 700.0
"""-ln of the smallest positive double: a tail that underflows to 0 reads as this."""
CHUNK_CELLS = 1 << 22
"""Matrix cells (windows judged x windows read) per step of `judge_series`: 32 MB of floats a matrix."""
MAX_LEVEL_HISTORY = timedelta(days=91)
"""The most history the alarm level is read from, whatever the rate: a quarter. Surprises from
longer ago say little about the brand today, and a verdict recomputes the burstiness of each
window it reads unless a `HistoryMemo` holds it (at 15-minute windows, 40 ms a verdict for four
weeks, 140 ms for a quarter, 580 ms for a year, on one core). `1/year` reads its level from a
quarter, four times past the sample, as `1/month` would from a week."""
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Detection:
    observed: int
    expected: float
    score: float
    """1 - the mid-p chance of a count this high, in [0, 1]."""
    anomalous: bool
    severity: Literal["warning", "critical"] | None
    surprise: float = 0.0
    """-ln of that chance; the window is anomalous when it exceeds `level`."""
    level: float = math.inf
    """The alarm level learnt from the baseline's own surprises (inf: not enough history yet)."""
    dispersion: float = MIN_DISPERSION
    """The burstiness the surprise was computed with (variance = mean + dispersion * mean^2)."""
    ready: bool = False
    """Whether the history held `min_baseline_windows` windows (no alert before)."""


@dataclass(frozen=True)
class Season:
    period: int
    """Windows per day."""
    slack: int
    """Neighbours on each side of the same time of day."""
    days: int
    """Most earlier days a seasonal median looks at (the baseline's length in days)."""


def season_of(rule: DetectionConfig, step: timedelta) -> Season | None:
    """The daily season of windows of length `step`, or None when `rule` has none."""
    period = round(DAY / step)
    days = int(rule.baseline // DAY)
    if not rule.seasonal or period < 2 or days < 1:
        return None
    return Season(period, min(max(1, int(SEASON_SLACK // step)), (period - 1) // 2), days)


def evaluate(
    history: Sequence[float] | np.ndarray,
    observed: int,
    rule: DetectionConfig,
    *,
    times: Sequence[datetime] | None = None,
    window: timedelta | None = None,
) -> Detection:
    """Judge `observed` against `history` (the previous windows' counts, oldest first).

    `history` is taken to be consecutive windows of length `window` (default `rule.window`)
    ending right before the judged one; the last `history_windows` of them are read. Pass `times`
    (the start of every history window, then the judged window's, so one more than `history`)
    when windows may be missing, e.g. ratio metrics that skip windows without mentions.
    """
    step = window or rule.window
    if len(history) == 0:
        return Detection(observed, 0.0, 0.0, False, None)
    values = _dense(history, times, step)[-history_windows(rule, step) :]
    return judge_series(np.append(values, float(observed)), rule, step, first=len(values))[0]


def judge_series(
    values: Sequence[float] | np.ndarray,
    rule: DetectionConfig,
    step: timedelta,
    first: int = 0,
    memo: HistoryMemo | None = None,
) -> list[Detection]:
    """The verdict on every window of `values` from `first` on, each against the windows before it.

    `values` are consecutive windows of length `step`, NaN where a window is missing. A verdict
    reads only the `history_windows(rule, step)` windows before its own, so judging a whole
    series at once gives what judging each window with `evaluate` would. `memo` holds (or will)
    what the history's windows cost, when `values` start with its history.
    """
    values = np.asarray(values, dtype=float)
    own = recent_windows(rule, step)
    season = season_of(rule, step)
    chance = rule.false_alarms.per_window(step)
    tail_own = own * level_baselines(rule)
    expected, seasonal = _expected(values, rule, step, season, own, needed_from=max(0, first - own - tail_own))
    surprise_from = max(0, first - tail_own)
    surprises = np.full(len(values), np.nan)
    dispersions = np.full(len(values), MIN_DISPERSION)
    fresh_from = surprise_from if memo is None else memo.recall(values, surprise_from, surprises, dispersions)
    dispersions[fresh_from:] = _dispersions(values, expected, own, fresh_from)
    means = np.maximum(expected[fresh_from:], MIN_EXPECTED)
    surprises[fresh_from:] = _surprises(values[fresh_from:], means, dispersions[fresh_from:])
    if memo is not None:
        memo.keep(values, surprise_from, surprises, dispersions)
    fitted = surprises if season is None else np.where(seasonal, surprises, np.nan)
    need = max(MIN_RESIDUALS, season.period if season else 0)
    known = np.concatenate(([0], np.cumsum(~np.isnan(values))))
    reach = history_windows(rule, step)
    verdicts = []
    chunk_rows = _chunk_rows(tail_own)
    for start in range(first, len(values), chunk_rows):
        rows = np.arange(start, min(start + chunk_rows, len(values)))
        # A row has at most `row` windows before it: a long level history (a rare rate) over a
        # young series would otherwise sort columns of padding. Padding leaves every verdict's
        # bits unchanged (sorted last, summed as trailing zeros by `_row_sums`).
        width = max(1, min(tail_own, int(rows[-1])))
        levels = alarm_levels(_before(fitted, rows, width), chance, need)
        for row, level in zip(rows, levels):
            ready = int(known[row] - known[max(0, row - reach)]) >= rule.min_baseline_windows
            verdicts.append(
                _verdict(values[row], expected[row], surprises[row], float(level), float(dispersions[row]), ready, rule)
            )
    return verdicts


@dataclass
class HistoryMemo:
    """A history's window values, with the surprises and burstiness `judge_series` computed for
    them, to judge the windows after it again without recomputing those.

    Recomputing them is most of a verdict's cost (each window's burstiness is the spread of the
    baseline before it), and a window's surprise and burstiness depend only on its own count and
    the windows before it. So while the first windows of `values` judged with the memo are its
    `values`, the windows after them can change and be judged again at the cost of themselves
    alone: an early pass judges a brand's open windows every `process_interval` against a history
    that changes once a window. Values that start otherwise are judged afresh.
    """

    values: np.ndarray
    kept_from: int | None = None
    """The first window whose surprise and burstiness are kept (None: nothing kept yet)."""
    surprises: np.ndarray = field(default_factory=lambda: np.empty(0))
    dispersions: np.ndarray = field(default_factory=lambda: np.empty(0))

    def recall(self, values: np.ndarray, needed_from: int, surprises: np.ndarray, dispersions: np.ndarray) -> int:
        """Copy what is kept from window `needed_from` on into the arrays; returns the first window
        not copied (`needed_from` when nothing is)."""
        history = len(self.values)
        if self.kept_from is None or not self.kept_from <= needed_from < history or not self._starts(values):
            return needed_from
        surprises[needed_from:history] = self.surprises[needed_from - self.kept_from :]
        dispersions[needed_from:history] = self.dispersions[needed_from - self.kept_from :]
        return history

    def keep(self, values: np.ndarray, needed_from: int, surprises: np.ndarray, dispersions: np.ndarray) -> None:
        history = len(self.values)
        if self.kept_from is None and needed_from < history and self._starts(values):
            self.kept_from = needed_from
            self.surprises = surprises[needed_from:history].copy()
            self.dispersions = dispersions[needed_from:history].copy()

    @property
    def nbytes(self) -> int:
        return self.values.nbytes + self.surprises.nbytes + self.dispersions.nbytes

    def _starts(self, values: np.ndarray) -> bool:
        history = len(self.values)
        return len(values) >= history and np.array_equal(values[:history], self.values, equal_nan=True)


def judge_count_so_far(full: Detection, count: int, rule: DetectionConfig) -> Detection:
    """The verdict on a window still open, with `count` mentions so far, given the verdict its
    history gives (`full`, from `evaluate` or `judge_series` with any count).

    A count only grows while its window is open, so an anomalous count so far means an anomalous
    window: the alert can go out before the window closes.
    """
    mean = max(full.expected, MIN_EXPECTED)
    surprise = float(_surprises(np.array([float(count)]), np.array([mean]), np.array([full.dispersion]))[0])
    return _verdict(float(count), full.expected, surprise, full.level, full.dispersion, full.ready, rule)


def _verdict(
    value: float, baseline: float, surprise: float, level: float, dispersion: float, ready: bool, rule: DetectionConfig
) -> Detection:
    observed = 0 if math.isnan(value) else round(value)
    baseline = 0.0 if math.isnan(baseline) else float(baseline)
    expected = max(baseline, MIN_EXPECTED)
    # Before `min_baseline_windows` of history there is no expectation worth a score.
    surprise = 0.0 if math.isnan(surprise) or not ready else float(surprise)
    anomalous = (
        ready
        and observed >= rule.min_count
        and observed >= rule.min_ratio * expected
        and surprise > level
    )
    severity: Literal["warning", "critical"] | None = None
    if anomalous:
        severity = "critical" if observed >= rule.critical_ratio * expected else "warning"
    return Detection(observed, baseline, -math.expm1(-surprise), anomalous, severity, surprise, level, dispersion, ready)


def alarm_levels(surprises: np.ndarray, chance: float, need: int) -> np.ndarray:
    """Per row of `surprises` (NaN: not usable), the surprise a window must exceed to alarm.

    The row's top `TAIL_SHARE` (above their quantile u) are fitted with a generalised Pareto
    tail, P(surprise > u + y) = TAIL_SHARE * (1 + xi y / sigma)^(-1/xi), and the level puts that
    at `chance`. Two passes: a first, exponential level takes sigma from the median excess of the
    top `TAIL_SHARE` (median = sigma ln 2; counts are discrete, so many surprises tie with u and
    count as 0), which a past outage's dozen huge surprises cannot move; surprises above it are
    dropped, and the level is the fit of the rest. Rows with fewer than `need` usable surprises
    get an infinite level.
    """
    floor = -math.log(chance)
    level = _first_level(surprises, chance, floor)
    trimmed = np.where(surprises > level[:, None], np.nan, surprises)
    level = _tail_level(trimmed, chance, floor)
    enough = np.count_nonzero(~np.isnan(surprises), axis=1) >= need
    return np.where(enough, level, math.inf)


def _tail_start(ordered: np.ndarray, count: np.ndarray) -> np.ndarray:
    """u: each row's (1 - TAIL_SHARE) quantile, of rows sorted with NaN last."""
    position = (1.0 - TAIL_SHARE) * np.maximum(count - 1, 0)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, np.maximum(count - 1, 0))
    take = lambda index: np.take_along_axis(ordered, index[:, None], axis=1)[:, 0]  # noqa: E731
    return take(low) + (position - low) * (take(high) - take(low))


def _first_level(surprises: np.ndarray, chance: float, floor: float) -> np.ndarray:
    """An exponential tail with the median excess of the top `TAIL_SHARE` by rank."""
    ordered = np.sort(surprises, axis=1)
    count = np.count_nonzero(~np.isnan(ordered), axis=1)
    start = _tail_start(ordered, count)
    ranks = np.arange(ordered.shape[1])[None, :]
    top = (ranks >= (count - np.ceil(TAIL_SHARE * count))[:, None]) & (ranks < count[:, None])
    sigma = np.nan_to_num(_row_medians(np.where(top, np.maximum(ordered - start[:, None], 0.0), np.nan)), nan=0.0) / math.log(2)
    level = start + sigma * max(math.log(TAIL_SHARE / chance), 0.0)
    return np.maximum(np.nan_to_num(level, nan=floor), floor)


def _tail_level(surprises: np.ndarray, chance: float, floor: float) -> np.ndarray:
    """The generalised Pareto fit of the excesses over u, by probability-weighted moments
    (Hosking and Wallis 1987): closed-form, vectorisable, and sound for shapes below 1/2."""
    ordered = np.sort(surprises, axis=1)
    count = np.count_nonzero(~np.isnan(ordered), axis=1)
    start = _tail_start(ordered, count)
    above = ordered > start[:, None]
    tail = above.sum(axis=1)
    excess = np.where(above, ordered - start[:, None], 0.0)
    rank = np.cumsum(above, axis=1)  # 1 for the smallest excess
    a0 = _row_sums(excess) / np.maximum(tail, 1)
    a1 = _row_sums(excess * (tail[:, None] - rank) / np.maximum(tail - 1, 1)[:, None]) / np.maximum(tail, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = 2.0 - a0 / (a0 - 2.0 * a1)
    shape = np.where(tail >= MIN_TAIL_FOR_SHAPE, np.clip(np.nan_to_num(shape, nan=0.0), 0.0, MAX_SHAPE), 0.0)
    sigma = a0 * (1.0 - shape)  # the mean excess of a generalised Pareto is sigma / (1 - xi)
    ratio = TAIL_SHARE / chance
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(shape > 1e-9, np.expm1(shape * math.log(ratio)) / shape, math.log(ratio))
    level = start + sigma * np.maximum(growth, 0.0)
    return np.maximum(np.nan_to_num(level, nan=floor), floor)


def _expected(
    values: np.ndarray, rule: DetectionConfig, step: timedelta, season: Season | None, own: int, needed_from: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every window's expected count, and whether it is a seasonal one.

    The seasonal median where a day of history precedes the window, else the median of the
    `own` windows before it (NaN before the first window, from `needed_from` on only).
    """
    seasonal = np.zeros(len(values), dtype=bool)
    expected = np.full(len(values), np.nan)
    if season is not None:
        expected = seasonal_baselines(values, season)[:-1]
        seasonal = ~np.isnan(expected)
    missing = np.flatnonzero(~seasonal)
    missing = missing[missing >= needed_from]
    chunk_rows = _chunk_rows(own)
    for start in range(0, len(missing), chunk_rows):
        rows = missing[start : start + chunk_rows]
        expected[rows] = _row_medians(_before(values, rows, own))
    return expected, seasonal


def _dispersions(values: np.ndarray, expected: np.ndarray, own: int, start: int) -> np.ndarray:
    """Each window's burstiness from `start` on: the robust spread of the log-ratios of the `own`
    windows before it, less Poisson's share, never under `MIN_DISPERSION`."""
    ratios = np.log((values + PSEUDO_COUNT) / (expected + PSEUDO_COUNT))
    result = np.full(len(values) - start, MIN_DISPERSION)
    chunk_rows = _chunk_rows(own)
    for chunk in range(start, len(values), chunk_rows):
        rows = np.arange(chunk, min(chunk + chunk_rows, len(values)))
        before = _before(ratios, rows, own)
        centre = _row_medians(before)
        spread = MAD_TO_SD * _row_medians(np.abs(before - centre[:, None]))
        enough = np.count_nonzero(~np.isnan(before), axis=1) >= MIN_RESIDUALS
        own_expected = np.nan_to_num(expected[rows], nan=0.0)
        burst = np.nan_to_num(spread * spread - 1.0 / (own_expected + PSEUDO_COUNT), nan=MIN_DISPERSION)
        result[rows - start] = np.where(enough, np.maximum(burst, MIN_DISPERSION), MIN_DISPERSION)
    return result


def _surprises(observed: np.ndarray, means: np.ndarray, dispersions: np.ndarray) -> np.ndarray:
    """-ln of the mid-p upper tail, P(X > x) + P(X = x) / 2, of each count (NaN stays NaN)."""
    variances = means + dispersions * means * means
    midp = 0.5 * (upper_tails(observed, means, variances) + upper_tails(observed + 1, means, variances))
    with np.errstate(divide="ignore"):
        surprise = np.minimum(-np.log(midp), MAX_SURPRISE)
    return np.where(np.isnan(observed), np.nan, surprise)


def upper_tails(observed: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """P(X >= observed) for counts with these means and variances (negative binomial; Poisson
    when the variance is the mean)."""
    counts = np.ceil(np.nan_to_num(np.asarray(observed, dtype=float), nan=0.0))
    mean = np.broadcast_to(np.asarray(mean, dtype=float), counts.shape)
    variance = np.broadcast_to(np.asarray(variance, dtype=float), counts.shape)
    tails = np.ones(counts.shape)
    positive = counts > 0
    poisson = positive & (variance <= mean * (1 + 1e-9))
    tails[poisson] = gammainc(counts[poisson], mean[poisson])
    negative_binomial = positive & ~poisson
    size = mean[negative_binomial] ** 2 / (variance[negative_binomial] - mean[negative_binomial])
    tails[negative_binomial] = betainc(counts[negative_binomial], size, mean[negative_binomial] / (size + mean[negative_binomial]))
    return tails


def _chunk_rows(width: int) -> int:
    """How many windows one matrix of `width` windows read per row may judge at once."""
    return max(1, CHUNK_CELLS // max(width, 1))


def _before(series: np.ndarray, rows: np.ndarray, width: int) -> np.ndarray:
    """Row r of the result holds series[r - width : r], NaN-padded before the series' start."""
    padded = np.concatenate((np.full(width, np.nan), series))
    return sliding_window_view(padded, width)[rows]


def _row_sums(matrix: np.ndarray) -> np.ndarray:
    """Each row's sum, added strictly left to right. NumPy's own sum adds in pairs whose grouping
    depends on the row's length, so the zeros a short history is padded with would change the
    last bits, and a window judged alone (the daemon) and in a batch (a backtest) could differ."""
    return np.cumsum(matrix, axis=1)[:, -1]


def _row_medians(matrix: np.ndarray) -> np.ndarray:
    """Each row's median, ignoring NaN (NaN for an all-NaN row), without nanmedian's slow path."""
    if not np.isnan(matrix).any():
        return np.median(matrix, axis=1)
    ordered = np.sort(matrix, axis=1)
    count = np.count_nonzero(~np.isnan(ordered), axis=1)
    low = np.maximum((count - 1) // 2, 0)
    high = np.maximum(count // 2, 0)
    pick = lambda index: np.take_along_axis(ordered, index[:, None], axis=1)[:, 0]  # noqa: E731
    return np.where(count > 0, 0.5 * (pick(low) + pick(high)), np.nan)


def recent_windows(rule: DetectionConfig, step: timedelta) -> int:
    """How many of the latest windows describe the series' noise and surprises: the baseline's worth."""
    return max(1, int(rule.baseline / step))


def _dense(history: Sequence[float] | np.ndarray, times: Sequence[datetime] | None, step: timedelta) -> np.ndarray:
    """The history on a regular grid of `step` ending before the judged window; NaN where missing."""
    values = np.asarray(history, dtype=float)
    if times is None:
        return values
    if len(times) != len(history) + 1:
        raise ValueError(f"times must hold one start per history window plus the judged one: {len(times)} for {len(history)}")
    end = times[-1]
    offsets = np.array([round((end - moment) / step) for moment in times[:-1]], dtype=int)
    if len(offsets) == 0 or (offsets[0] == len(values) and np.all(np.diff(offsets) == -1)):
        return values
    if offsets.min() < 1 or np.any(np.diff(offsets) >= 0):
        raise ValueError("times must increase and every history window must start before the judged one")
    grid = np.full(int(offsets.max()), np.nan)
    grid[len(grid) - offsets] = values
    return grid


def seasonal_baselines(values: np.ndarray, season: Season) -> np.ndarray:
    """Seasonal median for every window of `values` and the next one (the last element).

    Window i's neighbours are windows i - d*period + o for the (at most `season.days`) full days
    d before it and every o within `slack`; NaN where not even one full day precedes it. A
    window's median reads only windows before it.
    """
    count = len(values)
    points = np.arange(count + 1)
    days_before = np.minimum((points - season.slack) // season.period, season.days)
    offsets = np.arange(-season.slack, season.slack + 1)
    baselines = np.full(count + 1, np.nan)
    has_gaps = bool(np.isnan(values).any())
    for days in range(1, int(days_before.max(initial=0)) + 1):
        rows = np.flatnonzero(days_before == days)
        lags = (np.arange(1, days + 1)[:, None] * season.period - offsets[None, :]).ravel()
        neighbours = values[rows[:, None] - lags[None, :]]
        baselines[rows] = _row_medians(neighbours) if has_gaps else np.median(neighbours, axis=1)
    return baselines


def baseline_windows(rule: DetectionConfig) -> int:
    """How many previous windows `evaluate` reads for windows of `rule.window`."""
    return history_windows(rule, rule.window)


def history_windows(rule: DetectionConfig, step: timedelta) -> int:
    """How many previous windows of length `step` a verdict reads.

    The last `level_baselines(rule)` baselines' surprises set the alarm level; the first of them needs a
    baseline's worth of log-ratios for its burstiness, and each of those its expected count: a seasonal
    one reads `days` days and the slack back, a plain one the baseline again.
    """
    own = recent_windows(rule, step)
    season = season_of(rule, step)
    expected_reach = own if season is None else max(own, season.days * season.period + season.slack)
    return (1 + level_baselines(rule)) * own + expected_reach


def level_baselines(rule: DetectionConfig) -> int:
    """How many baselines of surprises the alarm level is fitted on: one return period of
    `false_alarms` (the time in which it allows one false alarm by chance), in whole baselines,
    at least one and at most `MAX_LEVEL_HISTORY`.

    The level is a rare quantile: at `1/month` a 15-minute window may alarm by chance once in
    2,922. A shorter history extrapolates its tail past its own sample (a week's 672 windows four
    times over); about one return period reads the level near the sample's own extremes. So the
    history follows the rate, the one setting an on-call lead chooses, instead of being a second
    knob: `1/week` one baseline, `2/month` two, `1/month` four (28 days by default), `1/quarter`
    and rarer 13. Whole baselines, so that every weekday weighs the same.
    """
    return_period = round(1.0 / rule.false_alarms.per_window(rule.baseline))
    return max(1, min(return_period, int(MAX_LEVEL_HISTORY / rule.baseline)))
