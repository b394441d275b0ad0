"""The spike detector on synthetic series with known answers.

Series are per-15-minute counts drawn from Poisson distributions whose mean follows the clock
(quiet nights, busy afternoons, quieter weekends), seeded so every run sees the same numbers.
Long series go through `alerts.backtest.backtest`, which gives exactly `evaluate`'s verdicts
(tests/alerts/test_backtest.py checks that) at a fraction of the cost.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from alerts.backtest import CountRow, backtest
from alerts.detect.detector import (
    HistoryMemo,
    alarm_levels,
    baseline_windows,
    evaluate,
    history_windows,
    judge_count_so_far,
    judge_series,
    level_baselines,
    upper_tails,
)
from listener.config import DetectionConfig
from tests.conftest import utc

RULE = DetectionConfig()
YEARLY = DetectionConfig(false_alarms="1/year")
FLAT = DetectionConfig(seasonal=False, baseline="1d")
"""Judged against the median of the last day: single-window tests need no day of seasons."""


def upper_tail(observed: float, mean: float, variance: float) -> float:
    return float(upper_tails(np.array([observed]), np.array([mean]), np.array([variance]))[0])
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
    points = [CountRow((START + index * WINDOW).isoformat(), value) for index, value in enumerate(values)]
    return [index for index, row in enumerate(backtest(points, rule)) if row.alert]


# --- single windows ----------------------------------------------------------------------------


def test_clear_spike_is_anomalous_and_critical() -> None:
    detection = evaluate([2, 1, 3, 2, 2, 1, 2, 3, 2, 2], 30, FLAT)
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
    assert evaluate([1, 2], 50, FLAT).score == 0.0  # no expectation yet, so no score either
    assert judge_count_so_far(evaluate([1, 2], 50, FLAT), 50, FLAT).score == 0.0


def test_ratio_floor_holds_for_busy_brands() -> None:
    """Even where a rise is significant, less than `min_ratio` times the expected count pages nobody."""
    lenient = DetectionConfig(seasonal=False, baseline="1d", false_alarms="1/hour")
    history = [100.0] * 96
    detection = evaluate(history, 190, lenient)
    assert detection.score > 0.99
    assert not detection.anomalous
    assert evaluate(history, 260, lenient).anomalous


def test_overdispersed_history_raises_the_bar() -> None:
    calm = [10.0] * 48
    bursty = [2.0, 18.0] * 24  # same median, far burstier
    assert upper_tail(25, 10, 10) < upper_tail(25, 10, 64)
    assert evaluate(bursty, 40, FLAT).level > evaluate(calm, 40, FLAT).level + 5
    assert evaluate(calm, 40, FLAT).anomalous and not evaluate(bursty, 40, FLAT).anomalous


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


def test_seasonal_noise_pages_about_as_often_as_configured() -> None:
    """Twelve weeks of noise with daily peaks 10x the night level, weekends and growth: none
    of it is a spike, but chance alone may page at the configured rate: about 1 page in twelve
    weeks at 1/quarter, none likely at 1/year. Twice the default 1/month is the most accepted."""
    brands = [(0.3, 3, 1.0, 1.0), (2, 25, 0.5, 1.0), (5, 60, 0.4, 2.5)]
    series = [poisson_series(daily_means(28, *brand), seed=int(brand[1])) for brand in brands]
    monthly = sum(len(alerts_of(values)) for values in series)
    yearly = sum(len(alerts_of(values, YEARLY)) for values in series)
    assert monthly <= 2 * 3
    assert yearly <= 2
    assert yearly <= monthly


@pytest.mark.parametrize(("peak", "factor"), [(3, 12), (25, 6), (60, 5)])
def test_an_outage_is_caught_in_its_first_windows_and_alerts_once(peak: float, factor: float) -> None:
    """A spike `factor` times the usual level, lasting three hours from 10:00 on a Wednesday in
    the fourth week, on top of seasonal noise: one alert, within two windows of its start."""
    means = daily_means(28, night=peak / 10, peak=peak, weekend=0.5)
    outage = 16 * PER_DAY + 40
    for index in range(outage, outage + 12):
        means[index] *= factor
    values = poisson_series(means, seed=7)
    alerts = alerts_of(values, YEARLY)
    assert len(alerts) == 1, alerts
    assert outage <= alerts[0] <= outage + 1


def test_a_night_spike_is_judged_against_the_night() -> None:
    """At 03:00 a brand usually sees 0-1 negatives; 25 of them is an incident even though it is
    no more than an afternoon's count."""
    means = daily_means(14, night=0.3, peak=25)
    values = poisson_series(means, seed=11)
    night = 12 * PER_DAY + 12  # 03:00 on day 13
    values[night] = 25
    assert alerts_of(values, YEARLY) == [night]


