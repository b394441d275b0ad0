"""Slack notifier: one Block Kit message per alert, by incoming webhook or by bot token.

A bot token (chat.postMessage) returns the message's `ts`, so the outbox can thread an
incident's follow-ups under its first message; a webhook cannot, and each follow-up names its
incident instead. The webhook URL and the token are credentials: read from the environment at
build time and kept out of every exception message and log line, including the Slack SDK's own,
which would print them at debug level.
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from slack_sdk.webhook import WebhookClient

from alerts.notify.notifiers.base import (
    NotifierContext,
    NotifierDisabled,
    NotifierSettings,
    NotifierType,
    PermanentError,
    RetryableError,
    parse_retry_after,
)
from alerts.notify.render import one_line, slack_payload, truncate
from listener.config.types import Secret
from listener.core.clock import Clock
from listener.core.records import Alert
from listener.core.redaction import redact

# Silenced: the SDK logs the request URL (our secret). Failures reach the outbox log as our exceptions.
_sdk_log = logging.getLogger(f"{__name__}.sdk")
_sdk_log.setLevel(logging.CRITICAL + 1)

SLACK_API_URL = "https://slack.com/api/"
RETRYABLE_API_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
"""Web API `error` codes that may pass; every other one (invalid_auth, channel_not_found,
not_in_channel, missing_scope, ...) needs the token or channel fixed."""
LOST_THREAD_ERRORS = frozenset({"thread_not_found", "message_not_found", "invalid_thread_ts"})


class SlackSettings(NotifierSettings):
    """Either an incoming webhook (`webhook_url`) or a bot token with a channel (`token`, `channel`).

    Only a bot token can thread: follow-ups of an incident are replies to its first message.
    """

    webhook_url: Secret | None = None
    token: Secret | None = Field(None, description="A bot token (xoxb-...) with chat:write, from the environment.")
    channel: str | None = Field(None, description="Channel for the bot token: an ID such as C0123ABCD or #alerts.")
    api_url: str = Field(SLACK_API_URL, description="Slack's Web API; only GovSlack or a test server differ.")
    timeout: float = Field(10, gt=0, description="Seconds to wait for Slack before the outbox retries.")

    @field_validator("api_url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL such as {SLACK_API_URL}")
        return value.strip() if value.strip().endswith("/") else value.strip() + "/"

    @model_validator(mode="after")
    def _one_way_to_post(self) -> SlackSettings:
        if (self.webhook_url is None) == (self.token is None):
            raise ValueError("give either webhook_url (an incoming webhook) or token and channel (a bot), not both")
        if self.token is not None and not (self.channel or "").strip():
            raise ValueError("channel is required with a bot token, e.g. channel = \"C0123ABCD\" or \"#alerts\"")
        if self.webhook_url is not None and self.channel is not None:
            raise ValueError("channel only applies to a bot token: an incoming webhook posts to its own channel")
        return self


class SlackWebhookNotifier:
    """Posts through an incoming webhook. Webhooks return no message id, so nothing can thread:
    a follow-up is a standalone message that names its incident."""

    def __init__(self, name: str, webhook_url: str, timeout: float, clock: Clock):
        self.name = name
        self._clock = clock
        self._webhook_url = webhook_url
        # retry_handlers=[]: the outbox owns retries; the SDK's own would double them and log the URL.
        self._client = WebhookClient(webhook_url, timeout=timeout, logger=_sdk_log, retry_handlers=[])

    def __repr__(self) -> str:
        return f"SlackWebhookNotifier({self.name!r})"

    def send(self, alert: Alert, thread: str | None = None) -> None:
        try:
            response = self._client.send_dict(slack_payload(alert, threaded=False))
        except Exception as error:  # urllib raises URLError, TimeoutError, ConnectionError, http.client errors
            # `from None`: the original may quote the URL, and the outbox could log the chain.
            raise RetryableError(f"Slack webhook unreachable: {self._describe(error)}") from None
        status = response.status_code
        if 200 <= status < 300:
            return None
        detail = f"Slack webhook answered HTTP {status}: {self._redact(truncate(one_line(response.body or ''), 200))}"
        if status == 429:
            retry_after = parse_retry_after(_header(response.headers, "Retry-After"), self._clock.now())
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
        text = text.replace(path, "<webhook path>") if len(path) > 1 else text
        return redact(text)  # percent-encoded forms and every other secret


def _header(headers: object, name: str) -> str | None:
    """Case-insensitive lookup: the SDK hands back a plain dict on errors and an HTTPMessage on success."""
    items = headers.items() if hasattr(headers, "items") else []
    for key, value in items:
        if key.lower() == name.lower():
            return str(value)
    return None


class SlackBotNotifier:
    """Posts with a bot token through chat.postMessage; follow-ups reply in the first message's thread."""

    def __init__(self, name: str, token: str, channel: str, api_url: str, timeout: float, clock: Clock):
        from slack_sdk import WebClient

        self.name = name
        self._clock = clock
        self.channel = channel
        self._token = token
        # retry_handlers=[]: the outbox owns retries.
        self._client = WebClient(
            token=token, base_url=api_url, timeout=math.ceil(timeout), logger=_sdk_log, retry_handlers=[]
        )

    def __repr__(self) -> str:
        return f"SlackBotNotifier({self.name!r}, {self.channel!r})"

    def send(self, alert: Alert, thread: str | None = None) -> str:
        """Post, in the incident's thread when `thread` (the first message's ts) is known; return the ts.

        If the thread is gone (its first message was deleted), the follow-up is posted on its own.
        """
        from slack_sdk.errors import SlackApiError

        try:
            response = self._post(alert, thread)
        except SlackApiError as error:
            if thread is None or _error_code(error.response) not in LOST_THREAD_ERRORS:
                raise self._api_error(error.response) from None
            try:
                response = self._post(alert, None)
            except SlackApiError as retry_error:
                raise self._api_error(retry_error.response) from None
        except Exception as error:  # urllib: URLError, TimeoutError, ConnectionError, http.client errors
            raise RetryableError(f"Slack API unreachable: {self._redact(f'{type(error).__name__}: {error}')}") from None
        ts = response.get("ts")
        if not isinstance(ts, str):
            raise PermanentError("Slack accepted the message but returned no ts; check api_url points at the Web API")
        return ts

    def _post(self, alert: Alert, thread: str | None) -> Any:
        """One chat.postMessage call; raises SlackApiError for HTTP errors and `ok: false` alike."""
        payload = slack_payload(alert, threaded=thread is not None or alert.kind == "firing")
        extra: dict[str, object] = {}
        if thread is not None:
            # An escalation or a resolution is also shown in the channel: one calls more people in, the
            # other tells them to stop working on a finished incident.
            extra = {"thread_ts": thread, "reply_broadcast": alert.kind in ("escalation", "resolved")}
        return self._client.chat_postMessage(channel=self.channel, **payload, **extra)

    def _api_error(self, response: object) -> RetryableError | PermanentError:
        status = getattr(response, "status_code", 0)
        code = _error_code(response)
        detail = f"Slack API answered HTTP {status}" + (f": {self._redact(truncate(one_line(str(code)), 200))}" if code else "")
        if status == 429 or code == "ratelimited":
            return RetryableError(detail, retry_after=parse_retry_after(_header(getattr(response, "headers", {}), "Retry-After"), self._clock.now()))
        if status >= 500 or code in RETRYABLE_API_ERRORS:
            return RetryableError(detail)
        return PermanentError(f"{detail}; {_api_hint(code, self.channel)}")

    def _redact(self, text: str) -> str:
        return redact(text.replace(self._token, "<token>"))


