"""Negative mentions from wide-reaching authors that the brand has not answered in time.

Not a window count of the sentiment rollups, so the `Metric` interface (a count or a share per
`WindowCount`) cannot compute it: whether a mention is answered depends on the brand's replies
(`listener.core.response_time`), not on a window's labels. The simplest honest fit to the
existing rule -> incident -> outbox path is still a count per window, computed here from the
stored threads instead: a window counts the negative customer mentions, from authors with at
least the rule's `min_reach`, whose answer deadline (posted + `answer_within`) falls in it with
no answer from an own account by then. Each such mention is counted once, in the window its
deadline passes; a window with any fires (no baseline: one ignored complaint from a big account
is the news), so the incidents, repeats, resolution, quiet hours, silences and routes of every
other rule apply unchanged. `alerts/dispatch/engine.py` asks this module for the windows of a
rule with this metric instead of judging rollup counts, and shows the overdue mentions as the
alert's top mentions. `min_count` and the baseline settings do not apply.

An answer counts only if it was collected before the window is judged (the daemon waits for
each source to have polled past the window's end); an answer posted in time but collected
later makes a late alert, which the next judged windows do not repeat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from alerts.metrics.base import Metric
from listener.core.records import WindowCount
from listener.core.response_time import ThreadPost, first_responses, is_own

NAME = "unanswered_negative"


def overdue_in_windows(
    posts: Sequence[ThreadPost],
    own_authors: Mapping[str, frozenset[str]],
    starts: Sequence[datetime],
    window: timedelta,
    answer_within: timedelta,
    min_reach: int,
) -> list[list[ThreadPost]]:
    """Per window starting at `starts` (consecutive, `window` apart), the mentions whose answer
    deadline passed in it unanswered, widest reach first."""
    overdue: list[list[ThreadPost]] = [[] for _ in starts]
    if not starts:
        return overdue
    answers = first_responses(posts, own_authors)
    for post in posts:
        if post.sentiment_label != "negative" or (post.author_reach or 0) < min_reach or is_own(post, own_authors):
            continue
        deadline = post.created_at + answer_within
        index = (deadline - starts[0]) // window
        if not 0 <= index < len(starts):
            continue
        answer = answers.get((post.source, post.external_id))
        if answer is None or answer.created_at > deadline:
            overdue[index].append(post)
    for mentions in overdue:
        mentions.sort(key=lambda post: -(post.author_reach or 0))
    return overdue


def _chart(window: WindowCount) -> float:
    """The engine's windows for this metric carry the overdue mentions as their (negative) count."""
    return float(window.negative)


PLUGIN = Metric(
    name=NAME,
    noun="negative mentions unanswered in time",
    description="negative mentions from authors with at least min_reach followers that no own account answered within answer_within",
    chart=_chart,
)
