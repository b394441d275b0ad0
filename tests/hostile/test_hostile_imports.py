"""Hostile import files: a bad row is logged with its file and line and skipped, the rows around it
are stored, and the next poll goes on past it, on SQLite and PostgreSQL.

Each file in import/ holds a good row `before`, the hostile row, and a good row `after` (a CSV file
has its header first, so the hostile row is line 3 there and line 2 in JSONL). A row whose counts
are only too large is kept with them clamped to what the columns hold (its id is `huge`).
"""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.core.clock import ManualClock
from listener.core.limits import MAX_COUNT, MAX_REACH
from listener.core.records import Mention
from listener.app.pipeline import Pipeline
from listener.storage.repository import Store
from tests.conftest import utc

CORPUS = Path(__file__).parent / "import"
NOW = utc(2026, 11, 10)

SKIPPED = {
    "date-infinity.jsonl": (2, "RowError: date inf is out of range"),
    "date-1e20.jsonl": (2, "RowError: date 1e+20 is out of range"),
    "date-year-1-with-offset.jsonl": (2, "RowError: date '0001-01-01T00:00:00+05:00' is out of range"),
    "date-year-9999-with-offset.jsonl": (2, "RowError: date '9999-12-31T23:00:00-05:00' is out of range"),
    "date-year-2999.jsonl": (2, "outside 1970-2200"),
    "date-before-1990.jsonl": (2, "before 1990"),
    "date-next-year.jsonl": (2, "dated 2027-06-01 00:00 UTC, after 2026-11-11 00:00 UTC (the clock plus [clock] max_future)"),
    "id-lone-surrogate.jsonl": (2, "contains a lone surrogate"),
    "id-nul.jsonl": (2, "contains a NUL character"),
    "id-300-characters.jsonl": (2, "id of 300 characters (at most 200)"),
    "nested-20000-deep.jsonl": (2, "RecursionError"),
    "date-year-1.csv": (3, "outside 1970-2200"),
    "id-nul.csv": (3, "contains a NUL character"),
    "unbalanced-quote-near-the-end.csv": (3, "unbalanced quote"),
    "binary-line.csv": (3, "unbalanced quote"),
}
"""file -> the line skipped, and what its log line says"""

CLAMPED = {
    "followers-1e999.jsonl": ("author_reach", MAX_REACH),
    "followers-inf-text.jsonl": ("author_reach", MAX_REACH),
    "followers-10e30.jsonl": ("author_reach", MAX_REACH),
    "likes-10e20.jsonl": ("likes", MAX_COUNT),
    "likes-3e9.jsonl": ("likes", MAX_COUNT),
    "likes-1e999.csv": ("likes", MAX_COUNT),
}
"""file -> the column of row `huge` that is clamped, and the value stored"""


def test_every_corpus_file_has_a_case() -> None:
    assert sorted(path.name for path in CORPUS.iterdir()) == sorted([*SKIPPED, *CLAMPED, "utf-16.csv"])


def importing(path: Path, store: Store, make_config) -> Pipeline:
    config = make_config(sources=[{"name": "import", "type": "file", "path": str(path), "interval": "1m"}])
    return Pipeline(config, clock=ManualClock(NOW), store=store, notifiers={})


