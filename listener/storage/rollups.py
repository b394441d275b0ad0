"""Pre-aggregated sentiment per brand and UTC hour: incremental upkeep, rebuild and series queries.

A dashboard over a year of mentions cannot count raw rows on every page view, so every write that
changes what a mention contributes (stored, linked to a brand, scored, re-scored after an edit,
deleted) also moves its contribution in `sentiment_rollups`, inside the same transaction: the
rollups can never disagree with the mentions after a crash.

The upkeep is a delta, not a recount: `RollupDelta.subtract` reads what the touched mentions
contribute before the write, `add` after it, and `apply` upserts the difference
(`INSERT ... ON CONFLICT DO UPDATE`, atomic on SQLite and PostgreSQL). The delta is only right if
nobody changes the touched mentions between `subtract` and the commit, and if `subtract` reads the
latest committed state. On SQLite the write transaction holds the database's write lock from its
start (`Store`). On PostgreSQL `subtract` first locks the mention rows (`FOR UPDATE`) in a statement
of its own and only then reads their contributions: under READ COMMITTED each statement sees what
was committed when it started, so a read that had waited for the lock inside the same statement
would still miss the links and labels the lock holder committed (a brand link added while a score
was being saved was then never subtracted, and counted twice).

Buckets are UTC: an hour row holds mentions created in [hour, hour + 1h); a day, week (starting
Monday) or calendar month is the sum of its hours. Day rows (`sentiment_rollups_daily`) hold those
sums ready-made, kept in the same transaction as the hours, because a year of hours is too many
rows to sum per page view; series by day, week or month read them, series by hour read the hours.
A brand's plain series (no source or language filter) reads `sentiment_totals_hourly` or
`sentiment_totals_daily`, the same counts without the source and language split: four rows a bucket.
A brand's own posts (`MentionBrandRow.own`) contribute nothing, like every count (`counted_links`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from listener.core.buckets import BUCKETS, Bucket, bucket_floor, bucket_next, hour_of
from listener.core.sentiment import net_sentiment
from listener.storage.rows import counted_links
from listener.storage.schema import (
    DailySentimentRollupRow,
    DailySentimentTotalRow,
    HourlySentimentTotalRow,
    MentionBrandRow,
    MentionRow,
    SentimentRollupRow,
)

LABELS = ("negative", "neutral", "positive")

UNSCORED = ""
"""Stored in place of a NULL label: primary-key columns cannot be NULL."""
UNKNOWN_LANGUAGE = ""

_TABLE = SentimentRollupRow.__table__
_DAILY = DailySentimentRollupRow.__table__
_KEY_COLUMNS = ("brand", "hour", "source", "language", "sentiment")
_HOURLY_TOTALS = HourlySentimentTotalRow.__table__
_DAILY_TOTALS = DailySentimentTotalRow.__table__
_LEVELS: tuple[tuple[Any, tuple[str, ...], Literal["hour", "day"]], ...] = (
    (_TABLE, _KEY_COLUMNS, "hour"),
    (_DAILY, ("brand", "day", "source", "language", "sentiment"), "day"),
    (_HOURLY_TOTALS, ("brand", "hour", "sentiment"), "hour"),
    (_DAILY_TOTALS, ("brand", "day", "sentiment"), "day"),
)
"""Every rollup table: its key columns and time unit. Each is the hourly rows summed over what its key leaves out."""
ID_CHUNK = 500
"""Mention ids per IN (...) list: well under SQLite's bound-parameter limit."""

RollupKey = tuple[str, datetime, str, str, str]


