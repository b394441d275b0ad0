"""Generic webhook notifier: the alert as signed JSON, for PagerDuty, Opsgenie or Teams bridges.

The body is a versioned, documented schema (`webhook_payload`), so a bridge written against
version 1 keeps working when fields are added. Every request is signed with HMAC-SHA256 over
`timestamp.body` (the scheme Stripe and Slack use): a receiver that checks the signature and the
timestamp's age knows the alert came from us and is not a replay. The JSON escapes `<`, `>` and
`&` so that a receiver pasting mention text into a web page cannot be scripted by it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import Field, field_validator

from alerts.notify.notifiers.base import (
    NotifierContext,
    NotifierDisabled,
    NotifierSettings,
    NotifierType,
    PermanentError,
    RetryableError,
    hide_in_library_logs,
    parse_retry_after,
    value_or_reference,
)
from alerts.notify.payload import alert_fields, mention_fields, story_fields, term_fields, volume_fields
from alerts.notify.render import (
    one_line,
    format_ratio,
    truncate,
)
from listener.config.types import Secret, SecretRef
from listener.core.clock import Clock
from listener.core.records import Alert
from listener.core.redaction import redact

SCHEMA_VERSION = 1
SIGNATURE_HEADER = "X-Listener-Signature"
TIMESTAMP_HEADER = "X-Listener-Timestamp"
RETRYABLE_STATUSES = frozenset({408, 425, 429})
"""Besides 5xx: a timeout, too early, too many requests."""


class WebhookSettings(NotifierSettings):
    url: str = Field(description="https:// endpoint, or a reference such as ${ALERT_WEBHOOK_URL} when it holds a token.")
    secret: Secret = Field(description="HMAC-SHA256 signing key, from the environment.")
    timeout: float = Field(10, gt=0, description="Seconds to wait before the outbox retries.")

    @field_validator("url")
    @classmethod
    def _url_or_reference(cls, value: str) -> str:
        return value_or_reference(value, _web_url)


def _web_url(value: str) -> str:
    if not _is_web_url(value):
        raise ValueError(f"{value!r} is not an http(s) URL such as https://bridge.example/alerts")
    return value


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """Schema version 1 (README: "Generic webhook"). Mention text is cleaned of control characters."""
    evidence = alert.evidence
    return {
        "version": SCHEMA_VERSION,
        **alert_fields(alert),
        "ratio": None if alert.expected <= 0 else round(alert.observed / alert.expected, 3),
        "ratio_text": format_ratio(alert),
        "evidence": None
        if evidence is None
        else {
            "series": [
                {"window_start": start.isoformat(), "observed": observed, "expected": expected}
                for start, observed, expected in zip(
                    evidence.window_starts, evidence.observed_series, evidence.expected_series
                )
            ],
            "driving_terms": [term_fields(growth) for growth in evidence.driving_terms],
            "stories": [story_fields(story) for story in evidence.stories],
            "stories_from": evidence.stories_from,
            "sources": [{"name": one_line(name), "count": count} for name, count in evidence.sources],
            "languages": [{"code": one_line(code), "count": count} for code, count in evidence.languages],
            "counted_until": None if evidence.counted_until is None else evidence.counted_until.isoformat(),
            "volume": volume_fields(evidence.volume),
        },
        "top_mentions": [mention_fields(mention) for mention in alert.top_mentions],
    }

def encode_body(payload: dict[str, Any]) -> bytes:
    """Compact JSON with `<`, `>`, `&` escaped as \\u003c etc.: the same data, inert if pasted into HTML."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("ascii")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookNotifier:
    def __init__(self, name: str, url: str, secret: str, timeout: float, clock: Clock):
        self.name = name
        self._clock = clock
        self._url = url
        self._secret = secret
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=True)

    def __repr__(self) -> str:
        return f"WebhookNotifier({self.name!r})"

    def send(self, alert: Alert, thread: str | None = None) -> None:
        """POST the signed alert. Receivers thread on `incident_key`; `thread` has nothing to add."""
        body = encode_body(webhook_payload(alert))
        timestamp = str(int(self._clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "social-listener",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(self._secret, timestamp, body),
            # The same alert message, the same key: a receiver can drop the re-send after a crash.
            "Idempotency-Key": hashlib.sha256(f"{alert.key}|{alert.kind}".encode("utf-8")).hexdigest()[:32],
        }
        try:
            response = self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as error:  # connect, read, timeouts, protocol errors: may pass
            raise RetryableError(f"webhook unreachable: {self._redact(f'{type(error).__name__}: {error}')}") from None
        status = response.status_code
        if 200 <= status < 300:
            return None
        detail = f"webhook answered HTTP {status}: {self._redact(truncate(one_line(response.text), 200))}"
        if status in RETRYABLE_STATUSES or status >= 500:
            raise RetryableError(detail, retry_after=parse_retry_after(response.headers.get("Retry-After"), self._clock.now()))
        if 300 <= status < 400:
            raise PermanentError(f"{detail}; redirects are not followed: configure the final URL")
        raise PermanentError(f"{detail}; check the URL and that the receiver knows the signing secret")

    def _redact(self, text: str) -> str:
        """The URL may carry a token (Teams, some bridges): never show it, nor its path and query."""
        return redact(text.replace(self._url, "<webhook url>").replace(_secret_part(self._url), "<webhook path>"))


def _secret_part(url: str) -> str:
    """Where a URL keeps a token: everything after the host (path and query), or the whole URL."""
    parts = urlsplit(url)
    rest = url.split(parts.netloc, 1)[1]
    return rest if len(rest) > 1 else url


def build(context: NotifierContext) -> WebhookNotifier:
    settings: WebhookSettings = context.settings
    url = settings.url
    if isinstance(url, SecretRef):
        resolved = url.resolve()
        if resolved is None:
            raise NotifierDisabled(f"set {url.variable} to the webhook URL to enable it")
        if not _is_web_url(resolved.strip()):
            raise NotifierDisabled(f"{url.variable} is set but is not an http(s) URL; set it to the webhook URL")
        url = resolved.strip()
        hide_in_library_logs(_secret_part(url), "httpx")  # httpx logs each request's URL at INFO
    secret = settings.secret.resolve()
    if secret is None:
        raise NotifierDisabled(f"set {settings.secret.variable} to the signing secret to enable it")
    return WebhookNotifier(context.name, str(url), secret, settings.timeout, context.clock)


PLUGIN = NotifierType(name="webhook", settings_model=WebhookSettings, build=build)
