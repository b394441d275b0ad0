"""The read queries behind the dashboard, the JSON API, the exports and `listener history`.

One module answers every "what happened" question so that the CLI, the API and the charts give
the same numbers for the same filters. Everything here only reads; time buckets are UTC and a
series always covers whole buckets, so `--until 10:59` and `until=10:59` both mean "up to the end
of the 10:00 bucket".
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from listener.core.buckets import (
    BUCKETS,
    Bucket,
    bucket_floor,
    bucket_next,
    bucket_starts,
)
from listener.core.clock import utcnow
from listener.core.limits import DEFAULT_MAX_FUTURE, EARLIEST, in_time_range
from listener.core.records import SENTIMENT_LABELS
from listener.core.sentiment import net_sentiment
from listener.storage.filters import (
    MentionFilter,
    QueryError,
    bucket_key,
    bucket_span,
    created_at_column,
    filtered,
    iso,
    label_column,
    parse_bucket,
)
from listener.storage.repository import Store
from listener.storage.rollups import rollup_series
from listener.storage.rows import labelled_count
from listener.storage.schema import (
    AlertRow,
    MentionBrandRow,
    MentionRow,
)

MAX_PAGE = 1000
MAX_ROW_ID = 2**63 - 1
"""The largest id a cursor may name (BIGINT); SQLite and PostgreSQL refuse to compare with more."""


@dataclass(frozen=True)
class SeriesRow:
    bucket_start: datetime
    mentions: int
    negative: int
    neutral: int
    positive: int
    net_sentiment: float | None
    """(positive - negative) / (positive + negative); None when neither occurs."""

    def as_json(self) -> dict[str, object]:
        row = asdict(self)
        row["bucket_start"] = iso(self.bucket_start)
        return row


@dataclass(frozen=True)
class MentionRecord:
    id: int
    created_at: datetime
    source: str
    author: str | None
    author_reach: int | None
    url: str | None
    language: str | None
    text: str
    sentiment: str | None
    score: float | None
    brands: tuple[str, ...] = ()
    rating: int | None = None
    """A review's stars (1-5); None for every other mention."""

    def as_json(self) -> dict[str, object]:
        row = asdict(self)
        row["created_at"] = iso(self.created_at)
        row["brands"] = list(self.brands)
        return row


@dataclass(frozen=True)
class MentionPage:
    mentions: list[MentionRecord]
    next_cursor: str | None
    """Pass as `cursor` to get the next (older) page; None on the last page."""


@dataclass(frozen=True)
class AuthorStats:
    author: str
    reach: int
    mentions: int
    negative: int


@dataclass(frozen=True)
class ModelChange:
    """From `since` on (in mention time), the filtered mentions were scored by `model`."""

    since: datetime
    model: str

    def as_json(self) -> dict[str, object]:
        return {"since": iso(self.since), "model": self.model}


@dataclass(frozen=True)
class TermCount:
    term: str
    count: int


@dataclass(frozen=True)
class PeriodStats:
    since: datetime
    until: datetime
    mentions: int
    """Every mention, scored or not: negative + neutral + positive + unscored."""
    negative: int
    neutral: int
    positive: int
    unscored: int
    """Mentions the model has not scored yet (scoring lags collection)."""
    net_sentiment: float | None


@dataclass(frozen=True)
class PeriodComparison:
    current: PeriodStats
    previous: PeriodStats

    @property
    def length(self) -> timedelta:
        return self.current.until - self.current.since

    @property
    def mentions_change(self) -> float | None:
        """Relative change in volume; None when the previous period had none."""
        if not self.previous.mentions:
            return None
        return (self.current.mentions - self.previous.mentions) / self.previous.mentions


@dataclass(frozen=True)
class AlertRecord:
    id: int
    brand: str
    window_start: datetime
    window_end: datetime
    observed: int
    expected: float
    severity: str
    score: float
    top_mention_ids: tuple[int, ...] = field(default_factory=tuple)
    kind: str = "firing"
    """firing, escalation, repeat or resolved: a resolution carries the severity the incident had."""
    not_sent: str | None = None
    """Why the message was recorded without being sent (a silence, quiet hours, history); None when sent."""
    negative_share: float = 0.0
    """Negative mentions over all mentions in the window (so far, for an early alert)."""

    def as_json(self) -> dict[str, object]:
        row = asdict(self)
        row["window_start"], row["window_end"] = iso(self.window_start), iso(self.window_end)
        row["top_mention_ids"] = list(self.top_mention_ids)
        return row


