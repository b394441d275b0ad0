"""The daemon's detection step over stored, scored mentions.

`add_counts` (exact counts per window) and `policy` are shared by the alert-rule tests
(test_rules, test_incidents, test_silences, test_routing).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, Sequence

from alerts.dispatch.engine import AlertPolicy, detect_brand, policy_from_config
from listener.config import DEFAULT_RULE as RULE
from listener.config import DetectionConfig
from listener.core.records import Mention, Sentiment
from listener.storage.repository import Store
from tests.conftest import BASE_CONFIG, merge, utc

START = utc(2026, 11, 2)
RULE_CONFIG = DetectionConfig(false_alarms="1/year", baseline="1d", seasonal=False)
"""A day's median as the expected count: these tests store a day or so of history, less than
the seasonal baseline needs (a day of surprises measured against earlier days)."""


def add_mentions(store: Store, brand: str, start, hours: float, negatives_per_window: float, seed: int, tag: str) -> None:
    """Store and score a synthetic stream: per 15-minute window, Poisson-ish negatives and 3x as many others."""
    rng = random.Random(seed)
    mentions, labels = [], {}
    windows = int(hours * 4)
    for window in range(windows):
        for kind, rate in (("negative", negatives_per_window), ("neutral", negatives_per_window * 3)):
            count = sum(rng.random() < rate / 20 for _ in range(20)) if rate < 20 else int(rate)
            for index in range(count):
                external_id = f"{tag}-{window}-{kind}-{index}"
                created = start + timedelta(minutes=15 * window, seconds=rng.uniform(0, 899))
                mentions.append(Mention("demo", external_id, f"{brand} {kind} {external_id}", created, author_reach=rng.randint(1, 10_000)))
                labels[external_id] = kind
    store.store_batch("demo", brand, mentions, {})
    pending = store.unscored(100_000)
    store.save_scores(
        [(row_id, Sentiment(labels[text.split()[-1]], -0.9 if labels[text.split()[-1]] == "negative" else 0.0, 0.9)) for row_id, text in pending],
        "test",
    )


WINDOW = timedelta(minutes=15)
BASELINE = [1, 2] * 48
"""A day of calm 15-minute windows: 1 or 2 negative mentions each."""
NOTIFIERS = [
    {"name": "console", "type": "console"},
    {"name": "team-slack", "type": "console"},
    {"name": "oncall-email", "type": "console"},
]


def add_counts(
    store: Store,
    brand: str,
    start: datetime,
    negatives: Sequence[int],
    *,
    others: int = 3,
    other_label: str = "neutral",
    source: str = "demo",
    language: str | None = None,
    tag: str = "w",
) -> None:
    """Exact, scored counts per 15-minute window from `start`: negatives[i] negative mentions and
    `others` mentions labelled `other_label` in window i."""
    mentions, labels = [], {}
    for window, count in enumerate(negatives):
        for label, how_many in (("negative", count), (other_label, others)):
            for index in range(how_many):
                external_id = f"{tag}-{source}-{language}-{window}-{label}-{index}"
                created = start + window * WINDOW + timedelta(seconds=10 + index)
                mentions.append(
                    Mention(source, external_id, f"{brand} {label} {external_id}", created, author_reach=100 + index, language=language)
                )
                labels[external_id] = label
    store.store_batch(source, brand, mentions, {})
    pending = [(row_id, text.split()[-1]) for row_id, text in store.unscored(1_000_000)]
    store.save_scores(
        [(row_id, Sentiment(labels[key], -0.9 if labels[key] == "negative" else 0.5, 0.9)) for row_id, key in pending if key in labels],
        "test",
    )


PINNED_DETECTION = {"false_alarms": "1/year", "baseline": "1d", "seasonal": False}
"""Detector sensitivity pinned for the alert-rule tests, so they test grouping, not the detector's tuning."""


def policy(**overrides: Any) -> AlertPolicy:
    """The alert policy of the base test config with these sections merged in (three notifiers)."""
    from listener.config import parse_config

    base = {**BASE_CONFIG, "notifiers": NOTIFIERS, "detection": PINNED_DETECTION}
    return policy_from_config(parse_config(merge(base, overrides), "test.toml"))


def run(store: Store, alert_policy: AlertPolicy | DetectionConfig, until: datetime, notifiers: Sequence[str] = ("console",), **kwargs: Any):
    """One detection pass for Acme with everything up to `until` collected (plus lateness)."""
    return detect_brand(store, "Acme", alert_policy, until + timedelta(minutes=5), list(notifiers), **kwargs)


def test_spike_fires_one_alert_with_evidence(store: Store) -> None:
    add_mentions(store, "Acme", START, 30, 1.5, seed=1, tag="base")
    add_mentions(store, "Acme", START + timedelta(hours=30), 1, 25, seed=2, tag="spike")
    add_mentions(store, "Acme", START + timedelta(hours=31), 5, 1.5, seed=3, tag="after")
    summary = detect_brand(store, "Acme", RULE_CONFIG, START + timedelta(hours=36, minutes=10), ["console", "slack"])
    assert summary.windows == 36 * 4
    assert len(summary.alerts) == 1
    alert = summary.alerts[0]
    assert alert.window_start == START + timedelta(hours=30)
    assert alert.observed == 25 and alert.expected < 3
    assert alert.severity == "critical"
    assert len(alert.top_mentions) == RULE_CONFIG.top_mentions
    reaches = [m.author_reach for m in alert.top_mentions]
    assert reaches == sorted(reaches, reverse=True)
    assert all(m.sentiment and m.sentiment.label == "negative" for m in alert.top_mentions)
    assert sorted(d.notifier for d in store.due_deliveries(utc(2100, 1, 1))) == ["console", "slack"]


