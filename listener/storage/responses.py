"""The reads behind response-time metrics: a brand's posts with their reply links.

The numbers themselves are defined in `listener.core.response_time`; this module only hands it
the posts. Own-account answers are stored linked to the brand they answer for (the pipeline lets
them through brand matching), so one indexed read of the brand's links finds mentions and answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from listener.config import BrandConfig, SourceConfig
from listener.core.response_time import ResponseReport, ThreadPost, response_report
from listener.storage.schema import MentionBrandRow, MentionRow


class ResponseStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def thread_posts(
        self, brand: str, since: datetime, until: datetime | None = None, sources: Sequence[str] = ()
    ) -> list[ThreadPost]:
        """The brand's posts created in [since, until) (until: no end), from `sources` (empty:
        all), oldest first, without
        their text (`with_texts` adds it to the few that are shown). Answers come later than what
        they answer, so a caller reading a period's mentions passes `until=None` (or its `now`)
        to see every answer so far."""
        query = (
            select(
                MentionRow.id,
                MentionRow.source,
                MentionRow.external_id,
                MentionRow.author,
                MentionRow.created_at,
                MentionRow.in_reply_to,
                MentionRow.conversation_id,
                MentionRow.sentiment_label,
                MentionRow.author_reach,
            )
            .join(MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id)
            .where(MentionBrandRow.brand == brand, MentionBrandRow.created_at >= since)
            .order_by(MentionRow.created_at, MentionRow.id)
        )
        if until is not None:
            query = query.where(MentionBrandRow.created_at < until)
        if sources:
            query = query.where(MentionRow.source.in_(list(sources)))
        with Session(self.engine) as session:
            return [ThreadPost(**row._asdict()) for row in session.execute(query)]

    def with_texts(self, posts: Sequence[ThreadPost]) -> list[ThreadPost]:
        """`posts` with their text and link, read for these posts only."""
        ids = [post.id for post in posts]
        if not ids:
            return []
        with Session(self.engine) as session:
            rows = session.execute(select(MentionRow.id, MentionRow.text, MentionRow.url).where(MentionRow.id.in_(ids)))
            found = {row.id: (row.text, row.url) for row in rows}
        return [
            replace(post, text=found[post.id][0], url=found[post.id][1]) if post.id in found else post for post in posts
        ]

    def report(
        self,
        brand: BrandConfig,
        sources: Sequence[SourceConfig],
        start: datetime,
        end: datetime,
        now: datetime,
        texts_for: int = 20,
        only_sources: Sequence[str] = (),
    ) -> ResponseReport:
        """The brand's response-time numbers for its mentions made in [start, end), answered by
        `now`, from `only_sources` (empty: all); the first `texts_for` unanswered negative
        mentions come with their text and link (a year of a busy brand's texts is too much to
        read for a table of twenty)."""
        posts = self.thread_posts(brand.name, start, until=now, sources=only_sources)
        hours = brand.business_hours.working_hours() if brand.business_hours is not None else None
        report = response_report(posts, brand.own_authors_by_source(sources), start, end, now, hours)
        shown = report.unanswered_negative[:texts_for]
        with_text = self.with_texts([item.post for item in shown])
        unanswered = tuple(replace(item, post=post) for item, post in zip(shown, with_text))
        return replace(report, unanswered_negative=unanswered + report.unanswered_negative[texts_for:])
