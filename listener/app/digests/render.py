"""The digest email: charts (matplotlib Agg PNGs, sent inline via `cid:`), text and HTML.

Mention text, authors and links come from the platforms and are attacker-controlled: the HTML
escapes them and shows only http(s) URLs as links.
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from alerts.notify.render import kind_label
from listener.app.digests.report import DigestReport
from listener.app.digests.responses import response_html, response_lines
from listener.app.digests.topics import topic_html, topic_lines
from listener.core.records import StoredMention
from listener.storage.digests import PeriodAlert

log = logging.getLogger(__name__)

TEXT_LIMIT = 280
"""Characters of a mention's text shown in the email."""


# -- charts ---------------------------------------------------------------------------------------


def volume_chart(report: DigestReport) -> bytes:
    """Stacked bars of mentions by sentiment, with net sentiment as a line on its own axis."""
    from matplotlib.figure import (
        Figure,  # lazy: config validation and the daemon's start stay fast
    )

    labels = [point.label for point in report.points]
    series = {
        "negative": ([p.totals.negative for p in report.points], "#d62728"),
        "neutral": ([p.totals.neutral for p in report.points], "#9e9e9e"),
        "positive": ([p.totals.positive for p in report.points], "#2ca02c"),
        "not scored": ([p.totals.mentions - p.totals.negative - p.totals.neutral - p.totals.positive for p in report.points], "#dddddd"),
    }
    figure = Figure(figsize=(7.5, 3.2), dpi=100)
    axes = figure.add_subplot()
    bottom = [0] * len(labels)
    positions = list(range(len(labels)))
    for name, (values, colour) in series.items():
        axes.bar(positions, values, bottom=bottom, color=colour, label=name, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_ylim(0, max(bottom, default=0) * 1.25 or 1)  # headroom for the legend
    axes.set_ylabel("mentions")
    step = max(1, len(labels) // 12)
    axes.set_xticks(positions[::step], labels[::step], fontsize=8)
    net = axes.twinx()
    net_values = [p.totals.net_sentiment for p in report.points]
    net.plot(positions, [float("nan") if v is None else v for v in net_values], color="#1f77b4", marker="o", markersize=3, label="net sentiment")
    net.set_ylim(-105, 105)
    net.axhline(0, color="#1f77b4", linewidth=0.5, alpha=0.4)
    net.set_ylabel("net sentiment")
    handles = axes.get_legend_handles_labels()[0] + net.get_legend_handles_labels()[0]
    axes.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="upper left", ncols=5, frameon=False)
    axes.set_title(f"{report.brand}: mentions and net sentiment", fontsize=10)
    return _png(figure)


def share_chart(report: DigestReport) -> bytes:
    """Horizontal bars of mentions per brand, this digest's brand highlighted."""
    from matplotlib.figure import Figure

    names = [name for name, _ in report.share_of_voice][::-1]
    counts = [count for _, count in report.share_of_voice][::-1]
    total = sum(counts)
    figure = Figure(figsize=(7.5, 1.4 + 0.35 * len(names)), dpi=100)
    axes = figure.add_subplot()
    colours = ["#1f77b4" if name == report.brand else "#b0c4de" for name in names]
    axes.barh(names, counts, color=colours)
    for index, count in enumerate(counts):
        share = f"{count / total:.0%}" if total else "–"
        axes.text(count, index, f" {count:,} ({share})", va="center", fontsize=8)
    axes.set_xlabel("mentions")
    axes.set_title("Share of voice", fontsize=10)
    axes.set_xlim(0, max(counts or [1]) * 1.25 or 1)
    return _png(figure)


def _png(figure: object) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()  # type: ignore[attr-defined]
    figure.savefig(buffer, format="png")  # type: ignore[attr-defined]
    return buffer.getvalue()


# -- rendering ------------------------------------------------------------------------------------


def _change(current: float | None, previous: float | None, relative: bool) -> str:
    if current is None or previous is None:
        return "n/a"
    if relative:
        if previous == 0:
            return "new" if current else "±0%"
        return f"{(current - previous) / previous:+.0%}"
    return f"{current - previous:+.0f} pts"


def key_numbers(report: DigestReport) -> list[tuple[str, str, str]]:
    """(name, value, change vs the previous period) rows shown in both text and HTML."""
    now, before = report.totals, report.previous
    neg_share = "n/a" if now.negative_share is None else f"{now.negative_share:.0%}"
    share_change = "n/a"
    if now.negative_share is not None and before.negative_share is not None:
        share_change = f"{(now.negative_share - before.negative_share) * 100:+.0f} pts"
    net = "n/a" if now.net_sentiment is None else f"{now.net_sentiment:+.0f}"
    return [
        ("Mentions", f"{now.mentions:,}", _change(now.mentions, before.mentions, True)),
        ("Negative share", neg_share, share_change),
        ("Net sentiment", net, _change(now.net_sentiment, before.net_sentiment, False)),
        ("Reach", f"{now.reach:,}", _change(now.reach, before.reach, True)),
    ]


def subject(report: DigestReport) -> str:
    kind = "Daily" if report.schedule == "daily" else "Weekly"
    change = _change(report.totals.mentions, report.previous.mentions, True)
    return f"{kind} digest for {report.brand}, {report.period.label}: {report.totals.mentions:,} mentions ({change})"


def _safe_link(url: str | None) -> str | None:
    """Only http(s) links are shown as links: a `javascript:` URL from a platform is not."""
    if not url:
        return None
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _mention_line(mention: StoredMention) -> str:
    label = mention.sentiment.label if mention.sentiment else "not scored"
    return f"@{mention.author or 'unknown'} · reach {mention.author_reach or 0:,} · {mention.source} · {label}"


def render_text(report: DigestReport) -> str:
    lines = [subject(report), ""]
    lines += [f"{name:15} {value:>12}   {change} vs previous period" for name, value, change in key_numbers(report)]
    lines += ["", "Share of voice:"]
    total = sum(count for _, count in report.share_of_voice)
    for name, count in report.share_of_voice:
        lines.append(f"  {name}: {count:,}" + (f" ({count / total:.0%})" if total else ""))
    for title, mentions in (("Widest reach", report.top_reach), ("Most negative", report.most_negative)):
        lines += ["", f"{title}:"]
        if not mentions:
            lines.append("  none")
        for number, mention in enumerate(mentions, start=1):
            lines.append(f"{number}. {_mention_line(mention)}")
            lines.append(f"   {_clip(mention.text)}")
            if link := _safe_link(mention.url):
                lines.append(f"   {link}")
    lines += topic_lines(report)
    lines += response_lines(report.responses, report.business_hours) if report.responses else []
    lines += ["", "Alerts:"]
    lines += [f"  {_alert_line(alert, report)}" for alert in report.alerts] or ["  none"]
    return "\n".join(lines) + "\n"


def _alert_line(alert: PeriodAlert, report: DigestReport) -> str:
    return (
        f"{alert.window_start:%Y-%m-%d %H:%M}–{alert.window_end:%H:%M} UTC · {kind_label(alert.kind, alert.severity)} · "
        f"{alert.observed} vs {alert.expected:.1f} expected ({alert.rule})"
    )


def render_html(report: DigestReport, volume_cid: str | None, share_cid: str | None) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><body style=\"font-family:Arial,sans-serif;color:#222;max-width:760px\">",
        f"<h2 style=\"margin-bottom:4px\">{e(report.brand)}: {'daily' if report.schedule == 'daily' else 'weekly'} digest</h2>",
        f"<p style=\"margin-top:0;color:#666\">{e(report.period.label)}</p>",
        "<table cellpadding=\"6\" style=\"border-collapse:collapse\">",
        "<tr><th align=\"left\"></th><th align=\"right\">this period</th><th align=\"right\">vs previous</th></tr>",
    ]
    for name, value, change in key_numbers(report):
        parts.append(f"<tr><td>{e(name)}</td><td align=\"right\"><b>{e(value)}</b></td><td align=\"right\">{e(change)}</td></tr>")
    parts.append("</table>")
    if volume_cid:
        parts.append(f"<p><img src=\"cid:{e(volume_cid)}\" alt=\"mentions and net sentiment\" width=\"750\"></p>")
    if share_cid:
        parts.append(f"<p><img src=\"cid:{e(share_cid)}\" alt=\"share of voice\" width=\"750\"></p>")
    for title, mentions in (("Widest reach", report.top_reach), ("Most negative", report.most_negative)):
        parts.append(f"<h3>{e(title)}</h3>")
        if not mentions:
            parts.append("<p>none</p>")
            continue
        parts.append("<ol>")
        for mention in mentions:
            link = _safe_link(mention.url)
            meta = e(_mention_line(mention))
            if link:
                meta = f"<a href=\"{e(link, quote=True)}\">{meta}</a>"
            parts.append(f"<li style=\"margin-bottom:8px\"><small>{meta}</small><br>{e(_clip(mention.text))}</li>")
        parts.append("</ol>")
    parts += [topic_html(report)]
    parts += [response_html(report.responses, report.business_hours)] if report.responses else []
    parts.append("<h3>Alerts</h3>")
    if report.alerts:
        parts.append("<ul>" + "".join(f"<li>{e(_alert_line(alert, report))}</li>" for alert in report.alerts) + "</ul>")
    else:
        parts.append("<p>none</p>")
    parts.append("<p style=\"color:#888;font-size:12px\">Times are UTC; buckets are local to the digest's time zone.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def digest_message_id(report: DigestReport, sender: str) -> str:
    """Same digest, brand and period, same id: a re-send after a crash is one message to mail clients."""
    key = f"{report.digest}|{report.brand}|{report.period.start.isoformat()}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "social-listener.invalid"
    return f"<digest.{digest}@{domain}>"


def build_message(report: DigestReport, sender: str, recipients: Sequence[str], now: datetime) -> EmailMessage:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "social-listener.invalid"
    message = EmailMessage()
    message["Subject"] = subject(report)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = digest_message_id(report, sender)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_text(report))
    charts: list[tuple[str, str, bytes]] = []
    for name, draw in (("volume", volume_chart), ("share-of-voice", share_chart)):
        try:
            charts.append((name, make_msgid(name, domain=domain), draw(report)))
        except Exception:  # a chart that cannot be drawn must not stop the digest
            log.warning("digest %s: could not draw the %s chart; sending without it", report.digest, name, exc_info=True)
    cids = {name: cid.strip("<>") for name, cid, _ in charts}
    message.add_alternative(render_html(report, cids.get("volume"), cids.get("share-of-voice")), subtype="html")
    html_part: Any = message.get_payload()[1]  # type: ignore[index]
    for name, cid, png in charts:
        html_part.add_related(png, "image", "png", cid=cid, filename=f"{name}.png", disposition="inline")
    return message
