"""The demo source: releases mentions as the clock passes them, resumes from its cursor."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

from listener.core.clock import ManualClock
from listener.config import BrandConfig
from listener.sources import COLLECTORS, SourceContext
from tests.conftest import utc

ACME = BrandConfig(name="Acme", keywords=("acme",))


def record(number: int, minute: int, text: str) -> str:
    return json.dumps({"id": f"r{number}", "created_at": f"2026-11-02T10:{minute:02d}:00Z", "text": text, "author": "a"})


def collector_for(path: Path, clock: ManualClock, **settings):
    demo = COLLECTORS.get("demo")
    return demo.build(SourceContext("replay", demo.settings_model.model_validate({"data": str(path), **settings}), clock))


def test_releases_mentions_as_time_passes_and_resumes_from_cursor(tmp_path: Path) -> None:
    path = tmp_path / "replay.jsonl"
    path.write_text("\n".join([record(1, 0, "acme one"), record(2, 5, "globex only"), record(3, 10, "acme three")]) + "\n")
    clock = ManualClock(utc(2026, 11, 2, 10, 4))
    collector = collector_for(path, clock)
    first = collector.fetch(ACME, None)
    assert [m.external_id for m in first.mentions] == ["r1"]
    assert collector.fetch(ACME, first.cursor).mentions == []
    clock.advance(timedelta(minutes=10))
    second = collector.fetch(ACME, first.cursor)
    assert [m.external_id for m in second.mentions] == ["r3"]


def test_max_per_poll_splits_a_backlog_without_losing_any(tmp_path: Path) -> None:
    path = tmp_path / "replay.jsonl"
    path.write_text("\n".join(record(i, i, f"acme {i}") for i in range(7)) + "\n")
    collector = collector_for(path, ManualClock(utc(2026, 11, 3)), max_per_poll=3)
    cursor, seen = None, []
    for _ in range(4):
        result = collector.fetch(ACME, cursor)
        seen += [m.external_id for m in result.mentions]
        cursor = result.cursor
    assert seen == [f"r{i}" for i in range(7)]


def test_malformed_lines_are_logged_and_skipped(tmp_path: Path, caplog) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join([record(1, 0, "acme fine"), "{not json", '{"id": "x", "text": "acme"}', record(4, 1, "acme also fine")]))
    with caplog.at_level(logging.WARNING):
        result = collector_for(path, ManualClock(utc(2026, 11, 3))).fetch(ACME, None)
    assert [m.external_id for m in result.mentions] == ["r1", "r4"]
    skipped = [r.getMessage() for r in caplog.records]
    assert any("line 2 skipped: JSONDecodeError" in message for message in skipped)
    assert any("line 3 skipped: KeyError" in message for message in skipped)
