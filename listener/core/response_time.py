"""How fast a brand answers its customers in public: the one definition of response-time numbers.

A **customer mention** is a stored mention of the brand not written by one of its own accounts
(`own_accounts`). It is **answered** by the earliest post of an own account, made after it, that
replies to it: directly (`in_reply_to` is the mention), further down its thread (the reply answers
a follow-up whose chain of `in_reply_to` leads back to the mention), or, when the chain breaks at
a post that is not stored (deleted, or never collected because it did not name the brand), to
the root of the conversation when that root is the mention. An own account replying to the
brand's own post answers no customer: the brand talking to itself is not a response.

First-response time is the time from the mention to that answer, around the clock and counting
only business hours (`business_hours`), per source and over all sources. The unanswered negative
mentions, widest reach first, are the ones someone should answer now.

Pure: storage hands in the posts (`ThreadPost`), the caller the clock's `now`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

ALL_SOURCES = "all"
MAX_THREAD_DEPTH = 200
"""Longest reply chain followed up from an answer; a cycle (a platform's bad data) stops there too."""


@dataclass(frozen=True)
class ThreadPost:
    """A stored mention with what response-time needs: who wrote it, when, and what it answers."""

    id: int
    source: str
    external_id: str
    author: str | None
    created_at: datetime
    in_reply_to: str | None = None
    conversation_id: str | None = None
    sentiment_label: str | None = None
    author_reach: int | None = None
    text: str = ""
    url: str | None = None


@dataclass(frozen=True)
class WorkingHours:
    """Business hours: working weekdays (Monday 0), opening and closing time, in `timezone`."""

    weekdays: frozenset[int]
    opens: time
    closes: time
    timezone: str = "UTC"


@dataclass(frozen=True)
class ResponseStats:
    """One source's (or all sources') answering of its customer mentions in a period."""

    source: str
    customer_mentions: int
    answered: int
    median_seconds: float | None
    mean_seconds: float | None
    median_business_seconds: float | None
    """None when no business hours are configured, or nothing was answered."""
    mean_business_seconds: float | None

    @property
    def answered_share(self) -> float | None:
        """Answered customer mentions as a fraction (0..1); None with no customer mentions."""
        return self.answered / self.customer_mentions if self.customer_mentions else None


@dataclass(frozen=True)
class UnansweredMention:
    post: ThreadPost
    waiting_seconds: float
    """From the mention to `now`, around the clock."""


@dataclass(frozen=True)
class ResponseReport:
    by_source: tuple[ResponseStats, ...]
    """Per source, sources with customer mentions only, by name."""
    overall: ResponseStats
    unanswered_negative: tuple[UnansweredMention, ...]
    """Negative customer mentions still unanswered at `now`, widest reach first."""


def normalise_author(author: str) -> str:
    """Same rule as `listener.config.responses.normalise_account`: no case, no leading @."""
    return author.strip().lstrip("@").casefold()


def is_own_post(author: str | None, own_names: frozenset[str]) -> bool:
    """Did one of the brand's accounts (`own_names`, normalised) write a post by `author`?"""
    return author is not None and normalise_author(author) in own_names


def is_own(post: ThreadPost, own_authors: Mapping[str, frozenset[str]]) -> bool:
    """Did one of the brand's accounts write `post`? `own_authors` maps a source to normalised names."""
    return is_own_post(post.author, own_authors.get(post.source, frozenset()))


def first_responses(
    posts: Iterable[ThreadPost], own_authors: Mapping[str, frozenset[str]]
) -> dict[tuple[str, str], ThreadPost]:
    """The earliest own-account answer to each customer mention that has one, by (source, external id)."""
    by_key = {(post.source, post.external_id): post for post in posts}
    first: dict[tuple[str, str], ThreadPost] = {}
    for answer in by_key.values():
        if not is_own(answer, own_authors) or answer.in_reply_to is None:
            continue
        for answered in _answered_by(answer, by_key):
            if is_own(answered, own_authors) or answer.created_at < answered.created_at:
                continue
            key = (answered.source, answered.external_id)
            if key not in first or answer.created_at < first[key].created_at:
                first[key] = answer
    return first


def _answered_by(answer: ThreadPost, by_key: Mapping[tuple[str, str], ThreadPost]) -> list[ThreadPost]:
    """The stored posts up the reply chain from `answer`; if the chain breaks at a missing post,
    also the conversation's root."""
    chain: list[ThreadPost] = []
    seen = {answer.external_id}
    parent_id = answer.in_reply_to
    while parent_id is not None and parent_id not in seen and len(chain) < MAX_THREAD_DEPTH:
        seen.add(parent_id)
        parent = by_key.get((answer.source, parent_id))
        if parent is None:
            root = by_key.get((answer.source, answer.conversation_id)) if answer.conversation_id else None
            if root is not None and root.external_id not in seen:
                chain.append(root)
            break
        chain.append(parent)
        parent_id = parent.in_reply_to
    return chain


def business_seconds(start: datetime, end: datetime, hours: WorkingHours) -> float:
    """Seconds between `start` and `end` that fall inside business hours, in their time zone
    (a day's opening and closing are local times, so a DST change moves them with the clock)."""
    if end <= start:
        return 0.0
    zone = ZoneInfo(hours.timezone)
    day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    total = 0.0
    while day <= last_day:
        if day.weekday() in hours.weekdays:
            opens = datetime.combine(day, hours.opens, zone)
            closes = datetime.combine(day, hours.closes, zone)
            overlap = (min(end, closes) - max(start, opens)).total_seconds()
            total += max(overlap, 0.0)
        day += timedelta(days=1)
    return total


def response_report(
    posts: Sequence[ThreadPost],
    own_authors: Mapping[str, frozenset[str]],
    start: datetime,
    end: datetime,
    now: datetime,
    hours: WorkingHours | None = None,
) -> ResponseReport:
    """Answering of the customer mentions made in [start, end), with answers up to `now`."""
    answers = first_responses(posts, own_authors)
    customers = [post for post in posts if start <= post.created_at < end and not is_own(post, own_authors)]
    by_source: dict[str, list[ThreadPost]] = {}
    for post in customers:
        by_source.setdefault(post.source, []).append(post)
    stats = tuple(_stats(source, by_source[source], answers, hours) for source in sorted(by_source))
    unanswered = [
        UnansweredMention(post, (now - post.created_at).total_seconds())
        for post in customers
        if post.sentiment_label == "negative" and (post.source, post.external_id) not in answers
    ]
    unanswered.sort(key=lambda item: (-(item.post.author_reach or 0), item.post.created_at))
    return ResponseReport(stats, _stats(ALL_SOURCES, customers, answers, hours), tuple(unanswered))


def _stats(
    source: str, mentions: list[ThreadPost], answers: Mapping[tuple[str, str], ThreadPost], hours: WorkingHours | None
) -> ResponseStats:
    delays: list[float] = []
    business_delays: list[float] = []
    for mention in mentions:
        answer = answers.get((mention.source, mention.external_id))
        if answer is None:
            continue
        delays.append((answer.created_at - mention.created_at).total_seconds())
        if hours is not None:
            business_delays.append(business_seconds(mention.created_at, answer.created_at, hours))
    return ResponseStats(
        source=source,
        customer_mentions=len(mentions),
        answered=len(delays),
        median_seconds=statistics.median(delays) if delays else None,
        mean_seconds=statistics.fmean(delays) if delays else None,
        median_business_seconds=statistics.median(business_delays) if business_delays else None,
        mean_business_seconds=statistics.fmean(business_delays) if business_delays else None,
    )


def describe(stats: ResponseStats, business_hours: bool) -> str:
    """`all: 12 of 340 answered (4%); first response median 55 min, mean 2 h 5 min[; in business
    hours ...]`: the one wording of the CLI line and the digest."""
    share = "n/a" if stats.answered_share is None else f"{stats.answered_share:.0%}"
    line = (
        f"{stats.source}: {stats.answered} of {stats.customer_mentions:,} answered ({share}); first response "
        f"median {format_duration(stats.median_seconds)}, mean {format_duration(stats.mean_seconds)}"
    )
    if business_hours:
        line += (
            f"; in business hours median {format_duration(stats.median_business_seconds)}, "
            f"mean {format_duration(stats.mean_business_seconds)}"
        )
    return line


def format_duration(seconds: float | None) -> str:
    """`12 h 10 min`, `45 min`, `30 s`; an em dash for no value. For the CLI, digests and dashboard."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