def stored(store: Store) -> dict[str, tuple[int, int | None]]:
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT external_id, likes, author_reach FROM mentions").all()
    return {row[0]: (row[1], row[2]) for row in rows}


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize("name", sorted(SKIPPED))
def test_a_bad_row_is_logged_with_its_line_and_skipped(
    name: str, store: Store, make_config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    pipeline = importing(path, store, make_config)
    with caplog.at_level(logging.WARNING):
        assert pipeline.collect("import")["Acme"] == 2
    assert sorted(stored(store)) == ["after", "before"]
    line, reason = SKIPPED[name]
    assert any(f"import: {name} line {line} skipped: " in message and reason in message for message in warnings(caplog))
    assert pipeline.collect("import")["Acme"] == 0  # the cursor moved past it


@pytest.mark.parametrize("name", sorted(CLAMPED))
def test_counts_past_their_column_are_clamped(name: str, store: Store, make_config, tmp_path: Path) -> None:
    path = tmp_path / name
    shutil.copy(CORPUS / name, path)
    assert importing(path, store, make_config).collect("import")["Acme"] == 3
    likes, reach = stored(store)["huge"]
    column, value = CLAMPED[name]
    assert (likes if column == "likes" else reach) == value


def test_a_utf16_csv_is_read_like_utf8(store: Store, make_config, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "utf-16.csv"
    shutil.copy(CORPUS / "utf-16.csv", path)
    with caplog.at_level(logging.WARNING):
        assert importing(path, store, make_config).collect("import")["Acme"] == 2
    assert stored(store) == {"before": (1, None), "after": (2, None)}
    assert warnings(caplog) == []


def test_a_utf16_csv_that_grows_is_read_on_from_its_cursor(store: Store, make_config, tmp_path: Path) -> None:
    path = tmp_path / "utf-16.csv"
    shutil.copy(CORPUS / "utf-16.csv", path)
    pipeline = importing(path, store, make_config)
    assert pipeline.collect("import")["Acme"] == 2
    with path.open("ab") as handle:
        handle.write("later,2026-11-02T11:00:00Z,acme three,3\r\n".encode("utf-16-le"))
    assert pipeline.collect("import")["Acme"] == 1
    assert sorted(stored(store)) == ["after", "before", "later"]


def test_a_10_mb_field_costs_its_row(store: Store, make_config, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "huge-field.csv"
    path.write_text(
        "id,date,text\nbefore,2026-11-02T10:00:00Z,acme one\n"
        f"bad,2026-11-02T10:02:00Z,acme {'x' * 10_000_000}\n"
        "after,2026-11-02T10:05:00Z,acme two\n",
        encoding="utf-8",
    )
    pipeline = importing(path, store, make_config)
    with caplog.at_level(logging.WARNING):
        assert pipeline.collect("import")["Acme"] == 2
    assert sorted(stored(store)) == ["after", "before"]
    assert any("huge-field.csv line 3 skipped: " in m and "field larger than field limit" in m for m in warnings(caplog))


@pytest.mark.parametrize(
    ("hostile", "reason"),
    [
        (Mention("import", "b" * 201, "acme", utc(2026, 11, 2)), "id of 201 characters"),
        (Mention("import", "bad\x00", "acme", utc(2026, 11, 2)), "NUL character"),
        (Mention("import", "bad\ud800", "acme", utc(2026, 11, 2)), "lone surrogate"),
        (Mention("import", "bad", "acme", datetime(1, 1, 1, tzinfo=UTC)), "outside 1970-2200"),
        (Mention("import", "bad", "acme", datetime(9999, 12, 31, tzinfo=UTC)), "outside 1970-2200"),
    ],
)
def test_the_store_leaves_out_a_mention_its_columns_cannot_hold(
    hostile: Mention, reason: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Not only imports: whatever calls the one write path, one such mention cannot fail the batch."""
    good = [Mention("import", "before", "acme one", utc(2026, 11, 2)), Mention("import", "after", "acme two", utc(2026, 11, 2))]
    huge = Mention("import", "huge", "acme huge", utc(2026, 11, 2), author_reach=10**30, likes=3 * 10**9, shares=-5)
    with caplog.at_level(logging.WARNING):
        assert store.store_batch("import", "Acme", [good[0], hostile, huge, good[1]], {"at": 1}) == 3
    assert stored(store) == {"before": (0, None), "huge": (MAX_COUNT, MAX_REACH), "after": (0, None)}
    assert store.get_cursor("import", "Acme") == {"at": 1}
    assert any("not stored" in message and reason in message for message in warnings(caplog))
