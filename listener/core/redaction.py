"""Secrets never reach a log line or an error message, whoever wrote them there.

A receiver's error page may echo the webhook URL's path (where Slack keeps the token), plain or
percent-encoded; a driver error may quote the database URL with its password. Instead of trusting
every message to leave them out, every secret value the process resolves is registered here, in
the forms it may be quoted in, and `RedactingFilter` takes them out of every log record (message,
arguments and traceback) before a handler writes it; `redact()` does the same for error messages
that are printed or stored (a delivery's last error).
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

from pydantic import BaseModel

REDACTED = "<redacted>"
MIN_SECRET_LENGTH = 6
"""Shorter values (a test's "demo") would blank out ordinary words; no real token is that short."""

_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s'\"]*:)(?P<password>[^@\s'\"]+)(?=@)")
"""`scheme://user:PASSWORD@host`: a password in any URL, registered or not."""

_lock = threading.Lock()
_secrets: set[str] = set()
_registered: set[str] = set()
"""values already expanded into `_secrets`: a token resolved per request costs a set lookup"""
_ordered: list[str] = []


def register_secret(value: str | None) -> None:
    """Redact `value` from now on, with its percent-encoded forms; for a URL, its path and query
    (and each long path segment) too, since error pages quote the path without the host."""
    if not value or len(value.strip()) < MIN_SECRET_LENGTH or value in _registered:
        return
    _registered.add(value)
    value = value.strip()
    forms = {value}
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        rest = value.split(parts.netloc, 1)[1]
        if len(rest) > 1:
            forms.add(rest)
            forms.update(segment for segment in parts.path.split("/") if len(segment) >= 16)
        if parts.password:
            forms.add(unquote(parts.password))
    elif match := _URL_PASSWORD.search(value):
        forms.add(match.group("password"))
        forms.add(unquote(match.group("password")))
    encoded = {variant for form in forms for variant in (quote(form, safe=""), quote(form), quote_plus(form))}
    with _lock:
        _secrets.update(form for form in forms | encoded if len(form) >= MIN_SECRET_LENGTH)
        _ordered[:] = sorted(_secrets, key=len, reverse=True)  # longest first: a URL before its path


def register_config_secrets(config: BaseModel) -> None:
    """The password of any URL written in `config` (the database's). `${NAME}` references
    register themselves when resolved (`SecretRef.resolve`), and only those that hold secrets:
    an SMTP host name blanked out of every log line would only hide what went wrong."""
    for value in _strings(config):
        if match := _URL_PASSWORD.search(value):
            register_secret(match.group("password"))
            register_secret(unquote(match.group("password")))


def redact(text: str) -> str:
    """`text` with every registered secret, and any URL's password, replaced."""
    with _lock:
        secrets = list(_ordered)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _URL_PASSWORD.sub(lambda match: match.group("head") + "***", text)


class RedactingFilter(logging.Filter):
    """Put on a handler, it sees every record the handler writes, propagated ones included."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            redacted = redact(text)
            if redacted != text:  # the traceback quotes a secret: show the redacted text instead
                record.exc_info, record.exc_text = None, redacted
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


FILTER = RedactingFilter()


def install(logger: logging.Logger | None = None) -> None:
    """Redact on every handler of `logger` (the root logger by default): call it wherever
    logging is configured."""
    for handler in (logger or logging.getLogger()).handlers:
        if FILTER not in handler.filters:
            handler.addFilter(FILTER)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, BaseModel):
        fields = dict(value)
        fields.update(value.model_extra or {})
        return [text for item in fields.values() for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [text for item in value for text in _strings(item)]
    return []

