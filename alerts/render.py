"""An alert's evidence as text, HTML and Slack Block Kit, with attacker-controlled text made inert.

Mention text, authors and URLs come from strangers on the internet. Whoever can post about the
brand can put `<!channel>` or `<https://evil|bank.com>` into a Slack message, `<script>` into an
email or terminal escape codes into a console, so every renderer cleans and escapes each of them
for its own format; brand and rule names come from our config and are escaped anyway.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from listener.models import Alert, StoredMention

MENTION_TEXT_LIMIT = 280
SLACK_MENTION_LIMIT = 10
"""Slack rejects messages over 50 blocks; the rest of the evidence is in the email and the database."""

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """One line with no control characters: they could rewrite a terminal or reverse displayed text."""
    text = _BIDI_CONTROLS.sub("", text)
    text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    return _WHITESPACE.sub(" ", text).strip()


def truncate(text: str, limit: int = MENTION_TEXT_LIMIT) -> str:
    """Cut before escaping, so that an entity such as `&amp;` is never cut in half."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def web_url(url: str | None) -> str | None:
    """The URL if it is http(s), else None: a `javascript:` or `data:` link must never be clickable."""
    if not url:
        return None
    url = clean_text(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack parses as control sequences (`<!channel>`, `<@U1>`, `<url|label>`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link_target(url: str) -> str:
    """A URL safe inside `<url|label>`: a `|` or `>` in it would otherwise end the target early."""
    return escape_mrkdwn(url).replace("|", "%7C").replace(" ", "%20")


def _utc(moment: datetime) -> datetime:
    """Storage may hand back naive datetimes; they are UTC by convention throughout the project."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_window(alert: Alert) -> str:
    start, end = _utc(alert.window_start), _utc(alert.window_end)
    end_text = end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%Y-%m-%d %H:%M")
    return f"{start.strftime('%Y-%m-%d %H:%M')}–{end_text} UTC"


def format_ratio(alert: Alert) -> str:
    if alert.expected <= 0:
        return "none expected"
    return f"{alert.observed / alert.expected:.1f}x expected"


def format_counts(alert: Alert) -> str:
    return f"{alert.observed} observed vs {alert.expected:.1f} expected ({format_ratio(alert)})"


def format_share(alert: Alert) -> str:
    return f"{alert.negative_share:.0%} of mentions negative"


def alert_title(alert: Alert) -> str:
    """One line for an email subject or a Slack header: severity and brand first, so they sort and scan."""
    brand = clean_text(alert.brand)
    return (
        f"[{alert.severity.upper()}] Negative spike for {brand}: "
        f"{alert.observed} negative mentions ({format_ratio(alert)})"
    )


def _mention_byline(mention: StoredMention) -> list[str]:
    """Author, reach and source, uncleaned: each renderer escapes them for its format."""
    parts = [f"@{mention.author}" if mention.author else "unknown author"]
    if mention.author_reach is not None:
        parts.append(f"reach {mention.author_reach:,}")
    parts.append(mention.source)
    return parts


def _evidence_lines(alert: Alert) -> list[tuple[str, str]]:
    return [
        ("Brand", clean_text(alert.brand)),
        ("Severity", alert.severity),
        ("Rule", clean_text(alert.rule)),
        ("Window", format_window(alert)),
        ("Negative mentions", format_counts(alert)),
        ("Negative share", format_share(alert)),
        ("Anomaly score", f"{alert.score:.5f}"),
    ]


def alert_text(alert: Alert) -> str:
    """Plain text for the console and the email's text part; control characters stripped."""
    lines = [alert_title(alert), ""]
    lines += [f"{label + ':':<19}{value}" for label, value in _evidence_lines(alert)]
    if alert.top_mentions:
        lines += ["", "Top negative mentions:"]
    for number, mention in enumerate(alert.top_mentions, start=1):
        byline = " · ".join(clean_text(part) for part in _mention_byline(mention))
        lines.append(f"{number}. {byline}")
        lines.append(f"   {truncate(clean_text(mention.text))}")
        url = web_url(mention.url)
        if url:
            lines.append(f"   {url}")
    return "\n".join(lines) + "\n"


def alert_html(alert: Alert) -> str:
    """The email's HTML part. Every dynamic value passes through html.escape; links only for http(s)."""
    esc = html.escape
    rows = "".join(
        f'<tr><th align="left" style="padding-right:1em">{esc(label)}</th><td>{esc(value)}</td></tr>'
        for label, value in _evidence_lines(alert)
    )
    items = []
    for mention in alert.top_mentions:
        byline = " · ".join(esc(clean_text(part)) for part in _mention_byline(mention))
        url = web_url(mention.url)
        link = f' · <a href="{esc(url, quote=True)}">open</a>' if url else ""
        items.append(
            f"<li><p><strong>{byline}</strong>{link}</p>"
            f"<blockquote>{esc(truncate(clean_text(mention.text)))}</blockquote></li>"
        )
    mentions = f"<h3>Top negative mentions</h3><ol>{''.join(items)}</ol>" if items else ""
    title = esc(alert_title(alert))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>"
        f"<h2>{title}</h2><table>{rows}</table>{mentions}</body></html>"
    )


def _slack_mention_block(mention: StoredMention) -> dict[str, Any]:
    byline = " · ".join(escape_mrkdwn(clean_text(part)) for part in _mention_byline(mention))
    url = web_url(mention.url)
    link = f" · <{_slack_link_target(url)}|open>" if url else ""
    quote = escape_mrkdwn(truncate(clean_text(mention.text)))
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{byline}*{link}\n>{quote}"}}


def slack_payload(alert: Alert) -> dict[str, Any]:
    """An incoming-webhook body: mrkdwn `text` for notifications plus Block Kit blocks.

    Unfurling is off so that an attacker's URL never gets a rich preview in the channel.
    """
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{escape_mrkdwn(value)}"}
        for label, value in _evidence_lines(alert)
        if label != "Brand"
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(alert_title(alert), 150)}},
        {"type": "section", "fields": fields[:10]},
    ]
    shown = alert.top_mentions[:SLACK_MENTION_LIMIT]
    if shown:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Top negative mentions*"}})
        blocks.extend(_slack_mention_block(mention) for mention in shown)
    hidden = len(alert.top_mentions) - len(shown)
    if hidden > 0:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{hidden} more mentions not shown"}]}
        )
    return {
        "text": escape_mrkdwn(alert_title(alert)),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
