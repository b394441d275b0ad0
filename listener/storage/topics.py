"""Topic tags (`[[topics]]`): writing a mention's topics, and reading sentiment per topic and touchpoint.

Tags are written by the scoring pass and rewritten by `listener rescore`, always as the whole set
of a mention's topics: re-tagging after the topics changed drops the ones it no longer matches.
The counts answer the dashboard's and the API's filters (`listener.storage.queries.MentionFilter`)
exactly as every other panel does, and use the one definition of net sentiment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from listener.config import TOUCHPOINTS, TopicConfig
from listener.core.records import SENTIMENT_LABELS, AlertEvidence, MentionToScore
from listener.core.sentiment import net_sentiment
from listener.storage.filters import MentionFilter, filtered
from listener.storage.rows import evidence_from_json
from listener.storage.schema import (
    AlertRow,
    MentionBrandRow,
    MentionRow,
    MentionTopicRow,
)


class TopicStore:
    """The writes of topic tags, and the reads that re-tagging walks; part of `Store`."""

    _sessions: sessionmaker[Session]

    def tag_topics(self, topics_by_mention: Mapping[int, Iterable[str]]) -> None:
        """Make each mention's stored topics exactly the ones given (none: untagged), in one transaction."""
        rows = [
            {"mention_id": mention_id, "topic": topic}
            for mention_id, topics in topics_by_mention.items()
            for topic in sorted(set(topics))
        ]
        with self._sessions.begin() as session:
            ids = list(topics_by_mention)
            for start in range(0, len(ids), 500):  # bound parameters per statement stay well under SQLite's limit
                session.execute(delete(MentionTopicRow).where(MentionTopicRow.mention_id.in_(ids[start : start + 500])))
            if rows:
                session.execute(insert(MentionTopicRow), rows)

    def topics_of(self, mention_ids: Sequence[int]) -> dict[int, list[str]]:
        """The stored topics of each mention (only mentions that have some), alphabetical."""
        with self._sessions() as session:
            rows = session.execute(
                select(MentionTopicRow.mention_id, MentionTopicRow.topic)
                .where(MentionTopicRow.mention_id.in_(list(mention_ids)))
                .order_by(MentionTopicRow.mention_id, MentionTopicRow.topic)
            ).all()
        found: dict[int, list[str]] = {}
        for mention_id, topic in rows:
            found.setdefault(mention_id, []).append(topic)
        return found

    def mentions_to_tag(
        self, since: datetime, until: datetime | None, brand: str | None, after_id: int, limit: int
    ) -> list[MentionToScore]:
        """The next `limit` mentions in [since, until) (of `brand`) with an id above `after_id`, by id:
        re-tagging walks every mention in range, whatever model scored it."""
        query = select(MentionRow.id, MentionRow.text, MentionRow.language).where(
            MentionRow.id > after_id, MentionRow.created_at >= since
        )
        if until is not None:
            query = query.where(MentionRow.created_at < until)
        if brand is not None:
            query = query.where(
                MentionRow.id.in_(select(MentionBrandRow.mention_id).where(MentionBrandRow.brand == brand))
            )
        with self._sessions() as session:
            rows = session.execute(query.order_by(MentionRow.id).limit(limit)).all()
        return [MentionToScore(row.id, row.text, row.language) for row in rows]


@dataclass(frozen=True)
class SentimentCounts:
    """Mentions of one topic or touchpoint under a filter, by sentiment, and their net sentiment."""

    name: str
    touchpoint: str | None
    mentions: int
    negative: int
    neutral: int
    positive: int
    net_sentiment: float | None

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class TopicOverview:
    """Sentiment per configured topic, in config order, and per touchpoint, in journey order."""

    topics: list[SentimentCounts]
    touchpoints: list[SentimentCounts]


def topic_overview(engine: Engine, mention_filter: MentionFilter, topics: Sequence[TopicConfig]) -> TopicOverview:
    """The configured topics' mentions under the filter, by sentiment, and the same per touchpoint.

    The filter's own sentiments and topics are ignored: a topic's sentiment split is the point,
    and every topic is shown beside the others. Unscored mentions count in `mentions` only. A
    touchpoint counts the distinct mentions of any of its topics (a mention tagged with two
    billing topics counts once for purchase); touchpoints without topics are left out.
    """
    if not topics:
        return TopicOverview([], [])
    scoped = replace(mention_filter, sentiments=(), topics=())
    names = [topic.name for topic in topics]
    query = (
        filtered(select(MentionTopicRow.topic, MentionRow.sentiment_label, func.count()), scoped, join_always=True)
        .join(MentionTopicRow, MentionTopicRow.mention_id == MentionRow.id)
        .where(MentionTopicRow.topic.in_(names))
        .group_by(MentionTopicRow.topic, MentionRow.sentiment_label)
    )
    by_topic: dict[str, dict[str | None, int]] = {}
    by_touchpoint: dict[str, dict[str | None, int]] = {}
    with Session(engine) as session:
        for topic, label, count in session.execute(query).all():
            by_topic.setdefault(topic, {})[label] = int(count)
        for touchpoint in TOUCHPOINTS:
            of_touchpoint = [topic.name for topic in topics if topic.touchpoint == touchpoint]
            if not of_touchpoint:
                continue
            tagged = select(MentionTopicRow.mention_id).where(MentionTopicRow.topic.in_(of_touchpoint))
            counted = (
                filtered(select(MentionRow.sentiment_label, func.count()), scoped, join_always=True)
                .where(MentionRow.id.in_(tagged))
                .group_by(MentionRow.sentiment_label)
            )
            by_touchpoint[touchpoint] = {label: int(count) for label, count in session.execute(counted).all()}
    return TopicOverview(
        [_counts(topic.name, topic.touchpoint, by_topic.get(topic.name, {})) for topic in topics],
        [_counts(touchpoint, touchpoint, counts) for touchpoint, counts in by_touchpoint.items()],
    )


def _counts(name: str, touchpoint: str | None, by_label: Mapping[str | None, int]) -> SentimentCounts:
    negative, neutral, positive = (by_label.get(label, 0) for label in SENTIMENT_LABELS)
    return SentimentCounts(
        name,
        touchpoint,
        sum(by_label.values()),
        negative,
        neutral,
        positive,
        net_sentiment(positive, neutral, negative),
    )


def alert_evidence(engine: Engine, alert_ids: Sequence[int]) -> dict[int, AlertEvidence]:
    """The stored evidence of each alert (alerts stored without any are left out): the dashboard's
    alert drill-down shows its stories."""
    if not alert_ids:
        return {}
    with Session(engine) as session:
        rows = session.execute(select(AlertRow.id, AlertRow.evidence).where(AlertRow.id.in_(list(alert_ids)))).all()
    return {alert_id: evidence_from_json(evidence) for alert_id, evidence in rows if isinstance(evidence, dict)}
