"""What a collected mention may hold: values the database columns can store, and times that can be true.

Mentions come from platforms and export files that anyone can write into. One value the database
cannot take (an id of 300 characters or with a NUL byte on PostgreSQL, a like count past the
INTEGER column, a date in year 1 that the hourly rollups cannot bucket) used to fail the whole
batch it came in, and since the cursor commits with the batch, every poll after it too: nothing
before or after that row was ever stored. So each mention is checked on its own, and one that
cannot be stored is refused alone, logged with where it came from.

Counts are clamped, not refused: a post whose export claims 10^20 likes is still a real post
worth scoring and counting; its like, share and reply counts are only read to rank mentions, and
the largest number the column holds ranks it just as high. A count that is not a number at all
(NaN) is unknown. Ids and times are refused: an id cut short could collide with another post's,
and a time cannot be guessed.

Times are refused on two grounds. What storage and queries handle, `TIME_RANGE` (1970 to 2200),
is enforced by the store for every caller and by the web API's parameters. What can be true is
stricter and enforced where mentions are collected: nothing from before `EARLIEST`, and nothing
dated more than `[clock] max_future` after the daemon's clock, since a single mention dated 2999
would otherwise stretch every "from the first to the last mention" range over a millennium.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from listener.core.records import Mention
from listener.core.text import BROKEN_CHARACTERS

MAX_COUNT = 2**31 - 1
"""mentions.likes, shares and replies are INTEGER columns."""
MAX_REACH = 2**63 - 1
"""mentions.author_reach is a BIGINT column."""
MAX_ID_LENGTH = 200
"""mentions.external_id is VARCHAR(200); PostgreSQL refuses longer, SQLite would keep it."""

RATINGS = range(1, 6)
"""A review's stars: 1 to 5. Any other value is a rating we cannot read, kept as unknown."""

TIME_RANGE = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
"""[start, end): the times storage keeps and queries accept. Far enough inside Python's years
1-9999 that a week or month bucket (or a week before the first) never leaves them."""
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
"""No collected mention is older than the web."""
DEFAULT_MAX_FUTURE = timedelta(days=1)
"""How far past the clock a mention may be dated (clock skew between us and a platform)."""


def bounded_count(value: int | float | None, maximum: int = MAX_COUNT) -> int | None:
    """`value` clamped to 0..`maximum` (infinity included); None when unknown or NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value <= 0:
        return 0
    return maximum if value >= maximum else int(value)


def id_problem(external_id: str) -> str | None:
    """Why `external_id` cannot be stored as a mention's identity, or None when it can."""
    if not external_id:
        return "empty id"
    if len(external_id) > MAX_ID_LENGTH:
        return f"id of {len(external_id)} characters (at most {MAX_ID_LENGTH})"
    broken = BROKEN_CHARACTERS.search(external_id)
    if broken:
        what = "a NUL character" if broken.group() == "\x00" else "a lone surrogate (badly decoded text)"
        return f"id {external_id[:40]!r} contains {what}"
    return None


def in_time_range(moment: datetime) -> bool:
    """Whether `moment` is aware and in TIME_RANGE: a time storage keeps and queries accept."""
    return moment.tzinfo is not None and TIME_RANGE[0] <= moment < TIME_RANGE[1]


def time_problem(moment: datetime) -> str | None:
    """Why storage cannot keep a mention dated `moment`, or None when it can."""
    if moment.tzinfo is None:
        return f"date {moment.isoformat()} has no time zone"
    if not in_time_range(moment):
        return f"dated {moment.isoformat()}, outside {TIME_RANGE[0].year}-{TIME_RANGE[1].year}"
    return None


def implausible_time(moment: datetime, now: datetime, max_future: timedelta) -> str | None:
    """Why a mention dated `moment` cannot be true when the clock says `now`, or None."""
    problem = time_problem(moment)
    if problem:
        return problem
    if moment < EARLIEST:
        return f"dated {moment.isoformat()}, before {EARLIEST.year}"
    if moment > now + max_future:
        return f"dated {_iso(moment)}, after {_iso(now + max_future)} (the clock plus [clock] max_future)"
    return None


def storable(mention: Mention) -> tuple[Mention | None, str | None]:
    """The mention with its counts clamped to the columns, or None and why it cannot be stored."""
    problem = id_problem(mention.external_id) or time_problem(mention.created_at)
    if problem:
        return None, problem
    return replace(
        mention,
        author_reach=bounded_count(mention.author_reach, MAX_REACH),
        likes=bounded_count(mention.likes) or 0,
        shares=bounded_count(mention.shares) or 0,
        replies=bounded_count(mention.replies) or 0,
        rating=mention.rating if mention.rating in RATINGS else None,
    ), None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
