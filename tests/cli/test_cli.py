"""The command line as a user calls it."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from listener.cli.main import main
from listener.core.records import Mention, Sentiment
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from tests.cli_helpers import write_cli_config
from tests.conftest import record_alert, utc


def write_config(tmp_path: Path) -> Path:
    return write_cli_config(tmp_path, f"sqlite:///{tmp_path / 'cli.db'}")


def seed(tmp_path: Path) -> None:
    store = Store(create_db_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    upgrade(store.engine)
    start = utc(2026, 11, 2, 9)
    labels = ["negative", "positive", "positive", "neutral", "negative"]
    mentions = [
        Mention("demo", str(i), f"acme post {i}", start + timedelta(minutes=30 * i)) for i in range(len(labels))
    ]
    store.store_batch("demo", "Acme", mentions, {})
    ids = [row_id for row_id, _ in store.unscored(10)]
    store.save_scores([(row_id, Sentiment(label, 0.0, 1.0)) for row_id, label in zip(ids, labels)], "test")
    store.engine.dispose()


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for command in ("run", "check-config", "history", "classify", "backtest", "db", "alerts"):
        assert f"  {command}" in result.output


def test_history_json_csv_and_table_agree(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    seed(tmp_path)
    runner = CliRunner()
    as_json = json.loads(runner.invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--format", "json"]).output)
    assert [row["bucket_start"] for row in as_json] == ["2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z"]
    assert [(row["mentions"], row["negative"], row["positive"]) for row in as_json] == [(2, 1, 1), (2, 0, 1), (1, 1, 0)]
    # One positive and one neutral mention: the neutral one counts like an NPS passive, so +50, not +100.
    assert [row["net_sentiment"] for row in as_json] == [0.0, 50.0, -100.0]
    as_csv = list(csv.DictReader(io.StringIO(
        runner.invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--format", "csv"]).output
    )))
    assert [int(row["mentions"]) for row in as_csv] == [2, 2, 1]
    table = runner.invoke(main, ["history", "--config", str(config), "--brand", "Acme", "--bucket", "day"])
    assert table.exit_code == 0 and "2026-11-02 00:00" in table.output and "+0.00" in table.output


def test_history_rejects_unknown_brand(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["history", "--config", str(write_config(tmp_path)), "--brand", "Initech"])
    assert result.exit_code == 2
    assert "brand 'Initech' is not in the config (known: Acme, Globex)" in result.output


def test_db_upgrade_says_it_created_the_schema_then_that_it_is_current(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from listener.storage.database import MIGRATIONS

    head = ",".join(sorted(ScriptDirectory(str(MIGRATIONS)).get_heads()))
    config = str(write_config(tmp_path))
    created = CliRunner().invoke(main, ["db", "upgrade", "--config", config])
    assert created.exit_code == 0, created.output
    assert created.output == f"created the database schema at revision {head}\n"
    assert (tmp_path / "cli.db").exists()
    again = CliRunner().invoke(main, ["db", "upgrade", "--config", config])
    assert again.output == f"database schema is up to date (revision {head})\n"


def test_check_config_counts_in_the_singular_too(tmp_path: Path) -> None:
    path = tmp_path / "one.toml"
    path.write_text(
        '[[brands]]\nname = "Acme"\nkeywords = ["acme"]\n[[sources]]\nname = "demo"\ntype = "demo"\n'
        '[[notifiers]]\nname = "console"\ntype = "console"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: OK (1 brand, 1 source, 1 notifier)" in result.output


def test_classify_skips_blank_lines(tmp_path: Path, monkeypatch) -> None:
    import classifiers

    seen: list[str] = []

    class Recording:
        def classify(self, texts: list[str]) -> list[Sentiment]:
            seen.extend(texts)
            return [Sentiment("neutral", 0.0, 1.0) for _ in texts]

    monkeypatch.setattr(classifiers, "load_classifier", lambda model: Recording())
    result = CliRunner().invoke(main, ["classify"], input="acme is fine\n\n   \r\nacme is down\n\n")
    assert result.exit_code == 0, result.output
    assert seen == ["acme is fine", "acme is down"]
    assert len(result.output.splitlines()) == 2


def test_history_since_until_accept_minutes(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    seed(tmp_path)
    result = CliRunner().invoke(
        main, ["history", "--config", str(config), "--brand", "Acme", "--since", "2026-11-02T10:00", "--until", "2026-11-02 10:59", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert [row["bucket_start"] for row in json.loads(result.output)] == ["2026-11-02T10:00:00Z"]


def test_alerts_list_shows_each_delivery_state(tmp_path: Path) -> None:
    from listener.core.records import Alert
    from listener.core.records import DetectorState

    config = write_config(tmp_path)
    seed(tmp_path)
    store = Store(create_db_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    start = utc(2026, 11, 2, 9)
    alert = Alert("Acme", "negative_spike", start, start + timedelta(minutes=15), 12, 1.5, 0.6, "critical", 0.99999)
    record_alert(store, "Acme", "negative_spike", DetectorState(start, start), alert, ["console", "team-slack"])
    (first, second) = store.due_deliveries(utc(2100, 1, 1))
    store.mark_delivered(first.id)
    store.mark_failed(second.id, "HTTP 404: no such webhook", None)
    result = CliRunner().invoke(main, ["alerts", "list", "--config", str(config)], terminal_width=200)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "Acme" in line]
    assert len(lines) == 2
    assert any("delivered" in line and "console" in line for line in lines)
    assert any("dead" in line and "HTTP 404" in line for line in lines)
    assert all("12 vs 1.5" in line and "critical" in line for line in lines)


def test_alerts_show_prints_one_message_whole_with_its_deliveries_or_why_it_was_not_sent(tmp_path: Path) -> None:
    """What the pager had to shorten, read in full from the record: the message's numbers and
    evidence, then each delivery; a message recorded without being sent says why instead.
    Brackets in text (a silence's reason is typed by staff) are printed, not read as markup."""
    from listener.core.records import Alert, AlertEvidence, DetectorState, QueuedMessage, VolumeContext

    config = write_config(tmp_path)
    seed(tmp_path)
    store = Store(create_db_engine(f"sqlite:///{tmp_path / 'cli.db'}"))
    start = utc(2026, 11, 2, 9)
    evidence = AlertEvidence(volume=VolumeContext(mentions=20, usual_mentions=10.0, usual_negative_share=0.25))
    sent = Alert("Acme", "negative_spike", start, start + timedelta(minutes=15), 12, 1.5, 0.6, "critical", 0.99999, evidence=evidence)
    record_alert(store, "Acme", "negative_spike", DetectorState(start, start), sent, ["console", "team-slack"])
    (first, second) = store.due_deliveries(utc(2100, 1, 1))
    store.mark_delivered(first.id)
    store.mark_failed(second.id, "HTTP 404: no such webhook", None)
    later = start + timedelta(hours=2)
    quiet = Alert("Acme", "negative_spike", later, later + timedelta(minutes=15), 9, 1.5, 0.5, "warning", 0.9999)
    store.record_alerting("Acme", {}, [], [QueuedMessage(quiet, (), "silence #1 by [bold]kim[/bold]: deploy")])
    ids = {alert.window_start: alert.id for alert in store.alerts("Acme")}

    result = CliRunner().invoke(main, ["alerts", "show", str(ids[start]), "--config", str(config)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("[CRITICAL] Negative spike for Acme: 12 negative mentions (8.0x expected)\n")
    assert "All mentions:      20 in the window, 2.0x the usual 10" in result.output
    assert "Negative share:    60% of mentions negative (usual 25%)" in result.output
    deliveries = [line for line in result.output.splitlines() if "Acme" in line and "vs 1.5" in line]
    assert len(deliveries) == 2 and any("dead" in line and "HTTP 404" in line for line in deliveries)

    result = CliRunner().invoke(main, ["alerts", "show", str(ids[later]), "--config", str(config)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "recorded, not delivered: silence #1 by [bold]kim[/bold]: deploy" in result.output
    listed = CliRunner().invoke(main, ["alerts", "list", "--config", str(config)], terminal_width=200).output
    assert any(line.split()[:4] == ["│", str(ids[later]), "│", "Acme"] for line in listed.splitlines() if "deploy" in line)

    result = CliRunner().invoke(main, ["alerts", "show", "999", "--config", str(config)])
    assert result.exit_code == 1 and "no alert message 999; `listener alerts list` shows their ids" in result.output


def test_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    config = write_cli_config(tmp_path, "postgresql://listener:s3cret@127.0.0.1:1/listener")
    for command in (["run", "--once"], ["history", "--brand", "Acme"], ["db", "upgrade"]):
        result = CliRunner().invoke(main, [*command[:1], *command[1:], "--config", str(config)])
        assert result.exit_code == 2, result.output
        assert "error: cannot open the database postgresql+psycopg://listener:***@127.0.0.1:1/listener" in result.output
        assert "s3cret" not in result.output


def test_a_command_logs_which_config_file_it_read(tmp_path: Path, monkeypatch, caplog) -> None:
    """Named with --config, through $LISTENER_CONFIG, or picked up from the current directory:
    one log line says which file the command read and how it was chosen."""
    config = write_config(tmp_path)
    seed(tmp_path)
    caplog.set_level(logging.INFO, logger="listener")
    monkeypatch.chdir(tmp_path)

    def logged(*arguments: str) -> list[str]:
        caplog.clear()
        result = CliRunner().invoke(main, ["history", "--brand", "Acme", *arguments])
        assert result.exit_code == 0, result.output
        return [record.getMessage() for record in caplog.records if record.getMessage().startswith("config:")]

    monkeypatch.setenv("LISTENER_CONFIG", str(config))
    assert logged("--config", str(config)) == [f"config: read {config} (--config)"]
    assert logged() == [f"config: read {config} ($LISTENER_CONFIG)"]
    monkeypatch.delenv("LISTENER_CONFIG")
    assert logged() == ["config: read listener.toml (found in the current directory)"]


def test_the_config_line_goes_to_stderr_and_leaves_stdout_clean(tmp_path: Path) -> None:
    """As a user runs it: `history --format json` still pipes into jq."""
    config = write_config(tmp_path)
    seed(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "listener", "history", "--config", str(config), "--brand", "Acme", "--format", "json"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )  # fmt: skip
    assert len(json.loads(result.stdout)) == 3
    assert f"config: read {config} (--config)" in result.stderr


class NeutralClassifier:
    """Stands in for the model in `run --once` tests: every text is neutral."""

    version = "neutral-test"

    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment("neutral", 0.0, 1.0) for _ in texts]


def write_once_config(folder: Path, extra: str = "") -> Path:
    """`folder/brand.toml`: relative storage and a file source, so both must resolve against it."""
    folder.mkdir(parents=True, exist_ok=True)
    recent = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (folder / "mentions.jsonl").write_text(
        "".join(json.dumps({"id": str(i), "date": recent, "text": f"acme post {i}"}) + "\n" for i in range(2))
    )
    path = folder / "brand.toml"
    path.write_text(
        '[storage]\nurl = "sqlite:///brand.db"\n\n[web]\nenabled = false\n'
        '\n[[brands]]\nname = "Acme"\nkeywords = ["acme"]\n'
        '\n[[sources]]\nname = "exports"\ntype = "file"\npath = "mentions.jsonl"\n' + extra
    )
    return path


def test_run_once_ends_with_a_summary_line_even_when_nothing_is_new(tmp_path: Path, monkeypatch) -> None:
    """Issue 17: `run --once` used to print nothing when nothing was new. It also reads its
    relative storage and file paths from the config's folder, not the current directory."""
    monkeypatch.setattr("listener.app.pipeline.load_classifier", lambda _config: NeutralClassifier())
    config = write_once_config(tmp_path / "other" / "dir")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    first = CliRunner().invoke(main, ["run", "--once", "--config", "../other/dir/brand.toml"])
    assert first.exit_code == 0, first.output
    assert "run --once: 2 new mentions, 2 scored, 0 alerts" in first.stdout
    second = CliRunner().invoke(main, ["run", "--once", "--config", str(config)])
    assert second.exit_code == 0, second.output
    assert "run --once: 0 new mentions, 0 scored, 0 alerts" in second.stdout
    assert (config.parent / "brand.db").exists()
    assert list(elsewhere.iterdir()) == []


class DownIsNegative:
    """Scores a text negative when it says "down", else neutral."""

    version = "down-test"

    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment("negative", -1.0, 1.0) if "down" in text else Sentiment("neutral", 0.0, 1.0) for text in texts]


def test_run_once_over_an_old_export_says_its_alerts_were_recorded_not_delivered(tmp_path: Path, monkeypatch) -> None:
    """Four days of exported mentions with an outage two days ago: the first run records the
    outage's incident as history and its summary says that nothing was sent."""
    monkeypatch.setattr("listener.app.pipeline.load_classifier", lambda _config: DownIsNegative())
    window = timedelta(minutes=15)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=4)
    outage = start + timedelta(days=2, hours=3)  # a day of seasonal surprises before it, as the alarm level needs
    rows = []
    for index in range(4 * 96 - 8):
        moment = start + index * window
        negatives = 20 if moment == outage else 1 + index % 2
        texts = ["acme is fine"] * 2 + ["acme is down again"] * negatives
        rows += [{"id": f"{index}-{n}", "date": (moment + timedelta(seconds=n)).isoformat(), "text": text} for n, text in enumerate(texts)]
    config = write_once_config(tmp_path, '\n[[notifiers]]\nname = "console"\ntype = "console"\n')
    (tmp_path / "mentions.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = CliRunner().invoke(main, ["run", "--once", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"run --once: {len(rows)} new mentions, {len(rows)} scored, 2 alerts (2 recorded, not delivered: " in result.stdout
    held = Store(create_db_engine(f"sqlite:///{tmp_path / 'brand.db'}")).suppressed_alerts()
    assert sorted((alert.kind, why) for alert, why in held) == [
        ("firing", "history: the window ended 24 h or more before the brand was first judged"),
        ("resolved", "no message of this incident was delivered"),
    ]


def test_run_once_exits_1_naming_the_failed_source_without_backing_off(tmp_path: Path, monkeypatch, caplog) -> None:
    monkeypatch.setattr("listener.app.pipeline.load_classifier", lambda _config: NeutralClassifier())
    config = write_once_config(
        tmp_path, '\n[[sources]]\nname = "news"\ntype = "rss"\nurls = ["http://127.0.0.1:1/feed.xml"]\ntimeout = 2\n'
    )
    caplog.set_level(logging.INFO)
    result = CliRunner().invoke(main, ["run", "--once", "--config", str(config)])
    assert result.exit_code == 1, result.output
    assert "run --once: 2 new mentions, 2 scored, 0 alerts; 1 source failed: news" in result.stdout
    logged = [record.getMessage() for record in caplog.records]
    assert any("news" in message and record.levelno == logging.ERROR for message, record in zip(logged, caplog.records))
    assert not any("backing off" in message for message in logged), logged


def test_run_once_with_a_missing_model_is_one_line_and_fails(tmp_path: Path, monkeypatch, caplog) -> None:
    """The model loads first, so this fails even though nothing was new to score."""
    from classifiers import ModelLoadError

    def missing(_config: object) -> None:
        raise ModelLoadError(f"model folder {str(tmp_path / 'no-such-model')!r} does not exist")

    monkeypatch.setattr("listener.app.pipeline.load_classifier", missing)
    config = write_once_config(tmp_path)
    (tmp_path / "mentions.jsonl").write_text("")
    caplog.set_level(logging.INFO)
    result = CliRunner().invoke(main, ["run", "--once", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert f"error: model folder '{tmp_path / 'no-such-model'}' does not exist" in result.output
    assert "Traceback" not in result.output
    assert not any(record.exc_info for record in caplog.records)
