"""Importing survey exports into the store: idempotent, comments scored, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from listener.app.surveys import import_configured_surveys, import_survey_file, score_pending_comments
from listener.app.topic_tagging import TopicTagger
from listener.config import TopicConfig
from listener.core.records import Sentiment
from listener.core.survey_files import SurveyFileError
from listener.storage.repository import Store
from listener.storage.surveys import SurveyStore
from tests.conftest import utc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "surveys"
NOW = utc(2026, 11, 30, 6)


class NegativeClassifier:
    """Calls every comment negative and counts the texts it saw."""

    version = "negative-test"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def classify(self, texts: list[str]) -> list[Sentiment]:
        self.seen += texts
        return [Sentiment("negative", -0.9, 0.9) for _ in texts]


def test_importing_the_same_file_twice_adds_each_answer_once(store: Store) -> None:
    surveys = SurveyStore(store.engine)
    first = import_survey_file(surveys, FIXTURES / "qualtrics_nps.csv", "nps", "Acme", imported_at=NOW)
    assert (first.read, first.new, first.already_imported, first.file_format) == (5, 5, 0, "qualtrics")
    assert first.summary() == "5 rows: 5 new, 0 already imported; NPS 0"  # 2 promoters, 2 detractors, 1 passive
    again = import_survey_file(surveys, FIXTURES / "qualtrics_nps.csv", "nps", "Acme", imported_at=NOW)
    assert (again.new, again.already_imported) == (0, 5)
    assert len(surveys.scores("Acme", utc(2026, 1, 1), utc(2027, 1, 1))) == 5


def test_a_later_export_with_more_answers_adds_only_the_new_ones(store: Store, tmp_path: Path) -> None:
    surveys = SurveyStore(store.engine)
    lines = (FIXTURES / "typeform_csat.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    partial = tmp_path / "first.csv"
    partial.write_text("".join(lines[:3]), encoding="utf-8")
    assert import_survey_file(surveys, partial, "csat", "Acme", imported_at=NOW).new == 2
    complete = import_survey_file(surveys, FIXTURES / "typeform_csat.csv", "csat", "Acme", imported_at=NOW)
    assert (complete.read, complete.new, complete.already_imported) == (5, 3, 2)


def test_plain_rows_without_ids_are_idempotent_and_duplicates_stay_two(store: Store) -> None:
    surveys = SurveyStore(store.engine)
    first = import_survey_file(surveys, FIXTURES / "plain_ces.csv", "ces", "Acme", imported_at=NOW)
    assert (first.new, len(first.rejected)) == (5, 3)
    assert first.rejections()[0] == "3 rows rejected"
    assert first.rejections()[1].endswith("plain_ces.csv:5: score 9 is out of range for CES (1-7)")
    assert import_survey_file(surveys, FIXTURES / "plain_ces.csv", "ces", "Acme", imported_at=NOW).new == 0
    assert import_survey_file(surveys, FIXTURES / "plain_ces.csv", "ces", "Globex", imported_at=NOW).new == 5


def test_comments_are_scored_once_and_unscored_ones_wait_for_the_next_import(store: Store) -> None:
    surveys = SurveyStore(store.engine)
    import_survey_file(surveys, FIXTURES / "surveymonkey_nps.csv", "nps", "Acme", imported_at=NOW)

    def missing_model() -> NegativeClassifier:
        raise RuntimeError("model missing")

    with pytest.raises(RuntimeError):
        score_pending_comments(surveys, missing_model)
    classifier = NegativeClassifier()
    assert score_pending_comments(surveys, lambda: classifier) == 5  # 6 answers, one without a comment
    assert "Outage this morning, our checkout was dead for an hour." in classifier.seen
    assert score_pending_comments(surveys, missing_model) == 0  # nothing left: the model is not even loaded
    assert surveys.unscored_comments(10) == []


def test_a_missing_file_is_one_error_naming_it(store: Store, tmp_path: Path) -> None:
    with pytest.raises(SurveyFileError, match="no-such.csv: no such file"):
        import_survey_file(SurveyStore(store.engine), tmp_path / "no-such.csv", "nps", "Acme")


def test_configured_surveys_are_imported_relative_to_the_config_and_bad_ones_skipped(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from listener.config import parse_config
    from tests.conftest import BASE_CONFIG, merge

    shutil.copy(FIXTURES / "plain_ces.csv", tmp_path / "ces.csv")
    raw = merge(BASE_CONFIG, {"surveys": [
        {"file": "missing.csv", "kind": "nps", "brand": "Acme"},
        {"file": "ces.csv", "kind": "ces", "brand": "Acme"},
    ]})  # fmt: skip
    config = parse_config(raw, "test.toml", base_dir=tmp_path)
    caplog.set_level(logging.INFO, "listener.app.surveys")
    classifier = NegativeClassifier()
    import_configured_surveys(config, SurveyStore(store.engine), lambda: classifier)
    assert "missing.csv: no such file" in caplog.text
    assert "5 rows: 5 new, 0 already imported; CES 4.4" in caplog.text
    assert len(classifier.seen) == 3


def test_comments_are_tagged_with_the_configured_topics_when_scored(store: Store) -> None:
    """Issue 14: survey comments are topic-tagged like mentions, by the same tagger and queries."""
    surveys = SurveyStore(store.engine)
    import_survey_file(surveys, FIXTURES / "surveymonkey_nps.csv", "nps", "Acme", imported_at=NOW)
    topics = [
        TopicConfig(name="outage", query='down OR outage OR "was dead"'),
        TopicConfig(name="pricing", query="pricing OR price"),
    ]
    score_pending_comments(surveys, NegativeClassifier, TopicTagger(topics))

    tagged = {answer.score: answer.topics for answer in surveys.scores("Acme", utc(2026, 11, 1), utc(2026, 11, 5))}
    assert tagged[3] == ("outage",)  # "The dashboard was down twice this week ..."
    assert tagged[0] == ("outage",)  # "Outage this morning, our checkout was dead ..."
    assert tagged[7] == ("pricing",)  # "the pricing page is confusing"
    assert tagged[10] == ()  # a comment about neither
    assert tagged[8] == ()  # no comment at all
