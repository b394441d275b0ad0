"""NPS, CSAT and CES by their standard definitions, and Pearson's r between a survey and social."""

from __future__ import annotations

import numpy
import pytest

from listener.core.surveys import ces, csat, format_number, nps, pearson, survey_number


def test_nps_is_promoters_minus_detractors_with_passives_in_the_total() -> None:
    # 3 promoters (9, 10, 10), 2 passives (7, 8), 1 detractor (6): (3 - 1) / 6 = 33.3
    assert nps([9, 10, 10, 7, 8, 6]) == 33.3


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([10, 9], 100.0),  # all promoters
        ([0, 6], -100.0),  # all detractors, 6 included
        ([7, 8], 0.0),  # all passives: neither side
        ([6, 9], 0.0),  # the 6/7 and 8/9 edges
        ([], None),
    ],
)
def test_nps_edges(scores: list[int], expected: float | None) -> None:
    assert nps(scores) == expected


@pytest.mark.parametrize(
    ("scores", "expected"),
    [([5, 4, 3, 2], 50.0), ([4], 100.0), ([3, 3, 3], 0.0), ([1, 2, 5], 33.3), ([], None)],
)
def test_csat_is_the_share_of_4_and_5(scores: list[int], expected: float | None) -> None:
    assert csat(scores) == expected


@pytest.mark.parametrize(("scores", "expected"), [([7, 5, 6], 6.0), ([1, 2], 1.5), ([5, 6, 6], 5.67), ([], None)])
def test_ces_is_the_mean(scores: list[int], expected: float | None) -> None:
    assert ces(scores) == expected


def test_survey_number_and_its_wording() -> None:
    assert survey_number("nps", [10, 10, 0]) == 33.3
    assert format_number("nps", 15.0) == "NPS 15"
    assert format_number("csat", 80.0) == "CSAT 80%"
    assert format_number("ces", 5.25) == "CES 5.25"
    assert format_number("nps", None) == "NPS n/a"


def test_pearson_of_series_that_move_together_and_apart() -> None:
    assert pearson([(1, 2), (2, 4), (3, 6)]).value == 1.0
    assert pearson([(1, 6), (2, 4), (3, 2)]).value == -1.0
    pairs = [(40.0, 20.0), (35.0, 15.0), (-25.0, -30.0), (10.0, 12.0)]
    together = pearson(pairs)
    assert together.value == round(float(numpy.corrcoef(*zip(*pairs))[0, 1]), 3) and together.paired_buckets == 4


def test_pearson_needs_three_pairs_and_variation() -> None:
    short = pearson([(1, 2), (2, 3)])
    assert short.value is None and short.paired_buckets == 2 and "fewer than 3" in (short.reason or "")
    flat = pearson([(5, 1), (5, 2), (5, 3)])
    assert flat.value is None and "survey number is the same" in (flat.reason or "")
