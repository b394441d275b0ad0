"""A rule's windows and the history each one is judged against.

The closed-window pass (`alerts/dispatch/engine.py`) reads a rule's history with the windows it
judges, and hands the early pass the history of the windows after them (`judge_windows`); the
early pass over windows still filling (`alerts/detect/early.py`) keeps it and judges the open
windows after it (`judge_after_histories`). Both end in the same `judge_series` on the same
counts, so a window judged early is judged against exactly the history it will be judged against
once it closes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from alerts.detect.detector import Detection, HistoryMemo, baseline_windows
from alerts.detect.incidents import Firing
from alerts.detect.rules import Rule, counted_values, judge_after, judge_from
from listener.core.records import WindowCount
from listener.plugins import METRICS
from listener.storage.repository import Store

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def align(moment: datetime, window: timedelta, origin: datetime = EPOCH) -> datetime:
    """Start of the window containing `moment`; windows are aligned on `origin` (the Unix epoch)."""
    return origin + ((moment - origin) // window) * window


def history_reach(rule: Rule) -> timedelta:
    """How far before a judged window its verdict reads."""
    return baseline_windows(rule.detection) * rule.window


SplitCounts = dict[tuple[str, ...], list[WindowCount]]
"""Window counts per split's values; an unsplit rule has the one split ()."""


def rule_window_counts(store: Store, brand: str, rule: Rule, start: datetime, end: datetime) -> SplitCounts:
    """`rule`'s window counts in [start, end), per split (one series keyed () for an unsplit rule)."""
    if rule.split_by:
        return store.window_counts_split(brand, start, end, rule.window, rule.split_by)
    return {(): store.window_counts(brand, start, end, rule.window)}


def history_start(rule: Rule, data_start: datetime, start: datetime) -> datetime:
    """The first window a verdict on the windows from `start` reads (no earlier than the brand's first)."""
    return max(data_start, start - history_reach(rule))


def judge_windows(
    store: Store, brand: str, rule: Rule, data_start: datetime, start: datetime, end: datetime
) -> tuple[list[Firing], dict[tuple[str, ...], HistoryMemo] | None]:
    """Judge `rule`'s windows in [start, end) of every split, each against the windows before it
    (from `data_start`, the brand's first window, on); and, from the same read, the history the
    windows from `end` on are judged against (what `history_memos` would read; None for a rule
    not judged early): the early pass right after needs it."""
    first = history_start(rule, data_start, start)
    series = rule_window_counts(store, brand, rule, first, end)
    first_judged = int((start - first) / rule.window)
    firings = []
    for split_values, counts in series.items():
        detections = judge_from(rule, counts, first_judged)
        firings.extend(_firings(rule, split_values, counts[first_judged:], detections))
    if not METRICS.get(rule.metric).judged_while_filling:
        return firings, None
    return firings, _memos(rule, series, int((history_start(rule, data_start, end) - first) / rule.window))


def history_memos(
    store: Store, brand: str, rule: Rule, data_start: datetime, start: datetime
) -> dict[tuple[str, ...], HistoryMemo]:
    """Per split, the history that `rule`'s windows from `start` on are judged against, read from the
    store, for `judge_after_histories`."""
    return _memos(rule, rule_window_counts(store, brand, rule, history_start(rule, data_start, start), start), 0)


def _memos(rule: Rule, series: SplitCounts, first: int) -> dict[tuple[str, ...], HistoryMemo]:
    """A `HistoryMemo` of each split's windows from `first` on, for the splits with a mention there
    (`judge_after_histories` gives the others zeros)."""
    return {
        split_values: HistoryMemo(counted_values(rule, counts[first:]))
        for split_values, counts in series.items()
        if any(count.total for count in counts[first:])
    }


def judge_after_histories(
    rule: Rule,
    memos: dict[tuple[str, ...], HistoryMemo],
    series: SplitCounts,
    data_start: datetime,
    start: datetime,
    end: datetime,
) -> list[Firing]:
    """Judge a count rule's windows [start, end) of each split in `series` (those with a mention
    there) right after its history in `memos` (from `history_memos`): what `judge_windows` gives
    them. A split new in `series` had no mention in the history, whose windows are zeros for it
    (its memo is added to `memos`). The other splits' windows are empty, and an empty window never
    fires (`min_count` is at least 1), so they are not judged."""
    history = int((start - history_start(rule, data_start, start)) / rule.window)
    firings = []
    for split_values, counts in series.items():
        memo = memos.setdefault(split_values, HistoryMemo(np.zeros(history)))
        firings.extend(_firings(rule, split_values, counts, judge_after(rule, memo, counts)))
    return firings


def _firings(
    rule: Rule, split_values: tuple[str, ...], counts: list[WindowCount], detections: list[Detection]
) -> list[Firing]:
    split = tuple(zip(rule.split_by, split_values))
    return [Firing(rule, count, detection, split) for count, detection in zip(counts, detections)]
