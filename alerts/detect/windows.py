"""A rule's windows and the history each one is judged against.

One function judges windows for both the closed-window pass (`alerts/dispatch/engine.py`) and the early
pass over windows still filling (`alerts/detect/early.py`), so that a window judged early is judged
against exactly the history it will be judged against once it closes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.detect.detector import baseline_windows
from alerts.detect.incidents import Firing
from alerts.detect.rules import Rule, judge_from
from listener.core.records import WindowCount, zero_windows
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
) -> list[Firing]:
    """Judge `rule`'s windows in [start, end) of every split, each against the windows before it
    (from `data_start`, the brand's first window, on)."""
    first = history_start(rule, data_start, start)
    return judge_split_counts(rule, rule_window_counts(store, brand, rule, first, end), int((start - first) / rule.window))


def judge_split_counts(rule: Rule, series: SplitCounts, first_judged: int) -> list[Firing]:
    """Judge every split's windows from `first_judged` on, each against the windows before it."""
    firings = []
    for split_values, counts in series.items():
        split = tuple(zip(rule.split_by, split_values))
        detections = judge_from(rule, counts, first_judged)
        firings.extend(Firing(rule, count, detection, split) for count, detection in zip(counts[first_judged:], detections))
    return firings


def joined(earlier: SplitCounts, later: SplitCounts, start: datetime, middle: datetime, end: datetime, window: timedelta) -> SplitCounts:
    """Windows [start, middle) of `earlier` then [middle, end) of `later`, per split: what one read of
    [start, end) gives. A split absent from one side had no mention there, so its windows are zeros."""
    return {
        split: [*earlier.get(split, zero_windows(start, middle, window)), *later.get(split, zero_windows(middle, end, window))]
        for split in sorted(earlier.keys() | later.keys())
    }