class RollupDelta:
    """The change one transaction makes to the rollups, collected then applied in one statement.

        delta = RollupDelta()
        delta.subtract(session, ids_about_to_change)
        ... change the mentions ...
        delta.add(session, ids_after_the_change)
        delta.apply(session)
    """

    def __init__(self) -> None:
        self._changes: dict[RollupKey, list[Any]] = defaultdict(lambda: [0, 0, 0.0])

    def subtract(self, session: Session, mention_ids: Iterable[int]) -> None:
        """Lock these mentions and take out what they contribute now (call before changing or
        deleting them, before reading anything else about them in this transaction)."""
        ids = sorted(set(mention_ids))
        _lock_mentions(session, ids)
        self._collect(session, ids, -1)

    def add(self, session: Session, mention_ids: Iterable[int]) -> None:
        """Put back what these mentions contribute now (call after the change, before commit)."""
        self._collect(session, sorted(set(mention_ids)), +1)

    def _collect(self, session: Session, ids: Sequence[int], sign: int) -> None:
        for offset in range(0, len(ids), ID_CHUNK):
            query = (
                select(
                    MentionBrandRow.brand,
                    MentionBrandRow.created_at,
                    MentionRow.source,
                    MentionRow.language,
                    MentionBrandRow.sentiment_label,
                    MentionRow.author_reach,
                    MentionRow.sentiment_score,
                )
                .join(MentionRow, MentionRow.id == MentionBrandRow.mention_id)
                .where(MentionBrandRow.mention_id.in_(ids[offset : offset + ID_CHUNK]), counted_links())
                .order_by(MentionBrandRow.mention_id)
            )
            for brand, created_at, source, language, label, reach, score in session.execute(query):
                change = self._changes[(brand, hour_of(created_at), source, language or UNKNOWN_LANGUAGE, label or UNSCORED)]
                change[0] += sign
                change[1] += sign * (reach or 0)
                if label is not None and score is not None:
                    change[2] += sign * score

    def apply(self, session: Session) -> None:
        """Upsert the collected changes into the hour and day rows; rows that reach zero mentions
        are removed."""
        hourly: dict[RollupKey, list[Any]] = {key: change for key, change in self._changes.items() if any(change)}
        self._changes.clear()
        if not hourly:
            return
        for table, key_columns, _ in _LEVELS:
            changes: dict[Any, list[Any]] = defaultdict(lambda: [0, 0, 0.0])
            for key, change in hourly.items():
                slot = changes[_project(key, key_columns)]
                for index in range(3):
                    slot[index] += change[index]
            # Sorted, so concurrent writers on PostgreSQL lock rollup rows in the same order instead of deadlocking.
            rows = [
                dict(zip(key_columns, key), mentions=count, reach=reach, score_sum=score)
                for key, (count, reach, score) in sorted(changes.items())
                if count or reach or score
            ]
            if not rows:
                continue
            session.execute(_upsert(session, table, key_columns), rows)
            emptied = [{f"k_{name}": row[name] for name in key_columns} for row in rows if row["mentions"] < 0]
            if emptied:
                session.execute(
                    delete(table).where(
                        *(table.c[name] == bindparam(f"k_{name}", type_=table.c[name].type) for name in key_columns),
                        table.c.mentions <= 0,
                    ),
                    emptied,
                )


def _lock_mentions(session: Session, ids: Sequence[int]) -> None:
    """Lock the mention rows (in id order, so two writers cannot deadlock) until the commit;
    ignored by SQLite, whose write transactions already hold the whole database."""
    for offset in range(0, len(ids), ID_CHUNK):
        session.execute(
            select(MentionRow.id).where(MentionRow.id.in_(ids[offset : offset + ID_CHUNK])).order_by(MentionRow.id).with_for_update()
        ).all()


def _project(key: RollupKey, key_columns: Sequence[str]) -> tuple[Any, ...]:
    """An hourly key as the key of a coarser rollup table."""
    brand, hour, source, language, sentiment = key
    parts = {"brand": brand, "hour": hour, "day": hour.replace(hour=0), "source": source, "language": language, "sentiment": sentiment}
    return tuple(parts[name] for name in key_columns)


def _upsert(session: Session, table: Any, key_columns: Sequence[str]) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        statement: Any = sqlite.insert(table)
    elif dialect == "postgresql":
        statement = postgresql.insert(table)
    else:
        raise NotImplementedError(f"rollups need INSERT ... ON CONFLICT, which the {dialect} dialect lacks")
    return statement.on_conflict_do_update(
        index_elements=list(key_columns),
        set_={name: table.c[name] + statement.excluded[name] for name in ("mentions", "reach", "score_sum")},
    )


def existing_mention_ids(session: Session, keys: Sequence[tuple[str, str]]) -> list[int]:
    """Ids of the stored mentions among these (source, external id) keys: the ones a batch may change."""
    ids: list[int] = []
    for offset in range(0, len(keys), ID_CHUNK):
        chunk = keys[offset : offset + ID_CHUNK]
        ids.extend(
            session.scalars(
                select(MentionRow.id).where(tuple_(MentionRow.source, MentionRow.external_id).in_(chunk))
            )
        )
    return ids


