"""Sources of mentions. Each module here defines one collector type as `PLUGIN`."""

from __future__ import annotations

from datetime import timedelta

from listener.config import SourceConfig
from listener.core.clock import Clock
from listener.core.limits import DEFAULT_MAX_FUTURE
from listener.plugins import COLLECTORS
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


def build_collector(source: SourceConfig, clock: Clock, max_future: timedelta = DEFAULT_MAX_FUTURE) -> Collector:
    """A configured source's collector, as the daemon builds it (and `listener sources test`,
    which must try exactly what the daemon would run)."""
    collector_type = COLLECTORS.get(source.type)
    settings = collector_type.settings_model.model_validate(source.settings)
    return collector_type.build(SourceContext(source.name, settings, clock, max_future))


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
    "build_collector",
]
