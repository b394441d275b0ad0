"""Replay a count series through the live detector, with no look-ahead.

Row i is judged only against rows before it, with the same `evaluate` and `IncidentTracker` the
daemon uses, so `alert` is 1 exactly where the daemon would have sent a new alert.
"""

from __future__ import annotations

import csv
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Iterable, Iterator, Sequence, TextIO

from alerts.detect import IncidentTracker, evaluate
from listener.config import DetectionConfig


@dataclass(frozen=True)
class SeriesPoint:
    timestamp: str
    value: float


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
    for line_number, row in enumerate(reader, start=2):
        if not row or not "".join(row).strip():
            continue
        try:
            value = float(row[1])
        except (IndexError, ValueError):
            raise SeriesError(f"{name}: line {line_number}: value {row[1:2]} is not a number") from None
        if value < 0 or value != value:
            raise SeriesError(f"{name}: line {line_number}: value must be a non-negative count, got {row[1]!r}")
        points.append(SeriesPoint(row[0].strip(), value))
    return points


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def series_interval(times: Sequence[datetime]) -> timedelta:
    """The series' sampling interval: the median gap between its first timestamps."""
    gaps = sorted(later - earlier for earlier, later in zip(times[:50], times[1:51]) if later > earlier)
    return gaps[len(gaps) // 2] if gaps else timedelta(minutes=15)


def backtest(points: Sequence[SeriesPoint], rule: DetectionConfig) -> Iterator[BacktestRow]:
    """Score every row of the series; the baseline spans `rule.baseline` of the series' own rows."""
    times = [_parse_time(point.timestamp) for point in points]
    interval = series_interval(times)
    history: deque[float] = deque(maxlen=max(1, int(rule.baseline / interval)))
    tracker = IncidentTracker(rule.cooldown)
    for point, moment in zip(points, times):
        detection = evaluate(list(history), round(point.value), rule)
        fires = tracker.observe(moment, detection.anomalous)
        yield BacktestRow(point.timestamp, round(detection.score, 6), int(fires))
        history.append(point.value)


def write_backtest(rows: Iterable[BacktestRow], stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["timestamp", "anomaly_score", "alert"])
    for row in rows:
        writer.writerow([row.timestamp, f"{row.anomaly_score:.6f}", row.alert])