# -- rebuild ------------------------------------------------------------------------------------


def truncate_expression(dialect: str, column: Any, unit: Literal["hour", "day"]) -> Any:
    """SQL that truncates a stored timestamp to its hour or day, in the exact form the column
    stores, so rebuilt rows and incrementally written rows share primary keys."""
    if dialect == "sqlite":
        # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' text.
        return func.strftime("%Y-%m-%d %H:00:00.000000" if unit == "hour" else "%Y-%m-%d 00:00:00.000000", column)
    if dialect == "postgresql":
        return func.date_trunc(literal_column(f"'{unit}'"), column)
    raise NotImplementedError(f"rollups are not implemented for the {dialect} dialect")


def rebuild(connection: Connection) -> int:
    """Recount every rollup from the mentions (existing databases, or after a bulk load);
    returns the number of hourly rollup rows. Runs in the caller's transaction.

    On PostgreSQL the rollup tables are locked first, so writers that commit meanwhile either
    land before the recount (and are in it) or wait and apply their change after it."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(f"LOCK TABLE {', '.join(table.name for table, _, _ in _LEVELS)} IN EXCLUSIVE MODE")
        )
    label = func.coalesce(MentionBrandRow.sentiment_label, UNSCORED)
    language = func.coalesce(MentionRow.language, UNKNOWN_LANGUAGE)
    scored = func.sum(case((MentionBrandRow.sentiment_label.is_not(None), MentionRow.sentiment_score), else_=0.0))
    for table, key_columns, unit in _LEVELS:
        bucket = truncate_expression(connection.dialect.name, MentionBrandRow.created_at, unit)  # type: ignore[arg-type]
        dimensions = [MentionRow.source, language] if "source" in key_columns else []
        aggregate = (
            select(
                MentionBrandRow.brand,
                bucket,
                *dimensions,
                label,
                func.count(),
                func.coalesce(func.sum(MentionRow.author_reach), 0),
                func.coalesce(scored, 0.0),
            )
            .join(MentionRow, MentionRow.id == MentionBrandRow.mention_id)
            .where(counted_links())
            .group_by(MentionBrandRow.brand, bucket, *dimensions, label)
        )
        connection.execute(delete(table))
        connection.execute(insert(table).from_select([*key_columns, "mentions", "reach", "score_sum"], aggregate))
    return connection.scalar(select(func.count()).select_from(_TABLE)) or 0


def rebuild_rollups(engine: Engine) -> int:
    with engine.begin() as connection:
        return rebuild(connection)


# -- queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    """One bucket of a brand's sentiment history."""

    bucket_start: datetime
    mentions: int
    negative: int
    neutral: int
    positive: int
    unscored: int
    reach: int
    mean_score: float | None
    """Mean sentiment score of the scored mentions, -1..1."""

    @property
    def net_sentiment(self) -> float | None:
        return net_sentiment(self.positive, self.neutral, self.negative)

    def as_json(self) -> dict[str, object]:
        return {
            "bucket_start": self.bucket_start.isoformat().replace("+00:00", "Z"),
            "mentions": self.mentions,
            "negative": self.negative,
            "neutral": self.neutral,
            "positive": self.positive,
            "unscored": self.unscored,
            "reach": self.reach,
            "mean_score": None if self.mean_score is None else round(self.mean_score, 4),
            "net_sentiment": self.net_sentiment,
        }


