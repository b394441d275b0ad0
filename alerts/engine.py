"""The daemon's detection step: judge every newly closed window of every brand.

A window is judged once, after it has closed, the allowed lateness has passed and every mention
in it has been scored; progress is stored with any alert it produces, so a restart resumes at the
next window and never re-fires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from alerts.detect import IncidentTracker, baseline_windows, evaluate
from listener.config import DetectionConfig
from listener.models import Alert
from listener.storage.repository import DetectorState, Store

log = logging.getLogger(__name__)

RULE = "negative_spike"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def align(moment: datetime, window: timedelta, origin: datetime = EPOCH) -> datetime:
    """Start of the window containing `moment`; windows are aligned on `origin` (the Unix epoch)."""
    return origin + ((moment - origin) // window) * window


@dataclass(frozen=True)
class DetectionSummary:
    windows: int
    alerts: list[Alert]


def judged_until(store: Store, brand: str, rule: DetectionConfig, now: datetime, sources: Sequence[str]) -> datetime:
    """Up to when `brand`'s mentions are complete enough to judge.

    Every source must have polled past a window's end plus the lateness allowance (platforms
    index posts with a delay), and every mention before it must be scored. A source that has not
    polled successfully for `source_wait` is no longer waited for: an outage of one platform must
    not silence alerts from the others.
    """
    waited_for_since = now - rule.source_wait
    watermark = now
    for collected in store.collected_until(brand, sources).values():
        watermark = min(watermark, max(collected or waited_for_since, waited_for_since))
    watermark -= rule.lateness
    oldest_unscored = store.oldest_unscored(brand)
    return watermark if oldest_unscored is None else min(watermark, oldest_unscored)


def detect_brand(
    store: Store,
    brand: str,
    rule: DetectionConfig,
    now: datetime,
    notifiers: list[str],
    sources: Sequence[str] = (),
) -> DetectionSummary:
    """Judge the closed windows of `brand` not judged yet; store and queue any alert."""
    first_mention = store.first_mention_time(brand)
    if first_mention is None:
        return DetectionSummary(0, [])
    data_start = align(first_mention, rule.window)
    state = store.detector_state(brand, RULE)
    start = state.evaluated_until if state else data_start
    end = align(judged_until(store, brand, rule, now, sources), rule.window)
    if end <= start:
        return DetectionSummary(0, [])
    history_length = baseline_windows(rule)
    history_start = max(data_start, start - history_length * rule.window)
    counts = store.window_counts(brand, history_start, end, rule.window)
    negatives = [count.negative for count in counts]
    tracker = IncidentTracker(rule.cooldown, state.incident_last_anomalous if state else None)
    alerts: list[Alert] = []
    first_judged = int((start - history_start) / rule.window)
    for index in range(first_judged, len(counts)):
        window = counts[index]
        history = negatives[max(0, index - history_length) : index]
        detection = evaluate(history, window.negative, rule)
        if not tracker.observe(window.start, detection.anomalous):
            continue
        window_end = window.start + rule.window
        alert = Alert(
            brand=brand,
            rule=RULE,
            window_start=window.start,
            window_end=window_end,
            observed=window.negative,
            expected=round(detection.expected, 3),
            negative_share=window.negative / window.total if window.total else 0.0,
            severity=detection.severity or "warning",
            score=detection.score,
            top_mentions=tuple(store.top_negative_mentions(brand, window.start, window_end, rule.top_mentions)),
        )
        stored = store.record_evaluation(
            brand, RULE, DetectorState(window_end, tracker.last_anomalous), alert, notifiers
        )
        if stored is not None:
            alerts.append(stored)
            log.warning(
                "ALERT %s: %d negative mentions in %s-%s UTC, expected %.1f (score %.5f, %s)",
                brand,
                alert.observed,
                alert.window_start.strftime("%Y-%m-%d %H:%M"),
                alert.window_end.strftime("%H:%M"),
                alert.expected,
                alert.score,
                alert.severity,
            )
    store.record_evaluation(brand, RULE, DetectorState(end, tracker.last_anomalous))
    return DetectionSummary(len(counts) - first_judged, alerts)
