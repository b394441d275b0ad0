"""Replay a count series through the live detector, with no look-ahead.

Row i is judged only against rows before it, with the same `evaluate` and `IncidentTracker` the
daemon uses, so `alert` is 1 exactly where the daemon would have sent a new alert.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

import numpy as np

from alerts.detect import (
    IncidentTracker,
    evaluate,
    history_windows,
    judge,
    season_of,
    seasonal_baselines,
)
from listener.config import DetectionConfig, ListenerConfig


@dataclass(frozen=True)
class SeriesPoint:
    timestamp: str
    value: float
    line: int = 0
    """Where it was read from, for error messages (0: not read from a file)."""


@dataclass(frozen=True)
class BacktestRow:
    timestamp: str
    anomaly_score: float
    alert: int


class SeriesError(ValueError):
    """The input is not a `timestamp,value` CSV; says which line and why."""


def read_series(stream: TextIO, name: str = "<input>") -> list[SeriesPoint]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise SeriesError(f"{name}: empty file; expected a header 'timestamp,value'")
    if [column.strip().lower() for column in header[:2]] != ["timestamp", "value"]:
        raise SeriesError(f"{name}: line 1: expected header 'timestamp,value', got {','.join(header)!r}")
    points = []
    previous: datetime | None = None
    for line_number, row in enumerate(reader, start=2):
        if not row or not "".join(row).strip():
            continue
        try:
            value = float(row[1])
        except (IndexError, ValueError):
            raise SeriesError(f"{name}: line {line_number}: value {row[1:2]} is not a number") from None
        if value < 0 or not math.isfinite(value):
            raise SeriesError(f"{name}: line {line_number}: value must be a non-negative count, got {row[1]!r}")
        timestamp = row[0].strip()
        try:
            moment = _parse_time(timestamp)
        except ValueError:
            raise SeriesError(
                f"{name}: line {line_number}: timestamp {timestamp!r} is not an ISO date-time such as 2026-11-02 00:15:00"
            ) from None
        if previous is not None and moment <= previous:
            raise SeriesError(f"{name}: line {line_number}: timestamp {timestamp} does not come after the line before's")
        previous = moment
        points.append(SeriesPoint(timestamp, value, line_number))
    return points


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def series_interval(times: Sequence[datetime]) -> timedelta:
    """The series' sampling interval: the median gap between its first timestamps."""
    gaps = sorted(later - earlier for earlier, later in zip(times[:50], times[1:51]) if later > earlier)
    return gaps[len(gaps) // 2] if gaps else timedelta(minutes=15)


def backtest(points: Sequence[SeriesPoint], rule: DetectionConfig) -> Iterator[BacktestRow]:
    """Judge every row against the rows before it, windows being the series' own spacing.

    Row i sees exactly the history the daemon would pass to `evaluate` for that window. The
    seasonal expected counts of the whole series are computed once (a window's depends only on
    the windows before it, so this changes no verdict, only the speed).
    """
    times = [_parse_time(point.timestamp) for point in points]
    interval = series_interval(times)
    _require_regular(points, times, interval)
    values = np.array([point.value for point in points], dtype=float)
    length = history_windows(rule, interval)
    season = season_of(rule, interval)
    baselines = seasonal_baselines(values, season) if season is not None else None
    tracker = IncidentTracker(rule.cooldown)
    for index, (point, moment) in enumerate(zip(points, times)):
        start = max(0, index - length)
        history = values[start:index]
        observed = round(point.value)
        if baselines is not None and season is not None and len(history) >= season.period + season.slack:
            detection = judge(history, baselines[start : index + 1], observed, rule, interval, history_length=len(history))
        else:
            detection = evaluate(history, observed, rule, window=interval)
        fires = tracker.observe(moment, detection.anomalous)
        yield BacktestRow(point.timestamp, detection.score, int(fires))


def _require_regular(points: Sequence[SeriesPoint], times: Sequence[datetime], interval: timedelta) -> None:
    """One row per window: the seasonal neighbours of a row are found by counting rows."""
    for point, earlier, later in zip(points[1:], times, times[1:]):
        if later - earlier != interval:
            where = f"line {point.line}: " if point.line else ""
            raise SeriesError(
                f"{where}{point.timestamp} is {later - earlier} after the row before, but the series' spacing is "
                f"{interval}; write one row per window (0 for a window without mentions)"
            )


def write_backtest(rows: Iterable[BacktestRow], stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["timestamp", "anomaly_score", "alert"])
    for row in rows:
        writer.writerow([row.timestamp, f"{row.anomaly_score:.15g}", row.alert])


def rule_settings(config: ListenerConfig, rule_name: str | None) -> DetectionConfig:
    """The detection settings a backtest runs with: `[detection]`, or those of one `[[rules]]` entry."""
    if rule_name is None:
        return config.detection
    from alerts.rules import rules_from_config

    rules = {rule.name: rule for rule in rules_from_config(config)}
    if rule_name not in rules:
        raise SeriesError(f"no enabled rule named {rule_name!r} in the config (known: {', '.join(rules) or 'none'})")
    return rules[rule_name].detection


def summary(rows: Sequence[BacktestRow], points: Sequence[SeriesPoint]) -> str:
    """One line for the terminal: how much was judged, at what spacing, and when alerts were sent."""
    interval = series_interval([_parse_time(point.timestamp) for point in points]) if points else None
    alerts = [row.timestamp for row in rows if row.alert]
    shown = ", ".join(alerts[:5]) + (f" and {len(alerts) - 5} more" if len(alerts) > 5 else "")
    return f"{len(rows)} windows of {interval}, {len(alerts)} alert{'s' if len(alerts) != 1 else ''}" + (
        f": {shown}" if alerts else ""
    )
