"""Survey exports read into answers: SurveyMonkey, Typeform, Qualtrics and a plain CSV.

Each tool exports its responses as CSV in its own shape, and people rename, reorder and add
questions, so columns are found by what their headers say, never by position:

- SurveyMonkey: two header rows (the question, then "Response" / "Open-Ended Response" under it),
  `Respondent ID`, `Start Date` / `End Date` as `11/02/2026 10:15:33 AM` (US order, account time).
- Typeform: one header row; `#` (the response token), one column per question, hidden fields,
  then `Start Date (UTC)`, `Submit Date (UTC)` (older exports: `Submitted At`), `Network ID`.
- Qualtrics: three header rows (column ids, question text, `{"ImportId": ...}` JSON that names the
  time zone of the dates); `ResponseId`, `RecordedDate`.
- plain: `date,score,comment,touchpoint`.

The score column is the question that asks for the survey's kind (NPS: "... recommend ...", CSAT:
"... satisfied ...", CES: "... easy ..." / "effort"); the comment is the open question after it
("why", "reason", ...); a `touchpoint` column (a hidden field or embedded data) is kept for
topic tagging. A row that cannot be used is rejected with its line and why, and the others are
read: one typo must not lose a quarter's survey. Pure: text in, answers out.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from listener.core.limits import in_time_range
from listener.core.surveys import LABELS, SCALES, SurveyKind, in_scale
from listener.core.text import clean_optional

SurveyFormat = Literal["surveymonkey", "typeform", "qualtrics", "plain"]
SURVEY_FORMATS: tuple[SurveyFormat, ...] = ("surveymonkey", "typeform", "qualtrics", "plain")

QUESTION_PATTERNS: dict[SurveyKind, re.Pattern[str]] = {
    "nps": re.compile(r"recommend", re.IGNORECASE),
    "csat": re.compile(r"satisf", re.IGNORECASE),
    "ces": re.compile(r"\beas(?:y|ier|e)\b|effort", re.IGNORECASE),
}
"""How each kind's question is worded in every tool's templates."""
COMMENT_PATTERN = re.compile(r"\bwhy\b|reason|comment|tell us|feedback|anything else|explain|improve", re.IGNORECASE)
TOUCHPOINT_PATTERN = re.compile(r"^touch[ _-]?point$", re.IGNORECASE)
MAX_TOUCHPOINT_LENGTH = 200
"""survey_responses.touchpoint is VARCHAR(200)."""
MAX_RESPONSE_ID_LENGTH = 150
"""The key is `<format>:<id>` in a VARCHAR(200)."""

SURVEYMONKEY_META = {
    "respondent id", "collector id", "start date", "end date", "ip address", "email address", "first name",
    "last name", "custom data 1", "custom data 2", "custom data",
}  # fmt: skip
TYPEFORM_META = {
    "#", "response type", "start date (utc)", "stage date (utc)", "submit date (utc)", "submitted at", "network id",
    "tags", "ending",
}  # fmt: skip
QUALTRICS_META = {
    "startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)", "finished", "recordeddate",
    "responseid", "recipientlastname", "recipientfirstname", "recipientemail", "externalreference",
    "locationlatitude", "locationlongitude", "distributionchannel", "userlanguage",
}  # fmt: skip
US_DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
DATE_EXAMPLE = "e.g. 2026-11-02 or 2026-11-02T10:15:00Z"


class SurveyFileError(ValueError):
    """Nothing in the file can be read as the asked-for survey: the message says what is missing."""


@dataclass(frozen=True)
class SurveyAnswer:
    """One usable response: the row's first line in the file, when, the score and what was said."""

    line: int
    responded_at: datetime
    score: int
    comment: str | None
    touchpoint: str | None
    response_id: str | None
    """The export's own id of the response, where the format has one."""


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ParsedSurvey:
    file_format: SurveyFormat
    answers: list[SurveyAnswer] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    score_column: str = ""
    """The header of the column read as the score, for the import to say what it read."""


@dataclass(frozen=True)
class _Row:
    line: int
    cells: list[str]


@dataclass(frozen=True)
class _Layout:
    """Where a format's values are: column indexes, how many header rows, how its dates read."""

    header_rows: int
    date: int
    score: int
    comment: int | None
    touchpoint: int | None
    response_id: int | None
    score_header: str
    date_zone: ZoneInfo | None = None
    us_dates: bool = False


def parse_survey(text: str, kind: SurveyKind, file_format: SurveyFormat | Literal["auto"] = "auto") -> ParsedSurvey:
    """Every row of an export as an answer or a rejection. Raises SurveyFileError when the file has
    no header this format (or any format, for "auto") is written with, or no question of `kind`."""
    rows = _rows(text.removeprefix("\ufeff"))
    if not rows:
        raise SurveyFileError("the file is empty")
    chosen = detect_format(rows) if file_format == "auto" else file_format
    layout = _LAYOUTS[chosen](rows, kind)
    parsed = ParsedSurvey(chosen, score_column=layout.score_header)
    for row in rows[layout.header_rows :]:
        result = _answer(row, layout, kind)
        (parsed.rejected if isinstance(result, RejectedRow) else parsed.answers).append(result)
    return parsed


