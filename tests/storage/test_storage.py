"""Storage behaviour on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import inspect

from listener.core.records import Alert, Mention, Sentiment
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from listener.core.records import DetectorState
from tests.conftest import record_alert, utc

T0 = utc(2026, 11, 2, 10, 0)


def mention(external_id: str, text: str = "acme is great", minutes: float = 0, source: str = "demo") -> Mention:
    return Mention(
        source=source,
        external_id=external_id,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        author="someone",
        author_reach=100,
        url=f"https://example.invalid/{external_id}",
        language="en",
    )


def test_mention_stored_once_however_often_collected(store: Store) -> None:
    assert store.store_batch("demo", "Acme", [mention("1"), mention("2")], {"position": 2}) == 2
    assert store.store_batch("demo", "Acme", [mention("1"), mention("2"), mention("3")], {"position": 3}) == 1
    assert store.store_batch("demo", "Acme", [mention("3"), mention("3")], {"position": 3}) == 0
    assert store.count_mentions() == 3


def test_same_id_on_another_source_is_another_mention(store: Store) -> None:
    store.store_batch("demo", "Acme", [mention("1")], {})
    store.store_batch("other", "Acme", [mention("1", source="other")], {})
    assert store.count_mentions() == 2


def test_mention_of_two_brands_is_stored_once_and_counted_for_both(store: Store) -> None:
    both = mention("1", "switched from acme to globex")
    store.store_batch("demo", "Acme", [both], {})
    store.store_batch("demo", "Globex", [both], {})
    assert store.count_mentions() == 1
    for brand in ("Acme", "Globex"):
        assert sum(w.total for w in store.window_counts(brand, T0, T0 + timedelta(hours=1), timedelta(minutes=15))) == 1


def test_edited_mention_is_updated_and_rescored(store: Store) -> None:
    store.store_batch("demo", "Acme", [mention("1", "acme is great")], {})
    (mention_id, _), = store.unscored(10)
    store.save_scores([(mention_id, Sentiment("positive", 0.9, 0.95))], "test-model")
    assert store.unscored(10) == []
    store.store_batch("demo", "Acme", [mention("1", "acme is awful, edited")], {})
    assert store.unscored(10) == [(mention_id, "acme is awful, edited")]
    assert store.count_mentions() == 1


def test_cursor_survives_restart(database_url: str) -> None:
    first = Store(create_db_engine(database_url))
    upgrade(first.engine)
    first.store_batch("demo", "Acme", [mention("1")], {"since_id": "1", "position": 7})
    first.engine.dispose()
    second = Store(create_db_engine(database_url))
    upgrade(second.engine)
    assert second.get_cursor("demo", "Acme") == {"since_id": "1", "position": 7}
    assert second.get_cursor("demo", "Globex") is None


def test_window_counts_are_zero_filled_and_respect_boundaries(store: Store) -> None:
    batch = [mention("a", minutes=0), mention("b", minutes=14.99), mention("c", minutes=15), mention("d", minutes=46)]
    store.store_batch("demo", "Acme", batch, {})
    scores = {row_id: Sentiment("negative" if text else "neutral", -0.8, 0.9) for row_id, text in store.unscored(10)}
    store.save_scores(scores.items(), "m")
    counts = store.window_counts("Acme", T0, T0 + timedelta(hours=1), timedelta(minutes=15))
    assert [c.start for c in counts] == [T0 + timedelta(minutes=15 * i) for i in range(4)]
    assert [c.total for c in counts] == [2, 1, 0, 1]
    assert [c.negative for c in counts] == [2, 1, 0, 1]


def test_alert_recorded_once_with_one_delivery_per_notifier(store: Store) -> None:
    store.store_batch("demo", "Acme", [mention("1", "acme down")], {})
    alert = Alert("Acme", "negative_spike", T0, T0 + timedelta(minutes=15), 12, 1.5, 0.8, "critical", 0.9999)
    state = DetectorState(T0 + timedelta(minutes=15), T0)
    stored = record_alert(store, "Acme", "negative_spike", state, alert, ["console", "slack"])
    assert stored is not None and stored.id is not None
    assert record_alert(store, "Acme", "negative_spike", state, alert, ["console", "slack"]) is None
    due = store.due_deliveries(utc(2100, 1, 1))
    assert sorted(d.notifier for d in due) == ["console", "slack"]
    store.mark_delivered(due[0].id)
    store.mark_failed(due[1].id, "boom", None)
    assert store.due_deliveries(utc(2100, 1, 1)) == []
    assert sorted(s.status for s in store.delivery_statuses()) == ["dead", "delivered"]


PARTITIONED_LAYOUT = {
    # A partitioned table's keys hold the partition key (listener/storage/partitions.py).
    ("remove_fk", "mention_brands", ("mention_id", "created_at"), "mentions"),
    ("add_fk", "mention_brands", ("mention_id",), "mentions"),
    ("add_fk", "mention_topics", ("mention_id",), "mentions"),
    ("remove_constraint", "mentions", ("source", "external_id", "created_at"), None),
    ("add_constraint", "mentions", ("source", "external_id"), None),
}
"""How PostgreSQL's monthly partitioned tables differ from the models, which describe SQLite's."""


def test_migrations_match_models(database_url: str) -> None:
    """The Alembic history creates exactly the tables the models declare (on PostgreSQL, with the
    partitioned layout's keys and nothing else different)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from listener.storage.schema import Base

    def is_partition(name: str | None) -> bool:
        return bool(re.fullmatch(r"(mentions|mention_brands)_y\d{4}m\d{2}", name or ""))

    engine = create_db_engine(database_url)
    upgrade(engine)
    context_options = {"include_name": lambda name, kind, parents: not (kind == "table" and is_partition(name))}
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts=context_options), Base.metadata)
    described = set()
    for kind, item in differences:
        referred = item.referred_table.name if kind.endswith("_fk") else None
        if not is_partition(referred):  # each month's partition has its own copy of the key
            described.add((kind, item.table.name, tuple(column.name for column in item.columns), referred))
    assert described == (PARTITIONED_LAYOUT if engine.dialect.name == "postgresql" else set())
    assert {"mentions", "mention_brands", "cursors", "alerts", "outbox", "detector_state"} <= set(
        inspect(engine).get_table_names()
    )


