"""Early alerts: a count rule's window still filling fires as soon as its count so far is anomalous.

A day of calm 15-minute windows (1 or 2 negative mentions each), then the spike window SPIKE.
Passes run with `now` inside or just after that window; nothing here depends on machine speed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from alerts.detect import early, windows
from alerts.detect.rules import Rule
from alerts.detect.windows import history_memos, history_reach, judge_after_histories, judge_windows, rule_window_counts
from alerts.dispatch.engine import detect_brand
from listener.config import DEFAULT_RULE as RULE
from alerts.notify.render import alert_text
from listener.storage.repository import Store
from tests.conftest import utc
from tests.alerts.test_engine import BASELINE, WINDOW, add_counts, policy

START = utc(2026, 11, 2)
SPIKE = START + len(BASELINE) * WINDOW


def test_partial_window_already_anomalous_fires_at_once(store: Store) -> None:
    add_counts(store, "Acme", START, BASELINE)
    add_counts(store, "Acme", SPIKE, [30], tag="spike")  # all in the window's first minute
    now = SPIKE + timedelta(minutes=4)
    summary = detect_brand(store, "Acme", policy(), now, ["console"])
    assert [(alert.kind, alert.window_start, alert.observed) for alert in summary.alerts] == [("firing", SPIKE, 30)]
    alert = summary.alerts[0]
    assert alert.evidence is not None and alert.evidence.counted_until == now
    assert "still open: counted so far, until" in alert_text(alert)
    # Windows are judged for good only after they close and the lateness passes.
    assert store.detector_state("Acme", RULE).evaluated_until == SPIKE - WINDOW
    assert [delivery.notifier for delivery in store.due_deliveries(utc(2100, 1, 1))] == ["console"]


def test_partial_count_not_yet_anomalous_waits_for_more(store: Store) -> None:
    add_counts(store, "Acme", START, BASELINE)
    add_counts(store, "Acme", SPIKE, [2], tag="first")
    assert detect_brand(store, "Acme", policy(), SPIKE + timedelta(minutes=2), ["console"]).alerts == []
    assert store.open_incidents("Acme") == []
    add_counts(store, "Acme", SPIKE + timedelta(minutes=2), [30], tag="more")
    alerts = detect_brand(store, "Acme", policy(), SPIKE + timedelta(minutes=4), ["console"]).alerts
    assert [(alert.kind, alert.observed) for alert in alerts] == [("firing", 32)]


def test_closing_the_window_sends_no_second_firing(store: Store) -> None:
    add_counts(store, "Acme", START, BASELINE)
    add_counts(store, "Acme", SPIKE, [30], tag="spike")
    assert len(detect_brand(store, "Acme", policy(), SPIKE + timedelta(minutes=4), ["console"]).alerts) == 1
    add_counts(store, "Acme", SPIKE + timedelta(minutes=5), [20], tag="late")  # the spike goes on
    closed = detect_brand(store, "Acme", policy(), SPIKE + WINDOW + timedelta(minutes=5), ["console"])
    assert closed.windows == 2 and closed.alerts == []  # the window before SPIKE, and SPIKE
    assert store.detector_state("Acme", RULE).evaluated_until == SPIKE + WINDOW
    (incident,) = store.open_incidents("Acme")
    assert incident.started_at == SPIKE and incident.last_firing == SPIKE
    assert len(store.due_deliveries(utc(2100, 1, 1))) == 1


def test_restart_after_an_early_firing_does_not_resend(store: Store) -> None:
    add_counts(store, "Acme", START, BASELINE)
    add_counts(store, "Acme", SPIKE, [30], tag="spike")
    now = SPIKE + timedelta(minutes=4)
    assert len(detect_brand(store, "Acme", policy(), now, ["console"]).alerts) == 1
    restarted = Store(store.engine)
    assert detect_brand(restarted, "Acme", policy(), now, ["console"]).alerts == []
    assert detect_brand(restarted, "Acme", policy(), now + timedelta(minutes=5), ["console"]).alerts == []
    assert len(restarted.alerts("Acme")) == 1
    assert len(restarted.due_deliveries(utc(2100, 1, 1))) == 1


def test_an_early_verdict_never_resolves_an_incident(store: Store) -> None:
    quick = policy(alerting={"resolve_after": "30m"})
    add_counts(store, "Acme", START, BASELINE + [30], tag="base")  # the spike window SPIKE, closed
    assert [a.kind for a in detect_brand(store, "Acme", quick, SPIKE + WINDOW + timedelta(minutes=5), ["console"]).alerts] == ["firing"]
    # Windows after SPIKE are quiet; the first one from SPIKE + 30m on resolves the incident, but
    # while that window is still filling it must not.
    add_counts(store, "Acme", SPIKE + WINDOW, [1, 2, 1], tag="after")
    assert detect_brand(store, "Acme", quick, SPIKE + 3 * WINDOW - timedelta(minutes=5), ["console"]).alerts == []
    assert len(store.open_incidents("Acme")) == 1
    resolved = detect_brand(store, "Acme", quick, SPIKE + 3 * WINDOW + timedelta(minutes=5), ["console"]).alerts
    assert [(alert.kind, alert.window_start) for alert in resolved] == [("resolved", SPIKE + 2 * WINDOW)]


def test_an_early_spike_after_the_incident_lapsed_waits_for_the_closed_windows(store: Store) -> None:
    quick = policy(alerting={"resolve_after": "30m"})
    add_counts(store, "Acme", START, BASELINE + [30], tag="base")
    now = SPIKE + WINDOW + timedelta(minutes=5)
    store.store_batch("slow", "Acme", [], {}, collected_until=now)
    assert len(detect_brand(store, "Acme", quick, now, ["console"], ["slow"]).alerts) == 1
    # A new spike 45 minutes later, while a slow source still holds judging back at SPIKE + 15m:
    # opening its incident early would mean resolving the first one on an early verdict.
    add_counts(store, "Acme", SPIKE + WINDOW, [1, 2, 30], tag="again")
    later = detect_brand(store, "Acme", quick, SPIKE + 3 * WINDOW + timedelta(minutes=2), ["console"], ["slow"])
    assert later.windows == 0 and later.alerts == []
    assert [incident.started_at for incident in store.open_incidents("Acme")] == [SPIKE]
    # Once the slow source has polled, the closed windows resolve the first incident and open the next.
    store.store_batch("slow", "Acme", [], {}, collected_until=SPIKE + 4 * WINDOW + timedelta(minutes=5))
    caught_up = detect_brand(store, "Acme", quick, SPIKE + 4 * WINDOW + timedelta(minutes=5), ["console"], ["slow"])
    assert [(alert.kind, alert.window_start) for alert in caught_up.alerts] == [
        ("resolved", SPIKE + 2 * WINDOW),
        ("firing", SPIKE + 3 * WINDOW),
    ]


def test_ratio_metrics_are_not_judged_early(store: Store) -> None:
    share = policy(rules=[{"name": "share", "metric": "negative_share"}])
    add_counts(store, "Acme", START, [2] * len(BASELINE), others=18)
    add_counts(store, "Acme", SPIKE, [30], others=2, tag="outage")  # usual volume, 94% negative
    assert detect_brand(store, "Acme", share, SPIKE + timedelta(minutes=4), ["console"]).alerts == []
    closed = detect_brand(store, "Acme", share, SPIKE + WINDOW + timedelta(minutes=5), ["console"]).alerts
    assert [(alert.rule, alert.kind, alert.window_start) for alert in closed] == [("share", "firing", SPIKE)]
    assert closed[0].evidence is not None and closed[0].evidence.counted_until is None


def test_passes_reread_only_the_judged_windows_and_reuse_verdicts_when_nothing_moved(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passes run every 10 s: they must not pay for reading the rule's whole history each time,
    nor for judging again when nothing moved; a count that moves must still be judged afresh,
    against exactly the history a fresh read gives."""
    history_reads: list[tuple[datetime, datetime]] = []  # reads of windows before the early pass's
    judgements = []

    def reading(store: Store, brand: str, rule: Rule, start, end):  # noqa: ANN001, ANN202
        if start < SPIKE - WINDOW:
            history_reads.append((start, end))
        return rule_window_counts(store, brand, rule, start, end)

    def judging(*args):  # noqa: ANN002, ANN202
        judgements.append(args)
        return judge_after_histories(*args)

    monkeypatch.setattr(early, "rule_window_counts", reading)
    monkeypatch.setattr(windows, "rule_window_counts", reading)
    monkeypatch.setattr(early, "judge_after_histories", judging)
    add_counts(store, "Acme", START, BASELINE)
    add_counts(store, "Acme", SPIKE, [2], tag="first")
    for minute in (2, 3, 4):  # nothing new: one judgement, then the same verdict (none) reused
        assert detect_brand(store, "Acme", policy(), SPIKE + timedelta(minutes=minute), ["console"]).alerts == []
    # One read of the history: the closed-window pass's, which the early pass judges after.
    assert len(judgements) == 1 and history_reads == [(START, SPIKE - WINDOW)]
    add_counts(store, "Acme", SPIKE + timedelta(minutes=4), [3], tag="some")
    assert detect_brand(store, "Acme", policy(), SPIKE + timedelta(minutes=4), ["console"]).alerts == []
    assert len(judgements) == 2 and len(history_reads) == 1  # judged afresh, on the history kept
    add_counts(store, "Acme", SPIKE + timedelta(minutes=4), [30], tag="more")
    now = SPIKE + timedelta(minutes=4, seconds=10)
    alerts = detect_brand(store, "Acme", policy(), now, ["console"]).alerts
    assert [(alert.kind, alert.observed) for alert in alerts] == [("firing", 35)]
    assert len(judgements) == 3 and len(history_reads) == 1
    (rule,) = policy().rules
    fresh, _ = judge_windows(store, "Acme", rule, START, SPIKE - WINDOW, SPIKE + WINDOW)
    assert [firing.detection for firing in fresh if firing.detection.anomalous] == [
        firing.detection for firing in early.judge_early(store, "Acme", rule, START, SPIKE - WINDOW, now, policy().detection)
    ]
    again = detect_brand(store, "Acme", policy(), SPIKE + timedelta(minutes=4, seconds=20), ["console"]).alerts
    assert again == [] and len(judgements) == 3  # the reused verdict does not fire twice
    (incident,) = store.open_incidents("Acme")
    assert incident.last_firing == SPIKE
    # Once the window before the spike is judged for good, the history is read afresh, once: the
    # closed-window pass reads it with the window it judges, and the early pass judges after it.
    history_reads.clear()
    detect_brand(store, "Acme", policy(), SPIKE + timedelta(minutes=6), ["console"])
    assert history_reads == [(START, SPIKE)]


