"""`listener surveys import`: the summary line, rejected rows on stderr, idempotence, exit status."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from listener.cli.main import main
from listener.core.records import Sentiment
from tests.cli_helpers import write_cli_config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "surveys"


class PositiveClassifier:
    version = "positive-test"

    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment("positive", 0.8, 0.9) for _ in texts]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import classifiers

    monkeypatch.setattr(classifiers, "load_classifier", lambda _model: PositiveClassifier())
    return write_cli_config(tmp_path, f"sqlite:///{tmp_path / 'surveys.db'}")


def run(config: Path, *args: str):
    return CliRunner().invoke(main, ["surveys", "import", "--config", str(config), *args])


def test_import_prints_rows_new_and_the_nps_then_again_nothing_new(config: Path) -> None:
    file = str(FIXTURES / "surveymonkey_nps.csv")
    first = run(config, file, "--kind", "nps", "--brand", "Acme")
    assert first.exit_code == 0, first.output
    # 10, 9 promoters; 7, 8 passives; 3, 0 detractors: (2 - 2) / 6
    assert first.stdout == "6 rows: 6 new, 0 already imported; NPS 0\n"
    assert f"1 row rejected\n{file}:8: missing score\n" in first.stderr
    again = run(config, file, "--kind", "nps", "--brand", "Acme")
    assert again.stdout == "6 rows: 0 new, 6 already imported; NPS 0\n"


@pytest.mark.parametrize(
    ("name", "kind", "summary"),
    [
        ("typeform_csat.csv", "csat", "5 rows: 5 new, 0 already imported; CSAT 60%"),
        ("qualtrics_nps.csv", "nps", "5 rows: 5 new, 0 already imported; NPS 0"),
        ("plain_ces.csv", "ces", "5 rows: 5 new, 0 already imported; CES 4.4"),
    ],
)
def test_each_format_is_told_apart_by_its_headers(config: Path, name: str, kind: str, summary: str) -> None:
    result = run(config, str(FIXTURES / name), "--kind", kind, "--brand", "Acme")
    assert result.exit_code == 0, result.output
    assert result.stdout == summary + "\n"


def test_nothing_readable_exits_1_with_the_reason(config: Path, tmp_path: Path) -> None:
    unknown = tmp_path / "export.csv"
    unknown.write_text("when,rating\n2026-11-02,9\n")
    result = run(config, str(unknown), "--kind", "nps", "--brand", "Acme")
    assert result.exit_code == 1 and result.stdout == ""
    assert "cannot tell which export this is" in result.stderr
    all_bad = tmp_path / "bad.csv"
    all_bad.write_text("date,score\n2026-11-02,12\n")
    result = run(config, str(all_bad), "--kind", "nps", "--brand", "Acme")
    assert result.exit_code == 1
    assert f"{all_bad}:2: score 12 is out of range for NPS (0-10)" in result.stderr
    assert "no row could be read" in result.stderr


def test_a_forced_format_and_an_unknown_brand(config: Path) -> None:
    forced = run(config, str(FIXTURES / "plain_ces.csv"), "--kind", "ces", "--brand", "Acme", "--format", "typeform")
    assert forced.exit_code == 1 and "no CES question found" in forced.stderr
    unknown = run(config, str(FIXTURES / "plain_ces.csv"), "--kind", "ces", "--brand", "Initech")
    assert unknown.exit_code == 2 and "brand 'Initech' is not in the config" in unknown.stderr


def test_a_model_that_does_not_load_leaves_the_answers_stored(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import classifiers
    from classifiers import ModelLoadError

    def missing(_model: object) -> PositiveClassifier:
        raise ModelLoadError("model 'nope' not found")

    monkeypatch.setattr(classifiers, "load_classifier", missing)
    result = run(config, str(FIXTURES / "plain_ces.csv"), "--kind", "ces", "--brand", "Acme")
    assert result.exit_code == 0
    assert "comments not scored (the next import scores them): model 'nope' not found" in result.stderr
    monkeypatch.setattr(classifiers, "load_classifier", lambda _model: PositiveClassifier())
    assert run(config, str(FIXTURES / "plain_ces.csv"), "--kind", "ces", "--brand", "Acme").stdout.startswith(
        "5 rows: 0 new"
    )
    with sqlite3.connect(config.parent / "surveys.db") as connection:
        models = connection.execute("SELECT model FROM survey_responses WHERE comment IS NOT NULL").fetchall()
    assert models == [("positive-test",)] * 3  # the re-import scored what the failed load left
