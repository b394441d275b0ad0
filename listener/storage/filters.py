"""Which mentions a query covers, and the SQL that selects them: shared by every read query.

`MentionFilter` is what the dashboard, the API, the exports and `listener history` all pass; the
functions here turn it into the same WHERE clauses and time buckets for each of them
(`listener.storage.queries`, `listener.storage.ratings`, `listener.storage.topics`), so that one
filter means one set of mentions everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, select
from sqlalchemy.orm import Session

from listener.core.buckets import BUCKET_WIDTH, Bucket, bucket_ceil, bucket_floor
from listener.core.records import SENTIMENT_LABELS
from listener.storage.rows import counted_links, counted_mentions
from listener.storage.schema import MentionBrandRow, MentionRow, MentionTopicRow

MAX_BUCKETS = 20_000
"""A series longer than this is refused: 2 years by hour, 50 by day; nobody reads more bars."""


class QueryError(ValueError):
    """A filter or cursor that cannot be answered, worded for the user who sent it."""


@dataclass(frozen=True)
class MentionFilter:
    """Which mentions a query covers. Empty tuples mean "any"; `since` is inclusive, `until` not."""

    brand: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    search: str | None = None
    topics: tuple[str, ...] = ()
    """Mentions tagged with any of these topics (`[[topics]]`)."""

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                object.__setattr__(self, name, moment.replace(tzinfo=UTC))
        if self.since and self.until and self.since >= self.until:
            raise QueryError(f"since ({iso(self.since)}) must be before until ({iso(self.until)})")
        unknown = [label for label in self.sentiments if label not in SENTIMENT_LABELS]
        if unknown:
            raise QueryError(f"unknown sentiment {unknown[0]!r} (use {', '.join(SENTIMENT_LABELS)})")

    @property
    def needs_mention_columns(self) -> bool:
        """Whether the query must read the mentions table, not only the per-brand index."""
        return bool(self.sources or self.languages or self.search or self.topics) or self.brand is None


def created_at_column(mention_filter: MentionFilter) -> Any:
    return MentionRow.created_at if mention_filter.needs_mention_columns else MentionBrandRow.created_at


def label_column(mention_filter: MentionFilter) -> Any:
    return MentionRow.sentiment_label if mention_filter.needs_mention_columns else MentionBrandRow.sentiment_label


def filtered(query: Select, mention_filter: MentionFilter, join_always: bool = False) -> Select:
    """Apply the filter. A brand-only filter is answered from the per-brand index alone; anything
    else reads the mentions table (joined to the brand index when a brand is given)."""
    if not mention_filter.needs_mention_columns and not join_always:
        query = query.select_from(MentionBrandRow).where(MentionBrandRow.brand == mention_filter.brand, counted_links())
        created, label = MentionBrandRow.created_at, MentionBrandRow.sentiment_label
    else:
        query = query.select_from(MentionRow)
        if mention_filter.brand is not None:
            query = query.join(
                MentionBrandRow,
                and_(MentionBrandRow.mention_id == MentionRow.id, MentionBrandRow.brand == mention_filter.brand, counted_links()),
            )
        else:
            query = query.where(counted_mentions())
        created, label = MentionRow.created_at, MentionRow.sentiment_label
        if mention_filter.sources:
            query = query.where(MentionRow.source.in_(mention_filter.sources))
        if mention_filter.languages:
            query = query.where(MentionRow.language.in_(mention_filter.languages))
        if mention_filter.search:
            query = query.where(MentionRow.text.ilike(f"%{escape_like(mention_filter.search)}%", escape="\\"))
        if mention_filter.topics:
            tagged = select(MentionTopicRow.mention_id).where(MentionTopicRow.topic.in_(mention_filter.topics))
            query = query.where(MentionRow.id.in_(tagged))
    if mention_filter.since is not None:
        query = query.where(created >= mention_filter.since)
    if mention_filter.until is not None:
        query = query.where(created < mention_filter.until)
    if mention_filter.sentiments:
        query = query.where(label.in_(mention_filter.sentiments))
    return query


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def bucket_key(session: Session, column: Any, bucket: Bucket) -> Any:
    """The start of a timestamp's bucket, computed in SQL so only one row per bucket comes back."""
    # Literals, not bound parameters: PostgreSQL only sees that the SELECT and the GROUP BY hold
    # the same expression when their text is identical. `bucket` is one of BUCKETS, never user text.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return func.date_trunc(literal_column(f"'{bucket}'"), column)
    if dialect == "sqlite":
        formats = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00", "month": "%Y-%m-01 00:00:00"}
        if bucket == "week":  # the Monday on or before the day
            return func.date(column, literal_column("'-6 days'"), literal_column("'weekday 1'"))
        return func.strftime(literal_column(f"'{formats[bucket]}'"), column)
    raise NotImplementedError(f"time series are not implemented for the {dialect} dialect")


def parse_bucket(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def bucket_span(start: datetime, end: datetime, bucket: Bucket, since_given: bool) -> tuple[datetime, datetime]:
    """[start, end) widened to whole buckets, at most MAX_BUCKETS of them: the latest ones when the
    caller gave no `since` (a range read from the data), refused when it did (the user asked for it)."""
    start, end = bucket_floor(start, bucket), bucket_ceil(end, bucket)
    longest = MAX_BUCKETS * BUCKET_WIDTH[bucket]
    if end - start > longest and not since_given:
        start = bucket_ceil(end - longest, bucket)
    if (end - start) / BUCKET_WIDTH[bucket] > MAX_BUCKETS:
        raise QueryError(
            f"{iso(start)} to {iso(end)} is more than {MAX_BUCKETS:,} {bucket}s: "
            "choose a wider bucket or a shorter range"
        )
    return start, end


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
