"""CSV and XLSX files of mention lists and time series.

Mention text is attacker-controlled and these files are opened in spreadsheets, so a cell that
starts like a formula (`=`, `+`, `-`, `@`) is written with a leading apostrophe in CSV and as a
plain string in XLSX (xlsxwriter with formula and URL detection off): a post saying
`=HYPERLINK(...)` stays text.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

import xlsxwriter

from listener.storage.queries import MentionRecord, SeriesRow

MENTION_COLUMNS = ["created_at", "brands", "source", "author", "author_reach", "language", "sentiment", "score", "rating", "url", "text", "id"]
SERIES_COLUMNS = ["bucket_start", "mentions", "negative", "neutral", "positive", "net_sentiment"]
CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_575


def mention_values(mention: MentionRecord) -> list[Any]:
    record = mention.as_json()
    record["brands"] = ", ".join(mention.brands)
    return [record[column] for column in MENTION_COLUMNS]


def series_values(row: SeriesRow) -> list[Any]:
    record = row.as_json()
    return [record[column] for column in SERIES_COLUMNS]


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_lines(columns: Sequence[str], rows: Iterable[Sequence[Any]], chunk_rows: int = 500) -> Iterator[str]:
    """CSV text `chunk_rows` rows at a time: a large export streams instead of filling memory,
    without paying the server's per-chunk cost for every row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for count, row in enumerate(rows, 1):
        writer.writerow([neutralise(value) for value in row])
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_bytes(sheet_title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """An XLSX workbook of `rows`. Strings are always strings: no formulas, no auto-links."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet(_SHEET_TITLE.sub(" ", sheet_title)[:31])
    sheet.write_row(0, 0, list(columns), workbook.add_format({"bold": True}))
    for index, row in enumerate(rows, 1):
        if index > XLSX_MAX_ROWS:
            break
        sheet.write_row(index, 0, [_strip_control(value) if isinstance(value, str) else value for value in row])
    sheet.freeze_panes(1, 0)
    workbook.close()
    return output.getvalue()


_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _strip_control(text: str) -> str:
    """XML 1.0 cannot hold most control characters."""
    return _CONTROL.sub("", text)


def download_name(kind: str, brand: str | None, extension: str, now: datetime) -> str:
    label = re.sub(r"[^A-Za-z0-9_-]+", "-", brand or "all-brands").strip("-") or "brand"
    return f"{kind}-{label}-{now:%Y%m%d-%H%M}.{extension}"