def test_history_covers_the_baseline_and_its_own_seasonal_baselines() -> None:
    """Four baselines of surprises (the alarm level's at 1/month), the baseline before the first
    of them (its burstiness), and that window's own seasonal expectation (a week of days and the
    slack)."""
    assert baseline_windows(RULE) == 5 * 7 * PER_DAY + 7 * PER_DAY + 1
    assert history_windows(RULE, timedelta(minutes=5)) == 6 * 7 * 288 + 2
    assert baseline_windows(FLAT) == (1 + 30 + 1) * PER_DAY  # a month of one-day baselines


def test_the_alarm_level_is_fitted_on_one_return_period_of_the_rate() -> None:
    """The time in which `false_alarms` allows one false alarm, in whole baselines: the rate an
    on-call lead sets decides how much history the level is read from, not a second knob."""
    rates = ("1/week", "2/month", "1/month", "1/quarter", "1/year")
    weekly = {rate: level_baselines(DetectionConfig(false_alarms=rate)) for rate in rates}
    assert weekly == {"1/week": 1, "2/month": 2, "1/month": 4, "1/quarter": 13, "1/year": 13}  # a quarter at most
    assert level_baselines(FLAT) == 30
    assert level_baselines(DetectionConfig(false_alarms="1/day")) == 1


# --- the alarm level ---------------------------------------------------------------------------


def test_a_series_judged_at_once_gets_the_verdicts_of_window_by_window() -> None:
    """`listener backtest` judges a series in one go; the daemon one window at a time, with only
    `history_windows` before it. Same verdicts, same numbers."""
    means = daily_means(10, night=1, peak=12, weekend=0.6)
    values = poisson_series(means, seed=5)
    for index in (8 * PER_DAY + 40, 9 * PER_DAY + 3):
        values[index] += 30
    whole = judge_series(np.array(values, dtype=float), RULE, WINDOW)
    reach = baseline_windows(RULE)
    for index in range(2 * PER_DAY, len(values), 37):
        alone = evaluate(values[max(0, index - reach) : index], values[index], RULE)
        assert alone == pytest.approx(whole[index]), index
    assert [index for index, verdict in enumerate(whole) if verdict.anomalous] == [8 * PER_DAY + 40, 9 * PER_DAY + 3]


def test_windows_after_a_remembered_history_get_the_verdicts_of_a_fresh_judgement() -> None:
    """An early pass judges its open windows every 10 s against a history that changes once a
    window: with a `HistoryMemo`, the history's surprises are computed once and the verdicts are
    those of judging everything afresh, to the last bit."""
    values = np.array(poisson_series(daily_means(9, night=1, peak=12), seed=3), dtype=float)
    history = len(values) - 2
    memo = HistoryMemo(values[:history].copy())
    for open_counts in ([2.0, 3.0], [2.0, 9.0], [40.0, 9.0]):  # the open windows fill up; the history stays
        values[history:] = open_counts
        assert judge_series(values, RULE, WINDOW, first=history, memo=memo) == judge_series(values, RULE, WINDOW, first=history)
    assert judge_series(values, RULE, WINDOW, first=history, memo=memo)[0].anomalous
    # What is remembered is what is used: a memo of other surprises gives other verdicts.
    memo.surprises = memo.surprises + 50.0
    assert judge_series(values, RULE, WINDOW, first=history, memo=memo)[0].level > 50.0
    values[history - 1] += 1  # another history: judged afresh, the memo left alone
    assert judge_series(values, RULE, WINDOW, first=history, memo=memo) == judge_series(values, RULE, WINDOW, first=history)


