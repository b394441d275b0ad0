"""Simulated negative-mention count series with known incidents, for `bench/simulate.py`.

NAB's five brands say little about brands unlike them, so these series cover what real brands do
and the detector must survive: seasonality, over-dispersion, trends, level shifts, holidays,
sparse and huge brands, launches, and sources going down. Each series comes with its ground truth
(injected incidents, and the non-incident events an alert must not fire on).

Modelling choices, each one a decision the scoring relies on:

- **One 5-minute world.** Every series is drawn at 5-minute resolution and summed into the
  requested windows, so `--window 5`, `15` and `60` see the same mentions, and a setting can be
  compared across window lengths on identical data. Levels are stated per 15 minutes (the daemon's
  default window) and scaled.
- **Seasonality everywhere.** Nights are quiet (a share of the afternoon peak) and weekends are a
  per-brand 0.5x to 1.3x of weekdays: no real brand is flat.
- **Over-dispersion is hourly.** A gamma factor (shape k) multiplies the rate for a whole clock
  hour, so an hour's count is negative binomial and shorter windows inside it stay correlated, as
  news-driven bursts do; i.i.d. noise per window would make burstiness vanish at 60 minutes.
- **Incidents** add max((m - 1) x normal rate, 8 per 15 min) for m = 3, 5 or 10, so a sparse brand's
  spike is still a handful of mentions; they ramp up over a third of their duration (at most an
  hour) and last 30 minutes to 6 hours.
- **Level shifts are not incidents; a step of 2x or more is.** Steps by 0.6x to 1.5x that persist
  are drift the baseline must absorb. A persistent step to 3x is scored as one incident whose
  interval is its first 24 hours: an on-call lead wants one page when negative volume jumps and
  stays up, not one each morning until the baseline catches up. Steps between 1.5x and 2x are
  ambiguous and not generated.
- **Launches and viral bursts are not incidents.** Total volume rises 2x to 3.5x for 2 to 8 hours
  with the negative share unchanged (neutral burst) or at 0.7x (a well-received launch), so the
  negative count rises in proportion. In a negative-count series this looks like a modest spike;
  only the share, or the total, tells it apart.
- **Gaps** (a source down 2 to 12 hours) read 0. With `backlog` the missed mentions arrive in
  the 15 minutes after recovery, as in a series keyed by arrival time; keyed by mention time the
  gap would fill in and nothing would show.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np

from alerts.backtest import CountRow

SLOT = timedelta(minutes=5)
"""The resolution every series is drawn at; windows are sums of slots."""
SLOTS_PER_DAY = round(timedelta(days=1) / SLOT)
REFERENCE_WINDOW = timedelta(minutes=15)
"""Levels and the incident floor are stated per this window."""
START = datetime(2026, 1, 5, tzinfo=UTC)
"""A Monday, so day index modulo 7 is the weekday."""
WARMUP = timedelta(days=7)
"""The detector's default baseline: nothing is injected or scored before it has a week of history."""
FIRST_EVENT_DAY = 8
INCIDENT_FLOOR = 8.0
"""Least extra negatives per 15 minutes at an incident's peak, so sparse brands' spikes are visible."""
MAGNITUDES = (3, 5, 10)
DURATIONS = (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2), timedelta(hours=6))
INCIDENTS_PER_SERIES = 3
INCIDENT_SPACING = timedelta(days=9)
"""Least days between incident days: the 7-day baseline, plus a day and the longest incident, so no
incident's baseline holds an earlier one (see `_incident_days`)."""
STEP_FACTOR = 3.0
STEP_INCIDENT = timedelta(hours=24)
SHIFT_FACTORS = (0.6, 0.7, 1.3, 1.5)
TREND_END_FACTORS = (0.5, 0.7, 1.5, 2.0)
HOLIDAY_FACTOR = 0.3
BACKLOG_SPREAD = timedelta(minutes=15)


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    peak: float
    """Mean negatives per 15 minutes at a weekday's afternoon peak (each series varies it 0.7x-1.4x)."""
    night_share: float = 0.15
    """The small hours' rate as a share of the peak."""
    dispersion: float | None = None
    """Gamma shape k of the hourly burstiness factor (variance = mean + mean^2 / k); None: Poisson."""
    trend: bool = False
    level_shifts: bool = False
    step_up: bool = False
    holidays: bool = False
    bursts: bool = False
    gaps: Literal["lost", "backlog"] | None = None
    has_quiet_series: bool = True
    """False where the scenario is its incident (step-up): a quiet series would be another row's."""


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("poisson", "Poisson noise, daily and weekly seasonality", peak=40),
    Scenario("negbin", "over-dispersed: hourly negative binomial, k=4", peak=40, dispersion=4),
    Scenario("trend", "volume drifts to 0.5x-2x over the series", peak=40, dispersion=10, trend=True),
    Scenario("level-shift", "two persistent steps of 0.6x-1.5x (not incidents)", peak=40, dispersion=10, level_shifts=True),
    Scenario(
        "step-up",
        "one persistent 3x step, scored as an incident for its first 24 h",
        peak=40,
        dispersion=10,
        step_up=True,
        has_quiet_series=False,
    ),
    Scenario("holiday", "one or two days at 30% volume", peak=40, dispersion=10, holidays=True),
    Scenario("sparse", "0-3 negatives a window, Poisson", peak=1.5, night_share=0.15),
    Scenario("large", "thousands a window, k=30", peak=3000, dispersion=30),
    Scenario("launch", "2-3 launches/viral bursts: negatives x1.4-3.5 for 2-8 h (not incidents)", peak=40, dispersion=10, bursts=True),
    Scenario("gap", "source down 2-12 h (zeros), backlog lost", peak=40, dispersion=10, gaps="lost"),
    Scenario("gap-backlog", "source down 2-12 h, backlog arrives at recovery", peak=40, dispersion=10, gaps="backlog"),
)
SCENARIOS_BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