def test_a_history_not_yet_judged_for_good_is_read_every_pass(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows the closed-window pass has not judged may still be scored or filled: an early pass
    over them must not judge against what it read a pass ago."""
    history_reads: list[datetime] = []

    def reading(store: Store, brand: str, rule: Rule, data_start, start):  # noqa: ANN001, ANN202
        history_reads.append(start)
        return history_memos(store, brand, rule, data_start, start)

    monkeypatch.setattr(early, "history_memos", reading)
    add_counts(store, "Acme", START, BASELINE)
    add_counts(store, "Acme", SPIKE, [2], tag="first")
    (rule,) = policy().rules
    detection = policy().detection
    now = SPIKE + timedelta(minutes=4)
    start = SPIKE - 3 * WINDOW  # the early pass's first window: now - source_wait - lateness (35 minutes), aligned
    for tag in ("one", "two"):  # the history moves between the passes, and the open window with it
        add_counts(store, "Acme", SPIKE, [1], tag=tag)
        early.judge_early(store, "Acme", rule, START, START + WINDOW, now, detection)
    assert history_reads == [start] * 2
    early.judge_early(store, "Acme", rule, START, start, now, detection)  # judged for good up to start
    early.judge_early(store, "Acme", rule, START, start, now + timedelta(seconds=10), detection)
    assert history_reads == [start] * 3


def test_a_split_new_in_the_open_window_is_judged_as_one_read_would(store: Store) -> None:
    """The early pass joins the history it kept with the open windows' fresh counts: a source seen
    only in one of the two must get zeros in the other, as one read of the whole span gives."""
    split = policy(rules=[{"name": "by-source", "split_by": ["source"]}])
    (rule,) = split.rules
    add_counts(store, "Acme", START, BASELINE)
    add_counts(store, "Acme", START, [1] * 4, source="forum", tag="forum")  # the forum's only day-old mentions
    add_counts(store, "Acme", SPIKE, [30], source="news", tag="news")  # a source never seen before
    now = SPIKE + timedelta(minutes=4)
    early.judge_early(store, "Acme", rule, START, SPIKE - WINDOW, now - timedelta(seconds=10), split.detection)
    add_counts(store, "Acme", SPIKE, [1], source="forum", tag="forum-again")  # the kept history is joined anew
    judged_early = early.judge_early(store, "Acme", rule, START, SPIKE - WINDOW, now, split.detection)
    fresh = [firing for firing in judge_windows(store, "Acme", rule, START, SPIKE - WINDOW, SPIKE + WINDOW)[0] if firing.detection.anomalous]
    assert [(firing.split, firing.start) for firing in judged_early] == [((("source", "news"),), SPIKE)]
    assert [(firing.split, firing.window, firing.detection) for firing in judged_early] == [
        (firing.split, firing.window, firing.detection) for firing in fresh
    ]
    # Every window, anomalous or not: demo's mentions are all before SPIKE (its empty window cannot
    # fire and is not judged early), news's all in it.
    memos = history_memos(store, "Acme", rule, START, SPIKE)
    recent = rule_window_counts(store, "Acme", rule, SPIKE, SPIKE + WINDOW)
    assert set(memos) == {("demo",), ("forum",)} and set(recent) == {("forum",), ("news",)}
    after = judge_after_histories(rule, memos, recent, START, SPIKE, SPIKE + WINDOW)
    one_read, _ = judge_windows(store, "Acme", rule, START, SPIKE, SPIKE + WINDOW)
    assert [(f.split, f.window, f.detection) for f in after] == [
        (f.split, f.window, f.detection) for f in one_read if f.split != (("source", "demo"),)
    ]
    assert len(after) == 2 and not any(f.detection.anomalous for f in one_read if f.split == (("source", "demo"),))
    # A split rule's history can hold no mention at all (a brand back after months): still a history.
    long_ago = SPIKE - history_reach(rule) - 2 * WINDOW
    add_counts(store, "Quiet", long_ago, [1], tag="long-ago")
    add_counts(store, "Quiet", SPIKE, [5], source="news", tag="back")
    memos = history_memos(store, "Quiet", rule, long_ago, SPIKE)
    recent = rule_window_counts(store, "Quiet", rule, SPIKE, SPIKE + WINDOW)
    assert memos == {} and set(recent) == {("news",)}
    after = judge_after_histories(rule, memos, recent, long_ago, SPIKE, SPIKE + WINDOW)
    one_read, _ = judge_windows(store, "Quiet", rule, long_ago, SPIKE, SPIKE + WINDOW)
    assert [(f.split, f.window, f.detection) for f in after] == [(f.split, f.window, f.detection) for f in one_read]


def test_kept_histories_stay_within_their_bound_and_a_forgotten_one_is_read_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many brands split many ways must not grow the daemon without bound: past `MAX_KEPT_BYTES`
    the least recently judged history is forgotten, and read again (not guessed) when needed."""
    history_reads: list[str] = []

    def reading(store: Store, brand: str, rule: Rule, data_start, start):  # noqa: ANN001, ANN202
        history_reads.append(brand)
        return history_memos(store, brand, rule, data_start, start)

    monkeypatch.setattr(early, "history_memos", reading)
    (rule,) = policy().rules
    detection = policy().detection
    for brand in ("Acme", "Globex"):
        add_counts(store, brand, START, BASELINE, tag=brand)
        add_counts(store, brand, SPIKE, [30], tag=f"{brand}-spike")
    now = SPIKE + timedelta(minutes=4)
    first = early.judge_early(store, "Acme", rule, START, SPIKE, now, detection)
    kept = early._last_verdicts[store].verdicts
    one = kept[("Acme", RULE)].nbytes
    assert one > 8 * len(BASELINE)  # the history's values and the surprises judged from them
    monkeypatch.setattr(early, "MAX_KEPT_BYTES", one + one // 2)  # room for one (brand, rule), not two
    early.judge_early(store, "Globex", rule, START, SPIKE, now, detection)
    assert list(kept) == [("Globex", RULE)] and history_reads == ["Acme", "Globex"]
    again = early.judge_early(store, "Acme", rule, START, SPIKE, now + timedelta(seconds=10), detection)
    assert history_reads == ["Acme", "Globex", "Acme"] and list(kept) == [("Acme", RULE)]
    assert [firing.detection for firing in again] == [firing.detection for firing in first] != []
    monkeypatch.setattr(early, "MAX_KEPT_BYTES", 3 * one)
    early.judge_early(store, "Globex", rule, START, SPIKE, now + timedelta(seconds=20), detection)
    early.judge_early(store, "Acme", rule, START, SPIKE, now + timedelta(seconds=30), detection)
    assert list(kept) == [("Globex", RULE), ("Acme", RULE)] and history_reads[3:] == ["Globex"]
