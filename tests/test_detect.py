"""The spike detector on synthetic series with known answers.

Series are per-15-minute counts drawn from Poisson distributions whose mean follows the clock
(quiet nights, busy afternoons, quieter weekends), seeded so every run sees the same numbers.
Long series go through `alerts.backtest.backtest`, which gives exactly `evaluate`'s verdicts
(tests/test_backtest.py checks that) at a fraction of the cost.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from alerts.backtest import SeriesPoint, backtest
from alerts.detect import (
    baseline_windows,
    evaluate,
    history_windows,
    upper_tail,
)
from listener.config import DetectionConfig
from tests.conftest import utc

RULE = DetectionConfig()
WINDOW = timedelta(minutes=15)
PER_DAY = 96
START = utc(2026, 9, 7)  # a Monday


def poisson_series(means: list[float], seed: int = 0) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(value) for value in rng.poisson(means)]


def daily_means(days: int, night: float, peak: float, weekend: float = 1.0, growth: float = 1.0) -> list[float]:
    """Mean count per window: `night` at 04:00, `peak` at 16:00, times `weekend` on Sat/Sun, and
    growing smoothly by a factor `growth` over the whole series."""
    means = []
    for index in range(days * PER_DAY):
        moment = START + index * WINDOW
        hour = moment.hour + moment.minute / 60
        shape = (1 - math.cos((hour - 4) / 24 * 2 * math.pi)) / 2  # 0 at 04:00, 1 at 16:00
        mean = night + (peak - night) * shape
        if moment.weekday() >= 5:
            mean *= weekend
        means.append(mean * growth ** (index / (days * PER_DAY)))
    return means


def alerts_of(values: list[int], rule: DetectionConfig = RULE) -> list[int]:
    """Indexes of the windows where the daemon would send a new alert."""
    points = [SeriesPoint((START + index * WINDOW).isoformat(), value) for index, value in enumerate(values)]
    return [index for index, row in enumerate(backtest(points, rule)) if row.alert]


# --- single windows ----------------------------------------------------------------------------


def test_clear_spike_is_anomalous_and_critical() -> None:
    detection = evaluate([2, 1, 3, 2, 2, 1, 2, 3, 2, 2], 30, RULE)
    assert detection.anomalous
    assert detection.severity == "critical"
    assert detection.score > 0.999999
    assert detection.expected == pytest.approx(2.0)


def test_one_to_three_mentions_pages_nobody() -> None:
    """Tripling a tiny count is statistically surprising but below the minimum count."""
    detection = evaluate([1] * 96, 3, RULE)
    assert detection.score > 0.9
    assert not detection.anomalous


def test_no_alert_without_enough_history() -> None:
    assert not evaluate([1, 2], 50, RULE).anomalous
    assert not evaluate([], 50, RULE).anomalous


def test_ratio_floor_holds_for_busy_brands() -> None:
    """Even where a rise is significant, less than `min_ratio` times the expected count pages nobody."""
    lenient = DetectionConfig(threshold=0.99)
    history = [100.0] * 96
    detection = evaluate(history, 190, lenient)
    assert detection.score > 0.99
    assert not detection.anomalous
    assert evaluate(history, 260, lenient).anomalous


def test_overdispersed_history_raises_the_bar() -> None:
    calm = [10.0] * 48
    bursty = [2.0, 18.0] * 24  # same median, far burstier
    assert upper_tail(25, 10, 10) < upper_tail(25, 10, 64)
    assert evaluate(calm, 25, RULE).score > evaluate(bursty, 25, RULE).score


def test_upper_tail_matches_direct_summation() -> None:
    """The closed forms (incomplete gamma and beta functions) agree with summing the pmf."""
    mean, variance = 3.0, 7.5
    size = mean * mean / (variance - mean)
    p = size / (size + mean)
    pmf = [math.exp(math.lgamma(k + size) - math.lgamma(size) - math.lgamma(k + 1)) * p**size * (1 - p) ** k for k in range(12)]
    assert upper_tail(12, mean, variance) == pytest.approx(1 - sum(pmf), rel=1e-9)
    poisson = [math.exp(-mean) * mean**k / math.factorial(k) for k in range(9)]
    assert upper_tail(9, mean, mean) == pytest.approx(1 - sum(poisson), rel=1e-9)
    assert upper_tail(0, mean, mean) == 1.0


def test_expected_count_follows_the_time_of_day() -> None:
    """At 16:00 the expected count is the afternoon's, not the day's average."""
    means = daily_means(8, night=1, peak=20)
    values = poisson_series(means, seed=3)
    at_peak = next(index for index in range(7 * PER_DAY, 8 * PER_DAY) if (START + index * WINDOW).hour == 16)
    history = values[max(0, at_peak - baseline_windows(RULE)) : at_peak]
    detection = evaluate(history, values[at_peak], RULE)
    assert detection.expected == pytest.approx(20, abs=5)
    assert not detection.anomalous
    assert evaluate(history, 200, RULE).anomalous


def test_missing_windows_are_placed_by_their_times() -> None:
    """With `times`, a history with gaps (ratio metrics skip empty windows) keeps its seasonality."""
    means = daily_means(3, night=1, peak=30)
    values = poisson_series(means, seed=4)
    target = 2 * PER_DAY + 64  # 16:00 on day 3
    kept = [index for index in range(target) if index % 7 != 3]
    times = [START + index * WINDOW for index in [*kept, target]]
    with_gaps = evaluate([values[index] for index in kept], values[target], RULE, times=times)
    dense = evaluate(values[:target], values[target], RULE)
    assert with_gaps.expected == pytest.approx(dense.expected, rel=0.25)
    assert with_gaps.expected > 15
    with pytest.raises(ValueError, match="one start per history window"):
        evaluate([1, 2, 3], 4, RULE, times=times[:2])
    with pytest.raises(ValueError, match="times must increase"):
        evaluate([1, 2], 4, RULE, times=[times[1], times[0], times[2]])


# --- whole series ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("night", "peak", "weekend", "growth"),
    [
        (0.3, 3, 1.0, 1.0),  # a quiet brand: 0-3 negatives a window at night
        (2, 25, 0.5, 1.0),  # strong daily peaks, quieter weekends
        (5, 60, 0.4, 2.5),  # and steady growth, 2.5x over the four weeks
    ],
)
def test_four_weeks_of_seasonal_noise_never_alert(night: float, peak: float, weekend: float, growth: float) -> None:
    """Daily peaks 10x the night level, weekends, growth: none of it is a spike."""
    values = poisson_series(daily_means(28, night, peak, weekend, growth), seed=int(peak))
    assert alerts_of(values) == []


@pytest.mark.parametrize(("peak", "factor"), [(3, 12), (25, 6), (60, 5)])
def test_an_outage_is_caught_in_its_first_windows_and_alerts_once(peak: float, factor: float) -> None:
    """A spike `factor` times the usual level, lasting three hours from 10:00 on a Wednesday in
    the fourth week, on top of seasonal noise: one alert, within two windows of its start."""
    means = daily_means(28, night=peak / 10, peak=peak, weekend=0.5)
    outage = 16 * PER_DAY + 40
    for index in range(outage, outage + 12):
        means[index] *= factor
    values = poisson_series(means, seed=7)
    alerts = alerts_of(values)
    assert len(alerts) == 1, alerts
    assert outage <= alerts[0] <= outage + 1


def test_a_night_spike_is_judged_against_the_night() -> None:
    """At 03:00 a brand usually sees 0-1 negatives; 25 of them is an incident even though it is
    no more than an afternoon's count."""
    means = daily_means(14, night=0.3, peak=25)
    values = poisson_series(means, seed=11)
    night = 12 * PER_DAY + 12  # 03:00 on day 13
    values[night] = 25
    assert alerts_of(values) == [night]


def test_history_covers_the_baseline_and_its_own_seasonal_baselines() -> None:
    assert baseline_windows(RULE) == 7 * PER_DAY + 7 * PER_DAY + 1
    assert history_windows(RULE, timedelta(minutes=5)) == 7 * 288 * 2 + 2
    flat = DetectionConfig(seasonal=False, baseline="1d")
    assert baseline_windows(flat) == PER_DAY

