"""The metrics a rule can watch, one module each; every module defines its metric as `PLUGIN`.

A metric says how a window is counted for the detector, what that count is called in an alert,
and what value the alert's chart shows. Adding a metric is adding one module here (or an entry
point in the `social_listener.metrics` group); config, rules, evidence, messages and the README's
list all read it from the registry (`listener.plugins.METRICS`).
"""

from listener.plugins import METRICS


def metric_noun(name: str) -> str:
    """What an alert's `observed` counts for metric `name`; an alert stored under a metric that is
    no longer installed still reads sensibly ("brand_mentions" -> "brand mentions")."""
    try:
        return METRICS.get(name).noun
    except KeyError:
        return name.replace("_", " ")


TOP_MENTIONS_HEADINGS = {"negative": "Top negative mentions", "churn_intent": "Top churn-intent mentions", "all": "Top mentions"}


def top_mentions_heading(name: str) -> str:
    """The heading over an alert's top mentions, which `Metric.shown` chose (negative ones for a
    metric no longer installed, as every alert stored before `shown` existed)."""
    try:
        return TOP_MENTIONS_HEADINGS[METRICS.get(name).shown]
    except KeyError:
        return TOP_MENTIONS_HEADINGS["negative"]
