"""Replay a count series through the live detector and the daemon's incidents, with no look-ahead.

Row i is judged only against rows before it, with the detector the daemon calls, and every
judged row is fed, as a `Firing`, to the daemon's own `IncidentBook` under the `GroupingPolicy`
the daemon builds from the same config. `alert` is 1 exactly on the rows where the daemon sends a
new alert (a `firing` message); `replay` also gives the repeats, escalations and resolutions.
The backtest assumes every message reaches someone: silences, quiet hours and routes decide who
gets a message, not which messages the incidents call for.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

import numpy as np

from alerts.detect import Detection, evaluate, history_windows, judge, season_of, seasonal_baselines
from alerts.engine import default_policy, grouping_from_config
from alerts.incidents import Firing, GroupingPolicy, IncidentBook, Message
from alerts.rules import default_rule
from listener.config import DetectionConfig, ListenerConfig
from listener.storage.repository import WindowCount

SERIES = "series"
"""The brand name the series' incidents are kept under (a series is one brand's counts)."""
RECEIVER = "backtest"


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


@dataclass(frozen=True)
class ReplayedWindow:
    """One row of the backtest with every message the daemon's incidents send for it."""

    row: BacktestRow
    messages: tuple[Message, ...]


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


def backtest(
    points: Sequence[SeriesPoint], rule: DetectionConfig, grouping: GroupingPolicy | None = None
) -> Iterator[BacktestRow]:
    """The CSV rows: each window's score, and 1 where the daemon opens an incident (see `replay`)."""
    for window in replay(points, rule, grouping):
        yield window.row


def replay(
    points: Sequence[SeriesPoint], rule: DetectionConfig, grouping: GroupingPolicy | None = None
) -> Iterator[ReplayedWindow]:
    """Judge every row against the rows before it, windows being the series' own spacing, and
    feed it to the daemon's incident book as one pass of one window.

    `grouping` defaults to what the daemon uses with `[detection]` alone (`resolve_after` is its
    cooldown). Passes of one window give the daemon's messages, since the book's messages do not
    depend on how windows are batched into passes.
    """
    times = [_parse_time(point.timestamp) for point in points]
    interval = series_interval(times)
    _require_regular(points, times, interval)
    policy = grouping or default_policy(rule).grouping
    # The daemon's default rule, with windows as long as the series' spacing: a firing's end (and
    # so the repeat interval) is counted in the series' windows.
    series_rule = default_rule(rule.model_copy(update={"window": interval}))
    book = IncidentBook(SERIES, policy)
    for point, moment, detection in zip(points, times, _judge_series(points, rule, interval)):
        count = detection.observed
        firing = Firing(series_rule, WindowCount(moment, count, count, 0, 0), detection)
        sent = (*_send(book, book.observe(firing), policy), *_send(book, book.resolve_due(moment), policy))
        alert = int(any(message.kind == "firing" for message in sent))
        yield ReplayedWindow(BacktestRow(point.timestamp, detection.score, alert), sent)


def _judge_series(points: Sequence[SeriesPoint], rule: DetectionConfig, interval: timedelta) -> Iterator[Detection]:
    """Each row's verdict on exactly the history the daemon would pass to `evaluate` for it.

    The seasonal expected counts of the whole series are computed once (a window's depends only
    on the windows before it, so this changes no verdict, only the speed).
    """
    values = np.array([point.value for point in points], dtype=float)
    length = history_windows(rule, interval)
    season = season_of(rule, interval)
    baselines = seasonal_baselines(values, season) if season is not None else None
    for index, point in enumerate(points):
        start = max(0, index - length)
        history = values[start:index]
        observed = round(point.value)
        if baselines is not None and season is not None and len(history) >= season.period + season.slack:
            yield judge(history, baselines[start : index + 1], observed, rule, interval, history_length=len(history))
        else:
            yield evaluate(history, observed, rule, window=interval)


def _send(book: IncidentBook, messages: Sequence[Message], policy: GroupingPolicy) -> Iterator[Message]:
    """What the daemon's dispatcher does with the messages when nothing is silenced and a route
    reaches someone: resolutions only with `send_resolved`, and every other message delivered."""
    for message in messages:
        if message.kind == "resolved" and not policy.send_resolved:
            continue
        book.sent(message, (RECEIVER,))
        yield message


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


def grouping_settings(config: ListenerConfig | None) -> GroupingPolicy | None:
    """How a backtest groups windows into incidents: the daemon's `[alerting]` of `config`, or
    without a config None, for `replay` to group as the daemon does with `[detection]` alone."""
    return grouping_from_config(config) if config is not None else None


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
