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

from alerts.metrics import metric_noun, top_mentions_heading
from alerts.notify.chart import sparkline
from listener.core.records import Alert, AlertEvidence, StoredMention, Story, VolumeContext
from listener.core.themes import describe

MENTION_TEXT_LIMIT = 280
TERM_LIMIT = 40
"""Driving terms come from mention text: one absurdly long "word" must not swamp the message."""
SLACK_MENTION_LIMIT = 10
"""Slack rejects messages over 50 blocks; the rest of the evidence is in the email and the database."""

TEST_RULE = "listener-alerts-test"
"""The rule of the alert `listener alerts test` sends: every surface marks it as a test."""

_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")


def one_line(text: str) -> str:
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
    url = one_line(url)
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


# Slack mrkdwn has no escape character: `*bold*`, `_italic_`, `~strike~` and `` `code` `` can only
# be kept from forming by not using those characters. Authors' text gets look-alikes instead.
_MRKDWN_LOOKALIKES = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_LINKABLE = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*:/*|\bwww\.)\S+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b(?:/\S*)?"
)
"""What Slack would turn into a link by itself: anything with a scheme, and bare domains."""


def neutralise_mrkdwn(text: str) -> str:
    """Text an author wrote, shown in Slack exactly as typed: control sequences escaped, the
    formatting characters swapped for look-alikes (∗ ˍ ∼ ˋ), and URLs and domains defanged
    (`https:⁄⁄evil․example`) so that Slack links nothing a mention says; the mention's own
    link is a separate, checked `open` link."""
    escaped = escape_mrkdwn(text).translate(_MRKDWN_LOOKALIKES)
    return _LINKABLE.sub(lambda match: match.group(0).replace("/", "\u2044").replace(".", "\u2024"), escaped)


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
    text = f"{start.strftime('%Y-%m-%d %H:%M')}–{end_text} UTC"
    counted_until = alert.evidence.counted_until if alert.evidence else None
    if counted_until is not None:  # an early alert: the window was judged while it was filling
        text += f" (still open: counted so far, until {_utc(counted_until):%H:%M} UTC)"
    return text


def format_ratio(alert: Alert) -> str:
    if alert.expected <= 0:
        return "none expected"
    return f"{alert.observed / alert.expected:.1f}x expected"


def format_counts(alert: Alert) -> str:
    return f"{alert.observed} observed vs {alert.expected:.1f} expected ({format_ratio(alert)})"


def format_share(alert: Alert) -> str:
    volume = alert.evidence.volume if alert.evidence else None
    return describe_share(alert.negative_share, volume)


def describe_share(negative_share: float, volume: VolumeContext | None) -> str:
    """The window's negative share, beside the usual one when it is known."""
    text = f"{negative_share:.0%} of mentions negative"
    if volume is not None and volume.usual_negative_share is not None:
        text += f" (usual {volume.usual_negative_share:.0%})"
    return text


def describe_volume(volume: VolumeContext, negative_share: float, kind: str) -> str:
    """All mentions in the window against the usual, and when the negatives rose with them at no
    more than the usual share, that this looks like more attention rather than more complaints."""
    if volume.usual_mentions <= 0:
        text = f"{volume.mentions} in the window, usually none"
    else:
        text = f"{volume.mentions} in the window, {volume.mentions / volume.usual_mentions:.1f}x the usual {volume.usual_mentions:.3g}"
    usual_share = volume.usual_negative_share
    rose_with_all = usual_share is not None and volume.mentions > volume.usual_mentions and negative_share <= usual_share
    if kind != "resolved" and rose_with_all:
        text += "; the negatives rose with all mentions at no more than the usual share: more attention (a launch, a viral post, news?), not more complaints"
    return text


def _metric_noun(alert: Alert) -> str:
    return metric_noun(alert.metric)


def kind_label(kind: str, severity: str) -> str:
    """An alert message's kind and severity as listed in the dashboard and digests: a resolution
    keeps the incident's severity, and `critical` beside it alone would read as a new alert."""
    if kind == "resolved":
        return "resolved"
    if kind == "escalation":
        return f"escalated to {severity}"
    if kind == "repeat":
        return f"still going ({severity})"
    return severity


def alert_title(alert: Alert) -> str:
    """One line for an email subject or a Slack header: state, severity and brand first, so they sort and scan."""
    brand = one_line(alert.brand)
    numbers = f"{alert.observed} {_metric_noun(alert)} ({format_ratio(alert)})"
    test = "[TEST] " if alert.rule == TEST_RULE else ""
    if alert.kind == "resolved":
        return f"{test}[RESOLVED] Negative spike for {brand} is over: {numbers}"
    if alert.kind == "escalation":
        return f"{test}[{alert.severity.upper()}] Escalated: negative spike for {brand}: {numbers}"
    if alert.kind == "repeat":
        return f"{test}[{alert.severity.upper()}] Still going: negative spike for {brand}: {numbers}"
    return f"{test}[{alert.severity.upper()}] Negative spike for {brand}: {numbers}"


def incident_note(alert: Alert, threaded: bool = True) -> str | None:
    """Names the incident a message belongs to; a follow-up that cannot thread says so."""
    if alert.incident_key is None:
        return None
    name = one_line(alert.incident_key)
    if alert.kind == "firing" or threaded:
        return f"Incident {name}"
    return f"Update on incident {name} (follows the first message about it)"


def _mention_byline(mention: StoredMention) -> list[str]:
    """Author, reach and source, uncleaned: each renderer escapes them for its format."""
    parts = [f"@{mention.author}" if mention.author else "unknown author"]
    if mention.author_reach is not None:
        parts.append(f"reach {mention.author_reach:,}")
    parts.append(mention.source)
    return parts


def _evidence_lines(alert: Alert) -> list[tuple[str, str]]:
    """The headline numbers, already cleaned; brand and rule come from config but are cleaned anyway."""
    lines = [("Brand", one_line(alert.brand))]
    if alert.kind != "firing":
        lines.append(("Status", "resolved" if alert.kind == "resolved" else "still going"))
    lines += [
        ("Severity", alert.severity),
        ("Rule", one_line(alert.rule)),
        ("Window", format_window(alert)),
        (_metric_noun(alert).capitalize(), format_counts(alert)),
    ]
    if alert.evidence is not None and alert.evidence.volume is not None:
        lines.append(("All mentions", describe_volume(alert.evidence.volume, alert.negative_share, alert.kind)))
    lines += [
        ("Negative share", format_share(alert)),
        ("Anomaly score", f"{alert.score:.5f}"),
    ]
    return lines


def _trend(evidence: AlertEvidence) -> str | None:
    if not evidence.observed_series:
        return None
    count = len(evidence.observed_series)
    text = f"{sparkline(evidence.observed_series)} last {count} window{'s' if count != 1 else ''}"
    if evidence.expected_series:
        text += f", baseline {evidence.expected_series[-1]:.3g} per window"  # .3g: counts and shares alike
    return text


def _context_lines(alert: Alert) -> list[tuple[str, str]]:
    """Why it spiked and where: trend, driving terms, stories, sources, languages; cleaned, not escaped.

    Terms, story names and language codes come from mention data and must be escaped by each renderer.
    """
    evidence = alert.evidence
    if evidence is None:
        return []
    lines = []
    if trend := _trend(evidence):
        lines.append(("Trend", trend))
    if evidence.driving_terms:
        terms = ", ".join(
            f"{truncate(one_line(growth.term), TERM_LIMIT)} ({growth.spike_count} vs {growth.baseline_rate:.1f} usual)"
            for growth in evidence.driving_terms
        )
        lines.append(("Driving terms", terms))
    if evidence.stories:
        cleaned = [Story(truncate(one_line(story.name), TERM_LIMIT), story.mentions) for story in evidence.stories]
        lines.append(("Stories", describe(cleaned, evidence.stories_from)))
    for label, counts in (("Sources", evidence.sources), ("Languages", evidence.languages)):
        if counts:
            lines.append((label, ", ".join(f"{truncate(one_line(name), TERM_LIMIT)} {count}" for name, count in counts)))
    return lines


def _shows_mentions(alert: Alert) -> bool:
    """A resolved message says it is over; the complaints that started it are in the first message."""
    return alert.kind != "resolved" and bool(alert.top_mentions)


def alert_text(alert: Alert, threaded: bool = True) -> str:
    """Plain text for the console and the email's text part; control characters stripped."""
    lines = [alert_title(alert), ""]
    lines += [f"{label + ':':<19}{value}" for label, value in _evidence_lines(alert) + _context_lines(alert)]
    if _shows_mentions(alert):
        lines += ["", f"{top_mentions_heading(alert.metric)}:"]
        for number, mention in enumerate(alert.top_mentions, start=1):
            byline = " · ".join(one_line(part) for part in _mention_byline(mention))
            lines.append(f"{number}. {byline}")
            lines.append(f"   {truncate(one_line(mention.text))}")
            url = web_url(mention.url)
            if url:
                lines.append(f"   {url}")
    if note := incident_note(alert, threaded):
        lines += ["", note]
    return "\n".join(lines) + "\n"


def alert_html(alert: Alert, chart_cid: str | None = None, threaded: bool = True) -> str:
    """The email's HTML part. Every dynamic value passes through html.escape; links only for http(s).

    `chart_cid` is the Content-ID of the chart image in the same message, shown under the numbers.
    """
    esc = html.escape
    rows = "".join(
        f'<tr><th align="left" style="padding-right:1em">{esc(label)}</th><td>{esc(value)}</td></tr>'
        for label, value in _evidence_lines(alert) + _context_lines(alert)
    )
    chart = ""
    if chart_cid is not None:
        chart = f'<p><img src="cid:{esc(chart_cid, quote=True)}" alt="{esc(_metric_noun(alert))} per window" width="640"></p>'
    items = []
    for mention in alert.top_mentions if _shows_mentions(alert) else ():
        byline = " · ".join(esc(one_line(part)) for part in _mention_byline(mention))
        url = web_url(mention.url)
        link = f' · <a href="{esc(url, quote=True)}">open</a>' if url else ""
        items.append(
            f"<li><p><strong>{byline}</strong>{link}</p>"
            f"<blockquote>{esc(truncate(one_line(mention.text)))}</blockquote></li>"
        )
    mentions = f"<h3>{esc(top_mentions_heading(alert.metric))}</h3><ol>{''.join(items)}</ol>" if items else ""
    note = incident_note(alert, threaded)
    footer = f"<p><small>{esc(note)}</small></p>" if note else ""
    title = esc(alert_title(alert))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body>"
        f"<h2>{title}</h2><table>{rows}</table>{chart}{mentions}{footer}</body></html>"
    )


def _slack_mention_block(mention: StoredMention) -> dict[str, Any]:
    byline = " · ".join(neutralise_mrkdwn(one_line(part)) for part in _mention_byline(mention))
    url = web_url(mention.url)
    link = f" · <{_slack_link_target(url)}|open>" if url else ""
    quote = neutralise_mrkdwn(truncate(one_line(mention.text)))
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{byline}*{link}\n>{quote}"}}


def slack_payload(alert: Alert, threaded: bool = True) -> dict[str, Any]:
    """A chat.postMessage / incoming-webhook body: mrkdwn `text` for notifications plus Block Kit blocks.

    `threaded=False` marks a follow-up that could not be threaded under the incident's first
    message. Unfurling is off so that an attacker's URL never gets a rich preview in the channel.
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
    context = _context_lines(alert)
    if context:
        text = "\n".join(f"*{label}:* {neutralise_mrkdwn(value)}" for label, value in context)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, 3000)}})
    shown = alert.top_mentions[:SLACK_MENTION_LIMIT] if _shows_mentions(alert) else ()
    if shown:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{top_mentions_heading(alert.metric)}*"}})
        blocks.extend(_slack_mention_block(mention) for mention in shown)
    hidden = len(alert.top_mentions) - len(shown) if shown else 0
    notes = [f"{hidden} more mentions not shown"] if hidden > 0 else []
    if note := incident_note(alert, threaded):
        notes.append(escape_mrkdwn(note))
    if notes:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text} for text in notes]})
    return {
        "text": escape_mrkdwn(alert_title(alert)),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
