"""Survey answers: written by `listener surveys import`, read by the surveys API.

Importing is idempotent on (brand, kind, response key): the keys already stored are looked up
and only the others inserted, in one transaction, so the same export imported twice, or a later
export that repeats last month's answers, adds each answer once. The unique constraint backs this
up against two imports of the same file racing each other: the loser's transaction fails whole,
storing nothing, and importing the file again adds what it missed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from listener.core.records import Sentiment
from listener.core.survey_files import SurveyAnswer, SurveyFormat
from listener.core.surveys import SurveyKind
from listener.storage.schema import SurveyResponseRow

KEY_CHUNK = 500
"""Keys per IN (...) lookup: well under SQLite's and PostgreSQL's parameter limits."""


@dataclass(frozen=True)
class ImportCounts:
    new: int
    already_imported: int


@dataclass(frozen=True)
class SurveyScore:
    """One stored answer as the series read it: when, which scale, the score."""

    responded_at: datetime
    kind: SurveyKind
    score: int
    topics: tuple[str, ...] = ()
    """The configured topics its comment matched (none without a comment or before scoring)."""


@dataclass(frozen=True)
class UnscoredComment:
    response_id: int
    comment: str


class SurveyStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def add_answers(
        self,
        brand: str,
        kind: SurveyKind,
        file_format: SurveyFormat,
        answers: Sequence[SurveyAnswer],
        keys: Sequence[str],
        imported_at: datetime,
    ) -> ImportCounts:
        """Store the answers whose key is new for (brand, kind); say how many were already there."""
        with Session(self.engine) as session, session.begin():
            stored: set[str] = set()
            unique_keys = list(dict.fromkeys(keys))
            for offset in range(0, len(unique_keys), KEY_CHUNK):
                chunk = unique_keys[offset : offset + KEY_CHUNK]
                stored.update(
                    session.scalars(
                        select(SurveyResponseRow.response_key).where(
                            SurveyResponseRow.brand == brand,
                            SurveyResponseRow.kind == kind,
                            SurveyResponseRow.response_key.in_(chunk),
                        )
                    )
                )
            new = 0
            for answer, key in zip(answers, keys):
                if key in stored:
                    continue
                stored.add(key)  # the same response id twice in one file is one answer
                session.add(
                    SurveyResponseRow(
                        brand=brand,
                        kind=kind,
                        response_key=key,
                        responded_at=answer.responded_at,
                        score=answer.score,
                        comment=answer.comment,
                        touchpoint=answer.touchpoint,
                        file_format=file_format,
                        imported_at=imported_at,
                    )
                )
                new += 1
        return ImportCounts(new=new, already_imported=len(answers) - new)

    def unscored_comments(self, limit: int) -> list[UnscoredComment]:
        """Answers with a comment that no model has scored yet, oldest first."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(SurveyResponseRow.id, SurveyResponseRow.comment)
                .where(SurveyResponseRow.scored_at.is_(None), SurveyResponseRow.comment.is_not(None))
                .order_by(SurveyResponseRow.id)
                .limit(limit)
            ).all()
        return [UnscoredComment(row_id, comment) for row_id, comment in rows]

    def save_comment_scores(
        self,
        scores: Sequence[tuple[int, Sentiment]],
        model: str,
        scored_at: datetime,
        topics: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        """Store each comment's sentiment, and the topics it matched (by answer id), in one transaction."""
        topics = topics or {}
        with Session(self.engine) as session, session.begin():
            for row_id, sentiment in scores:
                session.execute(
                    update(SurveyResponseRow)
                    .where(SurveyResponseRow.id == row_id)
                    .values(
                        sentiment_label=sentiment.label,
                        sentiment_score=sentiment.score,
                        sentiment_confidence=sentiment.confidence,
                        model=model,
                        scored_at=scored_at,
                        topics=list(topics.get(row_id, ())),
                    )
                )

    def scores(self, brand: str | None, since: datetime, until: datetime) -> list[SurveyScore]:
        """Every answer of `brand` (None: every brand) answered in [since, until), oldest first."""
        query = select(
            SurveyResponseRow.responded_at, SurveyResponseRow.kind, SurveyResponseRow.score, SurveyResponseRow.topics
        ).where(SurveyResponseRow.responded_at >= since, SurveyResponseRow.responded_at < until)
        if brand is not None:
            query = query.where(SurveyResponseRow.brand == brand)
        with Session(self.engine) as session:
            rows = session.execute(query.order_by(SurveyResponseRow.responded_at)).all()
        return [SurveyScore(at, kind, score, tuple(topics or ())) for at, kind, score, topics in rows]

    def span(self, brand: str | None) -> tuple[datetime, datetime] | None:
        """When the first and the last answer of `brand` (None: every brand) were given; None without any."""
        query = select(func.min(SurveyResponseRow.responded_at), func.max(SurveyResponseRow.responded_at))
        if brand is not None:
            query = query.where(SurveyResponseRow.brand == brand)
        with Session(self.engine) as session:
            first, last = session.execute(query).one()
        return None if first is None else (first, last)
