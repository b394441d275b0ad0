"""Notifiers. Each module here defines one notifier type as `PLUGIN`."""

from __future__ import annotations

from alerts.notifiers.base import (
    Notifier,
    NotifierContext,
    NotifierDisabled,
    NotifierSettings,
    NotifierType,
    PermanentError,
    RetryableError,
)
from listener.plugins import Registry

NOTIFIERS: Registry[NotifierType] = Registry("notifier", "social_listener.notifiers", "alerts.notifiers")


def notifier_settings_model(type_name: str) -> type[NotifierSettings]:
    return NOTIFIERS.get(type_name).settings_model


__all__ = [
    "NOTIFIERS",
    "Notifier",
    "NotifierContext",
    "NotifierDisabled",
    "NotifierSettings",
    "NotifierType",
    "PermanentError",
    "RetryableError",
    "notifier_settings_model",
]
