"""What a metric is: how a window counts against the brand, in words, and on the chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

from listener.core.records import ShownMentions, WindowCount


@dataclass(frozen=True)
class JudgedCounts:
    """What the detector judges for one window: the baseline windows' counts (oldest first) with
    their start times, and the window's own count."""

    baseline: list[float]
    starts: list[datetime]
    observed: int


@dataclass(frozen=True)
class Metric:
    """One watched metric.

    `counted` is a count metric's count per window. A share metric instead gives `share`, per
    mention how much a window counts against the brand; it is judged on the count the baseline's
    shares would give at this window's volume, so a busy launch day with the usual mix never
    alerts while the same volume with twice the negative share does.
    """

    name: str
    noun: str
    """What an alert's `observed` counts, as its message says: "negative mentions"."""
    chart: Callable[[WindowCount], float]
    """The metric as a person reads it on the alert's chart (a count, a share, a net sentiment)."""
    description: str
    """One line for the README and `--help`."""
    counted: Callable[[WindowCount], int] | None = None
    share: Callable[[WindowCount], float] | None = None
    shown: ShownMentions = "negative"
    """Which of the window's mentions an alert shows as its top mentions: what the metric counts
    (a churn alert shows the customers leaving, a volume alert whatever drew the attention)."""

    @property
    def judged_while_filling(self) -> bool:
        """Only counts are judged on an open window: a count can only grow as mentions arrive,
        while a share can fall as well as rise before the window closes."""
        return self.counted is not None

    def judged_counts(self, history: Sequence[WindowCount], window: WindowCount) -> JudgedCounts:
        if self.counted is not None:
            return JudgedCounts(
                [float(self.counted(count)) for count in history], [count.start for count in history], self.counted(window)
            )
        assert self.share is not None
        with_mentions = [count for count in history if count.total]
        return JudgedCounts(
            [self.share(count) * window.total for count in with_mentions],
            [count.start for count in with_mentions],
            round(self.share(window) * window.total) if window.total else 0,
        )
