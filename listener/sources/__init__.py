"""Sources of mentions. Each module here defines one collector type as `PLUGIN`."""

from __future__ import annotations

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
]
