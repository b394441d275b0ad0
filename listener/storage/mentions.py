"""Mentions: the one write path (an idempotent upsert, committed with the cursor), scoring, and
the judging-stall guard's bookkeeping."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from listener.core.records import JudgingStall, Mention, MentionToScore, Sentiment
from listener.core.response_time import is_own_post
from listener.storage.churn import ChurnJudgements, write_churn
from listener.storage.partitions import ensure_month_partitions, lock_mention_keys
from listener.storage.rollups import ID_CHUNK, RollupDelta, existing_mention_ids
from listener.storage.rows import (
    StoreBase,
    dedupe_mentions,
    delete_mention_rows,
    judging_stall,
    storable_mentions,
)
from listener.storage.schema import (
    Base,
    CursorRow,
    JudgingStallRow,
    MentionBrandRow,
    MentionRow,
)


class MentionStore(StoreBase):
    # -- mentions ---------------------------------------------------------------------------

    def store_batch(
        self,
        source: str,
        brand: str,
        mentions: Sequence[Mention],
        cursor: dict[str, Any],
        collected_until: datetime | None = None,
        own_accounts: frozenset[str] = frozenset(),
    ) -> int:
        """Store one poll's mentions of `brand` and its next cursor atomically; return how many were new.

        `own_accounts` (the brand's accounts on this source, normalised as `normalise_author`
        does) marks their posts as the brand's own (`MentionBrandRow.own`): stored, not counted.

        `collected_until` (the daemon-clock time the poll started) tells detection that this
        source has delivered everything older, so windows before it can be judged. It is also
        each new mention's `collected_at`: how long a mention has waited for its score is counted
        on the clock detection judges by, which in a replay is not the wall clock.

        A mention seen before is not duplicated: its counts are refreshed, and if its text was
        edited the sentiment is cleared so it is scored again. Counts are clamped to what their
        columns hold, and a mention the columns cannot hold at all (`listener.core.limits`) is logged and
        left out: one such mention must not fail the batch, and with its cursor every later poll.
        """
        now = self._clock.now()
        batch = storable_mentions(dedupe_mentions(mentions))
        ensure_month_partitions(self.engine, (mention.created_at for mention in batch))
        with self._sessions.begin() as session:
            keys = [(mention.source, mention.external_id) for mention in batch]
            if session.get_bind().dialect.name == "postgresql":
                lock_mention_keys(session.connection(), keys)
            rollup = RollupDelta()
            existing_ids = existing_mention_ids(session, keys)
            rollup.subtract(session, existing_ids)  # on PostgreSQL, locks them: read below as committed
            stored = self._stored_mentions(session, existing_ids)
            collected_at = collected_until or now
            rows = []
            for mention in batch:
                row = stored.get((mention.source, mention.external_id))
                if row is None:
                    row = self._new_mention_row(mention, collected_at)
                    session.add(row)
                else:
                    self._refresh_mention(session, row, mention, collected_at)
                rows.append((row, is_own_post(mention.author, own_accounts)))
            session.flush()  # the new rows in a few multi-row INSERTs, their ids returned
            self._link_brand(session, rows, brand)
            rollup.add(session, [row.id for row, _ in rows])
            rollup.apply(session)
            self._save_cursor(session, source, brand, cursor, now, collected_until)
        return len(batch) - len(stored)

    @staticmethod
    def _stored_mentions(session: Session, ids: Sequence[int]) -> dict[tuple[str, str], MentionRow]:
        """The stored rows of these mention ids, by (source, external id): one read per chunk,
        not one per mention (a poll stores hundreds)."""
        found: dict[tuple[str, str], MentionRow] = {}
        for offset in range(0, len(ids), ID_CHUNK):
            for row in session.scalars(select(MentionRow).where(MentionRow.id.in_(ids[offset : offset + ID_CHUNK]))):
                found[(row.source, row.external_id)] = row
        return found

    @staticmethod
    def _new_mention_row(mention: Mention, collected_at: datetime) -> MentionRow:
        return MentionRow(
            source=mention.source,
            external_id=mention.external_id,
            text=mention.text,
            created_at=mention.created_at,
            collected_at=collected_at,
            author=mention.author,
            author_reach=mention.author_reach,
            url=mention.url,
            language=mention.language,
            likes=mention.likes,
            shares=mention.shares,
            replies=mention.replies,
            undated=mention.undated,
            rating=mention.rating,
            conversation_id=mention.conversation_id,
            in_reply_to=mention.in_reply_to,
        )

    @staticmethod
    def _refresh_mention(session: Session, existing: MentionRow, mention: Mention, collected_at: datetime) -> None:
        """A mention seen again: its counts refreshed and, if its text was edited, its labels cleared."""
        existing.likes, existing.shares, existing.replies = mention.likes, mention.shares, mention.replies
        existing.author_reach = mention.author_reach if mention.author_reach is not None else existing.author_reach
        # A reviewer may change their stars; a poll that did not read them keeps the known ones.
        existing.rating = mention.rating if mention.rating is not None else existing.rating
        existing.conversation_id = mention.conversation_id or existing.conversation_id
        existing.in_reply_to = mention.in_reply_to or existing.in_reply_to
        if existing.text != mention.text:
            existing.text = mention.text
            existing.collected_at = collected_at  # unscored again from now on: not stuck yet
            existing.sentiment_label = existing.sentiment_score = existing.sentiment_confidence = None
            existing.model = existing.scored_at = existing.churn_intent = None
            session.execute(
                update(MentionBrandRow)
                .where(MentionBrandRow.mention_id == existing.id)
                .values(sentiment_label=None, churn_intent=None, churn_pattern=None)
            )

    @staticmethod
    def _link_brand(session: Session, rows: Sequence[tuple[MentionRow, bool]], brand: str) -> None:
        """Link each mention to a brand (with whether it is the brand's own post), carrying its
        label over: a mention already scored for another brand must not look unscored to this
        one. An existing link only takes `own` (the brand's accounts may have been configured since)."""
        if not rows:
            return
        values = [
            {
                "mention_id": mention.id,
                "brand": brand,
                "created_at": mention.created_at,
                "sentiment_label": mention.sentiment_label,
                "undated": mention.undated,
                "own": own,
            }
            for mention, own in rows
        ]
        dialect = session.get_bind().dialect.name
        if dialect in ("sqlite", "postgresql"):
            insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(MentionBrandRow)
            # On PostgreSQL the key holds the partition key too (listener.storage.partitions).
            key = ["mention_id", "brand"] if dialect == "sqlite" else ["mention_id", "brand", "created_at"]
            session.execute(insert.on_conflict_do_update(index_elements=key, set_={"own": insert.excluded.own}), values)
            return
        for link in values:
            existing = session.get(MentionBrandRow, (link["mention_id"], brand))
            if existing is None:
                session.add(MentionBrandRow(**link))
            else:
                existing.own = link["own"]

    def sync_own_posts(self, brand: str, own_accounts: Mapping[str, frozenset[str]]) -> int:
        """Flag `brand`'s links to posts by its own accounts (`own_accounts`: per stored source
        name, the normalised account names), and unflag the others; return how many changed.

        The daemon calls this when it starts: links stored before the flag existed, or before an
        account was configured (or after one was removed), then count as they should. The rollups
        move in the same transaction. Names are compared as `normalise_author` writes them, in
        Python, so that SQLite and PostgreSQL agree on case beyond ASCII."""
        with self._sessions.begin() as session:
            links = session.execute(
                select(MentionBrandRow.mention_id, MentionBrandRow.own, MentionRow.source, MentionRow.author)
                .join(MentionRow, MentionRow.id == MentionBrandRow.mention_id)
                .where(MentionBrandRow.brand == brand, MentionBrandRow.own | MentionRow.source.in_(list(own_accounts)))
            ).all()  # one read of the brand's links on those sources: once per start, in seconds for a million
            flips = {
                mention_id: should
                for mention_id, own, source, author in links
                if (should := is_own_post(author, own_accounts.get(source, frozenset()))) != own
            }
            if not flips:
                return 0
            rollup = RollupDelta()
            rollup.subtract(session, flips)
            for should in (True, False):
                ids = [mention_id for mention_id, value in flips.items() if value is should]
                for offset in range(0, len(ids), 500):
                    session.execute(
                        update(MentionBrandRow)
                        .where(MentionBrandRow.brand == brand, MentionBrandRow.mention_id.in_(ids[offset : offset + 500]))
                        .values(own=should)
                    )
            rollup.add(session, flips)
            rollup.apply(session)
        return len(flips)

    def get_cursor(self, source: str, brand: str) -> dict[str, Any] | None:
        with self._sessions() as session:
            row = session.get(CursorRow, (source, brand))
            return None if row is None else dict(row.value)

    def _save_cursor(
        self,
        session: Session,
        source: str,
        brand: str,
        cursor: dict[str, Any],
        now: datetime,
        collected_until: datetime | None,
    ) -> None:
        row = session.get(CursorRow, (source, brand))
        if row is None:
            session.add(
                CursorRow(source=source, brand=brand, value=cursor, updated_at=now, collected_until=collected_until)
            )
        else:
            row.value, row.updated_at = cursor, now
            if collected_until is not None:
                row.collected_until = collected_until

    def collected_until(self, brand: str, sources: Sequence[str]) -> dict[str, datetime | None]:
        """Per source, how far `brand` has been collected (None: never polled successfully)."""
        with self._sessions() as session:
            rows = session.execute(
                select(CursorRow.source, CursorRow.collected_until).where(
                    CursorRow.brand == brand, CursorRow.source.in_(sources)
                )
            ).all()
        progress: dict[str, datetime | None] = dict.fromkeys(sources)
        progress.update({row.source: row.collected_until for row in rows})
        return progress

    def latest_collected_until(self) -> datetime | None:
        """The clock of the latest successful poll of any source and brand."""
        with self._sessions() as session:
            return session.scalar(select(func.max(CursorRow.collected_until)))

    def latest_scoring_model(self) -> tuple[str, datetime] | None:
        """The model that scored the newest scored mention, and that mention's time (None: nothing
        scored yet). Read from the newest id down, which the primary key's index serves."""
        with self._sessions() as session:
            row = session.execute(
                select(MentionRow.model, MentionRow.created_at)
                .where(MentionRow.model.is_not(None))
                .order_by(MentionRow.id.desc())
                .limit(1)
            ).first()
        return None if row is None else (row.model, row.created_at)

    def mention_sources(self) -> set[str]:
        with self._sessions() as session:
            return set(session.scalars(select(MentionRow.source).distinct()))

    def clear(self) -> None:
        """Delete every row of every table (the schema stays): for replaying the demo afresh."""
        with self._sessions.begin() as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())

    def count_mentions(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(MentionRow)) or 0

    def count_unscored(self) -> int:
        with self._sessions() as session:
            return (
                session.scalar(select(func.count()).select_from(MentionRow).where(MentionRow.scored_at.is_(None))) or 0
            )

    def delete_mentions(self, mention_ids: Sequence[int]) -> int:
        """Delete mentions (and their brand links) with their rollup counts; returns how many went."""
        with self._sessions.begin() as session:
            rollup = RollupDelta()
            rollup.subtract(session, mention_ids)
            rollup.apply(session)
            return delete_mention_rows(session, mention_ids)

    # -- scoring ----------------------------------------------------------------------------

    def unscored(self, limit: int) -> list[tuple[int, str]]:
        """Oldest unscored mentions first, so detection windows complete in time order."""
        with self._sessions() as session:
            rows = session.execute(
                select(MentionRow.id, MentionRow.text)
                .where(MentionRow.scored_at.is_(None))
                .order_by(MentionRow.created_at, MentionRow.id)
                .limit(limit)
            ).all()
            return [(row.id, row.text) for row in rows]

    def mentions_to_score(self, limit: int) -> list[MentionToScore]:
        """Like `unscored`, with each mention's language tag, for language detection."""
        with self._sessions() as session:
            rows = session.execute(
                select(MentionRow.id, MentionRow.text, MentionRow.language)
                .where(MentionRow.scored_at.is_(None))
                .order_by(MentionRow.created_at, MentionRow.id)
                .limit(limit)
            ).all()
            return [MentionToScore(row.id, row.text, row.language) for row in rows]

    @staticmethod
    def _rescored(model: str, churn_unjudged: bool) -> Any:
        """SQL: the mention needs this rescore (not scored by `model`; or, when churn is judged
        too, its churn never was, as for mentions stored before churn intent existed)."""
        needed = (MentionRow.model != model) | MentionRow.model.is_(None)
        return needed | MentionRow.churn_intent.is_(None) if churn_unjudged else needed

    @staticmethod
    def _rescore_filter(since: datetime, until: datetime | None, brand: str | None) -> list[Any]:
        conditions: list[Any] = [MentionRow.created_at >= since]
        if until is not None:
            conditions.append(MentionRow.created_at < until)
        if brand is not None:
            conditions.append(
                MentionRow.id.in_(select(MentionBrandRow.mention_id).where(MentionBrandRow.brand == brand))
            )
        return conditions

    def count_for_rescore(
        self,
        model: str,
        since: datetime,
        until: datetime | None = None,
        brand: str | None = None,
        churn_unjudged: bool = False,
    ) -> tuple[int, int]:
        """(mentions in range that need rescoring, mentions in range already scored by `model`
        and, with `churn_unjudged`, judged for churn)."""
        conditions = self._rescore_filter(since, until, brand)
        done = func.coalesce(func.sum(case((~self._rescored(model, churn_unjudged), 1), else_=0)), 0)
        with self._sessions() as session:
            total, already = session.execute(
                select(func.count(), done).select_from(MentionRow).where(*conditions)
            ).one()
        return int(total) - int(already), int(already)

    def mentions_for_rescore(
        self,
        model: str,
        since: datetime,
        until: datetime | None = None,
        brand: str | None = None,
        after_id: int = 0,
        limit: int = 256,
        churn_unjudged: bool = False,
    ) -> list[MentionToScore]:
        """Mentions in [since, until) (of `brand`) not scored by `model` (or, with
        `churn_unjudged`, never judged for churn), by id after `after_id`.

        Skipping what `model` already scored is what makes a rescore resumable: an interrupted run
        started again picks up the rest. Paging by id keeps each page an index range scan.
        """
        conditions = self._rescore_filter(since, until, brand)
        conditions += [MentionRow.id > after_id, self._rescored(model, churn_unjudged)]
        with self._sessions() as session:
            rows = session.execute(
                select(MentionRow.id, MentionRow.text, MentionRow.language)
                .where(*conditions)
                .order_by(MentionRow.id)
                .limit(limit)
            ).all()
            return [MentionToScore(row.id, row.text, row.language) for row in rows]

    def save_scores(
        self,
        scores: Iterable[tuple[int, Sentiment]],
        model: str,
        languages: dict[int, str] | None = None,
        churn: ChurnJudgements | None = None,
    ) -> None:
        """Store verdicts (and detected languages, for mentions that have none, and churn intent per
        brand link) in one transaction, so a scored mention is never left unjudged for churn.

        The language is written between the rollup's subtract and add, so a mention moves from the
        unknown-language rollup bucket to its language's in the same step.
        """
        now = self._clock.now()
        scores = list(scores)
        with self._sessions.begin() as session:
            touched = [mention_id for mention_id, _ in scores] + list(languages or {})
            rollup = RollupDelta()
            rollup.subtract(session, touched)
            # Each an executemany: one statement for the batch, not two per mention.
            connection = session.connection()
            if languages:
                connection.execute(
                    update(MentionRow)
                    .where(MentionRow.id == bindparam("b_id"), MentionRow.language.is_(None))
                    .values(language=bindparam("b_language")),
                    [{"b_id": mention_id, "b_language": language} for mention_id, language in languages.items()],
                )
            if scores:
                verdicts = [
                    {"b_id": mention_id, "b_label": s.label, "b_score": s.score, "b_confidence": s.confidence}
                    for mention_id, s in scores
                ]
                connection.execute(
                    update(MentionRow)
                    .where(MentionRow.id == bindparam("b_id"))
                    .values(
                        sentiment_label=bindparam("b_label"),
                        sentiment_score=bindparam("b_score"),
                        sentiment_confidence=bindparam("b_confidence"),
                        model=model,
                        scored_at=now,
                    ),
                    verdicts,
                )
                connection.execute(
                    update(MentionBrandRow)
                    .where(MentionBrandRow.mention_id == bindparam("b_id"))
                    .values(sentiment_label=bindparam("b_label")),
                    verdicts,
                )
            write_churn(session, churn or {})
            rollup.add(session, touched)
            rollup.apply(session)

    def oldest_unscored(
        self, brand: str, *, stored_before: datetime | None = None, stored_since: datetime | None = None
    ) -> datetime | None:
        """Creation time of `brand`'s oldest unscored mention; of those only whose mention was
        collected (`MentionRow.collected_at`) before `stored_before` or at or after `stored_since`,
        if given: how long a mention has waited for scoring, whatever its age."""
        query = select(func.min(MentionBrandRow.created_at)).where(
            MentionBrandRow.brand == brand, MentionBrandRow.sentiment_label.is_(None)
        )
        if stored_before is not None or stored_since is not None:
            # created_at too: PostgreSQL then reads only the month partitions that can match.
            query = query.join(
                MentionRow,
                (MentionRow.id == MentionBrandRow.mention_id) & (MentionRow.created_at == MentionBrandRow.created_at),
            )
        if stored_before is not None:
            query = query.where(MentionRow.collected_at < stored_before)
        if stored_since is not None:
            query = query.where(MentionRow.collected_at >= stored_since)
        with self._sessions() as session:
            return session.scalar(query)

    def relabel_scored_links(self, brand: str) -> int:
        """Copy their mention's label onto `brand`'s unlabelled links of scored mentions; returns
        how many links changed.

        Such links are what the race of issue 11 left behind in databases written before it was
        fixed: their mention counts as scored, so scoring never comes back to them."""
        with self._sessions.begin() as session:
            unlabelled = select(MentionBrandRow.mention_id).where(
                MentionBrandRow.brand == brand, MentionBrandRow.sentiment_label.is_(None)
            )
            candidates = session.scalars(unlabelled).all()
            if not candidates:
                return 0
            rollup = RollupDelta()
            rollup.subtract(session, candidates)
            label = (
                select(MentionRow.sentiment_label).where(MentionRow.id == MentionBrandRow.mention_id).scalar_subquery()
            )
            changed = session.execute(
                update(MentionBrandRow)
                .where(
                    MentionBrandRow.brand == brand,
                    MentionBrandRow.sentiment_label.is_(None),
                    MentionBrandRow.mention_id.in_(candidates),
                    label.is_not(None),
                )
                .values(sentiment_label=label)
                .execution_options(synchronize_session=False)
            ).rowcount
            rollup.add(session, candidates)
            rollup.apply(session)
            return changed

    # -- judging stalls (alerts/dispatch/engine.py's guard) ------------------------------------------

    def judging_stalls(self) -> list[JudgingStall]:
        with self._sessions() as session:
            rows = session.scalars(select(JudgingStallRow).order_by(JudgingStallRow.brand)).all()
        return [judging_stall(row) for row in rows]

    def start_judging_stall(self, brand: str, oldest_unscored: datetime, since: datetime) -> bool:
        """Record that `brand` is judged without its oldest unscored mentions; False if it already was."""
        with self._sessions.begin() as session:
            if session.get(JudgingStallRow, brand) is not None:
                return False
            session.add(JudgingStallRow(brand=brand, oldest_unscored=oldest_unscored, since=since))
            return True

    def end_judging_stall(self, brand: str) -> JudgingStall | None:
        """Forget `brand`'s stall; returns it, or None if there was none (checked by a read first:
        this runs on every detection pass, and a write would take SQLite's write lock each time)."""
        with self._sessions() as session:
            if session.get(JudgingStallRow, brand) is None:
                return None
        with self._sessions.begin() as session:
            row = session.get(JudgingStallRow, brand)
            if row is None:
                return None
            session.delete(row)
            return judging_stall(row)