def detect_format(rows: Sequence[_Row]) -> SurveyFormat:
    """Which tool wrote the file, from the headers each always writes."""
    first = [cell.strip().lower() for cell in rows[0].cells]
    if (
        "responseid" in first
        and len(rows) > 2
        and any(cell.strip().startswith('{"ImportId"') for cell in rows[2].cells)
    ):
        return "qualtrics"
    if "respondent id" in first:
        return "surveymonkey"
    if first and first[0] == "#" and ({"submit date (utc)", "submitted at"} & set(first)):
        return "typeform"
    if {"date", "score"} <= set(first):
        return "plain"
    raise SurveyFileError(
        "cannot tell which export this is: expected the headers of SurveyMonkey (Respondent ID, two header rows), "
        "Typeform (#, Submit Date (UTC)), Qualtrics (ResponseId, then an ImportId header row) or a plain "
        "date,score,comment,touchpoint file; pass --format to say which"
    )


def response_keys(
    brand: str, kind: SurveyKind, file_format: SurveyFormat, answers: Sequence[SurveyAnswer]
) -> list[str]:
    """Each answer's idempotency key: the export's response id where it has one, so a re-export with
    more responses adds only the new ones; otherwise a hash of everything the row says plus how many
    identical rows came before it in the file, so two customers who answered alike on the same day
    stay two answers while importing the same file again adds nothing."""
    seen: Counter[tuple[object, ...]] = Counter()
    keys = []
    for answer in answers:
        if answer.response_id:
            keys.append(f"{file_format}:{answer.response_id}")
            continue
        content = (
            brand,
            kind,
            answer.responded_at.isoformat(),
            answer.score,
            answer.comment or "",
            answer.touchpoint or "",
        )
        occurrence = seen[content]
        seen[content] += 1
        digest = hashlib.sha256(json.dumps([*content, occurrence], ensure_ascii=False).encode()).hexdigest()
        keys.append(f"sha256:{digest}")
    return keys


# -- reading -------------------------------------------------------------------------------------


