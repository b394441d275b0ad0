"""The notifier interface: deliver one alert to one receiver, and say whether a failure may pass.

Notifiers never retry or remember what they sent: the outbox does both, so every notifier gets
retries, backoff, dead-lettering and exactly-once bookkeeping without writing any of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Protocol

from pydantic import BaseModel, ConfigDict, TypeAdapter

from listener.config.types import Secret, SecretRef
from listener.core import redaction
from listener.core.clock import Clock
from listener.core.records import Alert
from listener.plugins import Extra


class NotifierSettings(BaseModel):
    """Base for a notifier type's own settings; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def value_or_reference(value: str, check_value: Callable[[str], str]) -> str | SecretRef:
    """A setting that holds either a plain value or a ${ENV} reference (a URL carrying a token, a
    host): stripped, and held to the reference syntax when it has a `$` (meant as a reference),
    else to `check_value`, which returns the value or raises ValueError."""
    value = value.strip()
    if "$" in value:  # meant as a reference: hold it to the reference syntax
        return TypeAdapter(Secret).validate_python(value)
    return check_value(value)


class RetryableError(Exception):
    """Delivery failed for a reason that may pass (timeout, 5xx, 429): the outbox retries."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Delivery can never succeed as configured (bad URL, rejected recipient): dead-letter at once."""


class NotifierDisabled(Exception):
    """The notifier is configured but cannot run yet, e.g. its secret's environment variable is unset."""


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: either delay-seconds or an HTTP date (RFC 9110 allows both)."""
    if value is None or not value.strip():
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - now).total_seconds(), 0.0)


def hide_in_library_logs(secret: str, logger_name: str) -> None:
    """Keep `secret` out of `logger_name`'s records, e.g. httpx, which logs every request URL at INFO
    (the filter on the logger itself also covers handlers the CLI did not set up)."""
    logger = logging.getLogger(logger_name)
    if redaction.FILTER not in logger.filters:
        logger.addFilter(redaction.FILTER)
    redaction.register_secret(secret)


class Notifier(Protocol):
    name: str

    def send(self, alert: Alert, thread: str | None = None) -> str | None:
        """Deliver the alert or raise RetryableError / PermanentError.

        `thread` is the reference this notifier returned for the first message of the alert's
        incident (None for that first message, or when it was never delivered): a follow-up
        (repeat, resolved) is threaded under it where the receiver can. The return value is
        this message's own reference (a Slack ts, an email Message-ID), or None if the receiver
        has no such thing; the outbox stores it.
        """
        ...


@dataclass(frozen=True)
class NotifierContext:
    name: str
    settings: Any
    clock: Clock
    """The wall clock: for an email's Date, a webhook's signed timestamp, a Retry-After date."""


@dataclass(frozen=True)
class NotifierType:
    """A registered kind of notifier (`type = "..."` in config).

    `build` raises NotifierDisabled when the notifier cannot run yet, with the reason to log.
    """

    name: str
    settings_model: type[NotifierSettings]
    build: Callable[[NotifierContext], Notifier]
    extra: Extra | None = None
    """The optional SDK it needs and the extra that installs it; None when the core install has it all."""
