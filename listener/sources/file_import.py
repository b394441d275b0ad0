"""Mentions from files: JSONL or CSV exports of other listening tools (Brandwatch, Brand24...).

A file (or every file a glob matches) is read from where the last poll stopped: the cursor keeps,
per file, the byte offset after the last complete record, the line number, and a fingerprint of the
file's first line and of the bytes just before the offset. A file that grew is read on from the
offset; a file that was replaced or truncated is read again from the start (storage keeps one
copy per id), so a restart neither duplicates nor misses rows. A line still being written (no
newline yet) waits for the next poll.

A row that cannot become a mention is logged with its file and line and skipped, and the rows
around it are stored: one bad row must never block a file. That covers rows that cannot be read
(a stray quote, a binary line, a field over the csv module's 128 KiB limit) and rows whose values
storage could not keep or that cannot be true (`listener.core.limits`: an id too long or with a NUL
byte or a lone surrogate, a date outside 1970-2200 or in the future; counts too large are
clamped). UTF-16 files (with a byte-order mark, as Excel's "Unicode text" writes them) are read as
UTF-8 transcoded in memory; offsets then count bytes of the transcoded text.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import logging
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from listener.config import BrandConfig
from listener.config.types import ConfigPath, TimeZoneName
from listener.core.language import normalise_language_tag
from listener.core.limits import (
    MAX_COUNT,
    MAX_ID_LENGTH,
    MAX_REACH,
    bounded_count,
    id_problem,
    implausible_time,
)
from listener.core.records import Mention
from listener.sources.base import (
    Collector,
    CollectorSettings,
    CollectorType,
    Cursor,
    FetchResult,
    SourceContext,
    SourceMisconfigured,
)
from listener.sources.http import content_digest, strip_html

log = logging.getLogger(__name__)

FIELDS = ("id", "date", "title", "text", "url", "author", "reach", "language", "likes", "shares", "replies")

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "external_id", "mention_id", "post_id", "resource_id", "tweet_id", "guid"),
    "date": ("date", "created_at", "created", "published", "published_at", "date_published", "timestamp", "datetime", "time"),
    "title": ("title", "headline"),
    "text": ("full_text", "content", "text", "body", "message", "snippet", "mention", "description"),
    "url": ("url", "link", "permalink", "mention_url", "original_url"),
    "author": ("author", "username", "screen_name", "handle", "user", "author_name", "author_username", "full_name"),
    "reach": ("followers", "reach", "author_reach", "author_followers", "audience", "twitter_followers"),
    "language": ("language", "lang"),
    "likes": ("likes", "like_count", "favorites", "favourites", "reactions", "twitter_likes"),
    "shares": ("shares", "share_count", "retweets", "reposts", "twitter_retweets"),
    "replies": ("comments", "replies", "reply_count", "comment_count", "twitter_replies"),
}
"""Recognised column names per field, most specific first; compared ignoring case, spaces and
punctuation, so `Full Text`, `full_text` and `FULLTEXT` are one name."""

HEADER_SEARCH_LINES = 30  # Brandwatch exports put report details above the header row
TAIL_BYTES = 256
MAX_FIELD_LINES = 100  # a quoted field spanning more lines than this is taken for a stray quote


_NOT_ALNUM = re.compile(r"[^0-9a-z]")


@lru_cache(maxsize=4096)
def _key(name: str) -> str:
    return _NOT_ALNUM.sub("", name.casefold())


class FileImportSettings(CollectorSettings):
    path: ConfigPath = Field(min_length=1, description="A file, or a glob such as exports/*.csv, relative to the config file.")
    format: Literal["auto", "jsonl", "csv"] = Field("auto", description="auto: by extension (.csv/.tsv or .jsonl/.ndjson).")
    timezone: TimeZoneName = Field("UTC", description="Zone of dates written without an offset.")
    day_first: bool = Field(False, description="Read 02/11/2026 as 2 November (European exports).")
    columns: dict[str, str] = Field(default_factory=dict, description="field -> column name, for unusual exports.")
    max_rows_per_poll: int = Field(50_000, ge=1, description="Rows read per poll; the rest wait for the next.")

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)} (known: {', '.join(FIELDS)})")
        return value


class RowError(ValueError):
    """A record that cannot become a mention; logged with its file and line, then skipped."""


ROW_ERRORS = (ValueError, TypeError, ArithmeticError, RecursionError, csv.Error)
"""What reading one row may raise (RowError among them): the row is skipped, never the file.
ArithmeticError: numbers past what floats, ints or dates hold; RecursionError: JSON nested
thousands deep."""

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FileImportCollector:
    def __init__(self, context: SourceContext):
        self._settings: FileImportSettings = context.settings
        self._source = context.name
        self._clock = context.clock
        self._max_future = context.max_future
        self._zone = ZoneInfo(self._settings.timezone)
        self._mappings: dict[tuple[str, ...], dict[str, str]] = {}

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        positions: dict[str, Any] = dict((cursor or {}).get("files", {}))
        mentions: list[Mention] = []
        budget = self._settings.max_rows_per_poll
        for path in self._paths():
            if budget <= 0:
                break
            found, positions[str(path)] = self._read(path, positions.get(str(path)), budget)
            budget -= len(found)
            mentions.extend(found)
        return FetchResult(mentions, {"files": positions})

    def check(self, brand: BrandConfig) -> str:
        paths = self._paths()
        if not paths:
            return f"no file matches {self._settings.path} yet"
        described = []
        for path in paths[:5]:
            if self._format(path) == "csv":
                header = self._header(path)
                if header is None:
                    described.append(f"{path.name}: no header row found")
                    continue
                original = {_key(name): name for name in header[3]}
                mapping = ", ".join(f"{field}={original[column]}" for field, column in header[2].items())
                described.append(f"{path.name}: {mapping}")
            else:
                described.append(f"{path.name}: JSONL")
        return f"{len(paths)} file(s); " + "; ".join(described)

    # -- files --------------------------------------------------------------------------------

    def _paths(self) -> list[Path]:
        pattern = self._settings.path
        if not glob.has_magic(pattern):
            path = Path(pattern)
            if not path.is_file():
                raise SourceMisconfigured(f"{self._source}: {pattern}: no such file")
            return [path.resolve()]
        return sorted(Path(match).resolve() for match in glob.glob(pattern, recursive=True) if Path(match).is_file())

    def _format(self, path: Path) -> str:
        if self._settings.format != "auto":
            return self._settings.format
        return "csv" if path.suffix.lower() in (".csv", ".tsv", ".txt") else "jsonl"

    def _read(self, path: Path, position: dict[str, Any] | None, budget: int) -> tuple[list[Mention], dict[str, Any]]:
        with _open(path) as handle:
            head = handle.readline(4096)
            position = position if position and self._still_same_file(handle, head, position) else None
            if position is None:
                position = {"offset": 0, "line": 0}
            if self._format(path) == "csv":
                return self._read_csv(path, handle, position, budget, head)
            return self._read_jsonl(path, handle, position, budget, head)

    @staticmethod
    def _still_same_file(handle: Any, head: bytes, position: dict[str, Any]) -> bool:
        """Same first line, and the bytes before the offset unchanged: the file only grew."""
        offset = int(position.get("offset", 0))
        if position.get("head") != _digest(head):
            return False
        handle.seek(0, io.SEEK_END)
        if handle.tell() < offset:
            return False
        handle.seek(max(offset - TAIL_BYTES, 0))
        return position.get("tail") == _digest(handle.read(min(offset, TAIL_BYTES)))

    def _lines(self, handle: Any, offset: int, line: int) -> Iterator[tuple[int, int, bytes, bool]]:
        """(line number, offset after the line, raw line, complete?) from `offset` on."""
        handle.seek(offset)
        for raw in handle:
            line += 1
            offset += len(raw)
            yield line, offset, raw, raw.endswith(b"\n")

    def _position(self, handle: Any, head: bytes, offset: int, line: int) -> dict[str, Any]:
        handle.seek(max(offset - TAIL_BYTES, 0))
        tail = handle.read(min(offset, TAIL_BYTES))
        return {"offset": offset, "line": line, "head": _digest(head), "tail": _digest(tail)}

    def _read_jsonl(
        self, path: Path, handle: Any, position: dict[str, Any], budget: int, head: bytes
    ) -> tuple[list[Mention], dict[str, Any]]:
        offset, line = int(position["offset"]), int(position["line"])
        mentions: list[Mention] = []
        for number, end, raw, complete in self._lines(handle, offset, line):
            if len(mentions) >= budget:
                break
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace").strip()
            if text:
                try:
                    record = json.loads(text)
                    if not isinstance(record, dict):
                        raise RowError(f"expected a JSON object, got {type(record).__name__}")
                    mentions.append(self._mention({_key(k): v for k, v in record.items()}, self._json_columns(record)))
                except json.JSONDecodeError as error:
                    if not complete:  # still being written: read it whole next poll
                        break
                    self._skip(path, number, error)
                except ROW_ERRORS as error:
                    self._skip(path, number, error)
            offset, line = end, number
        return mentions, self._position(handle, head, offset, line)

    def _json_columns(self, record: dict[str, Any]) -> dict[str, str]:
        return self._mapping(tuple(str(name) for name in record))

    def _read_csv(
        self, path: Path, handle: Any, position: dict[str, Any], budget: int, head: bytes
    ) -> tuple[list[Mention], dict[str, Any]]:
        header = self._header(path)
        if header is None:
            raise SourceMisconfigured(
                f"{self._source}: {path}: no header row with a date and a text column in the first "
                f"{HEADER_SEARCH_LINES} lines (recognised: {', '.join(COLUMN_ALIASES['date'])} / "
                f"{', '.join(COLUMN_ALIASES['text'])}; or set `columns`)"
            )
        header_end, header_line, columns, names, dialect = header
        offset, line = max(int(position["offset"]), header_end), max(int(position["line"]), header_line)
        mentions: list[Mention] = []
        for record in _csv_records(self._lines(handle, offset, line), len(names), dialect):
            if len(mentions) >= budget:
                break
            offset, line = record.end, record.last_line
            if record.problem is not None:
                self._skip(path, record.first_line, record.problem)
                continue
            for row in record.rows:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(names):
                    self._skip(path, record.first_line, RowError(f"{len(row)} fields where the header has {len(names)}"))
                    continue
                try:
                    mentions.append(self._mention({_key(name): value for name, value in zip(names, row)}, columns))
                except ROW_ERRORS as error:
                    self._skip(path, record.first_line, error)
        return mentions, self._position(handle, head, offset, line)

    def _header(self, path: Path) -> tuple[int, int, dict[str, str], list[str], type[csv.Dialect]] | None:
        """Where the header row ends, its line, the field -> column mapping, the names, the dialect."""
        with _open(path) as handle:
            offset = 0
            for number in range(1, HEADER_SEARCH_LINES + 1):
                raw = handle.readline()
                if not raw:
                    return None
                offset += len(raw)
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace")
                dialect = _dialect(text, path)
                try:
                    names = next(csv.reader([text], dialect), [])
                except csv.Error:  # a report line above the header that is no CSV at all
                    continue
                columns = self._mapping(names)
                if "date" in columns and ("text" in columns or "title" in columns):
                    return offset, number, columns, names, dialect
        return None

    def _mapping(self, names: tuple[str, ...] | list[str]) -> dict[str, str]:
        """field -> the column (by its normalised name) that holds it; JSONL records repeat the
        same keys, so the answer is remembered per key set."""
        names = tuple(names)
        if names not in self._mappings:
            if len(self._mappings) >= 256:  # records with ever-changing keys: keep the memory bounded
                self._mappings.clear()
            self._mappings[names] = self._find_columns(names)
        return self._mappings[names]

    def _find_columns(self, names: tuple[str, ...]) -> dict[str, str]:
        present = {_key(name): name for name in names if name}
        mapping: dict[str, str] = {}
        for field in FIELDS:
            override = self._settings.columns.get(field)
            candidates = (override,) if override else COLUMN_ALIASES[field]
            for candidate in candidates:
                if _key(candidate) in present:
                    mapping[field] = _key(candidate)
                    break
        return mapping

    def _skip(self, path: Path, line: int, error: Exception) -> None:
        log.warning("%s: %s line %d skipped: %s: %s", self._source, path.name, line, type(error).__name__, error)

    # -- records ------------------------------------------------------------------------------

    def _mention(self, record: dict[str, Any], columns: dict[str, str]) -> Mention:
        def value(field: str) -> Any:
            column = columns.get(field)
            found = record.get(column) if column else None
            return found.strip() if isinstance(found, str) else found

        title, body = strip_html(_text(value("title"))), strip_html(_text(value("text")))
        text = body if title and body.startswith(title) else "\n".join(part for part in (title, body) if part)
        if not text:
            raise RowError("no text (looked for columns " + ", ".join(COLUMN_ALIASES["text"]) + ")")
        raw_date = value("date")
        if raw_date in (None, ""):
            raise RowError("no date (looked for columns " + ", ".join(COLUMN_ALIASES["date"]) + ")")
        created_at = self._time(raw_date)
        problem = implausible_time(created_at, self._clock.now(), self._max_future)
        if problem:
            raise RowError(problem)
        author = _text(value("author")) or None
        url = _text(value("url")) or None
        external_id = _text(value("id")) or _url_id(url) or "sha:" + content_digest(created_at.isoformat(), author, text)
        problem = id_problem(external_id)
        if problem:
            raise RowError(problem)
        language = normalise_language_tag(_text(value("language")))
        return Mention(
            source=self._source,
            external_id=external_id,
            text=text,
            created_at=created_at,
            author=author,
            author_reach=_count(value("reach"), MAX_REACH),
            url=url,
            language=language,
            likes=_count(value("likes")) or 0,
            shares=_count(value("shares")) or 0,
            replies=_count(value("replies")) or 0,
        )

    def _time(self, raw: Any) -> datetime:
        is_number = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        if is_number or (isinstance(raw, str) and re.fullmatch(r"\d{9,13}(\.\d+)?", raw)):
            seconds = float(raw)
            try:
                return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
            except (OverflowError, OSError, ValueError):  # inf, nan, or past year 9999
                raise RowError(f"date {raw!r} is out of range") from None
        if not isinstance(raw, str):
            raise RowError(f"date {raw!r} is not text or a number")
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            from dateutil import parser

            try:
                moment = parser.parse(raw, dayfirst=self._settings.day_first)
            except (ValueError, OverflowError) as error:
                raise RowError(f"unreadable date {raw!r}") from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self._zone)
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # year 1 east of UTC, year 9999 west of it
            raise RowError(f"date {raw!r} is out of range") from None


Line = tuple[int, int, bytes, bool]
"""(line number, offset after the line, raw line, complete?)"""


@dataclass(frozen=True)
class CsvRecord:
    """One CSV record, or lines that could not be read as one (`problem`), and where they end."""

    first_line: int
    last_line: int
    end: int
    rows: list[list[str]]
    problem: Exception | None = None


def _csv_records(lines: Iterator[Line], width: int, dialect: type[csv.Dialect]) -> Iterator[CsvRecord]:
    """The records of `lines` in order, stopping before one still being written.

    A quote opens a field that may span lines, so lines are gathered until the quotes balance. A
    quote that never closes is a stray one (`5" screen`, a binary line), not a long field, when
    MAX_FIELD_LINES lines pass without it closing, or when the file ends inside it while a later
    line is a whole row by itself: then its line is skipped and the lines after it are read again,
    so the next valid row is not lost. Without that evidence a file ending inside a quote is a row
    still being written, and waits for the next poll.
    """
    pending: list[Line] = []
    replay: deque[Line] = deque()
    while True:
        item = replay.popleft() if replay else next(lines, None)
        if item is None:
            if pending and _stray_quote(pending, width, dialect):
                yield _unbalanced(pending[0])
                replay.extend(pending[1:])
                pending = []
                continue
            return
        pending.append(item)
        complete = item[3]
        chunk = _utf8(b"".join(raw for _, _, raw, _ in pending))
        if chunk.count('"') % 2 == 1:  # inside a quoted field that spans lines
            if not complete:
                return  # ...and the file ends there: the row is still being written
            if len(pending) < MAX_FIELD_LINES:
                continue
            yield _unbalanced(pending[0])
            replay.extendleft(reversed(pending[1:]))
            pending = []
            continue
        first_line, (last_line, end, _, _) = pending[0][0], pending[-1]
        pending = []
        try:
            rows = list(csv.reader(io.StringIO(chunk, newline=""), dialect))
        except csv.Error as error:  # a field over the csv module's size limit
            yield CsvRecord(first_line, last_line, end, [], RowError(f"unreadable CSV: {error}"))
            continue
        if not complete and (not rows or len(rows[-1]) < width):
            return  # a last row without its newline and short of fields: still being written
        yield CsvRecord(first_line, last_line, end, rows)


def _stray_quote(pending: list[Line], width: int, dialect: type[csv.Dialect]) -> bool:
    """Whether a line after the one opening the quote is a whole row of `width` fields by itself."""
    for _, _, raw, _ in pending[1:]:
        text = _utf8(raw)
        if text.count('"') % 2:
            continue
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
        except csv.Error:
            continue
        if len(rows) == 1 and len(rows[0]) == width:
            return True
    return False


def _unbalanced(line: Line) -> CsvRecord:
    number, end, _, _ = line
    return CsvRecord(number, number, end, [], RowError("unbalanced quote"))


def _open(path: Path) -> BinaryIO:
    """The file's bytes as UTF-8: a UTF-16 file (known by its byte-order mark) is transcoded in memory."""
    handle = path.open("rb")
    if handle.read(2) not in UTF16_BOMS:
        handle.seek(0)
        return handle
    with handle:
        handle.seek(0)
        return io.BytesIO(handle.read().decode("utf-16", errors="replace").encode("utf-8"))


def _dialect(line: str, path: Path) -> type[csv.Dialect]:
    if path.suffix.lower() == ".tsv" or line.count("\t") > max(line.count(","), line.count(";")):
        return csv.excel_tab
    if line.count(";") > line.count(","):
        class Semicolon(csv.excel):
            delimiter = ";"

        return Semicolon
    return csv.excel


def _utf8(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _count(value: Any, maximum: int = MAX_COUNT) -> int | None:
    """Counts as exports write them: 1264, "1,264", "1 264", "" (unknown); clamped to 0..`maximum`."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return bounded_count(value, maximum)
    digits = re.sub(r"[\s,'_]", "", str(value))
    try:
        return bounded_count(float(digits), maximum) if digits else None
    except ValueError:
        return None


def _url_id(url: str | None) -> str | None:
    """A row without an id is known by its URL, or by the URL's digest when that is too long for an id."""
    if url is None or len(url) <= MAX_ID_LENGTH:
        return url
    return "url:" + content_digest(url)


def build(context: SourceContext) -> Collector:
    return FileImportCollector(context)


PLUGIN = CollectorType(name="file", settings_model=FileImportSettings, build=build)
