"""Is this window's count a spike? Pure functions of the window and the windows before it, no I/O.

The design follows what wins on real mention volumes (measured with `bench/nab.py` on NAB's
Twitter series, where this scores above every published detector but ARTime):

1. **Expected count: a robust seasonal baseline.** Mentions follow the clock (nights are quiet,
   weekends differ), so a window is compared with the same time of day on each previous day of
   the baseline (give or take `SEASON_SLACK`), and the median of those is the expected count. The
   median ignores yesterday's spike, and a week of days covers every weekday. With less than a
   day of history the median of all of it is used instead.
2. **How noisy is this series?** Counts carry Poisson noise (0, 1 or 3 mentions by chance at
   night) plus the series' own burstiness. The burstiness is learnt robustly from the history's
   log-ratios to their own seasonal baselines (their median absolute deviation, minus what
   Poisson noise alone explains) and becomes the dispersion of a negative binomial, whose upper
   tail gives the anomaly score = 1 - P(a count this high by chance).
3. **Is it unusual for this series?** Heavy-tailed brands (a news-driven one spikes 5x most
   days) would still page daily on a tail probability alone, so the window's rise over its
   baseline must also exceed `rise_quantile` of the rises seen in the baseline (the idea behind
   HTM's anomaly likelihood and SPOT's extreme-value thresholds: judge a surprise against the
   series' own surprises).
4. **Floors.** `min_count` and `min_ratio` keep a quiet brand going from 1 to 3 mentions from
   paging anyone.

The live daemon and `listener backtest` both call `evaluate` and `IncidentTracker`, so a
backtest shows exactly what the daemon would have sent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
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
"""Fewer baseline rises than this say nothing about the series' noise; the floors apply alone."""
MAD_TO_SD = 1.4826
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Detection:
    observed: int
    expected: float
    score: float
    """1 - P(count >= observed | baseline), in [0, 1]."""
    anomalous: bool
    severity: Literal["warning", "critical"] | None


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
    ending right before the judged one; `baseline_windows(rule)` of them are used. Pass `times`
    (the start of every history window, then the judged window's, so one more than `history`)
    when windows may be missing, e.g. ratio metrics that skip windows without mentions: seasonal
    neighbours are then found by time.
    """
    if len(history) == 0:
        return Detection(observed, 0.0, 0.0, False, None)
    step = window or rule.window
    values = _dense(history, times, step)
    return judge(values, expected_counts(values, rule, step), observed, rule, step, history_length=len(history))


def expected_counts(values: np.ndarray, rule: DetectionConfig, step: timedelta) -> np.ndarray:
    """The expected count of every window of `values` and of the next one (the last element).

    Seasonal medians (NaN for windows with less than a day before them) once a day and a bit of
    history exist, else the median of all of it.
    """
    season = season_of(rule, step)
    if season is not None and len(values) >= season.period + season.slack:
        return seasonal_baselines(values, season)
    return np.full(len(values) + 1, _median(values))


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


def judge(
    values: np.ndarray,
    baselines: np.ndarray,
    observed: int,
    rule: DetectionConfig,
    step: timedelta,
    *,
    history_length: int,
) -> Detection:
    """The verdict on the window after `values`, given every window's expected count.

    Split from `evaluate` so that `listener backtest` can compute the expected counts of a whole
    series once; for a window they depend only on the windows before it, so the verdict is the
    same as `evaluate`'s on the same history.
    """
    baseline = float(baselines[-1])
    if math.isnan(baseline):  # no seasonal neighbour at all (a gap of missing windows)
        baseline = _median(values)
    expected = max(baseline, MIN_EXPECTED)
    recent = _recent_windows(rule, step)
    past, past_baselines = values[-recent:], baselines[:-1][-recent:]
    known = ~np.isnan(past_baselines) & ~np.isnan(past)
    rises = np.log((past[known] + PSEUDO_COUNT) / (past_baselines[known] + PSEUDO_COUNT))
    rise = math.log((observed + PSEUDO_COUNT) / (baseline + PSEUDO_COUNT))
    if len(rises) >= MIN_RESIDUALS:
        spread = MAD_TO_SD * float(np.median(np.abs(rises - np.median(rises))))
        dispersion = max(spread * spread - 1.0 / (baseline + PSEUDO_COUNT), MIN_DISPERSION)
        usual_rise = float(np.quantile(rises, rule.rise_quantile))
    else:
        dispersion, usual_rise = MIN_DISPERSION, -math.inf
    tail = upper_tail(observed, expected, expected + dispersion * expected * expected)
    anomalous = (
        history_length >= rule.min_baseline_windows
        and observed >= rule.min_count
        and observed >= rule.min_ratio * expected
        and tail <= 1.0 - rule.threshold
        and rise > usual_rise
    )
    severity: Literal["warning", "critical"] | None = None
    if anomalous:
        severity = "critical" if observed >= rule.critical_ratio * expected else "warning"
    return Detection(observed, baseline, 1.0 - tail, anomalous, severity)


def _recent_windows(rule: DetectionConfig, step: timedelta) -> int:
    """How many of the latest windows' rises describe the series' noise: the baseline's worth."""
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


def _median(values: np.ndarray) -> float:
    known = values[~np.isnan(values)]
    return float(np.median(known)) if len(known) else 0.0


def seasonal_baselines(values: np.ndarray, season: Season) -> np.ndarray:
    """Seasonal median for every window of `values` and the next one (the last element).

    Window i's neighbours are windows i - d*period + o for the (at most `season.days`) full days
    d before it and every o within `slack`; NaN where not even one full day precedes it. A
    window's median reads only windows before it, which lets the backtest compute them once.
    """
    count = len(values)
    points = np.arange(count + 1)
    days_before = np.minimum((points - season.slack) // season.period, season.days)
    offsets = np.arange(-season.slack, season.slack + 1)
    baselines = np.full(count + 1, np.nan)
    has_gaps = bool(np.isnan(values).any())
    for days in range(1, int(days_before.max()) + 1):
        rows = np.flatnonzero(days_before == days)
        lags = (np.arange(1, days + 1)[:, None] * season.period - offsets[None, :]).ravel()
        neighbours = values[rows[:, None] - lags[None, :]]
        if has_gaps:
            filled = ~np.all(np.isnan(neighbours), axis=1)  # all-NaN rows stay NaN, without a warning
            baselines[rows[filled]] = np.nanmedian(neighbours[filled], axis=1)
        else:
            baselines[rows] = np.median(neighbours, axis=1)
    return baselines


def upper_tail(observed: float, mean: float, variance: float) -> float:
    """P(X >= observed) for a count with this mean and variance (Poisson or negative binomial)."""
    if observed <= 0:
        return 1.0
    observed = math.ceil(observed)
    if variance <= mean * (1 + 1e-9):
        return float(gammainc(observed, mean))
    size = mean * mean / (variance - mean)
    return float(betainc(observed, size, mean / (size + mean)))


def baseline_windows(rule: DetectionConfig) -> int:
    """How many previous windows `evaluate` reads for windows of `rule.window`."""
    return history_windows(rule, rule.window)


def history_windows(rule: DetectionConfig, step: timedelta) -> int:
    """How many previous windows of length `step` `evaluate` reads.

    The baseline itself, and with seasonality as much again plus the slack: each baseline window
    needs its own seasonal expected count to say how much it rose.
    """
    own = _recent_windows(rule, step)
    season = season_of(rule, step)
    if season is None:
        return own
    return own + season.days * season.period + season.slack
