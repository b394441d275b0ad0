"""Email notifier: one multipart message per alert over SMTP: text, and HTML with the chart inline.

The Message-ID is derived from the alert key and kind, not generated: if the daemon crashes after
the server accepted the message but before the outbox recorded it, the re-send carries the same
id and mail clients show one message. Follow-ups (still going, resolved) reply to the incident's
first message (In-Reply-To, References), so mail clients show one thread per incident.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from alerts.notify.chart import chart_png
from alerts.notify.mail import Mailer, MailSettings, build_mailer
from alerts.notify.notifiers.base import NotifierContext, NotifierType
from alerts.notify.render import alert_html, alert_text, alert_title
from listener.core.clock import Clock
from listener.core.records import Alert

log = logging.getLogger(__name__)


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "social-listener.invalid"


def message_id(alert: Alert, sender: str) -> str:
    """Same alert, same id: receivers dedupe a re-send after a crash. The domain is the sender's."""
    digest = hashlib.sha256(f"{alert.key}|{alert.kind}".encode("utf-8")).hexdigest()[:32]
    return f"<alert.{digest}@{_domain(sender)}>"


def build_message(
    alert: Alert,
    sender: str,
    recipients: list[str],
    now: datetime,
    thread: str | None = None,
    chart: bytes | None = None,
) -> EmailMessage:
    """multipart/alternative of text and HTML; with `chart`, the HTML is multipart/related with the PNG.

    `thread` is the Message-ID of the incident's first message: this one replies to it.
    """
    message = EmailMessage()
    message["Subject"] = alert_title(alert)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(alert, sender)
    if thread is not None:
        message["In-Reply-To"] = thread
        message["References"] = thread
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies back to the sender
    threaded = thread is not None
    message.set_content(alert_text(alert, threaded))
    if chart is None:
        message.add_alternative(alert_html(alert, threaded=threaded), subtype="html")
        return message
    chart_id = make_msgid("chart", domain=_domain(sender))
    message.add_alternative(alert_html(alert, chart_id.strip("<>"), threaded), subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(chart, "image", "png", cid=chart_id, filename="chart.png", disposition="inline")
    return message


def _chart(alert: Alert) -> bytes | None:
    """The chart, or None if it cannot be drawn: a missing picture must never stop the alert."""
    try:
        return chart_png(alert)
    except Exception:
        log.warning("could not draw the chart for alert %s; sending it without one", alert.key, exc_info=True)
        return None


class EmailNotifier:
    def __init__(self, name: str, mailer: Mailer, clock: Clock):
        self.name = name
        self.settings = mailer.settings
        self._mailer = mailer
        self._clock = clock

    def __repr__(self) -> str:
        return f"EmailNotifier({self._mailer!r})"

    def send(self, alert: Alert, thread: str | None = None) -> str:
        """Send one message; its Message-ID is the reference follow-ups of the incident reply to."""
        settings = self.settings
        message = build_message(alert, settings.sender, settings.recipients, self._clock.now(), thread=thread, chart=_chart(alert))
        self._mailer.send_message(message, settings.recipients)
        return str(message["Message-ID"])


def build(context: NotifierContext) -> EmailNotifier:
    return EmailNotifier(context.name, build_mailer(context.name, context.settings), context.clock)


PLUGIN = NotifierType(name="email", settings_model=MailSettings, build=build)