class Analytics:
    """Read-only queries over a Store's database. Thread-safe: one short session per call.

    Where a query's range is not given, it is taken from the data: only from mentions whose time
    can be true (from 1990 to `max_future` past `now`), so that one stored mention dated 2999 or
    1975 (collected before ingestion refused them, or written into the database by hand) cannot
    stretch every default range over centuries.
    """

    def __init__(self, store: Store, max_future: timedelta = DEFAULT_MAX_FUTURE, now: Callable[[], datetime] = utcnow):
        self.engine = store.engine
        self._max_future = max_future
        self._now = now

    def _bounds(self, mention_filter: MentionFilter) -> Select:
        """The first and last filtered mention among those whose time can be true."""
        created = created_at_column(mention_filter)
        query = filtered(select(func.min(created), func.max(created)), mention_filter)
        return query.where(created >= EARLIEST, created <= self._now() + self._max_future)

    # -- time series --------------------------------------------------------------------------

    def series(self, mention_filter: MentionFilter, bucket: Bucket = "hour", rollups: bool = True) -> list[SeriesRow]:
        """Mentions per sentiment per bucket, zero-filled over whole buckets.

        Without `since`/`until` the series runs from the first to the last matching mention, but
        without `since` over MAX_BUCKETS buckets at most: the latest ones. A `since` further back
        than MAX_BUCKETS buckets is refused.
        `rollups=False` counts the mentions themselves even where rollups could answer (bench/dashboard.py).
        """
        if bucket not in BUCKETS:
            raise QueryError(f"unknown bucket {bucket!r} (use {', '.join(BUCKETS)})")
        with Session(self.engine) as session:
            start, end = mention_filter.since, mention_filter.until
            if start is None or end is None:
                first, last = session.execute(self._bounds(mention_filter)).one()
                if first is None:
                    return []
                start = start or first
                end = end or last + timedelta(microseconds=1)
            start, end = bucket_span(start, end, bucket, since_given=mention_filter.since is not None)
            if rollups and mention_filter.brand is not None and not mention_filter.search and not mention_filter.topics:
                return _rollup_series(session.connection(), mention_filter, start, end, bucket)
            ranged = replace(mention_filter, since=start, until=end)
            key = bucket_key(session, created_at_column(ranged), bucket).label("bucket")
            label = label_column(ranged)
            query = filtered(
                select(
                    key,
                    func.count(),
                    *(labelled_count(label, name) for name in SENTIMENT_LABELS),
                ),
                ranged,
            ).group_by(key)
            counts = {parse_bucket(row[0]): row for row in session.execute(query)}
        rows = []
        for bucket_start in bucket_starts(start, end, bucket):
            found = counts.get(bucket_start)
            negative, neutral, positive = (int(found[i] or 0) for i in (2, 3, 4)) if found else (0, 0, 0)
            rows.append(
                SeriesRow(bucket_start, int(found[1]) if found else 0, negative, neutral, positive, net_sentiment(positive, neutral, negative))
            )
        return rows

    def span(self, mention_filter: MentionFilter) -> timedelta | None:
        """How much time the filtered mentions cover; None when there are none."""
        with Session(self.engine) as session:
            first, last = session.execute(self._bounds(mention_filter)).one()
        if first is None:
            return None
        return (mention_filter.until or last) - (mention_filter.since or first)

    def share_of_voice(self, mention_filter: MentionFilter, brands: Sequence[str]) -> dict[str, int]:
        """Mentions per brand, of every sentiment, under the other filters (time, source,
        language, text). The filter's own brand and sentiments are ignored: share of voice is how
        much of the conversation is about each brand, and counting only, say, negative mentions
        would silently turn it into a different number (the share of negative mentions)."""
        counts = dict.fromkeys(brands, 0)
        with Session(self.engine) as session:
            for brand in brands:
                scoped = replace(mention_filter, brand=brand, sentiments=())
                counts[brand] = session.scalar(filtered(select(func.count()), scoped)) or 0
        return counts

    def compare_periods(self, mention_filter: MentionFilter, length: timedelta = timedelta(weeks=1)) -> PeriodComparison:
        """The `length` ending at `until` (or at the end of the latest filtered mention's day)
        against the `length` before it, under every other filter.

        A `since` less than `length` before that end shortens both periods to the selected range:
        the range against the equally long stretch before it. Otherwise the current period would
        count mentions that the filters, and every other number on the page, leave out."""
        with Session(self.engine) as session:
            anchor = mention_filter.until
            if anchor is None:
                last = session.execute(self._bounds(mention_filter)).one()[1] or mention_filter.since or self._now()
                anchor = bucket_next(bucket_floor(last, "day"), "day")
            if mention_filter.since is not None and mention_filter.since < anchor:
                length = min(length, anchor - mention_filter.since)
            periods = []
            for end in (anchor, anchor - length):
                scoped = replace(mention_filter, since=end - length, until=end)
                label = label_column(scoped)
                total, *labelled = session.execute(
                    filtered(
                        select(func.count(), *(labelled_count(label, name) for name in SENTIMENT_LABELS)),
                        scoped,
                    )
                ).one()
                negative, neutral, positive = (int(count or 0) for count in labelled)
                periods.append(
                    PeriodStats(
                        end - length, end, int(total), negative, neutral, positive,
                        int(total) - negative - neutral - positive, net_sentiment(positive, neutral, negative),
                    )
                )
        return PeriodComparison(periods[0], periods[1])

    # -- mentions -----------------------------------------------------------------------------

    def mentions(self, mention_filter: MentionFilter, limit: int = 50, cursor: str | None = None) -> MentionPage:
        """Newest first, `limit` at a time; keyset pagination, so pages stay stable while the
        daemon inserts newer mentions."""
        if not 1 <= limit <= MAX_PAGE:
            raise QueryError(f"limit must be between 1 and {MAX_PAGE}")
        query = filtered(select(MentionRow), mention_filter, join_always=True)
        if cursor is not None:
            after_time, after_id = decode_cursor(cursor)
            query = query.where(
                or_(
                    MentionRow.created_at < after_time,
                    and_(MentionRow.created_at == after_time, MentionRow.id < after_id),
                )
            )
        query = query.order_by(MentionRow.created_at.desc(), MentionRow.id.desc()).limit(limit + 1)
        with Session(self.engine) as session:
            rows = list(session.scalars(query))
            more = len(rows) > limit
            rows = rows[:limit]
            brands: dict[int, list[str]] = {}
            if rows:
                links = session.execute(
                    select(MentionBrandRow.mention_id, MentionBrandRow.brand)
                    .where(MentionBrandRow.mention_id.in_([row.id for row in rows]))
                    .order_by(MentionBrandRow.brand)
                )
                for mention_id, brand in links:
                    brands.setdefault(mention_id, []).append(brand)
            records = [_record(row, tuple(brands.get(row.id, ()))) for row in rows]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
        return MentionPage(records, next_cursor)

    def iter_mentions(self, mention_filter: MentionFilter, chunk: int = MAX_PAGE) -> Iterator[MentionRecord]:
        """Every matching mention, newest first, read a page at a time (for exports).

        The first page is read before this returns: a filter the database cannot answer fails the
        request with its error, not a streamed export that has already answered 200 and stops."""
        return self._pages(mention_filter, chunk, self.mentions(mention_filter, chunk))

    def _pages(self, mention_filter: MentionFilter, chunk: int, page: MentionPage) -> Iterator[MentionRecord]:
        while True:
            yield from page.mentions
            if page.next_cursor is None:
                return
            page = self.mentions(mention_filter, chunk, page.next_cursor)

    def model_changes(self, mention_filter: MentionFilter) -> list[ModelChange]:
        """Where the scoring model changes among the filtered mentions: each model but the first,
        from its earliest mention on. A store moved to a new model for recent mentions only
        (`listener rescore --since`), or one that kept scoring with a new default after an upgrade,
        shows a step at that date that is the model's, not the brand's."""
        created = created_at_column(mention_filter)
        query = filtered(
            select(MentionRow.model, func.min(created)), mention_filter, join_always=True
        ).where(MentionRow.model.is_not(None)).group_by(MentionRow.model)
        with Session(self.engine) as session:
            firsts = sorted((first, model) for model, first in session.execute(query).all())
        return [ModelChange(first, model) for first, model in firsts[1:]]

    def top_authors(
        self, mention_filter: MentionFilter, by: Literal["reach", "negative"] = "reach", limit: int = 10
    ) -> list[AuthorStats]:
        """Who was heard most (largest reach), or who complained most (most negative mentions)."""
        label = MentionRow.sentiment_label
        reach = func.max(func.coalesce(MentionRow.author_reach, 0))
        negative = labelled_count(label, "negative")
        query = filtered(
            select(MentionRow.author, reach, func.count(), negative), mention_filter, join_always=True
        ).where(MentionRow.author.is_not(None)).group_by(MentionRow.author)
        if by == "negative":
            query = query.having(negative > 0).order_by(negative.desc(), reach.desc(), MentionRow.author)
        else:
            query = query.order_by(reach.desc(), func.count().desc(), MentionRow.author)
        with Session(self.engine) as session:
            rows = session.execute(query.limit(limit)).all()
        return [AuthorStats(row[0], int(row[1] or 0), int(row[2]), int(row[3] or 0)) for row in rows]

    def top_terms(
        self, mention_filter: MentionFilter, limit: int = 10, sample: int = 5000, excluded: frozenset[str] = frozenset()
    ) -> dict[str, dict[str, list[TermCount]]]:
        """Per sentiment, the words and hashtags in most of the newest `sample` mentions.

        Terms are cut exactly as for an alert's driving terms (links, handles and stop words of
        the major languages dropped), and `excluded` drops the brand's own words, which are in
        every mention by construction.
        """
        from listener.core.terms import terms

        result: dict[str, dict[str, list[TermCount]]] = {}
        with Session(self.engine) as session:
            for sentiment in mention_filter.sentiments or SENTIMENT_LABELS:
                scoped = replace(mention_filter, sentiments=(sentiment,))
                texts = session.scalars(
                    filtered(select(MentionRow.text), scoped, join_always=True)
                    .order_by(MentionRow.created_at.desc())
                    .limit(sample)
                )
                words: Counter[str] = Counter()
                hashtags: Counter[str] = Counter()
                for text in texts:
                    for term in terms(text, excluded):
                        (hashtags if term.startswith("#") else words)[term] += 1
                result[sentiment] = {
                    "terms": [TermCount(term, count) for term, count in _most_common(words, limit)],
                    "hashtags": [TermCount(term, count) for term, count in _most_common(hashtags, limit)],
                }
        return result

    # -- alerts and filter choices --------------------------------------------------------------

    def alerts(self, mention_filter: MentionFilter, limit: int = 100) -> list[AlertRecord]:
        """Alerts whose window overlaps the filter's range, newest first."""
        query = select(AlertRow)
        if mention_filter.brand:
            query = query.where(AlertRow.brand == mention_filter.brand)
        if mention_filter.since:
            query = query.where(AlertRow.window_end > mention_filter.since)
        if mention_filter.until:
            query = query.where(AlertRow.window_start < mention_filter.until)
        with Session(self.engine) as session:
            rows = session.scalars(query.order_by(AlertRow.window_start.desc(), AlertRow.id.desc()).limit(limit)).all()
        return [
            AlertRecord(
                row.id, row.brand, row.window_start, row.window_end, row.observed, row.expected,
                row.severity, row.score, tuple(row.top_mention_ids or ()), row.kind, row.suppressed, row.negative_share,
            )
            for row in rows
        ]

    def known_values(self) -> dict[str, list[str]]:
        """Sources and languages present in storage, for the dashboard's filter menus."""
        with Session(self.engine) as session:
            sources = session.scalars(select(MentionRow.source).distinct().order_by(MentionRow.source)).all()
            languages = session.scalars(
                select(MentionRow.language).where(MentionRow.language.is_not(None)).distinct().order_by(MentionRow.language)
            ).all()
        return {"sources": list(sources), "languages": [language for language in languages if language]}


