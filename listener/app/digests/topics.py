"""The digest's topic section: what the period's mentions were about, and how each topic felt.

The counts are `topic_overview`'s, as on the dashboard's topic panel: per configured topic and per
touchpoint, the mentions and their net sentiment, with the change since the period before. Topics
without a mention in the period are left out; topic names come from the config, and are escaped
in HTML all the same.
"""

from __future__ import annotations

import html

from listener.app.digests.report import DigestReport
from listener.storage.topics import SentimentCounts, TopicOverview


def topic_rows(report: DigestReport) -> list[tuple[str, str, str, str]]:
    """(topic or touchpoint, mentions, net sentiment, change since the period before), busiest first."""
    if report.topics is None:
        return []
    before = dict(_labelled(report.previous_topics)) if report.previous_topics is not None else {}
    return [
        (label, f"{counts.mentions:,}", _net(counts), _change(counts, before.get(label)))
        for label, counts in sorted(_labelled(report.topics), key=lambda item: -item[1].mentions)
        if counts.mentions
    ]


def _labelled(overview: TopicOverview) -> list[tuple[str, SentimentCounts]]:
    """Each topic under its name and each touchpoint marked as one, so that a topic named like a
    touchpoint is never compared with the touchpoint's previous figures."""
    return [(counts.name, counts) for counts in overview.topics] + [
        (f"{counts.name} (touchpoint)", counts) for counts in overview.touchpoints
    ]


def _net(counts: SentimentCounts) -> str:
    return "n/a" if counts.net_sentiment is None else f"{counts.net_sentiment:+.0f}"


def _change(counts: SentimentCounts, previous: SentimentCounts | None) -> str:
    """The change in net sentiment since the period before; "new" for a topic that had no mention then."""
    if previous is None or not previous.mentions:
        return "new"
    if counts.net_sentiment is None or previous.net_sentiment is None:
        return "n/a"
    return f"{counts.net_sentiment - previous.net_sentiment:+.0f} pts"


def topic_lines(report: DigestReport) -> list[str]:
    if report.topics is None:
        return []
    lines = ["", "Topics (mentions, net sentiment, change in net sentiment):"]
    lines += [f"  {label}: {mentions} · {net} · {change}" for label, mentions, net, change in topic_rows(report)] or ["  none"]
    return lines


def topic_html(report: DigestReport) -> str:
    if report.topics is None:
        return ""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(label)}</td><td align=\"right\">{e(mentions)}</td><td align=\"right\">{e(net)}</td>"
        f"<td align=\"right\">{e(change)}</td></tr>"
        for label, mentions, net, change in topic_rows(report)
    )
    if not rows:
        return "<h3>Topics</h3><p>none</p>"
    return (
        "<h3>Topics</h3><table cellpadding=\"4\" style=\"border-collapse:collapse\">"
        "<tr><th align=\"left\"></th><th align=\"right\">mentions</th><th align=\"right\">net sentiment</th>"
        f"<th align=\"right\">change</th></tr>{rows}</table>"
    )
