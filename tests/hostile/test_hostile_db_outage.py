"""A database outage is logged when it starts (with the traceback), then one line a minute, then
its recovery: not a traceback every processing pass (issue 18)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from listener.core.clock import ManualClock
from listener.core.outage import OutageLog, one_line
from listener.app.pipeline import Pipeline
from listener.app.scheduler import Scheduler
from tests.conftest import utc


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _refused(*_args: object, **_kwargs: object) -> None:
    raise OperationalError("SELECT mentions.id FROM mentions", {}, ConnectionRefusedError("connection refused\nDETAIL: more"))


def test_two_minutes_of_outage_every_two_seconds_log_one_traceback_two_lines_and_the_recovery(
    make_config, tmp_path, caplog, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = Pipeline(make_config(storage={"url": f"sqlite:///{tmp_path / 'db.sqlite'}"}),
                        clock=ManualClock(utc(2026, 11, 2)), notifiers={})
    clock = FakeMonotonic()
    pipeline.database_outage.clock = clock
    scheduler = Scheduler(pipeline)
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(pipeline.store, "mentions_to_score", _refused)
    for _ in range(61):  # 0 s .. 120 s, every 2 s
        scheduler.run_process()
        clock.now += 2
    monkeypatch.undo()
    scheduler.run_process()

    records = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(records) == 4, [record.getMessage() for record in records]
    first, *minutes, recovered = records
    assert first.exc_info is not None and "ConnectionRefusedError: connection refused" in first.getMessage()
    assert [record.exc_info for record in minutes] == [None, None]
    assert "still failing (31 attempts over 0:01:00)" in minutes[0].getMessage()
    assert "still failing (61 attempts over 0:02:00)" in minutes[1].getMessage()
    assert "recovered after 0:02:02 (61 failed attempts)" in recovered.getMessage() and recovered.exc_info is None
    assert "SELECT" not in "".join(record.getMessage() for record in records)


def test_an_outage_log_starts_again_after_a_recovery(caplog) -> None:
    clock = FakeMonotonic()
    outage = OutageLog(logging.getLogger("test.outage"), "polling", clock=clock)
    caplog.set_level(logging.INFO)
    error = RuntimeError("down")
    outage.failed(error)
    outage.succeeded()
    outage.succeeded()
    outage.failed(error)
    assert [record.levelname for record in caplog.records] == ["ERROR", "WARNING", "ERROR"]
    assert caplog.records[2].exc_info is not None


def test_one_line_drops_the_sql_and_the_background_link() -> None:
    try:
        _refused()
    except OperationalError as error:
        assert one_line(error) == "ConnectionRefusedError: connection refused"
