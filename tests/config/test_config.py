"""A broken config names the file, the field and the problem; the daemon refuses to start."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from listener.cli.main import main
from listener.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]

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
        "sources[0].type: unknown source type 'myspace' (known: appstore, bluesky, demo, ",
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


def _problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "listener.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(f"{path}: ")
    return raised.value.problems


def test_schema_plugin_and_secret_mistakes_are_reported_together(tmp_path: Path) -> None:
    """Issue 17: a key typo and a bad interval used to hide the literal Slack URL."""
    text = VALID.replace("keywords", "keyword") + 'interval = "fast"\n' + (
        '\n[[notifiers]]\nname = "s"\ntype = "slack"\nwebhook_url = "https://hooks.slack.com/services/T/B/x"\n'
    )
    problems = _problems_of(tmp_path, text)
    assert any(problem.startswith("brands[0].keyword: unknown field") for problem in problems), problems
    assert any(problem.startswith("sources[0].interval: invalid duration 'fast'") for problem in problems), problems
    assert any(problem.startswith("notifiers[0].webhook_url: must be an environment variable") for problem in problems)


def test_unknown_notifier_type_is_reported_beside_schema_errors(tmp_path: Path) -> None:
    text = (
        '[[brands]]\nname = "Acme"\nquery = "acme AND ("\n'
        "\n[detection]\nmin_count = -3\n"
        '\n[[notifiers]]\nname = "c"\ntype = "consol"\n'
    )
    problems = _problems_of(tmp_path, text)
    assert any(problem.startswith("brands[0].query: ") for problem in problems), problems
    assert any(problem.startswith("detection.min_count: ") for problem in problems), problems
    assert any(problem.startswith("notifiers[0].type: unknown notifier type 'consol'") for problem in problems)
    assert any(problem.startswith("sources: required field is missing") for problem in problems), problems


def test_every_cross_reference_problem_is_reported(tmp_path: Path) -> None:
    text = VALID + (
        'brands = ["Initech"]\n'
        '\n[[brands]]\nname = "Acme"\nkeywords = ["acme2"]\n'
        '\n[[routes]]\nreceivers = ["ops"]\nbrands = ["Umbrella"]\n'
        '\n[[silences]]\nrule = "nope"\nstarts = 2026-11-02T00:00:00Z\nends = 2026-11-03T00:00:00Z\nreason = "x"\n'
    )
    problems = _problems_of(tmp_path, text)
    assert problems == [
        "brands[1].name: duplicate name 'Acme'",
        "sources[0].brands: brand 'Initech' is not defined (known: Acme, Acme)",
        "routes[0].brands: brand 'Umbrella' is not defined (known: Acme, Acme)",
        "routes[0].receivers: receiver 'ops' is not defined (known: none)",
        "silences[0].rule: rule 'nope' is not defined (known: negative_spike)",
    ]


def test_an_invalid_brand_is_not_also_reported_as_undefined(tmp_path: Path) -> None:
    text = VALID.replace('keywords = ["acme"]', 'keywords = ["acme"]\nquery = "acme"') + 'brands = ["Acme"]\n'
    problems = _problems_of(tmp_path, text)
    assert len(problems) == 1 and "either a query or keywords" in problems[0], problems


@pytest.mark.parametrize(
    "value, expected",
    [
        ('"99999999999999w"', "too long: at most 10 years"),
        ('"inf"', "invalid duration 'inf'"),
        ("1e308", "too long: at most 10 years"),
        ("inf", "not a finite number"),
        ("nan", "not a finite number"),
    ],
)
def test_huge_or_infinite_durations_are_config_errors(value: str, expected: str, tmp_path: Path) -> None:
    """Issue 18: these passed validation (or raised OverflowError) and crashed later."""
    problems = _problems_of(tmp_path, VALID + f"interval = {value}\n")
    assert problems == [f"sources[0].interval: {problems[0].split(': ', 1)[1]}"] and expected in problems[0], problems


@pytest.mark.parametrize(
    "section, expected",
    [
        ('[clock]\nmode = "replay"\n', "clock: start is required when mode = \"replay\""),
        ('[clock]\nmode = "replay"\nstart = 2026-11-02T00:00:00Z\nspeed = 1e300\n', "clock.speed: Input should be less than or equal to 100000"),
        ('[clock]\nmode = "replay"\nstart = 2026-11-02T00:00:00Z\nspeed = inf\n', "clock.speed: "),
        ('[detection]\nbaseline = "999d"\n', "detection.baseline: 999 days is too long: at most 90 days"),
        ('[[rules]]\nname = "r"\nbaseline = "91d"\n', "rules[0].baseline: 91 days is too long: at most 90 days"),
        ('[storage]\nurl = "notadb://"\n', "storage.url: unknown database 'notadb'"),
        ('[storage]\nurl = "postgresql://listener:s3cret@db:abc/x"\n', "storage.url: not a database URL (the port is not a number)"),
        ('[storage]\nurl = "mysql://listener:s3cret@db/x"\n', "storage.url: the driver for 'mysql' is not installed"),
    ],
)
def test_values_that_would_crash_later_are_refused_at_load(section: str, expected: str, tmp_path: Path) -> None:
    problems = _problems_of(tmp_path, VALID + "\n" + section)
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    assert "s3cret" not in problems[0]


@pytest.mark.parametrize(
    "old, new, location",
    [
        ('name = "Acme"', 'name = "Acme\\r\\nALERT forged"', "brands[0].name"),
        ('name = "demo"', 'name = "demo\\u0007"', "sources[0].name"),
    ],
)
def test_names_with_control_characters_are_refused(old: str, new: str, location: str, tmp_path: Path) -> None:
    problems = _problems_of(tmp_path, VALID.replace(old, new))
    assert any(problem.startswith(f"{location}: ") and "control character" in problem for problem in problems), problems


def test_notifier_and_rule_names_with_newlines_are_refused(tmp_path: Path) -> None:
    text = VALID + '\n[[notifiers]]\nname = "c\\n"\ntype = "console"\n\n[[rules]]\nname = "r\\r"\n'
    problems = _problems_of(tmp_path, text)
    assert any(problem.startswith("notifiers[0].name: ") and "control character" in problem for problem in problems)
    assert any(problem.startswith("rules[0].name: ") and "control character" in problem for problem in problems)


def test_relative_paths_are_read_from_the_config_files_folder(tmp_path: Path, monkeypatch) -> None:
    """Issue 17: `--config other/dir/brand.toml` from elsewhere made an empty brand.db there."""
    folder = tmp_path / "other" / "dir"
    folder.mkdir(parents=True)
    (folder / "brand.toml").write_text(
        '[storage]\nurl = "sqlite:///brand.db"\n'
        '[[brands]]\nname = "Acme"\nkeywords = ["acme"]\n'
        '[[sources]]\nname = "exports"\ntype = "file"\npath = "exports/*.csv"\n'
        '[[sources]]\nname = "replay"\ntype = "demo"\ndata = "replay.jsonl"\n'
    )
    monkeypatch.chdir(tmp_path)
    config = load_config("other/dir/brand.toml")
    assert config.storage.url == f"sqlite:///{folder / 'brand.db'}"
    assert config.sources[0].settings["path"] == str(folder / "exports" / "*.csv")
    assert config.sources[1].settings["data"] == str(folder / "replay.jsonl")


def test_absolute_and_in_memory_storage_urls_are_kept(tmp_path: Path) -> None:
    for url in (f"sqlite:///{tmp_path / 'x.db'}", "sqlite:///:memory:", "sqlite://"):
        path = tmp_path / "listener.toml"
        path.write_text(f'[storage]\nurl = "{url}"\n' + VALID)
        assert load_config(path).storage.url == url
