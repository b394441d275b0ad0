"""Replay a count series through the live detector and the daemon's incidents, with no look-ahead.

Row i is judged only against rows before it, with the detector the daemon calls, and every
judged row is fed, as a `Firing`, to the daemon's own `IncidentBook` under the `GroupingPolicy`
the daemon builds from the same config. `alert` is 1 exactly on the rows where the daemon sends a
new alert (a `firing` message, or an `escalation` to critical); `replay` also gives the repeats
and resolutions.
The backtest assumes every message reaches someone: silences, quiet hours and routes decide who
gets a message, not which messages the incidents call for.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

import numpy as np

from alerts.detect.detector import judge_count_so_far, judge_series
from alerts.dispatch.engine import default_policy, grouping_from_config
from alerts.detect.incidents import Firing, GroupingPolicy, IncidentBook, Message
from alerts.detect.rules import default_rule
from listener.config import DetectionConfig, ListenerConfig
from listener.core.records import WindowCount
from listener.core.text import plural

SERIES = "series"
"""The brand name the series' incidents are kept under (a series is one brand's counts)."""
RECEIVER = "backtest"
PAGES = ("firing", "escalation")
"""The messages that call someone in: a new incident, or one that became critical."""


@dataclass(frozen=True)
class CountRow:
    """One `timestamp,value` row of a backtest series."""

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


def read_series(stream: TextIO, name: str = "<input>") -> list[CountRow]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise SeriesError(f"{name}: empty file; expected a header 'timestamp,value'")
    if header:  # a spreadsheet's "CSV UTF-8" starts with a byte-order mark
        header[0] = header[0].removeprefix("\ufeff")
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
        points.append(CountRow(timestamp, value, line_number))
    return points


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def series_interval(times: Sequence[datetime]) -> timedelta:
    """The series' sampling interval: the most common gap between its rows (the shortest of the
    most common). Rows may be missing, as exports leave out windows without mentions, so the first
    gaps alone could be a missing row's."""
    gaps = Counter(later - earlier for earlier, later in zip(times, times[1:]) if later > earlier)
    if not gaps:
        return timedelta(minutes=15)
    most = max(gaps.values())
    return min(gap for gap, count in gaps.items() if count == most)


def backtest(
    points: Sequence[CountRow], rule: DetectionConfig, grouping: GroupingPolicy | None = None
) -> Iterator[BacktestRow]:
    """The CSV rows: each window's score, and 1 where the daemon opens an incident (see `replay`)."""
    for window in replay(points, rule, grouping):
        yield window.row


def replay(
    points: Sequence[CountRow], rule: DetectionConfig, grouping: GroupingPolicy | None = None
) -> Iterator[ReplayedWindow]:
    """Judge the series as the daemon would, window by window, feeding its incident book.

    The daemon's windows are `rule.window`; rows spaced more finely that divide it are summed
    into windows (starting at the first row), and each row is judged as the count so far of
    its open window, as the daemon judges an open window after each poll: an alert goes out on
    the row whose mentions make the window anomalous. A quiet open window is not a quiet window,
    so only a window's last row can resolve an incident. Rows spaced as widely as `rule.window`
    or more are windows of their own.

    `grouping` defaults to what the daemon uses with `[detection]` alone (`resolve_after` is its
    cooldown). The book's messages do not depend on how windows are batched into passes, so
    feeding it a window at a time gives the daemon's messages.
    """
    times = [_parse_time(point.timestamp) for point in points]
    interval = series_interval(times)
    slots = _grid_slots(points, times, interval)
    window = daemon_window(rule, interval)
    rows_per_window = window // interval
    policy = grouping or default_policy(rule).grouping
    # The daemon's default rule, with the windows judged here: a firing's end (and so the repeat
    # interval) is counted in them.
    series_rule = default_rule(rule.model_copy(update={"window": window}))
    book = IncidentBook(SERIES, policy)
    # One value per interval from the first row to the last: 0 where no row is, as the daemon
    # counts a window in which no mention arrived.
    values = np.zeros(slots[-1] + 1 if points else 0)
    values[slots] = [point.value for point in points]
    row_of = dict(zip(slots, range(len(points))))
    starts = range(0, len(values), rows_per_window)
    totals = np.add.reduceat(values, list(starts)) if len(values) else values
    unshown: tuple[Message, ...] = ()  # an interval without a row: its messages go with the next row
    for first, verdict in zip(starts, judge_series(totals, rule, window)):
        window_start = times[0] + first * interval
        slots_of_window = range(first, min(first + rows_per_window, len(values)))
        so_far = np.cumsum(values[first : slots_of_window.stop])
        for slot, count in zip(slots_of_window, so_far):
            closed = slot - first == rows_per_window - 1
            detection = verdict if closed else judge_count_so_far(verdict, round(count), rule)
            firing = Firing(series_rule, WindowCount(window_start, detection.observed, detection.observed, 0, 0), detection)
            sent: tuple[Message, ...] = unshown
            if closed or detection.anomalous:
                sent += tuple(_send(book, book.observe(firing), policy))
            if closed:
                sent += tuple(_send(book, book.resolve_due(window_start), policy))
            if slot not in row_of:
                unshown = sent
                continue
            unshown = ()
            alert = int(any(message.kind in PAGES for message in sent))
            yield ReplayedWindow(BacktestRow(points[row_of[slot]].timestamp, detection.score, alert), sent)


