"""File import: CSV/JSONL exports read incrementally, with restarts, rotation and bad rows."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from listener.core.clock import SystemClock
from listener.config import BrandConfig
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured
from listener.storage.repository import Store

FIXTURES = Path(__file__).parent.parent / "fixtures" / "import"
ACME = BrandConfig(name="Acme", keywords=("acme",))


def importer(path: Path | str, **settings: Any):
    plugin = COLLECTORS.get("file")
    validated = plugin.settings_model.model_validate({"path": str(path), **settings})
    return plugin.build(SourceContext("import", validated, SystemClock()))


def test_brandwatch_csv_columns_are_mapped_and_naive_times_use_the_zone(tmp_path: Path, caplog) -> None:
    path = tmp_path / "export.csv"
    shutil.copy(FIXTURES / "brandwatch.csv", path)
    with caplog.at_level(logging.WARNING):
        result = importer(path, timezone="Europe/Berlin").fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == ["1001", "1002"]
    tweet = by_id["1001"]
    assert tweet.text == "acme is down, again 😤"  # Full Text wins over Snippet
    assert tweet.created_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert (tweet.author, tweet.author_reach, tweet.language) == ("kim_dev", 1264, "en")
    assert (tweet.likes, tweet.shares, tweet.replies) == (5, 2, 1)
    assert tweet.url == "https://x.com/kim/status/1001"
    review = by_id["1002"]
    assert review.text == "Acme review\nWe tried Acme for a month.\nVerdict: \u200fgreat\u200f support."
    assert (review.author_reach, review.likes) == (None, 0)
    messages = [record.getMessage() for record in caplog.records]
    assert any("export.csv line 9 skipped: RowError: unreadable date 'not a date'" in m for m in messages)
    assert any("export.csv line 10 skipped: RowError: 7 fields where the header has 15" in m for m in messages)


def test_jsonl_keys_are_matched_case_insensitively_and_bad_lines_skipped(tmp_path: Path, caplog) -> None:
    path = tmp_path / "mentions.jsonl"
    shutil.copy(FIXTURES / "mentions.jsonl", path)
    with caplog.at_level(logging.WARNING):
        result = importer(path).fetch(ACME, None)
    assert [m.external_id for m in result.mentions] == ["j1", "j2"]
    first, second = result.mentions
    assert (first.author_reach, first.likes, first.language) == (310, 3, "en")
    assert second.text == "Acme & friends"
    assert second.created_at == datetime(2026, 11, 2, 10, 30, tzinfo=UTC)
    assert second.author_reach == 12
    messages = [record.getMessage() for record in caplog.records]
    assert any("line 3 skipped: RowError: expected a JSON object, got list" in m for m in messages)
    assert any("line 4 skipped: RowError: no text" in m for m in messages)
    assert any("line 5 skipped: JSONDecodeError" in m for m in messages)


def test_cursor_resumes_after_restart_reading_only_appended_rows(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "export.csv"
    shutil.copy(FIXTURES / "brandwatch.csv", path)
    first = importer(path).fetch(ACME, None)
    assert store.store_batch("import", "Acme", first.mentions, first.cursor) == 2

    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write('1005,2026-11-02 13:00:00.0,,https://x.com/c/status/1005,x.com,neutral,acme ok,acme ok now,c,,,en,0,0,0\r\n')
        handle.write('1006,2026-11-02 13:05:00.0,,https://x.com/d/status/1006,x.com,neutral,acme,"acme half')  # mid-write
    second = importer(path).fetch(ACME, store.get_cursor("import", "Acme"))
    assert [m.external_id for m in second.mentions] == ["1005"]
    assert store.store_batch("import", "Acme", second.mentions, second.cursor) == 1

    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write(' written",d,,,en,0,0,0\r\n')
    third = importer(path).fetch(ACME, store.get_cursor("import", "Acme"))
    assert [(m.external_id, m.text) for m in third.mentions] == [("1006", "acme half written")]
    assert store.store_batch("import", "Acme", third.mentions, third.cursor) == 1
    assert importer(path).fetch(ACME, store.get_cursor("import", "Acme")).mentions == []


def test_replaced_or_truncated_file_is_read_again_without_duplicates(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "a", "date": "2026-11-02T10:00:00Z", "text": "acme one"}\n'
                    '{"id": "b", "date": "2026-11-02T10:01:00Z", "text": "acme two"}\n', encoding="utf-8")
    first = importer(path).fetch(ACME, None)
    assert store.store_batch("import", "Acme", first.mentions, first.cursor) == 2
    # A new export replaces the file: the same first line, different rows after it.
    path.write_text('{"id": "a", "date": "2026-11-02T10:00:00Z", "text": "acme one"}\n'
                    '{"id": "c", "date": "2026-11-02T10:02:00Z", "text": "acme three, a longer row than before"}\n',
                    encoding="utf-8")
    second = importer(path).fetch(ACME, store.get_cursor("import", "Acme"))
    assert [m.external_id for m in second.mentions] == ["a", "c"]
    assert store.store_batch("import", "Acme", second.mentions, second.cursor) == 1
    path.write_text('{"id": "a", "date": "2026-11-02T10:00:00Z", "text": "acme one"}\n', encoding="utf-8")
    third = importer(path).fetch(ACME, store.get_cursor("import", "Acme"))
    assert [m.external_id for m in third.mentions] == ["a"]
    assert store.store_batch("import", "Acme", third.mentions, third.cursor) == 0


def test_partial_jsonl_line_waits_for_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text('{"id": "a", "date": "2026-11-02T10:00:00Z", "text": "acme one"}\n{"id": "b", "da', encoding="utf-8")
    collector = importer(path)
    first = collector.fetch(ACME, None)
    assert [m.external_id for m in first.mentions] == ["a"]
    with path.open("a", encoding="utf-8") as handle:
        handle.write('te": "2026-11-02T10:01:00+02:00", "text": "acme two"}\n')
    second = collector.fetch(ACME, first.cursor)
    assert [(m.external_id, m.created_at) for m in second.mentions] == [("b", datetime(2026, 11, 2, 8, 1, tzinfo=UTC))]


def test_glob_reads_every_file_and_max_rows_splits_without_loss(tmp_path: Path) -> None:
    for number in range(3):
        (tmp_path / f"part-{number}.jsonl").write_text(
            "".join(f'{{"id": "{number}-{row}", "date": "2026-11-02T10:0{row}:00Z", "text": "acme {row}"}}\n' for row in range(4)),
            encoding="utf-8",
        )
    collector = importer(tmp_path / "part-*.jsonl", max_rows_per_poll=5)
    cursor, seen = None, []
    for _ in range(4):
        result = collector.fetch(ACME, cursor)
        seen += [m.external_id for m in result.mentions]
        cursor = result.cursor
    assert sorted(seen) == sorted(f"{n}-{r}" for n in range(3) for r in range(4))
    assert len(seen) == 12


def test_rows_without_an_id_get_a_stable_one(tmp_path: Path) -> None:
    path = tmp_path / "brand24.csv"
    path.write_text("Date;Title;Content;Author;Reach\n02.11.2026 10:00;;Acme rocks;eva;1 500\n", encoding="utf-8")
    first = importer(path, day_first=True).fetch(ACME, None).mentions
    again = importer(path, day_first=True).fetch(ACME, None).mentions
    assert first[0].external_id.startswith("sha:") and first[0].external_id == again[0].external_id
    assert (first[0].created_at, first[0].author_reach) == (datetime(2026, 11, 2, 10, 0, tzinfo=UTC), 1500)


def test_missing_file_and_unknown_header_are_misconfigured(tmp_path: Path) -> None:
    with pytest.raises(SourceMisconfigured, match="no such file"):
        importer(tmp_path / "nope.csv").fetch(ACME, None)
    assert importer(tmp_path / "*.csv").fetch(ACME, None).mentions == []
    odd = tmp_path / "odd.csv"
    odd.write_text("when,what\n2026-11-02,acme\n", encoding="utf-8")
    with pytest.raises(SourceMisconfigured, match="no header row"):
        importer(odd).fetch(ACME, None)
    result = importer(odd, columns={"date": "when", "text": "What"}).fetch(ACME, None)
    assert [m.text for m in result.mentions] == ["acme"]
    assert "date=when" in importer(odd, columns={"date": "when", "text": "What"}).check(ACME)


def test_settings_are_validated() -> None:
    model = COLLECTORS.get("file").settings_model
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        model.model_validate({"path": "x.csv", "timezone": "Mars/Olympus"})
    with pytest.raises(ValidationError, match="unknown field"):
        model.model_validate({"path": "x.csv", "columns": {"body": "Text"}})


def test_a_stray_quote_costs_one_line_not_the_rest_of_the_file(tmp_path: Path, caplog) -> None:
    path = tmp_path / "stray.csv"
    rows = [f"2026-11-02T10:00:00Z,acme row {n}" for n in range(150)]
    rows[1] = '2026-11-02T10:00:00Z,"acme 5 inch screen'
    path.write_text("date,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        result = importer(path).fetch(ACME, None)
    assert len(result.mentions) == 149
    assert any("stray.csv line 3 skipped: RowError: unbalanced quote" in r.getMessage() for r in caplog.records)


def test_imported_language_tags_are_stored_as_bcp47_primary_subtags(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(
        '{"id": "l1", "created_at": "2026-11-02T10:00:00Z", "text": "acme rocks", "language": "en_US"}\n'
        '{"id": "l2", "created_at": "2026-11-02T10:01:00Z", "text": "acme bagus", "language": "in"}\n',
        encoding="utf-8",
    )
    result = importer(path).fetch(ACME, None)
    assert [mention.language for mention in result.mentions] == ["en", "id"]
