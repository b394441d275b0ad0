"""The notifier interface: deliver one alert to one receiver, and say whether a failure may pass.

Notifiers never retry or remember what they sent: the outbox does both, so every notifier gets
retries, backoff, dead-lettering and exactly-once bookkeeping without writing any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from pydantic import BaseModel, ConfigDict

from listener.models import Alert


class NotifierSettings(BaseModel):
    """Base for a notifier type's own settings; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryableError(Exception):
    """Delivery failed for a reason that may pass (timeout, 5xx, 429): the outbox retries."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Delivery can never succeed as configured (bad URL, rejected recipient): dead-letter at once."""


class NotifierDisabled(Exception):
    """The notifier is configured but cannot run yet, e.g. its secret's environment variable is unset."""


class Notifier(Protocol):
    name: str

    def send(self, alert: Alert) -> None:
        """Deliver the alert or raise RetryableError / PermanentError."""
        ...


@dataclass(frozen=True)
class NotifierContext:
    name: str
    settings: Any


@dataclass(frozen=True)
class NotifierType:
    """A registered kind of notifier (`type = "..."` in config).

    `build` raises NotifierDisabled when the notifier cannot run yet, with the reason to log.
    """

    name: str
    settings_model: type[NotifierSettings]
    build: Callable[[NotifierContext], Notifier]
