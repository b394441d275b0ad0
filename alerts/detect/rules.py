"""Alert rules: what to watch per brand, how sensitively, and when not to wake anyone.

A rule is the `[detection]` settings with a few overrides, a metric and optional splits. Each
metric (`alerts/metrics/`) reduces a window to a count the detector can judge against the brand's
own history. `min_count` always counts negative mentions, except for `volume`, where it counts
mentions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

import numpy as np

from alerts.detect.detector import Detection, HistoryMemo, baseline_windows, evaluate, judge_series
from listener.config import (
    DEFAULT_RULE,
    DetectionConfig,
    ListenerConfig,
    RuleConfig,
    parse_quiet_hours,
)
from listener.core.records import WindowCount
from listener.plugins import METRICS


@dataclass(frozen=True)
class Rule:
    """A rule with every setting resolved: its own overrides, else `[detection]`'s."""

    name: str
    metric: str
    """A metric name in `listener.plugins.METRICS`: config checks it."""
    detection: DetectionConfig
    brands: tuple[str, ...] | None = None
    split_by: tuple[str, ...] = ()
    quiet_hours: tuple[time, time] | None = None
    timezone: str = "UTC"
    min_reach: int = 1000
    """unanswered_negative only: the reach from which an unanswered negative mention alerts."""
    answer_within: timedelta = timedelta(hours=4)
    """unanswered_negative only: how long a mention may wait for the brand's answer."""

    def applies_to(self, brand: str) -> bool:
        return self.brands is None or brand in self.brands

    @property
    def window(self) -> timedelta:
        return self.detection.window

    def in_quiet_hours(self, moment: datetime) -> bool:
        """Whether `moment` falls in the rule's local quiet hours (which may wrap past midnight)."""
        if self.quiet_hours is None:
            return False
        start, end = self.quiet_hours
        local = moment.astimezone(ZoneInfo(self.timezone)).time()
        if start < end:
            return start <= local < end
        return local >= start or local < end

    def describe_quiet_hours(self) -> str:
        assert self.quiet_hours is not None
        start, end = self.quiet_hours
        return f"quiet hours {start:%H:%M}-{end:%H:%M} {self.timezone}"


def default_rule(detection: DetectionConfig) -> Rule:
    """The single negative-volume rule that `[detection]` alone describes."""
    return Rule(DEFAULT_RULE, "negative_volume", detection)


def rule_from_config(entry: RuleConfig, detection: DetectionConfig) -> Rule:
    overrides = {
        name: getattr(entry, name)
        for name in ("window", "baseline", "min_baseline_windows", "min_count", "min_ratio", "false_alarms", "critical_ratio")
        if getattr(entry, name) is not None
    }
    return Rule(
        name=entry.name,
        metric=entry.metric,
        detection=detection.model_copy(update=overrides),
        brands=None if entry.brands is None else tuple(entry.brands),
        split_by=tuple(entry.split_by),
        quiet_hours=None if entry.quiet_hours is None else parse_quiet_hours(entry.quiet_hours),
        timezone=entry.timezone,
        **{name: getattr(entry, name) for name in ("min_reach", "answer_within") if getattr(entry, name) is not None},
    )


def rules_from_config(config: ListenerConfig) -> list[Rule]:
    """The enabled `[[rules]]`, or the default rule when none are configured."""
    if not config.rules:
        return [default_rule(config.detection)]
    return [rule_from_config(entry, config.detection) for entry in config.rules if entry.enabled]


def judge_from(rule: Rule, counts: Sequence[WindowCount], first: int) -> list[Detection]:
    """Judge every window of `counts` (consecutive windows of `rule.window`) from `first` on, each
    against the windows before it: what `judge` gives window by window.

    A count metric's windows are judged in one `judge_series` call, which costs about what one
    window costs (the history matrices are shared): a daemon catching up after a restart, or a
    replay, judges hundreds of windows in a pass. A share metric's baseline depends on the judged
    window's own volume, so its windows are judged one at a time.
    """
    metric = METRICS.get(rule.metric)
    if metric.counted is None:
        history = baseline_windows(rule.detection)
        return [judge(rule, counts[max(0, index - history) : index], counts[index]) for index in range(first, len(counts))]
    if first >= len(counts):
        return []
    if first == 0:  # no history at all: what `evaluate` says of an empty one
        return [judge(rule, [], counts[0]), *judge_from(rule, counts, 1)]
    return judge_series(counted_values(rule, counts), rule.detection, rule.window, first=first)


def judge_after(rule: Rule, memo: HistoryMemo, counts: Sequence[WindowCount]) -> list[Detection]:
    """What `judge_from` gives `counts` (a count metric's windows) right after the history that
    `memo` holds, judged again at the cost of `counts` alone once the memo has been used once."""
    if len(memo.values) == 0:
        return judge_from(rule, counts, 0)
    values = np.concatenate((memo.values, counted_values(rule, counts)))
    return judge_series(values, rule.detection, rule.window, first=len(memo.values), memo=memo)


def counted_values(rule: Rule, counts: Sequence[WindowCount]) -> np.ndarray:
    """What a count metric counts in each window, as the detector reads it."""
    counted = METRICS.get(rule.metric).counted
    assert counted is not None, f"{rule.metric} is not a count metric"
    return np.array([float(counted(count)) for count in counts])


def judge(rule: Rule, history: Sequence[WindowCount], window: WindowCount) -> Detection:
    """Judge one window of `rule`'s metric against the previous windows (oldest first)."""
    metric = METRICS.get(rule.metric)
    counts = metric.judged_counts(history, window)
    detection = rule.detection if metric.counted is not None else _share_floor(rule.detection)
    verdict = evaluate(counts.baseline, counts.observed, detection, times=[*counts.starts, window.start])
    if metric.counted is None and verdict.anomalous and window.negative < rule.detection.min_count:
        return Detection(verdict.observed, verdict.expected, verdict.score, False, None)
    return verdict


def _share_floor(detection: DetectionConfig) -> DetectionConfig:
    """For a share metric, `min_count` applies to negative mentions (checked by `judge`), not the implied count."""
    return detection.model_copy(update={"min_count": 1})
