"""A broken config names the file, the field and the problem; the daemon refuses to start."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from listener.cli import main
from listener.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]

VALID = """
[[brands]]
name = "Acme"
keywords = ["acme"]

[[sources]]
name = "demo"
type = "demo"
"""

BROKEN_CONFIGS = {
    "toml_syntax": ("[[brands]\nname = 'x'", "invalid TOML"),
    "no_brands": ('[[sources]]\nname = "demo"\ntype = "demo"\n', "brands: required field is missing"),
    "unknown_top_level_key": (VALID + "\nretention = 3\n", "retention: unknown field (check its spelling)"),
    "brand_without_terms": (
        VALID.replace('keywords = ["acme"]', ""),
        "brand 'Acme' needs at least one keyword or phrase",
    ),
    "bad_interval": (VALID + 'interval = "fast"\n', "sources[0].interval: invalid duration 'fast'"),
    "unknown_source_type": (
        VALID.replace('type = "demo"', 'type = "myspace"'),
        "sources[0].type: unknown source type 'myspace' (known: bluesky, demo, ",
    ),
    "unknown_source_setting": (VALID + "speeed = 3\n", "sources[0].speeed: unknown field (check its spelling)"),
    "duplicate_brand": (
        VALID + '\n[[brands]]\nname = "Acme"\nkeywords = ["acme2"]\n',
        "brands[1].name: duplicate name 'Acme'",
    ),
    "source_unknown_brand": (
        VALID + 'brands = ["Initech"]\n',
        "sources[0].brands: brand 'Initech' is not defined (known: Acme)",
    ),
    "literal_secret": (
        VALID + '\n[[notifiers]]\nname = "s"\ntype = "slack"\nwebhook_url = "https://hooks.slack.com/services/T/B/x"\n',
        "notifiers[0].webhook_url: must be an environment variable reference such as ${SLACK_WEBHOOK_URL}",
    ),
    "negative_min_count": (VALID + "\n[detection]\nmin_count = 0\n", "detection.min_count: Input should be greater than or equal to 1"),
    "threshold_replaced": (VALID + "\n[detection]\nthreshold = 0.999\n", "threshold was replaced by false_alarms"),
    "rate_unreadable": (VALID + "\n[detection]\nfalse_alarms = \"often\"\n", "detection.false_alarms: invalid rate 'often'"),
    "rate_too_high": (VALID + "\n[detection]\nfalse_alarms = \"2/hour\"\n", "more than one an hour"),
    "unknown_notifier_type": (
        VALID + '\n[[notifiers]]\nname = "p"\ntype = "pager"\n',
        "notifiers[0].type: unknown notifier type 'pager'",
    ),
    "replay_speed_zero": (VALID + "\n[clock]\nmode = \"replay\"\nspeed = 0\n", "clock.speed: Input should be greater than 0"),
    "wrong_type_keywords": (VALID.replace('keywords = ["acme"]', 'keywords = "acme"'), "brands[0].keywords: Input should be a valid tuple"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_CONFIGS))
def test_broken_config_names_file_field_and_problem(case: str, tmp_path: Path) -> None:
    text, expected = BROKEN_CONFIGS[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "two.toml"
    path.write_text(VALID + 'interval = "soon"\n\n[detection]\nmin_ratio = 0.5\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert len(raised.value.problems) == 2
    assert any("sources[0].interval" in problem for problem in raised.value.problems)
    assert any("detection.min_ratio" in problem for problem in raised.value.problems)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: file not found"):
        load_config(tmp_path / "nope.toml")


def test_check_config_exits_nonzero_with_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(VALID + 'interval = "fast"\n')
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code == 2
    assert f"{path}: sources[0].interval: invalid duration 'fast'" in result.output


def test_daemon_refuses_to_start_on_broken_config(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(VALID + "\n[detection]\nmin_count = -1\n")
    result = CliRunner().invoke(main, ["run", "--config", str(path)])
    assert result.exit_code == 2
    assert f"{path}: detection.min_count" in result.output


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "config").glob("*.toml")))
def test_shipped_configs_are_valid(name: str) -> None:
    result = CliRunner().invoke(main, ["check-config", str(REPO / "config" / name)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_check_config_says_which_notifiers_would_run(monkeypatch) -> None:
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    result = CliRunner().invoke(main, ["check-config", str(REPO / "config" / "demo.toml")])
    assert result.exit_code == 0, result.output
    assert "notifier console (console): enabled" in result.output
    assert "notifier team-slack (slack): enabled" in result.output
    assert "notifier oncall-email (email): not enabled: set SMTP_HOST" in result.output
    assert "127.0.0.1:9" not in result.output  # a secret's value is never printed


def test_durations_accept_units_and_seconds(make_config) -> None:
    config = make_config(detection={"window": "30m", "cooldown": 7200})
    assert config.detection.window.total_seconds() == 1800
    assert config.detection.cooldown.total_seconds() == 7200