def _rollup_series(connection: Any, mention_filter: MentionFilter, start: datetime, end: datetime, bucket: Bucket) -> list[SeriesRow]:
    """A brand's series from the pre-aggregated rollups (`listener.storage.rollups`): a year by
    day sums a few thousand rows instead of counting every mention. Text search and all-brand
    series still count mentions, which rollups cannot answer."""
    points = rollup_series(
        connection, mention_filter.brand or "", start, end, bucket,
        sources=mention_filter.sources or None,
        languages=mention_filter.languages or None,
        sentiments=mention_filter.sentiments or None,
    )
    return [SeriesRow(p.bucket_start, p.mentions, p.negative, p.neutral, p.positive, p.net_sentiment) for p in points]


# -- cursors ----------------------------------------------------------------------------------


def encode_cursor(created_at: datetime, mention_id: int) -> str:
    raw = f"{created_at.astimezone(UTC).isoformat()}|{mention_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (time, id) a page ended at. Anything else, a forged id past BIGINT or a time no
    mention can have included, is the client's mistake: a 422, not a database error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        text_time, text_id = raw.split("|")
        moment, mention_id = datetime.fromisoformat(text_time), int(text_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise QueryError("invalid cursor: pass the next_cursor of a previous page unchanged") from None
    if not in_time_range(moment) or not 1 <= mention_id <= MAX_ROW_ID:
        raise QueryError("invalid cursor: pass the next_cursor of a previous page unchanged")
    return moment, mention_id


def _most_common(counts: Counter[str], limit: int) -> list[tuple[str, int]]:
    """Most frequent first, ties alphabetical, so the same data always lists the same terms."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _record(row: MentionRow, brands: tuple[str, ...]) -> MentionRecord:
    return MentionRecord(
        id=row.id,
        created_at=row.created_at,
        source=row.source,
        author=row.author,
        author_reach=row.author_reach,
        url=row.url,
        language=row.language,
        text=row.text,
        sentiment=row.sentiment_label,
        score=None if row.sentiment_score is None else round(row.sentiment_score, 4),
        brands=brands,
        rating=row.rating,
    )


