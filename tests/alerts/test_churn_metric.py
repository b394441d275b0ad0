"""The churn_intent rule metric: a window with many more churn-intent mentions than the brand's
history pages, however few of them are negative, and is counted from the per-brand verdicts."""

from __future__ import annotations

from sqlalchemy import select

from alerts.metrics.churn_intent import PLUGIN
from alerts.notify.render import alert_text
from listener.core.records import WindowCount
from listener.plugins import METRICS
from listener.storage.repository import Store
from listener.storage.schema import MentionRow
from tests.alerts.test_engine import BASELINE, WINDOW, add_counts, policy, run
from tests.conftest import utc

START = utc(2026, 11, 2)
SPIKE = START + len(BASELINE) * WINDOW


def flag_churn(store: Store, external_ids: list[str]) -> None:
    with store._sessions() as session:
        ids = session.scalars(select(MentionRow.id).where(MentionRow.external_id.in_(external_ids))).all()
    store.save_scores([], "test", churn={mention_id: {"Acme": (True, "en:test")} for mention_id in ids})


def test_churn_intent_is_a_registered_count_metric() -> None:
    assert METRICS.get("churn_intent") is PLUGIN
    window = WindowCount(START, total=10, negative=4, neutral=3, positive=3, churn_intent=2)
    assert PLUGIN.counted(window) == 2 and PLUGIN.chart(window) == 2.0


def test_a_churn_surge_pages_the_churn_rule_and_not_the_negative_one(store: Store) -> None:
    rules = policy(
        rules=[{"name": "churn", "metric": "churn_intent"}, {"name": "negatives"}],
        alerting={"group_by": ["brand", "rule"]},
    )
    add_counts(store, "Acme", START, BASELINE, others=3)
    flag_churn(store, [f"w-demo-None-{window}-neutral-0" for window in range(0, len(BASELINE), 4)])  # one churn an hour
    add_counts(store, "Acme", SPIKE, [1], others=14, tag="price-change")
    flag_churn(store, [f"price-change-demo-None-0-neutral-{index}" for index in range(14)])
    (alert,) = run(store, rules, SPIKE + WINDOW).alerts
    assert (alert.rule, alert.metric, alert.window_start, alert.observed) == ("churn", "churn_intent", SPIKE, 14)
    assert alert.expected < 1
    # It shows the customers leaving, not the window's one negative mention, under a heading that says so.
    assert alert.top_mentions and all(m.external_id.startswith("price-change-") for m in alert.top_mentions)
    assert all(m.sentiment is None or m.sentiment.label != "negative" for m in alert.top_mentions)
    assert "Top churn-intent mentions:" in alert_text(alert) and "Top negative" not in alert_text(alert)
    # The evidence reads the same mentions: the 14 churn posts, not the window's one negative.
    assert alert.evidence is not None and alert.evidence.sources == (("demo", 14),)
