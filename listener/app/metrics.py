"""The process's Prometheus metrics: one definition of each, counted where the work happens.

`listener run` serves them at the dashboard's `/metrics`; a cluster's scheduler and workers serve
them on `[cluster] metrics_port` (`listener.app.cluster.observe`). Counters count this process's
work since it started: Prometheus sums them over the nodes of a cluster.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from alerts.notify.outbox import DeliveryReport

MENTIONS_COLLECTED = Counter(
    "listener_mentions_collected_total", "New mentions stored by polls, per source.", ["source"]
)
SOURCE_ERRORS = Counter("listener_source_errors_total", "Polls that failed, per source.", ["source"])
SOURCE_BACKOFF = Gauge(
    "listener_source_backoff_seconds",
    "Seconds a failing source waits before its next poll (0 when healthy).",
    ["source"],
    multiprocess_mode="livemax",  # a prefork worker: the longest wait of its live children
)
MENTIONS_SCORED = Counter("listener_mentions_scored_total", "Mentions given a sentiment verdict.")
SCORING_SECONDS = Histogram(
    "listener_scoring_batch_seconds",
    "Time to score one batch and store its verdicts.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
WINDOWS_JUDGED = Counter("listener_windows_judged_total", "Closed windows judged by the alert rules.")
ALERTS_SENT = Counter("listener_alerts_sent_total", "Alert messages delivered to a notifier.")
DELIVERY_FAILURES = Counter(
    "listener_delivery_failures_total", "Delivery attempts that failed, by what happens next.", ["outcome"]
)
QUEUE_DEPTH = Gauge(
    "listener_queue_depth", "Messages waiting in a cluster queue, as the scheduler last saw.", ["queue"],
    multiprocess_mode="mostrecent",
)


def count_delivery(report: DeliveryReport) -> None:
    ALERTS_SENT.inc(report.delivered)
    DELIVERY_FAILURES.labels("retrying").inc(report.retrying)
    DELIVERY_FAILURES.labels("dead").inc(report.dead)