@dataclass(frozen=True)
class Incident:
    """A stretch a page is wanted for: an alert overlapping it (plus grace) is a hit."""

    kind: str
    """"3x", "5x", "10x" or "step"."""
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Disturbance:
    """A non-incident event an alert must not fire on; kept to say why a false alarm happened."""

    kind: Literal["shift", "holiday", "burst", "gap"]
    start: datetime
    end: datetime


@dataclass(frozen=True)
class GroundTruth:
    start: datetime
    end: datetime
    incidents: tuple[Incident, ...] = ()
    disturbances: tuple[Disturbance, ...] = ()
    warmup: timedelta = WARMUP
    """History before anything is scored: `WARMUP`, plus the lead of a settled series."""

    @property
    def scored_from(self) -> datetime:
        return self.start + self.warmup


@dataclass(frozen=True)
class SimulatedSeries:
    scenario: str
    seed: int
    window: timedelta
    counts: np.ndarray
    """Negative mentions per window."""
    expected: np.ndarray
    """The rate the counts were drawn from (before burstiness and gaps), per window."""
    normal: np.ndarray
    """The same without the injected incidents: what the brand would have seen anyway."""
    truth: GroundTruth
    window_starts: list[datetime] = field(repr=False)

    def points(self) -> list[CountRow]:
        """The series as `alerts.backtest.backtest` reads it."""
        return [
            CountRow(moment.strftime("%Y-%m-%d %H:%M:%S"), float(count))
            for moment, count in zip(self.window_starts, self.counts)
        ]


def series_rng(seed: int, scenario: str, number: int, quiet: bool) -> np.random.Generator:
    """One generator per series, keyed by name not position, so `--scenario` filters change no series."""
    return np.random.default_rng([seed, zlib.crc32(scenario.encode()), number, int(quiet)])


