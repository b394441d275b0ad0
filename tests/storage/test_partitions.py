"""PostgreSQL's monthly partitions: the migration keeps every row, retention drops whole months
(but the ones alerts quote), and a mention is stored once even when its copies fall in two months."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, func, insert, select, text

from listener.app.retention import apply_retention
from listener.core.records import Alert, DetectorState, Mention, Sentiment
from listener.storage.database import alembic_config, create_db_engine, upgrade
from listener.storage.partitions import ensure_month_partitions, existing_months, lock_mention_keys
from listener.storage.repository import Store
from listener.storage.schema import MentionBrandRow, MentionRow, MentionTopicRow, SentimentRollupRow
from tests.conftest import _reset_postgres, record_alert, utc

pytestmark = pytest.mark.skipif(
    not os.environ.get("LISTENER_TEST_DATABASE_URL"), reason="partitions are PostgreSQL's; set LISTENER_TEST_DATABASE_URL"
)

NOW = utc(2026, 11, 30, 12)
BEFORE_PARTITIONS = "0014_own_answers"


@pytest.fixture
def engine() -> Iterator[Engine]:
    url = os.environ["LISTENER_TEST_DATABASE_URL"]
    _reset_postgres(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()
    _reset_postgres(url)


def month(year: int, month_number: int) -> datetime:
    return datetime(year, month_number, 1)


def table_rows(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
            for table in (MentionRow.__table__, MentionBrandRow.__table__, MentionTopicRow.__table__)
        }


def relkind(engine: Engine, table: str) -> str:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT relkind FROM pg_class WHERE relname = :table"), {"table": table})


def test_upgrade_moves_every_row_into_its_month_and_downgrade_moves_them_back(engine: Engine) -> None:
    upgrade(engine, BEFORE_PARTITIONS)
    times = [utc(2025, 1, 15, 9), utc(2025, 2, 3, 23, 59), utc(2026, 11, 20, 8)]
    with engine.begin() as connection:
        for number, created in enumerate(times):
            mention_id = connection.execute(
                insert(MentionRow).returning(MentionRow.id),
                {"source": "demo", "external_id": f"m{number}", "text": f"acme {number}", "created_at": created,
                 "collected_at": created, "likes": 0, "shares": 0, "replies": 0},
            ).scalar_one()  # fmt: skip
            connection.execute(
                insert(MentionBrandRow), {"mention_id": mention_id, "brand": "Acme", "created_at": created, "own": number == 1}
            )
            connection.execute(insert(MentionTopicRow), {"mention_id": mention_id, "topic": "outage"})
    before = table_rows(engine)

    upgrade(engine)

    assert relkind(engine, "mentions") == relkind(engine, "mention_brands") == "p"
    with engine.connect() as connection:
        assert {month(2025, 1), month(2025, 2), month(2026, 11)} <= set(existing_months(connection))
        assert existing_months(connection, "mention_brands") == existing_months(connection)
        assert connection.scalar(text("SELECT count(*) FROM mentions_y2025m02")) == 1
    assert table_rows(engine) == before
    store = Store(engine)
    assert store.store_batch("demo", "Acme", [Mention("demo", "late", "acme old post", utc(2024, 6, 1))], {}) == 1
    (late,) = [row for row in table_rows(engine)["mentions"] if row[2] == "late"]
    assert late[0] > max(row[0] for row in before["mentions"])  # the id sequence went on

    after = table_rows(engine)
    command.downgrade(alembic_config(engine), BEFORE_PARTITIONS)
    assert relkind(engine, "mentions") == relkind(engine, "mention_brands") == "r"
    assert table_rows(engine) == after
    upgrade(engine)
    assert table_rows(engine) == after


def stored(store: Store, when: datetime, count: int, prefix: str) -> list[int]:
    mentions = [Mention("demo", f"{prefix}-{n}", f"acme is down {prefix} {n}", when + timedelta(hours=n)) for n in range(count)]
    store.store_batch("demo", "Acme", mentions, {"position": prefix})
    pending = [mention for mention in store.mentions_to_score(1000) if mention.text.startswith(f"acme is down {prefix}")]
    store.save_scores([(mention.id, Sentiment("negative", -0.9, 0.9)) for mention in pending], "test-model")
    return [mention.id for mention in pending]


def test_retention_drops_whole_months_but_keeps_the_ones_alerts_quote(engine: Engine) -> None:
    upgrade(engine)
    store = Store(engine)
    stored(store, utc(2025, 1, 10), 3, "jan")
    quoted, *_ = stored(store, utc(2025, 2, 10), 2, "feb")
    march = stored(store, utc(2025, 3, 10), 4, "mar")
    stored(store, utc(2026, 11, 20), 2, "now")
    store.tag_topics({march[0]: ["outage"]})
    (evidence,) = store.mentions_by_id([quoted])
    alert = Alert("Acme", "negative_spike", evidence.created_at, evidence.created_at + timedelta(minutes=15),
                  2, 1.0, 1.0, "critical", 0.99, top_mentions=(evidence,))  # fmt: skip
    record_alert(store, "Acme", "negative_spike", DetectorState(alert.window_end, alert.window_start), alert, ["hook"])
    with engine.connect() as connection:
        rollups_before = connection.execute(select(func.count(), func.sum(SentimentRollupRow.mentions))).one()

    assert apply_retention(store, timedelta(days=400), NOW) == 3 + 1 + 4

    with engine.connect() as connection:
        months = existing_months(connection)
        assert month(2025, 1) not in months and month(2025, 3) not in months  # dropped whole
        assert month(2025, 2) in months  # an alert quotes it: emptied by batches instead
        assert existing_months(connection, "mention_brands") == months
        assert connection.scalar(select(func.count()).select_from(MentionTopicRow)) == 0
        assert connection.execute(select(func.count(), func.sum(SentimentRollupRow.mentions))).one() == rollups_before
    assert store.count_mentions() == 2 + 1
    assert store.alerts()[0].top_mentions[0].external_id == "feb-0"
    assert apply_retention(store, timedelta(days=400), NOW) == 0
    # A late mention from a dropped month still has somewhere to go.
    assert store.store_batch("demo", "Acme", [Mention("demo", "jan-late", "acme late", utc(2025, 1, 20))], {}) == 1


def test_a_mention_whose_copies_fall_in_two_months_is_stored_once(engine: Engine) -> None:
    """The unique index sees one month; the key lock makes the look-up-then-insert atomic across them.

    One transaction inserts ("demo", "x") in November while holding its key lock; a poll storing
    the same mention dated December waits for it, then finds it instead of adding a second row.
    """
    upgrade(engine)
    store = Store(engine)
    november, december = utc(2026, 11, 30, 23, 59), utc(2026, 12, 1, 0, 1)
    ensure_month_partitions(engine, [november, december])
    results: list[int] = []
    with engine.connect() as first:
        first.begin()
        lock_mention_keys(first, [("demo", "x")])
        first.execute(
            insert(MentionRow),
            {"source": "demo", "external_id": "x", "text": "acme x", "created_at": november,
             "collected_at": november, "likes": 0, "shares": 0, "replies": 0},
        )  # fmt: skip
        second = threading.Thread(
            target=lambda: results.append(store.store_batch("demo", "Acme", [Mention("demo", "x", "acme x", december)], {}))
        )
        second.start()
        deadline = time.monotonic() + 60
        with engine.connect() as observer:
            while not observer.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")):
                assert time.monotonic() < deadline, "the second poll never waited for the key lock"
                time.sleep(0.05)
        first.commit()
    second.join(timeout=60)
    assert results == [0]
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(MentionRow).where(MentionRow.external_id == "x")) == 1


def test_a_month_whose_tables_are_busy_is_left_to_the_next_run(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Dropping needs the tables to itself; behind a long reader it gives up after the lock timeout
    instead of queueing the daemon's writes, and the next run drops the month."""
    from listener.storage import retention

    upgrade(engine)
    store = Store(engine)
    stored(store, utc(2025, 1, 10), 3, "jan")
    monkeypatch.setattr(retention, "LOCK_TIMEOUT", "100ms")
    with engine.connect() as reader:
        reader.begin()
        reader.execute(text("LOCK TABLE mentions IN ACCESS SHARE MODE"))  # what any long SELECT holds
        assert retention.drop_months_before(store, NOW - timedelta(days=400)) == 0
    assert "retention: mentions_y2025m01 stays until the next run" in caplog.text
    with engine.connect() as connection:
        assert month(2025, 1) in existing_months(connection)
    assert retention.drop_months_before(store, NOW - timedelta(days=400)) == 3
    with engine.connect() as connection:
        assert month(2025, 1) not in existing_months(connection)
