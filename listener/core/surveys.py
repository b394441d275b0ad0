"""Survey numbers: NPS, CSAT and CES, and how a survey series moves with social net sentiment.

Customer-experience teams compare these numbers across tools and quarters, so each is the
industry's standard definition, not a variant of our own: a figure that differs from what
SurveyMonkey, Qualtrics or Typeform report for the same answers would be distrusted, rightly.
The import summary, the API and the dashboard all use these functions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

SurveyKind = Literal["nps", "csat", "ces"]
SURVEY_KINDS: tuple[SurveyKind, ...] = ("nps", "csat", "ces")
SCALES: dict[SurveyKind, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
"""The answer scale of each kind, inclusive: NPS asks 0-10, CSAT 1-5, CES 1-7 (CES 2.0's agreement scale)."""
LABELS: dict[SurveyKind, str] = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


def nps(scores: Sequence[int]) -> float | None:
    """Net Promoter Score: % promoters (9-10) minus % detractors (0-6), -100..100, to 0.1 point.

    Bain's definition: passives (7-8) count in the total but on neither side, exactly as neutral
    mentions do in `listener.core.sentiment.net_sentiment`. None without answers."""
    if not scores:
        return None
    promoters = sum(1 for score in scores if score >= 9)
    detractors = sum(1 for score in scores if score <= 6)
    return round(100 * (promoters - detractors) / len(scores), 1)


def csat(scores: Sequence[int]) -> float | None:
    """Customer Satisfaction: % of answers that are 4 or 5 on the 1-5 scale, 0..100, to 0.1 point.

    The "top-two-box" share is the standard CSAT (ACSI and the survey tools report it); a mean of
    the answers would hide a split between delighted and angry customers. None without answers."""
    if not scores:
        return None
    return round(100 * sum(1 for score in scores if score >= 4) / len(scores), 1)


def ces(scores: Sequence[int]) -> float | None:
    """Customer Effort Score: the mean answer on the 1-7 scale, to 0.01.

    Gartner's CES 2.0 ("the company made it easy to handle my issue", 1 strongly disagree to 7
    strongly agree) is reported as the mean, higher meaning less effort. None without answers."""
    if not scores:
        return None
    return round(sum(scores) / len(scores), 2)


SCORERS = {"nps": nps, "csat": csat, "ces": ces}


def survey_number(kind: SurveyKind, scores: Sequence[int]) -> float | None:
    """The kind's number over `scores` (all answered on that kind's scale)."""
    return SCORERS[kind](scores)


def format_number(kind: SurveyKind, value: float | None) -> str:
    """`NPS 15`, `CSAT 80%`, `CES 5.25`; `NPS n/a` without answers."""
    if value is None:
        return f"{LABELS[kind]} n/a"
    return f"{LABELS[kind]} {value:g}{'%' if kind == 'csat' else ''}"


def in_scale(kind: SurveyKind, score: int) -> bool:
    low, high = SCALES[kind]
    return low <= score <= high


MIN_CORRELATION_PAIRS = 3
"""Below three points every pair of series correlates perfectly (two points make a line)."""


@dataclass(frozen=True)
class Correlation:
    """Pearson's r between two series over the buckets where both have a value, or why there is none."""

    value: float | None
    paired_buckets: int
    reason: str | None = None


def pearson(pairs: Sequence[tuple[float, float]]) -> Correlation:
    """Pearson's r, to 0.001, over `pairs` of (survey number, social number) from the same buckets.

    Pearson rather than a rank correlation because both numbers are already on interval scales
    (points of NPS and of net sentiment) and a marketer reads r as "do they move together"."""
    count = len(pairs)
    if count < MIN_CORRELATION_PAIRS:
        return Correlation(
            None,
            count,
            f"fewer than {MIN_CORRELATION_PAIRS} buckets have both survey answers and scored mentions ({count})",
        )
    xs = [float(x) for x, _ in pairs]
    ys = [float(y) for _, y in pairs]
    mean_x, mean_y = sum(xs) / count, sum(ys) / count
    spread_x = math.fsum((x - mean_x) ** 2 for x in xs)
    spread_y = math.fsum((y - mean_y) ** 2 for y in ys)
    if spread_x == 0 or spread_y == 0:
        flat = "the survey number" if spread_x == 0 else "net sentiment"
        return Correlation(None, count, f"{flat} is the same in every paired bucket, so it cannot correlate")
    covariance = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    value = max(-1.0, min(1.0, covariance / math.sqrt(spread_x * spread_y)))
    return Correlation(round(value, 3), count)
