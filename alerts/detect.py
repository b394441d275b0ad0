"""Is this window's count of negative mentions a spike? Pure functions, no I/O.

The expected count is learnt from the brand's own recent history. Counts of mentions are noisy in
two ways: Poisson noise (a quiet brand sees 0, 1 or 3 mentions by chance) and over-dispersion
(real traffic is burstier than Poisson). The tail probability of the observed count is computed
under a negative binomial whose variance is the larger of the mean and the history's variance,
so both are accounted for. Two floors keep it from paging on noise: a minimum count and a
minimum ratio to the expected count (1 -> 3 mentions is "3x" but pages nobody).

The live daemon and `listener backtest` both call `evaluate` and `IncidentTracker`, so a
backtest shows exactly what the daemon would have sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean, pvariance
from typing import Literal, Sequence

from listener.config import DetectionConfig

MIN_EXPECTED = 0.5
"""Expected count used when history is all zeros, so a first mention is not infinitely surprising."""


@dataclass(frozen=True)
class Detection:
    observed: int
    expected: float
    score: float
    """1 - P(count >= observed | baseline), in [0, 1]."""
    anomalous: bool
    severity: Literal["warning", "critical"] | None


def evaluate(history: Sequence[float], observed: int, rule: DetectionConfig) -> Detection:
    """Judge `observed` against `history` (the previous windows' counts, oldest first)."""
    if not history:
        return Detection(observed, 0.0, 0.0, False, None)
    mean = fmean(history)
    expected = max(mean, MIN_EXPECTED)
    variance = max(pvariance(history, mu=mean) if len(history) > 1 else expected, expected)
    score = 1.0 - upper_tail(observed, expected, variance)
    anomalous = (
        len(history) >= rule.min_baseline_windows
        and observed >= rule.min_count
        and observed >= rule.min_ratio * expected
        and score >= rule.threshold
    )
    severity: Literal["warning", "critical"] | None = None
    if anomalous:
        severity = "critical" if observed >= rule.critical_ratio * expected else "warning"
    return Detection(observed, mean, score, anomalous, severity)


def upper_tail(observed: int, mean: float, variance: float) -> float:
    """P(X >= observed) for a count with this mean and variance (Poisson or negative binomial)."""
    if observed <= 0:
        return 1.0
    if observed > mean + 40 * math.sqrt(variance) + 50:
        return 0.0  # far beyond any plausible tail; spares summing millions of terms
    if variance <= mean * (1 + 1e-9):
        log_pmf = _poisson_log_pmf(mean)
    else:
        log_pmf = _negative_binomial_log_pmf(mean, variance)
    cdf_below = sum(math.exp(log_pmf(k)) for k in range(observed))
    return min(1.0, max(0.0, 1.0 - cdf_below))


def _poisson_log_pmf(mean: float):  # type: ignore[no-untyped-def]
    log_mean = math.log(mean)
    return lambda k: k * log_mean - mean - math.lgamma(k + 1)


def _negative_binomial_log_pmf(mean: float, variance: float):  # type: ignore[no-untyped-def]
    size = mean * mean / (variance - mean)
    log_p = math.log(size / (size + mean))
    log_q = math.log(mean / (size + mean))
    return lambda k: math.lgamma(k + size) - math.lgamma(size) - math.lgamma(k + 1) + size * log_p + k * log_q


class IncidentTracker:
    """Turns anomalous windows into alerts: one alert per incident, not one per window.

    An incident starts at the first anomalous window and lasts while anomalous windows keep coming
    less than `cooldown` apart; only its first window sends an alert.
    """

    def __init__(self, cooldown: timedelta, last_anomalous: datetime | None = None):
        self.cooldown = cooldown
        self.last_anomalous = last_anomalous

    def observe(self, window_start: datetime, anomalous: bool) -> bool:
        """Record one window; True when it opens a new incident and an alert must be sent."""
        if not anomalous:
            return False
        opens_incident = self.last_anomalous is None or window_start - self.last_anomalous > self.cooldown
        self.last_anomalous = window_start
        return opens_incident


def baseline_windows(rule: DetectionConfig) -> int:
    """How many previous windows form the baseline."""
    return max(1, int(rule.baseline / rule.window))
