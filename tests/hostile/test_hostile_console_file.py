"""At-least-once delivery meets a file: a crash after the console notifier wrote the alert but
before the outbox marked it delivered must not leave the alert in the file twice (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.alerts.test_notifiers import build_notifier
from tests.alerts.test_render import make_alert


def _records(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_delivery_resent_after_a_crash_is_written_once(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    path = tmp_path / "alerts.jsonl"
    alert = make_alert()
    build_notifier("console", path=str(path)).send(alert)
    # kill -9 here: the outbox never marked it delivered, so the restarted daemon sends it again
    after_restart = build_notifier("console", path=str(path))
    after_restart.send(alert)
    after_restart.send(alert)
    assert [record["key"] for record in _records(path)] == [alert.key]
    assert _records(path)[0]["delivery_id"] == f"test-console/{alert.key}"
    assert capsys.readouterr().out.count("Negative spike for Acme") == 3  # the console may repeat


def test_follow_ups_of_the_same_window_are_separate_deliveries(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    notifier = build_notifier("console", path=str(path))
    notifier.send(make_alert())
    notifier.send(make_alert(kind="resolved"))
    assert [record["kind"] for record in _records(path)] == ["firing", "resolved"]


def test_a_line_torn_by_a_crash_does_not_swallow_the_next(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    path.write_text('{"delivery_id": "test-console/x", "key": "x"}\n{"delivery_id": "test-cons', encoding="utf-8")
    build_notifier("console", path=str(path)).send(make_alert())
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["key"] == make_alert().key