def test_restart_neither_refires_nor_rejudges(store: Store) -> None:
    add_mentions(store, "Acme", START, 30, 1.5, seed=1, tag="base")
    add_mentions(store, "Acme", START + timedelta(hours=30), 1, 25, seed=2, tag="spike")
    now = START + timedelta(hours=31, minutes=10)
    assert len(detect_brand(store, "Acme", RULE_CONFIG, now, ["console"]).alerts) == 1
    again = detect_brand(store, "Acme", RULE_CONFIG, now, ["console"])
    assert again.windows == 0 and again.alerts == []
    assert len(store.alerts("Acme")) == 1
    assert store.detector_state("Acme", RULE).evaluated_until == START + timedelta(hours=31)


def test_window_waits_for_lateness_and_for_scoring(store: Store) -> None:
    add_mentions(store, "Acme", START, 2, 1.5, seed=1, tag="base")
    # The last window [01:45, 02:00) closes at 02:00 but is judged only after the lateness (5 min).
    assert detect_brand(store, "Acme", RULE_CONFIG, START + timedelta(hours=2, minutes=4), []).windows == 7
    assert detect_brand(store, "Acme", RULE_CONFIG, START + timedelta(hours=2, minutes=5), []).windows == 1
    # An unscored mention holds back its window and every later one (for up to source_wait, 30 min).
    store.store_batch("demo", "Acme", [Mention("demo", "late", "Acme late", START + timedelta(hours=2, minutes=20))], {})
    assert detect_brand(store, "Acme", RULE_CONFIG, START + timedelta(hours=2, minutes=45), []).windows == 1
    (row_id, _), = store.unscored(10)
    store.save_scores([(row_id, Sentiment("neutral", 0.0, 0.9))], "test")
    assert detect_brand(store, "Acme", RULE_CONFIG, START + timedelta(hours=4), []).windows == 6


def test_quiet_brand_never_alerts(store: Store) -> None:
    add_mentions(store, "Globex", START, 48, 0.7, seed=7, tag="quiet")
    summary = detect_brand(store, "Globex", RULE_CONFIG, START + timedelta(hours=49), ["console"])
    assert summary.windows == (48 * 60 + 45) // 15  # empty windows after the data are judged too
    assert summary.alerts == []


def test_window_waits_until_every_source_has_polled_past_it(store: Store) -> None:
    add_mentions(store, "Acme", START, 4, 1.5, seed=1, tag="base")
    now = START + timedelta(hours=1, minutes=30)
    store.store_batch("fast", "Acme", [], {}, collected_until=now)
    store.store_batch("slow", "Acme", [], {}, collected_until=START + timedelta(hours=1, minutes=10))
    # Judged up to the slow source's last poll minus lateness, 01:05: the four windows before 01:00.
    assert detect_brand(store, "Acme", RULE_CONFIG, now, [], ["fast", "slow"]).windows == 4
    store.store_batch("slow", "Acme", [], {}, collected_until=START + timedelta(hours=1, minutes=25))
    # 01:20 now: one more window, 01:00-01:15.
    assert detect_brand(store, "Acme", RULE_CONFIG, now, [], ["fast", "slow"]).windows == 1


def test_a_source_that_stopped_polling_is_waited_for_only_so_long(store: Store) -> None:
    add_mentions(store, "Acme", START, 4, 1.5, seed=1, tag="base")
    store.store_batch("fast", "Acme", [], {}, collected_until=START + timedelta(hours=4))
    now = START + timedelta(hours=4)
    # "down" never polled: it is waited for up to source_wait (30 min), then ignored.
    summary = detect_brand(store, "Acme", RULE_CONFIG, now, [], ["fast", "down"])
    expected_end = now - RULE_CONFIG.source_wait - RULE_CONFIG.lateness
    assert summary.windows == (expected_end - START) // RULE_CONFIG.window


def test_an_alert_says_when_the_negatives_rose_with_all_mentions(store: Store) -> None:
    """A launch brings ten times the mentions at the usual share of negatives; an outage brings
    the same negatives among the usual mentions. Both page (a negative count cannot tell them
    apart), and the messages say which is which."""
    from alerts.notify.render import alert_text

    day = [1] * 96  # 1 negative among 4 mentions a window: a 25% share
    for brand in ("Acme", "Globex"):
        add_counts(store, brand, START, day, others=3, tag="usual")
    spike_window = START + timedelta(days=1)
    add_counts(store, "Acme", spike_window, [10], others=30, tag="launch")
    add_counts(store, "Globex", spike_window, [10], others=3, tag="outage")
    messages = {}
    for brand in ("Acme", "Globex"):
        summary = detect_brand(store, brand, RULE_CONFIG, spike_window + timedelta(minutes=20), ["console"])
        (alert,) = summary.alerts
        messages[brand] = alert_text(alert)
    assert "All mentions:      40 in the window, 10.0x the usual 4; the negatives rose with all mentions" in messages["Acme"]
    assert "Negative share:    25% of mentions negative (usual 25%)" in messages["Acme"]
    assert "All mentions:      13 in the window, 3.2x the usual 4\n" in messages["Globex"]
    assert "Negative share:    77% of mentions negative (usual 25%)" in messages["Globex"]
