"""`bench/simulate.py`: the simulated ground truth is what it claims, and alerts are scored by it.

Only generation and scoring are tested here (no backtest runs), so this stays fast; the detector's
figures are the benchmark's output, not something a test should pin.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from listener.config import DetectionConfig

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from simulation import (  # noqa: E402
    SCENARIOS_BY_NAME,
    START,
    WARMUP,
    Disturbance,
    GroundTruth,
    Incident,
    SimulatedSeries,
    select_scenarios,
    simulate,
)
from simulation_scoring import (  # noqa: E402
    configured_rate_per_month,
    score_series,
)
from simulate import settled_lead_days  # noqa: E402

from alerts.detect.detector import history_windows  # noqa: E402

QUARTER = timedelta(minutes=15)
DAY = timedelta(days=1)


def series_of(name: str, *, quiet: bool = False, seed: int = 0, number: int = 0, window: timedelta = QUARTER) -> SimulatedSeries:
    return simulate(SCENARIOS_BY_NAME[name], seed=seed, number=number, quiet=quiet, days=35, window=window)


def window_indexes(series: SimulatedSeries, start, end) -> slice:
    """The windows wholly inside [start, end)."""
    return slice(-(-(start - START) // series.window), (end - START) // series.window)


@pytest.mark.parametrize("name", ["poisson", "sparse", "large"])
def test_injected_spike_raises_counts_in_its_interval(name: str) -> None:
    series = series_of(name)
    assert [incident.kind for incident in series.truth.incidents] == ["3x", "5x", "10x"]
    for incident in series.truth.incidents:
        during = window_indexes(series, incident.start, incident.end)
        normal = series.normal[during].sum()
        assert series.expected[during].sum() >= min(1.5 * normal, normal + 8)
        assert series.counts[during].sum() > normal


def test_incidents_start_after_the_warm_up_week_and_quiet_series_have_none() -> None:
    assert all(incident.start >= START + WARMUP for incident in series_of("negbin").truth.incidents)
    assert series_of("negbin", quiet=True).truth.incidents == ()


def test_settled_series_has_ordinary_weeks_before_anything_happens() -> None:
    lead = 28
    series = simulate(SCENARIOS_BY_NAME["trend"], seed=0, number=0, quiet=False, days=35, lead_days=lead, window=QUARTER)
    scored_from = START + lead * DAY + WARMUP
    assert series.truth.scored_from == scored_from
    assert series.truth.end - START == (lead + 35) * DAY
    assert series.truth.incidents and all(incident.start >= scored_from for incident in series.truth.incidents)
    week = round(7 * DAY / QUARTER)
    lead_weeks = series.normal[: (lead // 7) * week].reshape(-1, week)
    assert np.allclose(lead_weeks, lead_weeks[0])  # no trend yet: every lead week the same rate
    last_weeks = series.normal[-2 * week :].reshape(2, week)
    assert not np.allclose(last_weeks[0], last_weeks[1])  # the trend drifts in the scored days


def test_settled_lead_gives_every_scored_verdict_the_rules_whole_history() -> None:
    for rate in ("1/week", "1/month", "1/year"):
        rule = DetectionConfig(false_alarms=rate)
        lead = settled_lead_days(rule, QUARTER)
        history = history_windows(rule, QUARTER) * QUARTER
        assert history <= lead * DAY + WARMUP < history + DAY


def test_source_gap_reads_zero_and_its_backlog_lands_right_after() -> None:
    lost = series_of("gap")
    gaps = [event for event in lost.truth.disturbances if event.kind == "gap"]
    assert gaps
    for gap in gaps:
        assert lost.counts[window_indexes(lost, gap.start, gap.end)].sum() == 0
    backlog = series_of("gap-backlog")
    for gap in (event for event in backlog.truth.disturbances if event.kind == "gap"):
        after = (gap.end - START) // backlog.window
        assert backlog.counts[after] + backlog.counts[after + 1] > 2 * (backlog.expected[after] + backlog.expected[after + 1])


def test_launch_raises_negatives_without_an_incident() -> None:
    series = series_of("launch", quiet=True)
    bursts = [event for event in series.truth.disturbances if event.kind == "burst"]
    assert bursts and series.truth.incidents == ()
    for burst in bursts:
        during = window_indexes(series, burst.start, burst.end)
        week_before = window_indexes(series, burst.start - 7 * DAY, burst.end - 7 * DAY)
        assert series.expected[during].sum() > 1.3 * series.expected[week_before].sum()


def test_persistent_step_is_one_incident_of_its_first_day() -> None:
    (step,) = series_of("step-up").truth.incidents
    assert step.kind == "step" and step.end - step.start == DAY


def test_same_seed_draws_the_same_series_and_another_seed_does_not() -> None:
    first, again, other = series_of("negbin"), series_of("negbin"), series_of("negbin", seed=1)
    assert np.array_equal(first.counts, again.counts) and first.truth == again.truth
    assert not np.array_equal(first.counts, other.counts)


def test_window_lengths_sum_the_same_mentions() -> None:
    quarters = series_of("negbin", window=QUARTER).counts
    hours = series_of("negbin", window=timedelta(hours=1)).counts
    assert np.array_equal(quarters.reshape(-1, 4).sum(axis=1), hours)


def test_unknown_scenario_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: poisson"):
        select_scenarios(["poison"])


def hand_made_truth() -> GroundTruth:
    day = START + 10 * DAY
    return GroundTruth(
        START,
        START + 21 * DAY,
        incidents=(
            Incident("5x", day + timedelta(hours=10), day + timedelta(hours=11)),
            Incident("3x", day + 3 * DAY, day + 3 * DAY + timedelta(hours=1)),
        ),
        disturbances=(
            Disturbance("gap", day + DAY, day + DAY + timedelta(hours=4)),
            Disturbance("burst", day + 5 * DAY, day + 5 * DAY + timedelta(hours=3)),
        ),
    )


def test_scoring_counts_hits_misses_and_false_alarms_by_cause() -> None:
    day = START + 10 * DAY
    alerts = [
        START + DAY,  # warm-up: not scored
        day + timedelta(hours=10, minutes=15),  # hit, detected 30 minutes in
        day + timedelta(hours=11, minutes=45),  # still the same incident (grace)
        day + timedelta(hours=20),  # a repeat page for it
        day + DAY + timedelta(hours=2),  # in the gap
        day + DAY + timedelta(hours=5),  # an hour after recovery: still the gap
        day + 5 * DAY + timedelta(hours=1),  # during the launch
        day + 7 * DAY,  # nothing going on
    ]
    tally = score_series(alerts, QUARTER, hand_made_truth(), quiet=False)
    assert tally.hits == 2
    assert dict(tally.false_alarms) == {"repeat": 1, "gap": 2, "burst": 1, "noise": 1}
    assert (tally.detected["5x"], tally.detected["3x"]) == (1, 0)
    assert tally.recall == 0.5
    assert tally.precision == pytest.approx(2 / 7)
    assert tally.detect_minutes == [30.0]


def test_quiet_series_false_alarms_become_a_monthly_rate() -> None:
    truth = GroundTruth(START, START + 37 * DAY)
    alerts = [START + 12 * DAY, START + 20 * DAY, START + 3 * DAY]  # the last is in the warm-up
    tally = score_series(alerts, QUARTER, truth, quiet=True)
    assert tally.precision is None and tally.recall is None
    assert tally.quiet_rate_per_month == pytest.approx(2.0)


def test_configured_rate_is_read_from_false_alarms() -> None:
    assert configured_rate_per_month(DetectionConfig(false_alarms="2/week")) == pytest.approx(60 / 7)
    assert configured_rate_per_month(DetectionConfig(false_alarms="1/day")) == pytest.approx(30.0)