def rollup_series(
    engine: Engine | Connection,
    brand: str,
    start: datetime,
    end: datetime,
    bucket: Bucket = "day",
    sources: Sequence[str] | None = None,
    languages: Sequence[str | None] | None = None,
    sentiments: Sequence[str | None] | None = None,
) -> list[SeriesPoint]:
    """`brand`'s mentions per bucket from `start` to `end`, zero-filled.

    The range is widened to whole buckets: the first bucket holds `start`, the last one holds the
    instant before `end`. Filters are any-of lists: a language of None (or '') is "unknown", a
    sentiment of None (or 'unscored') is the mentions not yet scored.
    """
    if bucket not in BUCKETS:
        raise ValueError(f"unknown bucket {bucket!r}: use one of {', '.join(BUCKETS)}")
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes (UTC)")
    first = bucket_floor(start, bucket)
    stop = bucket_next(bucket_floor(end - timedelta(microseconds=1), bucket), bucket) if end > start else first
    split = sources is not None or languages is not None
    table = {(True, True): _TABLE, (True, False): _HOURLY_TOTALS, (False, True): _DAILY, (False, False): _DAILY_TOTALS}[
        (bucket == "hour", split)
    ]
    stamp = table.c.hour if bucket == "hour" else table.c.day
    with _connect(engine) as connection:
        key = _bucket_key(connection.dialect.name, bucket, stamp)
        query = (
            select(
                key,
                table.c.sentiment,
                func.sum(table.c.mentions),
                func.sum(table.c.reach),
                func.sum(table.c.score_sum),
            )
            .where(table.c.brand == brand, stamp >= first, stamp < stop)
            .group_by(key, table.c.sentiment)
        )
        if sources is not None:
            query = query.where(table.c.source.in_(list(sources)))
        if languages is not None:
            query = query.where(table.c.language.in_([language or UNKNOWN_LANGUAGE for language in languages]))
        if sentiments is not None:
            query = query.where(table.c.sentiment.in_([_sentiment_key(value) for value in sentiments]))
        rows = connection.execute(query).all()
    totals: dict[datetime, list[Any]] = {}
    for bucket_key, label, count, reach, score in rows:
        slot = totals.setdefault(_parse_key(bucket_key), [0, 0, 0, 0, 0, 0.0])  # negative, neutral, positive, unscored, reach, score
        slot[(*LABELS, UNSCORED).index(label)] += int(count)
        slot[4] += int(reach or 0)
        slot[5] += float(score or 0.0)
    points = []
    moment = first
    while moment < stop:
        negative, neutral, positive, unscored, reach, score = totals.get(moment, (0, 0, 0, 0, 0, 0.0))
        scored = negative + neutral + positive
        points.append(
            SeriesPoint(
                bucket_start=moment,
                mentions=scored + unscored,
                negative=negative,
                neutral=neutral,
                positive=positive,
                unscored=unscored,
                reach=reach,
                mean_score=score / scored if scored else None,
            )
        )
        moment = bucket_next(moment, bucket)
    return points


def _bucket_key(dialect: str, bucket: Bucket, moment: Any) -> Any:
    """The bucket of a rollup row in SQL, so one row per bucket and label comes back.

    Literal SQL, not bound parameters: PostgreSQL matches the SELECT and GROUP BY expressions by
    their text. `bucket` is one of BUCKETS, never user input."""
    if bucket in ("hour", "day"):
        return moment
    if dialect == "postgresql":
        return func.date_trunc(literal_column(f"'{bucket}'"), moment)  # ISO weeks start on Monday
    if dialect == "sqlite":  # stored as 'YYYY-MM-DD HH:00:00.000000' text
        if bucket == "week":
            return func.date(moment, literal_column("'-6 days'"), literal_column("'weekday 1'"))
        return func.substr(moment, 1, 7)
    raise NotImplementedError(f"rollups are not implemented for the {dialect} dialect")


def _parse_key(value: Any) -> datetime:
    """A bucket start as SQL returned it: a datetime, 'YYYY-MM-DD[ HH...]' or 'YYYY-MM'."""
    if isinstance(value, datetime):
        moment = value
    else:
        text_value = str(value)
        moment = datetime.fromisoformat(text_value + "-01" if len(text_value) == 7 else text_value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _sentiment_key(value: str | None) -> str:
    if value in (None, "", "unscored"):
        return UNSCORED
    if value not in LABELS:
        raise ValueError(f"unknown sentiment {value!r}: use negative, neutral, positive or unscored")
    return value


class _connect:
    """`with _connect(engine_or_connection) as connection`: borrows a connection only when needed."""

    def __init__(self, bind: Engine | Connection):
        self._bind = bind
        self._owned: Connection | None = None

    def __enter__(self) -> Connection:
        if isinstance(self._bind, Connection):
            return self._bind
        self._owned = self._bind.connect()
        return self._owned

    def __exit__(self, *exc: object) -> None:
        if self._owned is not None:
            self._owned.close()


__all__ = [
    "RollupDelta",
    "SeriesPoint",
    "existing_mention_ids",
    "rebuild",
    "rebuild_rollups",
    "rollup_series",
    "truncate_expression",
]
