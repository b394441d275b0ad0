"""Slack notifier: one incoming-webhook post per alert.

The webhook URL is the credential (anyone holding it can post to the channel), so it is read from
the environment at build time and kept out of every exception message and log line, including
the Slack SDK's own, which would print it at debug level.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from pydantic import Field
from slack_sdk.webhook import WebhookClient

from alerts.notifiers.base import (
    NotifierContext,
    NotifierDisabled,
    NotifierSettings,
    NotifierType,
    PermanentError,
    RetryableError,
)
from alerts.render import clean_text, slack_payload, truncate
from listener.models import Alert
from listener.settings_types import Secret

# Silenced: the SDK logs the request URL (our secret). Failures reach the outbox log as our exceptions.
_sdk_log = logging.getLogger(f"{__name__}.sdk")
_sdk_log.setLevel(logging.CRITICAL + 1)


class SlackSettings(NotifierSettings):
    webhook_url: Secret
    timeout: float = Field(10, gt=0, description="Seconds to wait for Slack before the outbox retries.")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
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
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


class SlackNotifier:
    def __init__(self, name: str, webhook_url: str, timeout: float):
        self.name = name
        self._webhook_url = webhook_url
        # retry_handlers=[]: the outbox owns retries; the SDK's own would double them and log the URL.
        self._client = WebhookClient(webhook_url, timeout=timeout, logger=_sdk_log, retry_handlers=[])

    def __repr__(self) -> str:
        return f"SlackNotifier({self.name!r})"

    def send(self, alert: Alert) -> None:
        try:
            response = self._client.send_dict(slack_payload(alert))
        except Exception as error:  # urllib raises URLError, TimeoutError, ConnectionError, http.client errors
            # `from None`: the original may quote the URL, and the outbox could log the chain.
            raise RetryableError(f"Slack webhook unreachable: {self._describe(error)}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        detail = f"Slack webhook answered HTTP {status}: {self._redact(truncate(clean_text(response.body or ''), 200))}"
        if status == 429:
            retry_after = parse_retry_after(_header(response.headers, "Retry-After"))
            raise RetryableError(detail, retry_after=retry_after)
        if status >= 500:
            raise RetryableError(detail)
        if 400 <= status < 500:
            raise PermanentError(f"{detail}; check that the webhook in the environment is current")
        raise PermanentError(f"{detail}; unexpected status for an incoming webhook")

    def _describe(self, error: Exception) -> str:
        """The error without the URL: some urllib and SDK errors quote it (e.g. 'Invalid URL detected: ...')."""
        reason = getattr(error, "reason", None)
        text = f"{type(error).__name__}: {reason if reason is not None else error}"
        return self._redact(text)

    def _redact(self, text: str) -> str:
        """Hide the URL and, on its own, its path: the token is in the path, which proxies' error pages echo."""
        text = text.replace(self._webhook_url, "<webhook url>")
        path = urlsplit(self._webhook_url).path
        return text.replace(path, "<webhook path>") if len(path) > 1 else text


def _header(headers: object, name: str) -> str | None:
    """Case-insensitive lookup: the SDK hands back a plain dict on errors and an HTTPMessage on success."""
    items = headers.items() if hasattr(headers, "items") else []
    for key, value in items:
        if key.lower() == name.lower():
            return str(value)
    return None


def build(context: NotifierContext) -> SlackNotifier:
    settings: SlackSettings = context.settings
    variable = settings.webhook_url.variable
    webhook_url = settings.webhook_url.resolve()
    if webhook_url is None:
        raise NotifierDisabled(f"set {variable} to enable it (the Slack incoming-webhook URL)")
    parts = urlsplit(webhook_url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        # The value itself is never shown: it is a secret, even when it is a malformed one.
        raise NotifierDisabled(f"{variable} is set but is not an https:// URL; set it to the Slack webhook URL")
    return SlackNotifier(context.name, webhook_url.strip(), settings.timeout)


PLUGIN = NotifierType(name="slack", settings_model=SlackSettings, build=build)
