"""Alerts against a simulated series' ground truth: hits, misses, false alarms and what caused them.

An alert is judged by the window it was raised for, [start, start + window): the detector cannot
know more precisely when inside it the count rose.

- A **hit** overlaps an incident, or the hour after it ends (`GRACE`): a spike judged on the window
  after it closed is still the same page.
- Anything else is a **false alarm**, labelled by the event it most likely came from: a source gap
  (in it or within `GAP_AFTERMATH` of recovery: a gap must never read as a drop or a spike, so
  this wins even over an incident), a real incident's aftermath (a second page for it), a launch,
  a holiday, a level shift's week of re-learning, or else plain noise.
- **Time to detect** runs from the incident's start to the end of its first hit's window, the
  earliest the daemon could know (its `lateness` comes on top).
- **Precision** is over incident series only; quiet series (no incident) give the realised
  false-alarm rate per 30-day month of scored time instead, which a mix of the two would blur.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from listener.config import DetectionConfig
from simulation import GroundTruth, Incident

GRACE = timedelta(hours=1)
GAP_AFTERMATH = timedelta(hours=2)
INCIDENT_AFTERMATH = timedelta(days=1)
"""Alerts this soon after an incident's grace are repeats of it (the baseline still holds the spike)."""
STEP_AFTERMATH = timedelta(days=7)
"""A persistent step keeps paging until the 7-day baseline has learnt the new level."""
CAUSE_REACH = {"gap": GAP_AFTERMATH, "burst": timedelta(0), "holiday": timedelta(days=1), "shift": timedelta(days=7)}
"""How long after a disturbance a false alarm is still put down to it."""
MONTH = timedelta(days=30)


def judge_alert(alert_start: datetime, window: timedelta, truth: GroundTruth) -> Incident | str:
    """The incident an alert hits, or the cause of the false alarm it is."""
    alert_end = alert_start + window

    def overlaps(start: datetime, end: datetime) -> bool:
        return alert_start < end and alert_end > start

    for disturbance in truth.disturbances:
        if disturbance.kind == "gap" and overlaps(disturbance.start, disturbance.end + GAP_AFTERMATH):
            return "gap"
    for incident in truth.incidents:
        if overlaps(incident.start, incident.end + GRACE):
            return incident
    for incident in truth.incidents:
        aftermath = STEP_AFTERMATH if incident.kind == "step" else INCIDENT_AFTERMATH
        if overlaps(incident.end + GRACE, incident.end + aftermath):
            return "repeat"
    for disturbance in truth.disturbances:
        if overlaps(disturbance.start, disturbance.end + CAUSE_REACH[disturbance.kind]):
            return disturbance.kind
    return "noise"


@dataclass
class Tally:
    """Counts over any number of series; `add` pools them (a scenario row, then the overall row)."""

    incidents: Counter[str] = field(default_factory=Counter)
    """Injected incidents by kind ("3x", "5x", "10x", "step")."""
    detected: Counter[str] = field(default_factory=Counter)
    hits: int = 0
    false_alarms: Counter[str] = field(default_factory=Counter)
    """On incident series, by cause."""
    quiet_false_alarms: Counter[str] = field(default_factory=Counter)
    """On quiet series, by cause."""
    quiet_time: timedelta = timedelta(0)
    detect_minutes: list[float] = field(default_factory=list)
    series: int = 0

    def add(self, other: Tally) -> None:
        self.incidents += other.incidents
        self.detected += other.detected
        self.hits += other.hits
        self.false_alarms += other.false_alarms
        self.quiet_false_alarms += other.quiet_false_alarms
        self.quiet_time += other.quiet_time
        self.detect_minutes += other.detect_minutes
        self.series += other.series

    @property
    def precision(self) -> float | None:
        alerts = self.hits + sum(self.false_alarms.values())
        return self.hits / alerts if alerts else None

    @property
    def recall(self) -> float | None:
        total = sum(self.incidents.values())
        return sum(self.detected.values()) / total if total else None

    @property
    def median_detect_minutes(self) -> float | None:
        return statistics.median(self.detect_minutes) if self.detect_minutes else None

    @property
    def quiet_months(self) -> float:
        return self.quiet_time / MONTH

    @property
    def quiet_rate_per_month(self) -> float | None:
        return sum(self.quiet_false_alarms.values()) / self.quiet_months if self.quiet_time else None


def score_series(alert_starts: Iterable[datetime], window: timedelta, truth: GroundTruth, *, quiet: bool) -> Tally:
    """Tally one series' alerts (by window start); alerts during the warm-up week are not scored."""
    tally = Tally(incidents=Counter(incident.kind for incident in truth.incidents), series=1)
    if quiet:
        tally.quiet_time = truth.end - truth.scored_from
    first_hit: dict[Incident, datetime] = {}
    for alert_start in sorted(alert_starts):
        if alert_start < truth.scored_from:
            continue
        verdict = judge_alert(alert_start, window, truth)
        if isinstance(verdict, Incident):
            tally.hits += 1
            first_hit.setdefault(verdict, alert_start)
        elif quiet:
            tally.quiet_false_alarms[verdict] += 1
        else:
            tally.false_alarms[verdict] += 1
    for incident, alert_start in first_hit.items():
        tally.detected[incident.kind] += 1
        tally.detect_minutes.append((alert_start + window - incident.start) / timedelta(minutes=1))
    return tally


def configured_rate_per_month(rule: DetectionConfig) -> float:
    """The false-alarm rate the rule asks for, per month of `MONTH` (the unit the realised rate is counted in)."""
    return rule.false_alarms.per_day * MONTH.days
