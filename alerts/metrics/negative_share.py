"""The share of a window's mentions that are negative, judged at the window's own volume."""

from alerts.metrics.base import Metric
from listener.core.records import WindowCount
from listener.core.sentiment import negative_share


def _negative_share(window: WindowCount) -> float:
    return negative_share(window.positive, window.neutral, window.negative) or 0.0


PLUGIN = Metric(
    name="negative_share",
    noun="negative mentions (for the volume)",
    description="the share of mentions that are negative, judged at the window's volume",
    share=_negative_share,
    chart=_negative_share,
)
