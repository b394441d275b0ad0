"""What the cluster's nodes coordinate through PostgreSQL: advisory locks, leadership, scoring
shards and outbox rows claimed by one worker at a time. PostgreSQL only (the cluster refuses SQLite)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import Iterator

import pytest

from alerts.notify.outbox import deliver_one
from listener.config import DeliveryConfig
from listener.core.clock import utcnow
from listener.core.records import Alert, DetectorState, Mention
from listener.storage.cluster import (
    SessionLock,
    claiming_store,
    mentions_to_score_in_shard,
    try_lock,
)
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from tests.conftest import _reset_postgres, record_alert, utc

T0 = utc(2026, 11, 4, 10)


@pytest.fixture
def pg_store() -> Iterator[Store]:
    url = os.environ.get("LISTENER_TEST_DATABASE_URL")
    if not url:
        pytest.skip("the cluster's coordination needs PostgreSQL (LISTENER_TEST_DATABASE_URL)")
    _reset_postgres(url)
    engine = create_db_engine(url)
    upgrade(engine)
    yield Store(engine)
    engine.dispose()
    _reset_postgres(url)


def test_advisory_lock_admits_one_holder_at_a_time(pg_store: Store) -> None:
    with try_lock(pg_store.engine, "judge", "Acme") as first:
        with (
            try_lock(pg_store.engine, "judge", "Acme") as second,
            try_lock(pg_store.engine, "judge", "Globex") as other,
        ):
            assert (first, second, other) == (True, False, True)
    with try_lock(pg_store.engine, "judge", "Acme") as again:
        assert again  # released with the block


def test_leadership_passes_when_the_leaders_connection_goes(pg_store: Store) -> None:
    leader, standby = SessionLock(pg_store.engine, "leader"), SessionLock(pg_store.engine, "leader")
    assert leader.acquire() and leader.still_held()
    assert not standby.acquire()
    leader.release()  # as a dead leader's closed connection would
    assert not leader.still_held()
    # The server frees a closed session's locks as it notices the close, which on a loaded
    # machine is after the next statement: the standby tries again, as it does on its schedule.
    give_up = time.monotonic() + 60
    while not standby.acquire():
        assert time.monotonic() < give_up, "the lock outlived its closed connection by a minute"
        time.sleep(0.05)
    standby.release()


def test_scoring_shards_split_the_backlog_without_overlap(pg_store: Store) -> None:
    mentions = [Mention("demo", f"m-{n}", f"acme {n}", T0 + timedelta(minutes=n)) for n in range(10)]
    pg_store.store_batch("demo", "Acme", mentions, {"position": 10})
    shards = [{mention.id for mention in mentions_to_score_in_shard(pg_store, 100, shard, 3)} for shard in range(3)]
    assert sum(len(ids) for ids in shards) == 10
    assert set().union(*shards) == {mention.id for mention in pg_store.mentions_to_score(100)}


def test_a_claimed_outbox_row_is_skipped_by_other_workers_and_sent_once(pg_store: Store) -> None:
    for minute in (0, 15):
        start = T0 + timedelta(minutes=minute)
        alert = Alert("Acme", "negative_spike", start, start + timedelta(minutes=15), 30, 2.0, 0.7, "critical", 0.999)
        state = DetectorState(start + timedelta(minutes=15), start)
        assert record_alert(pg_store, "Acme", "negative_spike", state, alert, ["hook"])
    sent: list[str] = []

    class Hook:
        def send(self, alert: Alert, thread: str | None = None) -> str:
            sent.append(alert.key)
            return "ok"

    now = utcnow() + timedelta(minutes=1)
    with claiming_store(pg_store.engine) as first_worker:
        [claimed] = first_worker.due_deliveries(now, limit=1, claim=True)
        with claiming_store(pg_store.engine) as second_worker:
            others = second_worker.due_deliveries(now, limit=5, claim=True)
            assert [delivery.id for delivery in others] != [] and claimed.id not in {d.id for d in others}
        assert deliver_one(first_worker, {"hook": Hook()}, DeliveryConfig(), now, claimed) == "delivered"
    with claiming_store(pg_store.engine) as later_worker:
        assert claimed.id not in {d.id for d in later_worker.due_deliveries(now, limit=5, claim=True)}
    assert sent == [claimed.alert.key]
    assert {status.status for status in pg_store.delivery_statuses()} == {"delivered", "pending"}