def test_mention_scored_for_one_brand_is_not_unscored_for_the_next(store: Store) -> None:
    """A mention first collected for Globex and scored, then collected for Acme, carries its label."""
    both = mention("1", "switched from acme to globex")
    store.store_batch("demo", "Globex", [both], {})
    (row_id, _), = store.unscored(10)
    store.save_scores([(row_id, Sentiment("negative", -0.7, 0.8))], "m")
    store.store_batch("demo", "Acme", [both], {})
    assert store.oldest_unscored("Acme") is None
    (window,) = store.window_counts("Acme", T0, T0 + timedelta(minutes=15), timedelta(minutes=15))
    assert window.negative == 1


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    from sqlalchemy import text

    engine = create_db_engine(f"sqlite:///{tmp_path / 'nested' / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_bare_postgresql_url_uses_psycopg3() -> None:
    from listener.storage.database import normalise_url

    assert normalise_url("postgresql://user:pw@db/listener").startswith("postgresql+psycopg://user:pw@db/")
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_migrations_downgrade_to_empty_and_back(database_url: str) -> None:
    from alembic import command

    from listener.storage.database import alembic_config

    engine = create_db_engine(database_url)
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "mentions" in inspect(engine).get_table_names()


def test_undated_mentions_are_stored_but_left_out_of_the_alert_windows(store: Store) -> None:
    """A feed entry without a date is stamped with the poll time; a backlog of them lands in one
    window, so the alert rules must not count them (they are still stored and shown)."""
    batch = [mention("dated", minutes=1)] + [replace(mention(f"undated-{i}", minutes=2), undated=True) for i in range(3)]
    store.store_batch("news", "Acme", batch, {})
    store.save_scores([(row_id, Sentiment("negative", -0.8, 0.9)) for row_id, _ in store.unscored(10)], "m")
    assert store.count_mentions() == 4
    window = store.window_counts("Acme", T0, T0 + timedelta(minutes=15), timedelta(minutes=15))
    assert [(c.total, c.negative) for c in window] == [(1, 1)]
    split = store.window_counts_split("Acme", T0, T0 + timedelta(minutes=15), timedelta(minutes=15), ("source",))
    assert [(c.total, c.negative) for c in split[("demo",)]] == [(1, 1)]
    assert store.mention_counts_by("Acme", T0, T0 + timedelta(minutes=15), "source") == [("demo", 1)]
    assert [m.external_id for m in store.top_negative_mentions("Acme", T0, T0 + timedelta(minutes=15), 10)] == ["dated"]
