"""Email notifier: one multipart message per alert over SMTP: text, and HTML with the chart inline.

The Message-ID is derived from the alert key and kind, not generated: if the daemon crashes after
the server accepted the message but before the outbox recorded it, the re-send carries the same
id and mail clients show one message. Follow-ups (still going, resolved) reply to the incident's
first message (In-Reply-To, References), so mail clients show one thread per incident.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from typing import Literal

from pydantic import Field, field_validator

from alerts.notify.chart import chart_png
from alerts.notify.notifiers.base import (
    NotifierContext,
    NotifierDisabled,
    NotifierSettings,
    NotifierType,
    PermanentError,
    RetryableError,
    value_or_reference,
)
from alerts.notify.render import alert_html, alert_text, alert_title
from listener.config.types import Secret, SecretRef
from listener.core.clock import Clock
from listener.core.records import Alert

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]


def _address(value: str) -> str:
    """The bare address of `Name <user@host>` or `user@host`; rejects anything that is not one address."""
    parsed = getaddresses([value])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise ValueError(f"{value!r} is not an email address such as alerts@example.com")
    return parsed[0][1]


def _host_name(value: str) -> str:
    if not value:
        raise ValueError("must be the SMTP server's host name")
    return value


class EmailSettings(NotifierSettings):
    host: str = Field(description="SMTP server name, or a reference such as ${SMTP_HOST}.")
    port: int = Field(587, ge=1, le=65535, description="587 for starttls, 465 for ssl, 25 for a local relay.")
    security: Security = Field(
        "starttls", description="starttls or ssl encrypt; none sends in the clear (a trusted local relay only)."
    )
    username: Secret | None = None
    password: Secret | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout: float = Field(10, gt=0, description="Seconds per SMTP step before the outbox retries.")

    @field_validator("host")
    @classmethod
    def _host_or_reference(cls, value: str) -> str:
        return value_or_reference(value, _host_name)

    @field_validator("sender")
    @classmethod
    def _sender_address(cls, value: str) -> str:
        _address(value)
        return value

    @field_validator("recipients")
    @classmethod
    def _recipient_addresses(cls, values: list[str]) -> list[str]:
        for value in values:
            _address(value)
        return values


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
    def __init__(
        self,
        name: str,
        settings: EmailSettings,
        host: str,
        credentials: tuple[str, str] | None,
        clock: Clock,
    ):
        self.name = name
        self._clock = clock
        self.settings = settings
        self._host = host
        self._credentials = credentials

    def __repr__(self) -> str:
        return f"EmailNotifier({self.name!r}, {self._host}:{self.settings.port})"

    def send(self, alert: Alert, thread: str | None = None) -> str:
        """Send one message; its Message-ID is the reference follow-ups of the incident reply to."""
        settings = self.settings
        message = build_message(alert, settings.sender, settings.recipients, self._clock.now(), thread=thread, chart=_chart(alert))
        self.send_message(message, settings.recipients)
        return str(message["Message-ID"])

    def send_message(self, message: EmailMessage, recipients: list[str]) -> None:
        """Deliver a ready message with this notifier's server, login and error handling
        (the digest reuses it); raises RetryableError or PermanentError."""
        try:
            smtp = self._connect()
            try:
                if self._credentials is not None:
                    smtp.login(*self._credentials)
                refused = smtp.send_message(
                    message,
                    from_addr=_address(self.settings.sender),
                    to_addrs=[_address(recipient) for recipient in recipients],
                )
            finally:
                _quit_quietly(smtp)
        except (smtplib.SMTPException, OSError) as error:
            raise self._delivery_error(error) from None  # the chain could hold server replies echoing credentials
        if refused:
            # Delivered to the others: a retry would duplicate their copy, so report and move on.
            log.warning("%s: %s refused some recipients: %s", self.name, self._where(), _describe_refusals(refused))

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        if settings.security == "ssl":
            return smtplib.SMTP_SSL(self._host, settings.port, timeout=settings.timeout, context=context)
        smtp = smtplib.SMTP(self._host, settings.port, timeout=settings.timeout)
        if settings.security == "starttls":
            try:
                smtp.starttls(context=context)
            except Exception:
                _quit_quietly(smtp)
                raise
        return smtp

    def _where(self) -> str:
        return f"SMTP server {self._host}:{self.settings.port}"

    def _delivery_error(self, error: smtplib.SMTPException | OSError) -> RetryableError | PermanentError:
        """5xx replies and capability mismatches need an operator, so they are permanent; 4xx and network may pass."""
        where = self._where()
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            detail = f"{where} refused every recipient: {_describe_refusals(error.recipients)}"
            if all(code >= 500 for code, _ in error.recipients.values()):
                return PermanentError(self._redact(f"{detail}; check the recipients setting"))
            return RetryableError(self._redact(detail))
        if isinstance(error, smtplib.SMTPNotSupportedError):
            return PermanentError(f"{where}: {error} {_capability_hint(str(error))}")
        if isinstance(error, smtplib.SMTPResponseException):
            detail = f"{where} answered {error.smtp_code} {_decode(error.smtp_error)}"
            if 500 <= error.smtp_code < 600:
                return PermanentError(self._redact(f"{detail}; {_hint(error)}"))
            return RetryableError(self._redact(detail))
        if isinstance(error, smtplib.SMTPServerDisconnected) or not isinstance(error, smtplib.SMTPException):
            # Refused, reset, timed out, DNS, TLS handshake: OSErrors that may pass.
            return RetryableError(self._redact(f"{where} unreachable: {type(error).__name__}: {error}"))
        # The remaining plain SMTPExceptions are capability mismatches, e.g. no shared AUTH mechanism.
        return PermanentError(self._redact(f"{where}: {error}"))

    def _redact(self, text: str) -> str:
        if self._credentials is not None:
            text = text.replace(self._credentials[1], "<password>")
        return text


def _capability_hint(problem: str) -> str:
    if "STARTTLS" in problem:
        # Falling back to plain text would send the password in the clear: an operator must choose.
        return (
            'Set security = "ssl" (port 465) or "starttls" (port 587) to match the server, '
            'or "none" only for a trusted local relay.'
        )
    if "AUTH" in problem:
        return (
            "Remove username and password if the server needs no login, "
            "or enable security if it offers AUTH over TLS only."
        )
    return "The server lacks a feature this message needs."


def _hint(error: smtplib.SMTPResponseException) -> str:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "check the SMTP username and password in the environment"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return "check the sender setting: the server will not send as that address"
    return "the server rejected the message"


def _describe_refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({code} {_decode(reply)})" for address, (code, reply) in refused.items())


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    """Say QUIT, but never turn a delivered message into a failure because the goodbye went wrong."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _resolve(reference: SecretRef | None) -> str | None:
    return reference.resolve() if reference is not None else None


def _resolve_host(host: str) -> str:
    """A literal host as written; a `${VAR}` reference read now, so deployments can keep it out of config."""
    if not isinstance(host, SecretRef):
        return host
    resolved = host.resolve(secret=False)
    if resolved is None:
        raise NotifierDisabled(f"set {host.variable} to the SMTP server's host name to enable it")
    return resolved.strip()


def build(context: NotifierContext) -> EmailNotifier:
    settings: EmailSettings = context.settings
    host = _resolve_host(settings.host)
    username = settings.username.resolve(secret=False) if settings.username is not None else None
    password = _resolve(settings.password)
    if (username is None) != (password is None):
        missing, reference = ("password", settings.password) if password is None else ("username", settings.username)
        fix = f"set {reference.variable}" if reference is not None else f"configure {missing}"
        raise NotifierDisabled(
            f"an SMTP login needs both username and password but the {missing} is missing: {fix}, "
            "or leave both unset to send without logging in"
        )
    credentials = (username, password) if username is not None and password is not None else None
    return EmailNotifier(context.name, settings, host, credentials, context.clock)


PLUGIN = NotifierType(name="email", settings_model=EmailSettings, build=build)