def _rows(text: str) -> list[_Row]:
    """Non-blank CSV records with the line each starts on (a quoted comment may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(_Row(line, cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise SurveyFileError(f"line {reader.line_num}: not readable as CSV: {error}") from None
    return rows


def _answer(row: _Row, layout: _Layout, kind: SurveyKind) -> SurveyAnswer | RejectedRow:
    def value(index: int | None) -> str:
        return row.cells[index].strip() if index is not None and index < len(row.cells) else ""

    raw_score = value(layout.score)
    if not raw_score:
        return RejectedRow(row.line, "missing score")
    score = _score(raw_score, kind)
    if isinstance(score, str):
        return RejectedRow(row.line, score)
    raw_date = value(layout.date)
    if not raw_date:
        return RejectedRow(row.line, "missing date")
    responded_at = _date(raw_date, layout)
    if responded_at is None:
        return RejectedRow(row.line, f"bad date {raw_date!r} ({DATE_EXAMPLE})")
    response_id = value(layout.response_id)[:MAX_RESPONSE_ID_LENGTH] or None
    return SurveyAnswer(
        row.line,
        responded_at,
        score,
        clean_optional(value(layout.comment) or None),
        clean_optional(value(layout.touchpoint) or None, MAX_TOUCHPOINT_LENGTH),
        clean_optional(response_id),
    )


_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?")


def _score(raw: str, kind: SurveyKind) -> int | str:
    """The score, or why it is refused. A leading number is read, so "10 - Extremely likely" (an
    answer exported as its choice text) is 10."""
    match = _NUMBER.match(raw)
    if match is None:
        return f"score {raw!r} is not a number"
    number = float(match.group().replace(",", "."))
    if not number.is_integer():
        return f"score {raw!r} is not a whole number"
    low, high = SCALES[kind]
    if not in_scale(kind, int(number)):
        return f"score {int(number)} is out of range for {LABELS[kind]} ({low}-{high})"
    return int(number)


def _date(raw: str, layout: _Layout) -> datetime | None:
    moment = None
    if layout.us_dates:
        for date_format in US_DATE_FORMATS:
            try:
                moment = datetime.strptime(raw, date_format)
                break
            except ValueError:
                continue
    if moment is None:
        try:
            moment = datetime.fromisoformat(raw.replace("/", "-"))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=layout.date_zone or UTC)
    moment = moment.astimezone(UTC)
    return moment if in_time_range(moment) else None


# -- layouts -------------------------------------------------------------------------------------


def _index(headers: Sequence[str], *names: str) -> int | None:
    lowered = [header.strip().lower() for header in headers]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _require(index: int | None, what: str, headers: Sequence[str]) -> int:
    if index is None:
        raise SurveyFileError(
            f"no {what} column (columns: {', '.join(header for header in headers if header) or 'none'})"
        )
    return index


def _question_columns(questions: Sequence[tuple[int, str]], kind: SurveyKind) -> tuple[int, int | None, str]:
    """(score column, comment column, score header) among (index, question text) pairs."""
    pattern = QUESTION_PATTERNS[kind]
    scored = [(index, text) for index, text in questions if pattern.search(text)]
    if not scored:
        raise SurveyFileError(
            f"no {LABELS[kind]} question found: expected a question matching /{pattern.pattern}/ "
            f"(questions: {'; '.join(text for _, text in questions) or 'none'}); is --kind right?"
        )
    score_index, score_text = scored[0]
    comment = next((index for index, text in questions if index > score_index and COMMENT_PATTERN.search(text)), None)
    return score_index, comment, score_text


def _touchpoint(*header_rows: Sequence[str]) -> int | None:
    for headers in header_rows:
        for index, header in enumerate(headers):
            if TOUCHPOINT_PATTERN.match(header.strip()):
                return index
    return None


def _plain(rows: Sequence[_Row], kind: SurveyKind) -> _Layout:
    headers = rows[0].cells
    score = _require(_index(headers, "score"), "score", headers)
    return _Layout(
        header_rows=1,
        date=_require(_index(headers, "date"), "date", headers),
        score=score,
        comment=_index(headers, "comment"),
        touchpoint=_index(headers, "touchpoint"),
        response_id=None,
        score_header=headers[score].strip(),
    )


def _surveymonkey(rows: Sequence[_Row], kind: SurveyKind) -> _Layout:
    if len(rows) < 2:
        raise SurveyFileError("a SurveyMonkey export has two header rows; this file has one")
    headers, subheaders = rows[0].cells, rows[1].cells
    questions = [
        (index, header.strip())
        for index, header in enumerate(headers)
        if header.strip()
        and header.strip().lower() not in SURVEYMONKEY_META
        and not TOUCHPOINT_PATTERN.match(header.strip())
    ]
    score, comment, score_text = _question_columns(questions, kind)
    if comment is None and score + 1 < len(subheaders) and subheaders[score + 1].strip().lower().startswith("other"):
        comment = score + 1  # "Other (please specify)" under the same question
    return _Layout(
        header_rows=2,
        date=_require(_index(headers, "end date", "start date"), "End Date", headers),
        score=score,
        comment=comment,
        touchpoint=_touchpoint(headers, subheaders),
        response_id=_index(headers, "respondent id"),
        score_header=score_text,
        us_dates=True,
    )


def _typeform(rows: Sequence[_Row], kind: SurveyKind) -> _Layout:
    headers = rows[0].cells
    questions = [
        (index, header.strip())
        for index, header in enumerate(headers)
        if header.strip()
        and header.strip().lower() not in TYPEFORM_META
        and not TOUCHPOINT_PATTERN.match(header.strip())
    ]
    score, comment, score_text = _question_columns(questions, kind)
    return _Layout(
        header_rows=1,
        date=_require(_index(headers, "submit date (utc)", "submitted at"), "Submit Date (UTC)", headers),
        score=score,
        comment=comment,
        touchpoint=_touchpoint(headers),
        response_id=_index(headers, "#"),
        score_header=score_text,
    )


def _qualtrics(rows: Sequence[_Row], kind: SurveyKind) -> _Layout:
    if len(rows) < 3:
        raise SurveyFileError(
            "a Qualtrics export has three header rows (ids, question text, ImportId); this file has fewer"
        )
    ids, texts, imports = rows[0].cells, rows[1].cells, rows[2].cells
    questions = [
        (index, (texts[index] if index < len(texts) else "").strip() or column_id.strip())
        for index, column_id in enumerate(ids)
        if column_id.strip().lower() not in QUALTRICS_META
        and not column_id.strip().upper().endswith("_NPS_GROUP")  # Qualtrics' own promoter/passive/detractor code
        and not TOUCHPOINT_PATTERN.match(column_id.strip())
    ]
    score, comment, score_text = _question_columns(questions, kind)
    date = _require(_index(ids, "recordeddate", "enddate"), "RecordedDate", ids)
    return _Layout(
        header_rows=3,
        date=date,
        score=score,
        comment=comment,
        touchpoint=_touchpoint(ids, texts),
        response_id=_index(ids, "responseid"),
        score_header=score_text,
        date_zone=_import_zone(imports[date] if date < len(imports) else ""),
    )


def _import_zone(import_header: str) -> ZoneInfo | None:
    """The time zone Qualtrics wrote a date column in, from its `{"ImportId": ..., "timeZone": ...}`."""
    try:
        name = json.loads(import_header).get("timeZone")
        return ZoneInfo(name) if isinstance(name, str) and name else None
    except (ValueError, AttributeError, ZoneInfoNotFoundError):
        return None


_LAYOUTS = {"plain": _plain, "surveymonkey": _surveymonkey, "typeform": _typeform, "qualtrics": _qualtrics}