def _error_code(response: object) -> str | None:
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def _api_hint(code: str | None, channel: str) -> str:
    if code in ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"):
        return "check the bot token in the environment"
    if code in ("channel_not_found", "not_in_channel", "is_archived"):
        return f"check channel {channel!r} exists and invite the bot to it (/invite @your-bot)"
    if code == "missing_scope":
        return "give the bot the chat:write scope and reinstall the app"
    return "Slack rejected the message"


SlackNotifier = SlackWebhookNotifier | SlackBotNotifier


def build(context: NotifierContext) -> SlackNotifier:
    settings: SlackSettings = context.settings
    if settings.token is not None:
        token = settings.token.resolve()
        if token is None:
            raise NotifierDisabled(f"set {settings.token.variable} to enable it (the Slack bot token)")
        channel = (settings.channel or "").strip()  # the settings model requires it with a token
        return SlackBotNotifier(context.name, token.strip(), channel, settings.api_url, settings.timeout, context.clock)
    assert settings.webhook_url is not None  # the settings model requires one of the two
    variable = settings.webhook_url.variable
    webhook_url = settings.webhook_url.resolve()
    if webhook_url is None:
        raise NotifierDisabled(f"set {variable} to enable it (the Slack incoming-webhook URL)")
    parts = urlsplit(webhook_url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        # The value itself is never shown: it is a secret, even when it is a malformed one.
        raise NotifierDisabled(f"{variable} is set but is not an https:// URL; set it to the Slack webhook URL")
    return SlackWebhookNotifier(context.name, webhook_url.strip(), settings.timeout, context.clock)


PLUGIN = NotifierType(name="slack", settings_model=SlackSettings, build=build)
