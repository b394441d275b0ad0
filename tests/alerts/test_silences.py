"""Silences: stored by the CLI or declared in config; silenced incidents are recorded, not delivered."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from listener.cli.main import main
from listener.core.clock import utcnow
from listener.storage.database import open_database
from listener.storage.repository import Store
from tests.conftest import utc
from tests.alerts.test_engine import BASELINE, WINDOW, add_counts, policy, run

START = utc(2026, 11, 2)
SPIKE = START + len(BASELINE) * WINDOW
WALL = utc(2026, 11, 23, 14)
"""The real time silences are matched against, unrelated to the mentions' time."""


def due(store: Store) -> list[tuple[str, str]]:
    return [(d.alert.kind, d.notifier) for d in store.due_deliveries(utc(2100, 1, 1))]


def test_silenced_incident_is_recorded_not_delivered_then_sent_when_unsilenced(store: Store) -> None:
    silence = store.add_silence("Acme", None, "planned migration", "kim", WALL - timedelta(hours=1), WALL + timedelta(hours=2))
    add_counts(store, "Acme", START, BASELINE + [20, 25, 30])
    (recorded,) = run(store, policy(), SPIKE + WINDOW, wall_now=WALL).alerts
    assert due(store) == []
    ((alert, why),) = store.suppressed_alerts()
    assert alert.key == recorded.key
    assert why == f"silence #{silence.id} by kim until 2026-11-23 16:00 UTC: planned migration"
    # Still silenced: the ongoing incident is not even re-recorded.
    assert run(store, policy(), SPIKE + 2 * WINDOW, wall_now=WALL + timedelta(minutes=30)).alerts == []
    store.expire_silence(silence.id, WALL + timedelta(minutes=40))
    (sent,) = run(store, policy(), SPIKE + 3 * WINDOW, wall_now=WALL + timedelta(minutes=45)).alerts
    assert sent.kind == "firing" and sent.incident_key == recorded.incident_key
    assert due(store) == [("firing", "console")]


def test_silence_of_another_rule_or_brand_does_not_match(store: Store) -> None:
    store.add_silence("Acme", "other-rule", "x", "kim", WALL - timedelta(hours=1), WALL + timedelta(hours=1))
    store.add_silence("Globex", None, "x", "kim", WALL - timedelta(hours=1), WALL + timedelta(hours=1))
    rules = policy(rules=[{"name": "negatives"}, {"name": "other-rule", "metric": "volume"}])
    add_counts(store, "Acme", START, BASELINE + [20])
    (alert,) = run(store, rules, SPIKE + WINDOW, wall_now=WALL).alerts
    assert alert.rule == "negatives" and due(store) == [("firing", "console")]


def test_expired_silence_does_not_match(store: Store) -> None:
    store.add_silence("Acme", None, "x", "kim", WALL - timedelta(hours=3), WALL - timedelta(hours=1))
    add_counts(store, "Acme", START, BASELINE + [20])
    run(store, policy(), SPIKE + WINDOW, wall_now=WALL)
    assert due(store) == [("firing", "console")]


def test_config_silence_applies_only_between_starts_and_ends(store: Store) -> None:
    planned = policy(
        silences=[{"starts": "2026-11-23T13:00:00Z", "ends": "2026-11-23T15:00:00Z", "reason": "product launch"}]
    )
    add_counts(store, "Acme", START, BASELINE + [20, 25])
    run(store, planned, SPIKE + WINDOW, wall_now=WALL)
    ((_, why),) = store.suppressed_alerts()
    assert why.startswith("config silence until 2026-11-23 15:00") and why.endswith("product launch")
    run(store, planned, SPIKE + 2 * WINDOW, wall_now=WALL + timedelta(hours=2))
    assert due(store) == [("firing", "console")]


def test_config_silence_must_end_after_it_starts(make_config) -> None:
    from listener.config import ConfigError

    with pytest.raises(ConfigError, match=r"silences\[0\]: .*ends must be after starts"):
        make_config(silences=[{"starts": "2026-11-23T15:00:00Z", "ends": "2026-11-23T13:00:00Z", "reason": "x"}])
    with pytest.raises(ConfigError, match=r"silences\[0\].brand: brand 'Initech' is not defined"):
        make_config(silences=[{"brand": "Initech", "starts": "2026-11-23", "ends": "2026-11-24", "reason": "x"}])


# -- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "listener.toml"
    path.write_text(
        f"""
[storage]
url = "sqlite:///{tmp_path / 'listener.db'}"

[[brands]]
name = "Acme"
keywords = ["acme"]

[[sources]]
name = "demo"
type = "demo"
""",
        encoding="utf-8",
    )
    return path


def cli(config_file: Path, *args: str):
    return CliRunner().invoke(main, ["alerts", *args, "--config", str(config_file)], env={"LISTENER_USER": "kim"})


def test_cli_silence_list_and_unsilence(config_file: Path) -> None:
    created = cli(config_file, "silence", "--brand", "Acme", "--for", "2h", "--reason", "deploy <b>[red]x[/red]</b>")
    assert created.exit_code == 0, created.output
    assert created.output.startswith("silence #1: Acme until ")
    listed = cli(config_file, "silences")
    assert listed.exit_code == 0
    assert "kim" in listed.output and "active" in listed.output and "[red]x[/red]" in listed.output
    ended = cli(config_file, "unsilence", "1")
    assert ended.exit_code == 0 and "silence #1 (Acme) ended" in ended.output
    assert "kim" not in cli(config_file, "silences").output
    assert "expired" in cli(config_file, "silences", "--all").output
    store = Store(open_database(f"sqlite:///{config_file.parent / 'listener.db'}"))
    (silence,) = store.silences()
    assert silence.created_by == "kim" and silence.reason == "deploy <b>[red]x[/red]</b>"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--brand", "Initech", "--for", "2h", "--reason", "x"], "brand 'Initech' is not in the config"),
        (["--brand", "Acme", "--for", "soon", "--reason", "x"], "invalid duration 'soon'"),
        (["--brand", "Acme", "--for", "2h", "--reason", "x", "--rule", "nope"], "rule 'nope' is not in the config (known: negative_spike)"),
        (["--brand", "Acme", "--for", "2h", "--reason", " "], "give a reason"),
    ],
)
def test_cli_silence_rejects_bad_input(config_file: Path, args: list[str], problem: str) -> None:
    result = cli(config_file, "silence", *args)
    assert result.exit_code == 2
    assert problem in result.output


def test_cli_unsilence_unknown_id(config_file: Path) -> None:
    result = cli(config_file, "unsilence", "42")
    assert result.exit_code == 2 and "there is no silence #42" in result.output


def test_alerts_list_shows_what_was_kept_back_and_why(config_file: Path) -> None:
    assert cli(config_file, "silence", "--brand", "Acme", "--for", "1d", "--reason", "migration").exit_code == 0
    store = Store(open_database(f"sqlite:///{config_file.parent / 'listener.db'}"))
    add_counts(store, "Acme", START, BASELINE + [20])
    assert len(run(store, policy(), SPIKE + WINDOW, wall_now=utcnow()).alerts) == 1  # wall clock now: inside the silence
    assert store.due_deliveries(utc(2100, 1, 1)) == []
    listed = cli(config_file, "list")
    assert listed.exit_code == 0, listed.output
    assert "recorded, not delivered" in listed.output
    assert "silence #1 by kim" in listed.output and "migration" in listed.output
