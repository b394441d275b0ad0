"""Alert rules: what to watch per brand, how sensitively, and when not to wake anyone.

A rule is the `[detection]` settings with a few overrides, a metric and optional splits. Each
metric is reduced to a count the detector can judge against the brand's own history:

- `negative_volume`, `volume`: negative mentions, all mentions, per window.
- `negative_share`: negative mentions, judged against what the baseline windows' *shares* would
  give at this window's volume, so a busy launch day with the usual mix never alerts while the
  same volume with twice the negative share does.
- `net_sentiment`: the count of "votes against" `(total - positive + negative) / 2` (net sentiment
  is `(positive - negative) / total`, so this rises as net sentiment falls), judged the same way.

`min_count` always counts negative mentions, except for `volume`, where it counts mentions.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from alerts.detect.detector import Detection, evaluate
from listener.config import (
    DEFAULT_RULE,
    DetectionConfig,
    ListenerConfig,
    Metric,
    RuleConfig,
    parse_quiet_hours,
)
from listener.storage.repository import WindowCount

RATIO_METRICS = ("negative_share", "net_sentiment")


@dataclass(frozen=True)
class Rule:
    """A rule with every setting resolved: its own overrides, else `[detection]`'s."""

    name: str
    metric: Metric
    detection: DetectionConfig
    brands: tuple[str, ...] | None = None
    split_by: tuple[str, ...] = ()
    quiet_hours: tuple[time, time] | None = None
    timezone: str = "UTC"

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
    )


def rules_from_config(config: ListenerConfig) -> list[Rule]:
    """The enabled `[[rules]]`, or the default rule when none are configured."""
    if not config.rules:
        return [default_rule(config.detection)]
    return [rule_from_config(entry, config.detection) for entry in config.rules if entry.enabled]


def metric_value(metric: Metric, window: WindowCount) -> float:
    """The metric itself, as a person reads it (a count, a share, a net sentiment in [-1, 1])."""
    if metric == "negative_volume":
        return float(window.negative)
    if metric == "volume":
        return float(window.total)
    if not window.total:
        return 0.0
    if metric == "negative_share":
        return window.negative / window.total
    return (window.positive - window.negative) / window.total


def _badness(metric: Metric, window: WindowCount) -> float:
    """Per mention, how much a window counts against the brand: the share the ratio metrics scale."""
    if not window.total:
        return 0.0
    if metric == "negative_share":
        return window.negative / window.total
    return (window.total - window.positive + window.negative) / (2 * window.total)


def judge(rule: Rule, history: Sequence[WindowCount], window: WindowCount) -> Detection:
    """Judge one window of `rule`'s metric against the previous windows (oldest first)."""
    if rule.metric in ("negative_volume", "volume"):
        counts = [float(count.negative if rule.metric == "negative_volume" else count.total) for count in history]
        observed = window.negative if rule.metric == "negative_volume" else window.total
        return _evaluate(counts, observed, rule.detection, rule, [count.start for count in history], window.start)
    # A ratio: the baseline's shares at this window's volume, judged on the count they imply.
    shares = [_badness(rule.metric, count) for count in history if count.total]
    scaled = [share * window.total for share in shares]
    observed = round(_badness(rule.metric, window) * window.total)
    starts = [count.start for count in history if count.total]
    detection = _evaluate(scaled, observed, _ratio_floor(rule.detection), rule, starts, window.start)
    if detection.anomalous and window.negative < rule.detection.min_count:
        return Detection(detection.observed, detection.expected, detection.score, False, None)
    return detection


def _ratio_floor(detection: DetectionConfig) -> DetectionConfig:
    """For a ratio, `min_count` applies to negative mentions (checked by `judge`), not the implied count."""
    return detection.model_copy(update={"min_count": 1})


def _evaluate(
    history: list[float], observed: int, detection: DetectionConfig, rule: Rule, starts: list[datetime], start: datetime
) -> Detection:
    """`alerts.detect.detector.evaluate`, passing the keyword arguments the detector accepts (window times
    for seasonality, the metric) so this module keeps working as the detector grows."""
    extras: dict[str, Any] = {}
    accepted = _keyword_parameters()
    if "times" in accepted:
        extras["times"] = [*starts, start]
    if "metric" in accepted:
        extras["metric"] = rule.metric
    return evaluate(history, observed, detection, **extras)


@lru_cache(maxsize=1)
def _keyword_parameters() -> frozenset[str]:
    return frozenset(
        name
        for name, parameter in inspect.signature(evaluate).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    )
