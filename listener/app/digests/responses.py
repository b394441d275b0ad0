"""The digest's response-time section: how fast the brand answered the period's customer mentions.

Numbers are `listener.core.response_time`'s, so the digest, the dashboard, the API and `listener
history` agree. Mention text and authors are attacker-controlled: the HTML escapes them.
"""

from __future__ import annotations

import html

from listener.app.digests.report import UNANSWERED_SHOWN
from listener.core.response_time import ResponseReport, describe, format_duration


def response_lines(report: ResponseReport, business_hours: bool) -> list[str]:
    """The section as plain text lines (headed, indented like the digest's other sections)."""
    lines = ["", "Response time (answers by the brand's own accounts):"]
    lines += [f"  {describe(stats, business_hours)}" for stats in (*report.by_source, report.overall)]
    unanswered = report.unanswered_negative
    lines.append(f"  Unanswered negative mentions: {len(unanswered)}" + (", widest reach first:" if unanswered else ""))
    for item in unanswered[:UNANSWERED_SHOWN]:
        text = " ".join(item.post.text.split())[:140]
        lines.append(
            f"    @{item.post.author or 'unknown'} · reach {item.post.author_reach or 0:,} · "
            f"waiting {format_duration(item.waiting_seconds)} · {text}"
        )
    return lines


def response_html(report: ResponseReport, business_hours: bool) -> str:
    e = html.escape
    rows = "".join(f"<li>{e(describe(stats, business_hours))}</li>" for stats in (*report.by_source, report.overall))
    unanswered = "".join(
        f"<li><small>@{e(item.post.author or 'unknown')} · reach {item.post.author_reach or 0:,} · "
        f"waiting {e(format_duration(item.waiting_seconds))}</small><br>{e(' '.join(item.post.text.split())[:280])}</li>"
        for item in report.unanswered_negative[:UNANSWERED_SHOWN]
    )
    return (
        f"<h3>Response time</h3><ul>{rows}</ul>"
        f"<p>Unanswered negative mentions: {len(report.unanswered_negative)}</p>"
        + (f"<ol>{unanswered}</ol>" if unanswered else "")
    )
