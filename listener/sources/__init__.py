"""Sources of mentions. Each module here defines one collector type as `PLUGIN`."""

from __future__ import annotations

from listener.plugins import Registry
from listener.sources.base import (
    Collector,
    CollectorSettings,
    CollectorType,
    Cursor,
    FetchResult,
    SourceContext,
    SourceMisconfigured,
    SourceUnavailable,
)

COLLECTORS: Registry[CollectorType] = Registry("source", "social_listener.collectors", "listener.sources")


def collector_settings_model(type_name: str) -> type[CollectorSettings]:
    return COLLECTORS.get(type_name).settings_model


__all__ = [
    "COLLECTORS",
    "Collector",
    "CollectorSettings",
    "CollectorType",
    "Cursor",
    "FetchResult",
    "SourceContext",
    "SourceMisconfigured",
    "SourceUnavailable",
    "collector_settings_model",
]
