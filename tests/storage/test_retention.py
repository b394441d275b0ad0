"""Retention (`[storage] keep_mentions`): old raw mentions go in batches; rollups, the mentions
alerts quote and the outbox stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from listener.app.retention import apply_retention
from listener.core.records import Alert, DetectorState, Mention, Sentiment
from listener.storage.repository import Store
from listener.storage.retention import delete_mentions_before
from listener.storage.schema import MentionBrandRow, OutboxRow, SentimentRollupRow
from tests.conftest import record_alert, utc

OLD = utc(2025, 1, 6, 9)
RECENT = utc(2026, 11, 2, 9)


def stored(store: Store, when, count: int, prefix: str) -> None:
    mentions = [
        Mention("demo", f"{prefix}-{n}", f"acme is down {prefix} {n}", when + timedelta(minutes=n))
        for n in range(count)
    ]
    store.store_batch("demo", "Acme", mentions, {"position": prefix})
    pending = store.mentions_to_score(1000)
    store.save_scores([(mention.id, Sentiment("negative", -0.9, 0.9)) for mention in pending], "test-model")


def rollup_totals(store: Store) -> tuple[int, int]:
    with store.engine.connect() as connection:
        return tuple(connection.execute(select(func.count(), func.sum(SentimentRollupRow.mentions))).one())


def test_old_mentions_go_in_batches_and_rollups_evidence_and_outbox_stay(store: Store) -> None:
    stored(store, OLD, 23, "old")
    stored(store, RECENT, 4, "new")
    evidence = store.mentions_by_id([1, 2])
    alert = Alert(
        "Acme",
        "negative_spike",
        OLD,
        OLD + timedelta(minutes=15),
        23,
        1.0,
        1.0,
        "critical",
        0.99,
        top_mentions=tuple(evidence),
    )
    assert record_alert(
        store, "Acme", "negative_spike", DetectorState(OLD + timedelta(minutes=15), OLD), alert, ["hook"]
    )
    rollups_before = rollup_totals(store)

    deleted = delete_mentions_before(store, RECENT - timedelta(days=400), batch=5)

    assert deleted == 21  # 23 old ones but the two the alert quotes
    assert store.count_mentions() == 4 + 2
    assert [mention.external_id for mention in store.mentions_by_id([1, 2])] == ["old-0", "old-1"]
    assert store.alerts()[0].top_mentions[0].external_id == "old-0"
    assert rollup_totals(store) == rollups_before  # the history is still counted
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(OutboxRow)) == 1
        assert connection.scalar(select(func.count()).select_from(MentionBrandRow)) == 6
    assert delete_mentions_before(store, RECENT - timedelta(days=400)) == 0  # nothing left to do


def test_retention_keeps_everything_inside_the_horizon(store: Store) -> None:
    stored(store, RECENT, 3, "new")
    assert apply_retention(store, timedelta(days=400), RECENT + timedelta(days=399)) == 0
    assert apply_retention(store, timedelta(days=400), RECENT + timedelta(days=401)) == 3
    assert store.count_mentions() == 0
