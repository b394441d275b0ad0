"""Sending mail over SMTP: one server connection, login and error policy for alerts and digests.

The email notifier and the digests both send through a `Mailer` built from the same settings (a
digest names an email notifier to borrow its server and sender), so TLS, login, partial refusals
and which SMTP replies are worth retrying are decided in one place.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Literal

from pydantic import Field, field_validator

from alerts.notify.notifiers.base import (
    NotifierDisabled,
    NotifierSettings,
    PermanentError,
    RetryableError,
    value_or_reference,
)
from listener.config.types import Secret, SecretRef

log = logging.getLogger(__name__)

Security = Literal["starttls", "ssl", "none"]


def address(value: str) -> str:
    """The bare address of `Name <user@host>` or `user@host`; rejects anything that is not one address."""
    parsed = getaddresses([value])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise ValueError(f"{value!r} is not an email address such as alerts@example.com")
    return parsed[0][1]


def _host_name(value: str) -> str:
    if not value:
        raise ValueError("must be the SMTP server's host name")
    return value


class MailSettings(NotifierSettings):
    """An SMTP server and who mail comes from and goes to: the email notifier's settings, which
    digests reuse by naming the notifier."""

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
        address(value)
        return value

    @field_validator("recipients")
    @classmethod
    def _recipient_addresses(cls, values: list[str]) -> list[str]:
        for value in values:
            address(value)
        return values


class Mailer:
    """Delivers ready messages with one server, login and error policy; raises RetryableError or
    PermanentError, with the password never in the message."""

    def __init__(self, name: str, settings: MailSettings, host: str, credentials: tuple[str, str] | None):
        self.name = name
        self.settings = settings
        self._host = host
        self._credentials = credentials

    def __repr__(self) -> str:
        return f"Mailer({self.name!r}, {self._host}:{self.settings.port})"

    def send_message(self, message: EmailMessage, recipients: list[str]) -> None:
        """Deliver a ready message; a recipient the server refuses while others get it is logged,
        not retried (a retry would send the others a second copy)."""
        try:
            smtp = self._connect()
            try:
                if self._credentials is not None:
                    smtp.login(*self._credentials)
                refused = smtp.send_message(
                    message,
                    from_addr=address(self.settings.sender),
                    to_addrs=[address(recipient) for recipient in recipients],
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


def build_mailer(name: str, settings: MailSettings) -> Mailer:
    """The mailer for `settings`, with `${VAR}` host and login read now; NotifierDisabled says what to set."""
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
    return Mailer(name, settings, host, credentials)