def daemon_window(rule: DetectionConfig, interval: timedelta) -> timedelta:
    """The windows the daemon would judge rows of this spacing in: `rule.window` when the rows
    are finer and divide it, else the rows' own spacing."""
    if interval < rule.window and rule.window % interval == timedelta(0):
        return rule.window
    return interval


def _send(book: IncidentBook, messages: Sequence[Message], policy: GroupingPolicy) -> Iterator[Message]:
    """What the daemon's dispatcher does with the messages when nothing is silenced and a route
    reaches someone: resolutions only with `send_resolved`, and every other message delivered."""
    for message in messages:
        if message.kind == "resolved" and not policy.send_resolved:
            continue
        book.sent(message, (RECEIVER,))
        yield message


def _grid_slots(points: Sequence[CountRow], times: Sequence[datetime], interval: timedelta) -> list[int]:
    """Each row's place on the series' grid (0 for the first row, 1 for one `interval` later...).

    Seasonal neighbours are found by counting intervals, so a row off the grid is refused, clearly;
    a place without a row (a window without mentions left out, a collection gap) counts as 0.
    """
    slots = []
    for point, moment in zip(points, times):
        offset = moment - times[0]
        if offset % interval:
            where = f"line {point.line}: " if point.line else ""
            raise SeriesError(
                f"{where}{point.timestamp} is {offset} after the first row, not a whole number of the series' "
                f"spacing {interval}; write one row per window of {interval}"
            )
        slots.append(offset // interval)
    return slots


def missing_rows(points: Sequence[CountRow]) -> int:
    """How many intervals between the first row and the last have no row (judged as 0)."""
    if len(points) < 2:
        return 0
    times = [_parse_time(point.timestamp) for point in points]
    return (times[-1] - times[0]) // series_interval(times) + 1 - len(points)


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
    from alerts.detect.rules import rules_from_config

    rules = {rule.name: rule for rule in rules_from_config(config)}
    if rule_name not in rules:
        raise SeriesError(f"no enabled rule named {rule_name!r} in the config (known: {', '.join(rules) or 'none'})")
    return rules[rule_name].detection


def summary(rows: Sequence[BacktestRow], points: Sequence[CountRow], rule: DetectionConfig) -> str:
    """One line for the terminal: how much was judged, in which windows, and when alerts were sent."""
    interval = series_interval([_parse_time(point.timestamp) for point in points]) if points else None
    window = daemon_window(rule, interval) if interval else None
    judged = f"{len(rows)} {plural(len(rows), 'window')} of {interval}"
    if window != interval:
        judged = f"{len(rows)} {plural(len(rows), 'row')} of {interval} in windows of {window}"
    missing = missing_rows(points)
    if missing:
        judged += f" ({missing} {plural(missing, 'interval')} without a row counted as 0)"
    alerts = [row.timestamp for row in rows if row.alert]
    shown = ", ".join(alerts[:5]) + (f" and {len(alerts) - 5} more" if len(alerts) > 5 else "")
    return f"{judged}, {len(alerts)} {plural(len(alerts), 'alert')}" + (f": {shown}" if alerts else "")