def simulate(
    scenario: Scenario,
    *,
    seed: int,
    number: int,
    quiet: bool,
    days: int,
    window: timedelta = REFERENCE_WINDOW,
    lead_days: int = 0,
) -> SimulatedSeries:
    """Draw one series of `days` days; `quiet` series get the scenario's events but no incidents.

    `lead_days` of the brand's ordinary weeks (its level, seasons and burstiness, no event, no
    trend yet) come first and are not scored, so the detector has that much more history when
    the `days` begin: a settled brand rather than a new one. With 0 the series is a brand's first
    `days`.
    """
    if window % SLOT or timedelta(hours=1) % window:
        raise ValueError(f"window {window} must be a multiple of 5 minutes that divides an hour")
    rng = series_rng(seed, scenario.name, number, quiet)
    slots = (lead_days + days) * SLOTS_PER_DAY
    first_event_day = lead_days + FIRST_EVENT_DAY
    days_picker = _DayPicker(rng, first_event_day, lead_days + days - 2)
    incident_days = [] if quiet or scenario.step_up else _incident_days(rng, days_picker, first_event_day)
    rate = _seasonal_rate(scenario, rng, slots, lead_days * SLOTS_PER_DAY)
    disturbances, incidents = _add_events(rate, scenario, rng, days_picker)
    extra = np.zeros(slots)
    for order, day in enumerate(incident_days):
        magnitude = MAGNITUDES[(number + order) % len(MAGNITUDES)]
        incidents.append(_add_incident(extra, rate, rng, day, magnitude))
    gap_days = [days_picker.take() for _ in range(int(rng.integers(1, 3)))] if scenario.gaps else []
    expected = rate + extra
    drawn = expected
    if scenario.dispersion is not None:
        hourly_burstiness = rng.gamma(scenario.dispersion, 1.0 / scenario.dispersion, slots // 12)
        drawn = expected * np.repeat(hourly_burstiness, 12)
    counts = rng.poisson(drawn)
    for day in gap_days:
        disturbances.append(_add_gap(counts, rng, day, backlog=scenario.gaps == "backlog"))
    truth = GroundTruth(
        START,
        _time(slots),
        tuple(sorted(incidents, key=lambda incident: incident.start)),
        tuple(sorted(disturbances, key=lambda disturbance: disturbance.start)),
        WARMUP + lead_days * timedelta(days=1),
    )
    per_window = round(window / SLOT)

    def by_window(per_slot: np.ndarray) -> np.ndarray:
        return per_slot.reshape(-1, per_window).sum(axis=1)

    starts = [START + index * window for index in range(slots // per_window)]
    return SimulatedSeries(scenario.name, seed, window, by_window(counts), by_window(expected), by_window(rate), truth, starts)


def _seasonal_rate(scenario: Scenario, rng: np.random.Generator, slots: int, trend_from: int = 0) -> np.ndarray:
    """Mean negatives per slot of a brand's ordinary weeks: its level, time of day and weekends;
    a trend drifts from slot `trend_from` to the end."""
    slot_times = np.arange(slots)
    level = scenario.peak * rng.uniform(0.7, 1.4) * (SLOT / REFERENCE_WINDOW)
    rate = level * _daily_profile(slot_times, scenario.night_share) * _weekly_profile(slot_times, rng.uniform(0.5, 1.3))
    if scenario.trend:
        progress = np.maximum(slot_times - trend_from, 0) / (slots - trend_from)
        rate *= np.exp(np.log(float(rng.choice(TREND_END_FACTORS))) * progress)
    return rate


def _add_events(
    rate: np.ndarray, scenario: Scenario, rng: np.random.Generator, days_picker: _DayPicker
) -> tuple[list[Disturbance], list[Incident]]:
    """Applies the scenario's shifts, step, holidays and bursts to `rate`; returns what was added."""
    disturbances: list[Disturbance] = []
    incidents: list[Incident] = []
    if scenario.level_shifts:
        for _ in range(2):
            start = _slot_in_day(rng, days_picker.take())
            rate[start:] *= float(rng.choice(SHIFT_FACTORS))
            disturbances.append(Disturbance("shift", _time(start), _time(start)))
    if scenario.step_up:
        start = _slot_in_day(rng, days_picker.take(), hours=(8, 16))
        rate[start:] *= STEP_FACTOR
        incidents.append(Incident("step", _time(start), _time(start) + STEP_INCIDENT))
    if scenario.holidays:
        for _ in range(int(rng.integers(1, 3))):
            day = days_picker.take()
            rate[day * SLOTS_PER_DAY : (day + 1) * SLOTS_PER_DAY] *= HOLIDAY_FACTOR
            disturbances.append(Disturbance("holiday", _time(day * SLOTS_PER_DAY), _time((day + 1) * SLOTS_PER_DAY)))
    if scenario.bursts:
        for _ in range(int(rng.integers(2, 4))):
            disturbances.append(_add_burst(rate, rng, days_picker.take()))
    return disturbances, incidents


class _DayPicker:
    """Hands out event days with a free day either side, so no two events' effects overlap."""

    def __init__(self, rng: np.random.Generator, first: int, last: int):
        self.order = [int(day) for day in rng.permutation(np.arange(first, last + 1))]
        self.taken: set[int] = set()

    def take(self) -> int:
        for day in self.order:
            if self.is_free(day):
                return self.reserve(day)
        raise ValueError("the series is too short for its events; simulate more days")

    def is_free(self, day: int) -> bool:
        return day in self.order and not {day - 1, day, day + 1} & self.taken

    def reserve(self, day: int) -> int:
        self.taken.add(day)
        return day


def _incident_days(rng: np.random.Generator, days_picker: _DayPicker, first_event_day: int) -> list[int]:
    """`INCIDENTS_PER_SERIES` days at least `INCIDENT_SPACING` apart, reserved before any other event.

    Each incident is judged against a baseline that holds no earlier injected incident, as on a
    brand whose incidents are rare: the current detector learns from its last week of rises, and
    incidents a few days apart would measure that (a separate finding) rather than magnitude.
    """
    spacing = INCIDENT_SPACING.days
    days = [first_event_day + 1 + order * (spacing + 1) + int(rng.integers(0, 2)) for order in range(INCIDENTS_PER_SERIES)]
    if not all(days_picker.is_free(day) for day in days):
        raise ValueError(f"{INCIDENTS_PER_SERIES} incidents {spacing} days apart need at least {days[-1] + 3} days")
    return [days_picker.reserve(day) for day in days]


def _time(slot: int) -> datetime:
    return START + slot * SLOT


def _slot_in_day(rng: np.random.Generator, day: int, hours: tuple[int, int] = (0, 24)) -> int:
    first, last = hours[0] * 12, hours[1] * 12
    return day * SLOTS_PER_DAY + int(rng.integers(first, last))


def _daily_profile(slot_times: np.ndarray, night_share: float) -> np.ndarray:
    """Quiet small hours (lowest at 02:00), busiest mid-afternoon (14:00)."""
    hour = (slot_times % SLOTS_PER_DAY) / 12.0
    day_shape = ((1 - np.cos(2 * np.pi * (hour - 2) / 24)) / 2) ** 1.5
    return night_share + (1 - night_share) * day_shape


def _weekly_profile(slot_times: np.ndarray, weekend_factor: float) -> np.ndarray:
    weekday = (slot_times // SLOTS_PER_DAY) % 7
    return np.where(weekday >= 5, weekend_factor, 1.0)


def _ramp(length: int, ramp_slots: int) -> np.ndarray:
    """0 -> 1 over the first `ramp_slots` (mid-slot values), then flat."""
    shape = np.ones(length)
    shape[:ramp_slots] = (np.arange(ramp_slots) + 0.5) / ramp_slots
    return shape


def _add_incident(extra: np.ndarray, rate: np.ndarray, rng: np.random.Generator, day: int, magnitude: int) -> Incident:
    """Adds a negative spike to `extra`: m x the normal rate, at least the floor, with a ramp-up."""
    duration = DURATIONS[int(rng.integers(len(DURATIONS)))]
    start = _slot_in_day(rng, day)
    length = round(duration / SLOT)
    ramp_slots = max(1, round(min(duration / 3, timedelta(hours=1)) / SLOT))
    stretch = slice(start, start + length)
    floor = INCIDENT_FLOOR * (SLOT / REFERENCE_WINDOW)
    extra[stretch] += np.maximum((magnitude - 1) * rate[stretch], floor) * _ramp(length, ramp_slots)
    return Incident(f"{magnitude}x", _time(start), _time(start + length))


def _add_burst(rate: np.ndarray, rng: np.random.Generator, day: int) -> Disturbance:
    """A launch or viral story: total volume x2-3.5 with the negative share unchanged or at 0.7x."""
    start = _slot_in_day(rng, day, hours=(8, 20))
    plateau = int(rng.integers(2 * 12, 8 * 12))
    negative_factor = rng.uniform(2.0, 3.5) * float(rng.choice((1.0, 0.7)))
    rise, decay = 6, 12  # 30 minutes up, an hour back down
    shape = np.concatenate([_ramp(rise, rise), np.ones(plateau - rise), np.linspace(1, 0, decay + 2)[1:-1]])
    stretch = slice(start, start + len(shape))
    rate[stretch] *= 1 + (negative_factor - 1) * shape
    return Disturbance("burst", _time(start), _time(start + len(shape)))


def _add_gap(counts: np.ndarray, rng: np.random.Generator, day: int, *, backlog: bool) -> Disturbance:
    """Zeros while the source is down; with `backlog`, what was missed lands right after recovery."""
    start = _slot_in_day(rng, day)
    length = int(rng.choice((2, 4, 8, 12))) * 12
    missed = int(counts[start : start + length].sum())
    counts[start : start + length] = 0
    if backlog:
        spread = round(BACKLOG_SPREAD / SLOT)
        counts[start + length : start + length + spread] += rng.multinomial(missed, np.full(spread, 1.0 / spread))
    return Disturbance("gap", _time(start), _time(start + length))


def select_scenarios(selected: Sequence[str] | None) -> list[Scenario]:
    """The scenarios named (all when None); unknown names raise, listing the known ones."""
    if not selected:
        return list(SCENARIOS)
    unknown = [name for name in selected if name not in SCENARIOS_BY_NAME]
    if unknown:
        raise KeyError(f"unknown scenario {', '.join(unknown)} (known: {', '.join(SCENARIOS_BY_NAME)})")
    return [SCENARIOS_BY_NAME[name] for name in selected]
