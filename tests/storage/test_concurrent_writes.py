"""Writers that run at once in the daemon (a collect job storing, the process job scoring) never
lose a label or a rollup count, whichever order their statements interleave in.

Each test pauses one writer just before a chosen statement (an SQLAlchemy statement event, no
mock), runs the other writer until it has finished or is waiting on the first one's lock, then
lets the first go on: the interleaving is forced, not left to the scheduler's luck.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from sqlalchemy import Engine, event, select, text

from listener.core.records import Sentiment
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from listener.storage.schema import MentionBrandRow, MentionRow
from tests.storage.test_rollups import assert_rollups_match_raw, ids_by_external, mention

PATIENCE = 30.0
"""Seconds a test waits for a step that should happen promptly before failing (a hang guard only)."""


class Worker(threading.Thread):
    """A thread that keeps its target's exception for `finish` to re-raise."""

    def __init__(self, target: Callable[[], Any]):
        super().__init__(daemon=True)
        self._target_call = target
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self._target_call()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            self.error = error
        finally:
            self.done.set()

    def finish(self) -> None:
        self.join(PATIENCE)
        assert not self.is_alive(), "worker did not finish"
        if self.error is not None:
            raise self.error


class Pause:
    """Holds the first statement on `engine` that starts with `statement_start` until `resume`."""

    def __init__(self, engine: Engine, statement_start: str):
        self.engine = engine
        self.statement_start = statement_start.upper()
        self.reached = threading.Event()
        self.resume = threading.Event()
        self.holds_write_lock = False
        """Whether the paused transaction had written (SQLite: holds the database's write lock)."""

    def hold(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(self.statement_start) and not self.reached.is_set():
            if self.engine.dialect.name == "sqlite":
                self.holds_write_lock = connection.connection.dbapi_connection.in_transaction
            self.reached.set()
            assert self.resume.wait(PATIENCE), "the test never resumed the paused statement"

    @contextmanager
    def installed(self) -> Iterator[Pause]:
        event.listen(self.engine, "before_cursor_execute", self.hold)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self.hold)


WRITES = ("BEGIN IMMEDIATE", "INSERT", "UPDATE", "DELETE")


class SecondWriter:
    """A Store on its own engine (its own connections) that can tell when it waits on a lock.

    On PostgreSQL the server says whether its backend waits on a lock. SQLite has one writer at a
    time: the second writer waits exactly when it is about to write while the paused writer
    holds the write lock (its reads do not wait, in WAL mode).
    """

    def __init__(self, url: str):
        self.engine = create_db_engine(url)
        self.store = Store(self.engine)
        self.about_to_write = threading.Event()
        self._backend_pids: list[int] = []
        self._monitor = create_db_engine(url) if self.engine.dialect.name == "postgresql" else None

        @event.listens_for(self.engine, "connect")
        def _connected(dbapi_connection: Any, _record: Any) -> None:
            if self._monitor is not None:
                self._backend_pids.append(dbapi_connection.info.backend_pid)

        @event.listens_for(self.engine, "before_cursor_execute")
        def _executing(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith(WRITES):
                self.about_to_write.set()

    def waits_on(self, pause: Pause) -> bool:
        if self._monitor is None:
            return pause.holds_write_lock and self.about_to_write.is_set()
        with self._monitor.connect() as connection:
            waiting = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids) AND wait_event_type = 'Lock'"),
                {"pids": self._backend_pids},
            ).scalar_one()
        return bool(waiting)

    def dispose(self) -> None:
        self.engine.dispose()
        if self._monitor is not None:
            self._monitor.dispose()


def run_interleaved(first_engine: Engine, pause_at: str, first: Callable[[], Any], second: SecondWriter,
                    second_operation: Callable[[Store], Any]) -> None:
    """Run `first` until it is about to execute `pause_at`; run the second writer until it is done
    or waits on `first`'s lock; then let `first` finish, and the second after it."""
    with Pause(first_engine, pause_at).installed() as pause:
        first_worker = Worker(first)
        first_worker.start()
        assert pause.reached.wait(PATIENCE), f"the first writer never reached {pause_at!r}"
        second_worker = Worker(lambda: second_operation(second.store))
        second_worker.start()
        while not second_worker.done.wait(0.01):
            if second.waits_on(pause):
                break
        else:
            second_worker.finish()  # surfaces its error, if it failed instead of finishing
        pause.resume.set()
        first_worker.finish()
        second_worker.finish()


def link_labels(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as connection:
        return dict(connection.execute(select(MentionBrandRow.brand, MentionBrandRow.sentiment_label)).all())


@pytest.mark.parametrize(
    "paused, pause_at",
    [("collector", "INSERT INTO mention_brands"), ("scorer", "UPDATE mention_brands")],
    ids=["scores-commit-while-linking", "link-while-scores-uncommitted"],
)
def test_mention_scored_while_a_second_brand_links_it_is_labelled_for_both(
    database_url: str, paused: str, pause_at: str
) -> None:
    """The lost label of issue 11: Globex's poll stored the mention, the process job began scoring
    it, Acme's poll read it still unscored, the scores committed, and Acme's link was written with
    the stale NULL label. The mention counted as scored, so nothing ever labelled that link, and
    Acme's detection waited on it forever. Both orders are forced: the scores commit while Acme's
    poll is about to link, or Acme's poll runs while the scores are written but not committed."""
    engine = create_db_engine(database_url)
    upgrade(engine)
    first = Store(engine)
    both = mention("1", "acme vs globex: acme wins")
    first.store_batch("demo", "Globex", [both], {})
    (mention_id,) = ids_by_external(first).values()

    def link(store: Store) -> None:
        store.store_batch("demo", "Acme", [both], {})

    def score(store: Store) -> None:
        store.save_scores([(mention_id, Sentiment("positive", 0.8, 0.9))], "m")

    first_operation, second_operation = (link, score) if paused == "collector" else (score, link)
    second = SecondWriter(database_url)
    try:
        run_interleaved(engine, pause_at, lambda: first_operation(first), second, second_operation)
        assert link_labels(engine) == {"Globex": "positive", "Acme": "positive"}
        assert first.oldest_unscored("Acme") is None
        assert_rollups_match_raw(engine)
    finally:
        second.dispose()
        engine.dispose()


def test_mention_scored_while_being_deleted_leaves_rollups_equal_to_rows(database_url: str) -> None:
    engine = create_db_engine(database_url)
    upgrade(engine)
    collector = Store(engine)
    collector.store_batch("demo", "Acme", [mention("1"), mention("2", minutes=5)], {})
    ids = ids_by_external(collector)
    scorer = SecondWriter(database_url)
    try:
        run_interleaved(
            engine,
            "DELETE FROM mention_brands",
            lambda: collector.delete_mentions([ids["1"]]),
            scorer,
            lambda store: store.save_scores(
                [(ids["1"], Sentiment("negative", -0.5, 0.9)), (ids["2"], Sentiment("neutral", 0.0, 0.9))], "m"
            ),
        )
        with engine.connect() as connection:
            assert connection.execute(select(MentionRow.sentiment_label)).scalars().all() == ["neutral"]
        assert_rollups_match_raw(engine)
    finally:
        scorer.dispose()
        engine.dispose()
