"""Notifiers. Each module here defines one notifier type as `PLUGIN`."""

from __future__ import annotations

from alerts.notify.notifiers.base import (
    Notifier,
    NotifierContext,
    NotifierDisabled,
    NotifierSettings,
    NotifierType,
    PermanentError,
    RetryableError,
)
from listener.plugins import NOTIFIERS

__all__ = [
    "NOTIFIERS",
    "Notifier",
    "NotifierContext",
    "NotifierDisabled",
    "NotifierSettings",
    "NotifierType",
    "PermanentError",
    "RetryableError",
]