def test_on_plain_poisson_noise_the_level_is_the_rate_itself() -> None:
    """Where the count model is right, surprises are exponential and the level is -ln(chance per
    window): the default 1/month at 15-minute windows is 1 window in 2,922. Over 200 brands'
    weeks, the median level is within 10% of it (a fitted tail shape only adds to it)."""
    surprises = np.random.default_rng(0).exponential(size=(200, 7 * PER_DAY))
    chance = RULE.false_alarms.per_window(WINDOW)
    assert 1 / chance == pytest.approx(2922, rel=1e-3)
    levels = alarm_levels(surprises, chance, need=PER_DAY)
    assert levels.min() >= -math.log(chance)
    assert np.median(levels) == pytest.approx(-math.log(chance), rel=0.1)


def test_a_brand_surprised_every_day_needs_a_bigger_surprise() -> None:
    """A heavier tail of surprises than the model's (news-driven bursts) raises the level."""
    rng = np.random.default_rng(1)
    plain = rng.exponential(size=(1, 7 * PER_DAY))
    bursty = plain * 3
    chance = RULE.false_alarms.per_window(WINDOW)
    assert alarm_levels(bursty, chance, PER_DAY)[0] > 2 * alarm_levels(plain, chance, PER_DAY)[0]


def test_fewer_false_alarms_asked_for_means_a_higher_level() -> None:
    surprises = np.random.default_rng(2).exponential(scale=2, size=(1, 7 * PER_DAY))
    levels = [
        alarm_levels(surprises, DetectionConfig(false_alarms=rate).false_alarms.per_window(WINDOW), PER_DAY)[0]
        for rate in ("1/week", "1/month", "1/year")
    ]
    assert levels == sorted(levels) and levels[0] < levels[-1] - 3


def test_a_past_incident_does_not_raise_the_bar_for_the_next() -> None:
    """Surprises above the first level (yesterday's outage) are left out of the fit."""
    rng = np.random.default_rng(3)
    quiet = rng.exponential(size=(1, 7 * PER_DAY))
    after_outage = quiet.copy()
    after_outage[0, 300:312] = 80.0
    chance = RULE.false_alarms.per_window(WINDOW)
    assert alarm_levels(after_outage, chance, PER_DAY)[0] == pytest.approx(alarm_levels(quiet, chance, PER_DAY)[0], rel=0.15)


def test_too_few_surprises_never_alarm() -> None:
    surprises = np.full((1, 7 * PER_DAY), np.nan)
    surprises[0, :50] = 1.0
    assert alarm_levels(surprises, 0.001, need=PER_DAY)[0] == math.inf


def test_a_count_so_far_that_is_anomalous_makes_the_window_anomalous() -> None:
    history = [2, 1, 3, 2, 2, 1, 2, 3, 2, 2]
    full = evaluate(history, 30, FLAT)
    assert judge_count_so_far(full, 30, FLAT) == full
    verdicts = [judge_count_so_far(full, count, FLAT) for count in range(31)]
    first = next(count for count, verdict in enumerate(verdicts) if verdict.anomalous)
    assert all(verdict.anomalous for verdict in verdicts[first:])
    assert 5 <= first < 30
    assert judge_count_so_far(full, first, FLAT) == evaluate(history, first, FLAT)

