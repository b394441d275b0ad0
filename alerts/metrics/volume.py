"""All mentions per window, whatever their sentiment: a surge of attention of any kind."""

from alerts.metrics.base import Metric

PLUGIN = Metric(
    name="volume",
    noun="mentions",
    description="all mentions per window",
    counted=lambda window: window.total,
    chart=lambda window: float(window.total),
    shown="all",
)
