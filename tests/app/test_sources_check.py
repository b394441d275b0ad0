"""`listener sources test`: one real request per source, one row per outcome, exit status for scripts."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from listener.cli.main import main
from listener.core.clock import Clock
from listener.config import BrandConfig, SourceConfig, load_config
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured
from listener.sources.reddit import RedditCollector
from listener.sources.twitter import TwitterCollector
from listener.app.sources_check import check_sources, exit_status, results_table
from listener.sources import build_collector
from tests.cli_helpers import write_cli_config
from tests.recorded_http import load_fixture, replay_session

EXTRA_SOURCES = """
[[sources]]
name = "x"
type = "twitter"
brands = ["Globex"]

[[sources]]
name = "reddit"
type = "reddit"
enabled = false
"""


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    return write_cli_config(tmp_path, extra=EXTRA_SOURCES)


def test_unset_secret_is_a_failed_row_and_exit_status_1(config_path: Path) -> None:
    result = CliRunner().invoke(main, ["sources", "test", "--config", str(config_path)])
    assert result.exit_code == 1, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines() if line.count("│") >= 5}
    assert "OK" in rows["demo"] and "Acme, Globex" in rows["demo"]
    assert "FAILED" in rows["x"] and "Globex" in rows["x"] and "X_BEARER_TOKEN is not" in result.output
    assert "DISABLED" in rows["reddit"]


def test_one_source_that_works_exits_0(config_path: Path) -> None:
    result = CliRunner().invoke(main, ["sources", "test", "--config", str(config_path), "--source", "demo"])
    assert result.exit_code == 0, result.output
    assert "demo" in result.output and " x " not in result.output


def test_unknown_source_is_a_usage_error(config_path: Path) -> None:
    result = CliRunner().invoke(main, ["sources", "test", "--config", str(config_path), "--source", "myspace"])
    assert result.exit_code == 2
    assert "source 'myspace' is not in the config (known: demo, x, reddit)" in result.output


def replaying(recordings_by_source: dict[str, list]):
    """Builds collectors as the daemon does, but talking to recorded responses."""

    def build(source: SourceConfig, clock: Clock):
        if source.name not in recordings_by_source:
            return build_collector(source, clock)
        collector_type = COLLECTORS.get(source.type)
        settings = collector_type.settings_model.model_validate(source.settings)
        session, _ = replay_session(recordings_by_source[source.name])
        collector_class = TwitterCollector if source.type == "twitter" else RedditCollector
        return collector_class(SourceContext(source.name, settings, clock), session=session)

    return build


def test_verdicts_from_real_platform_answers(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "a-token")
    for variable in ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"):
        monkeypatch.setenv(variable, "value")
    config = load_config(config_path)
    config = config.model_copy(update={"sources": [*config.sources[:2], config.sources[2].model_copy(update={"enabled": True})]})
    rate_limited = load_fixture("reddit", "rate_limited.json")
    for recording in rate_limited:
        recording.uri = recording.uri.replace("/r/acme+technology/", "/r/all/")  # the default: all of Reddit
    results = check_sources(
        config, build=replaying({"x": load_fixture("twitter", "unauthorized.json"), "reddit": rate_limited})
    )
    verdicts = {result.source: (result.verdict, result.message) for result in results}
    assert verdicts["demo"][0] == "OK"
    assert verdicts["x"][0] == "FAILED" and "401" in verdicts["x"][1]
    assert verdicts["reddit"] == ("UNAVAILABLE", "reddit: Reddit rate limit reached (HTTP 429) (retry in 37s)")
    assert exit_status(results) == 1

    ok = check_sources(config, "x", build=replaying({"x": load_fixture("twitter", "search_two_pages.json")}))
    assert [(r.verdict, r.brand) for r in ok] == [("OK", "Globex")]
    assert exit_status(ok) == 0


class Hanging:
    def __init__(self) -> None:
        self.release = threading.Event()

    def check(self, brand: BrandConfig) -> str:
        self.release.wait(10)
        return "too late"


def test_a_platform_that_never_answers_is_unavailable_not_a_hang(config_path: Path) -> None:
    hanging = Hanging()
    try:
        results = check_sources(load_config(config_path), "demo", timeout=0.2, build=lambda source, clock: hanging)
    finally:
        hanging.release.set()
    assert [(r.verdict, r.message) for r in results] == [("UNAVAILABLE", "no answer within 0.2s; the platform may be down")]


class Echoing:
    def check(self, brand: BrandConfig) -> str:
        raise SourceMisconfigured("token a-secret-token-value rejected; see [link=https://evil]here[/link]")


def test_secrets_echoed_by_a_platform_are_masked_and_markup_is_printed_as_text(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", "a-secret-token-value")
    results = check_sources(load_config(config_path), "x", build=lambda source, clock: Echoing())
    assert results[0].message == "token <X_BEARER_TOKEN> rejected; see [link=https://evil]here[/link]"
    console = Console(file=io.StringIO(), width=200)
    console.print(results_table(results))
    assert "[link=https://evil]here[/link]" in console.file.getvalue()


def test_nothing_checked_is_not_success() -> None:
    assert exit_status([]) == 1


def test_demo_check_explains_recorded_against_stored(tmp_path: Path) -> None:
    """Issue 17: the check said 4,059 recorded mentions while 3,982 were stored, with no word on
    what the difference was."""
    config = load_config(Path(__file__).resolve().parents[2] / "config" / "demo.toml")
    [result] = check_sources(config, only="demo")
    assert result.verdict == "OK" and result.brand == "Acme, Globex"
    assert result.message.startswith("4095 recorded mentions; 4018 would be stored"), result.message  # 36 of them churn_mentions.jsonl
    assert "77 about neither Acme nor Globex" in result.message


def test_demo_check_counts_duplicates_refused_dates_and_malformed_lines(tmp_path: Path) -> None:
    def line(number: int, text: str, created_at: str = "2026-11-02T10:00:00Z") -> str:
        return '{"id": "r%d", "created_at": "%s", "text": "%s"}\n' % (number, created_at, text)

    data = tmp_path / "replay.jsonl"
    data.write_text(
        line(1, "acme one") + line(1, "acme one again") + line(2, "globex two") + line(3, "initech")
        + line(4, "acme of old", "1970-01-01T00:00:00Z") + "{not json\n"
    )
    path = write_cli_config(tmp_path)
    path.write_text(path.read_text().replace('type = "demo"', f'type = "demo"\ndata = "{data}"'))
    [result] = check_sources(load_config(path), only="demo")
    assert result.message == (
        "6 recorded mentions; 2 would be stored (Acme 1, Globex 1); left out: 1 malformed line, "
        "1 duplicate id, 1 refused for its date (dated 1970-01-01T00:00:00+00:00, before 1990), "
        "1 about neither Acme nor Globex"
    ), result.message
