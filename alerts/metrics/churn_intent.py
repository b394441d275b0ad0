"""Churn-intent mentions per window: customers saying they are leaving, cancelling or switching.

A count metric like negative_volume, judged against the brand's own history: a handful of
"cancelling my subscription" posts a day is normal for a big brand, a price change that triples
it is not. Which mentions count is decided when they are scored (`classifiers.churn`, stored per
brand on `mention_brands`); as for every count metric, `min_count` applies to this count.
"""

from alerts.metrics.base import Metric

PLUGIN = Metric(
    name="churn_intent",
    noun="churn-intent mentions",
    description="mentions whose author says they are leaving, cancelling or switching, per window",
    counted=lambda window: window.churn_intent,
    chart=lambda window: float(window.churn_intent),
    shown="churn_intent",
)
