"""Survey exports in each tool's shape (tests/fixtures/surveys/) read into answers, bad rows by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.core.survey_files import SurveyFileError, parse_survey, response_keys
from tests.conftest import utc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "surveys"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8-sig")


def test_surveymonkey_two_header_rows_us_dates_and_a_comment_over_two_lines() -> None:
    parsed = parse_survey(read("surveymonkey_nps.csv"), "nps")
    assert parsed.file_format == "surveymonkey"
    assert parsed.score_column.startswith("How likely is it that you would recommend")
    assert [answer.score for answer in parsed.answers] == [10, 9, 7, 3, 0, 8]
    first = parsed.answers[0]
    assert first.response_id == "114207863012" and first.touchpoint == "onboarding"
    assert first.responded_at == utc(2026, 11, 2, 9, 14, 40)  # End Date, 09:14:40 AM
    assert parsed.answers[2].responded_at == utc(2026, 11, 2, 14, 7, 58)  # 02:07:58 PM
    assert parsed.answers[3].comment == "The dashboard was down twice this week\nand nobody told us."
    assert parsed.answers[3].line == 6
    # the skipped question is on line 8: the quoted comment above spans lines 6 and 7
    assert [(row.line, row.reason) for row in parsed.rejected] == [(8, "missing score")]
    assert parsed.answers[-1].comment is None


def test_typeform_token_submit_date_and_hidden_touchpoint() -> None:
    parsed = parse_survey(read("typeform_csat.csv"), "csat")
    assert parsed.file_format == "typeform"
    assert [answer.score for answer in parsed.answers] == [5, 4, 2, 5, 1]
    first = parsed.answers[0]
    assert first.response_id == "qw1x6k3ya0pe4kz5nb2hqw1x6kv3c9jd"
    assert first.responded_at == utc(2026, 11, 2, 10, 3, 2)  # Submit Date (UTC), not Start Date
    assert first.comment == "Fixed my billing issue in one reply, thank you!" and first.touchpoint == "support"
    assert [(row.line, row.reason) for row in parsed.rejected] == [(6, "score 6 is out of range for CSAT (1-5)")]


def test_qualtrics_three_header_rows_its_time_zone_and_not_the_nps_group_column() -> None:
    parsed = parse_survey(read("qualtrics_nps.csv"), "nps")
    assert parsed.file_format == "qualtrics"
    # Q1 (0-10), not Q1_NPS_GROUP (Qualtrics' 1/2/3 detractor/passive/promoter code)
    assert [answer.score for answer in parsed.answers] == [10, 6, 9, 2, 8]
    first = parsed.answers[0]
    assert first.response_id == "R_1OvKZ7aPq3xYb2M" and first.comment == "Migrating was painless."
    # RecordedDate 08:00:12 in America/Denver (its ImportId header says so) is 15:00:12 UTC
    assert first.responded_at == utc(2026, 11, 2, 15, 0, 12)
    assert [(row.line, row.reason) for row in parsed.rejected] == [(8, "missing score")]


def test_plain_file_rejects_each_bad_row_with_its_line_and_reads_the_rest() -> None:
    parsed = parse_survey(read("plain_ces.csv"), "ces")
    assert parsed.file_format == "plain"
    assert [(answer.line, answer.score) for answer in parsed.answers] == [(2, 6), (3, 7), (4, 5), (8, 2), (9, 2)]
    assert parsed.answers[0].responded_at == utc(2026, 11, 2)
    assert parsed.answers[1].responded_at == utc(2026, 11, 2, 14, 30)
    assert [(row.line, row.reason) for row in parsed.rejected] == [
        (5, "score 9 is out of range for CES (1-7)"),
        (6, "bad date '2026-11-31' (e.g. 2026-11-02 or 2026-11-02T10:15:00Z)"),
        (7, "missing score"),
    ]


@pytest.mark.parametrize(
    ("score", "reason"),
    [
        ("11", "score 11 is out of range for NPS (0-10)"),
        ("-1", "score -1 is out of range for NPS (0-10)"),
        ("7.5", "score '7.5' is not a whole number"),
        ("great", "score 'great' is not a number"),
    ],
)
def test_bad_scores_are_rejected_with_the_reason(score: str, reason: str) -> None:
    parsed = parse_survey(f"date,score\n2026-11-02,{score}\n2026-11-02,9\n", "nps")
    assert [(row.line, row.reason) for row in parsed.rejected] == [(2, reason)]
    assert [answer.score for answer in parsed.answers] == [9]


def test_an_answer_exported_as_its_choice_text_reads_its_number() -> None:
    parsed = parse_survey('date,score\n2026-11-02,"10 - Extremely likely"\n', "nps")
    assert [answer.score for answer in parsed.answers] == [10]


def test_a_file_of_no_known_shape_names_the_formats_and_the_flag() -> None:
    with pytest.raises(SurveyFileError, match="cannot tell which export this is.*--format"):
        parse_survey("when,rating\n2026-11-02,9\n", "nps")


def test_a_forced_format_that_does_not_fit_says_what_is_missing() -> None:
    with pytest.raises(SurveyFileError, match="no Submit Date \\(UTC\\) column"):
        parse_survey("#,How likely are you to recommend us?\nabc,9\n", "nps", "typeform")


def test_the_wrong_kind_says_which_question_it_looked_for() -> None:
    with pytest.raises(SurveyFileError, match="no CES question found.*is --kind right"):
        parse_survey(read("surveymonkey_nps.csv"), "ces")


def test_keys_are_response_ids_where_the_export_has_them() -> None:
    parsed = parse_survey(read("typeform_csat.csv"), "csat")
    keys = response_keys("Acme", "csat", parsed.file_format, parsed.answers)
    assert keys[0] == "typeform:qw1x6k3ya0pe4kz5nb2hqw1x6kv3c9jd" and len(set(keys)) == len(keys)


def test_identical_plain_rows_stay_two_answers_and_keys_are_stable() -> None:
    parsed = parse_survey(read("plain_ces.csv"), "ces")
    keys = response_keys("Acme", "ces", "plain", parsed.answers)
    assert len(set(keys)) == len(keys) == 5  # lines 8 and 9 are the same answer given twice
    assert keys == response_keys("Acme", "ces", "plain", parse_survey(read("plain_ces.csv"), "ces").answers)
    assert set(keys).isdisjoint(response_keys("Globex", "ces", "plain", parsed.answers))


def test_older_typeform_exports_say_submitted_at() -> None:
    parsed = parse_survey("#,How likely are you to recommend Acme?,Submitted At\nabc123,9,2026-11-02 10:00:00\n", "nps")
    assert parsed.file_format == "typeform"
    assert [(answer.response_id, answer.score, answer.responded_at) for answer in parsed.answers] == [
        ("abc123", 9, utc(2026, 11, 2, 10))
    ]
