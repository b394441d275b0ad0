"""Negative mentions per window: the default metric, the one a negative spike is made of."""

from alerts.metrics.base import Metric

PLUGIN = Metric(
    name="negative_volume",
    noun="negative mentions",
    description="negative mentions per window",
    counted=lambda window: window.negative,
    chart=lambda window: float(window.negative),
)
