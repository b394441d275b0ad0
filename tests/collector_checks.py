"""Checks the HTTP collectors' tests share."""

from __future__ import annotations

from typing import Any

import pytest

from listener.config import BrandConfig
from listener.sources import Collector, SourceUnavailable
from tests.servers import ResponseSpec, RoutedHTTPServer


def assert_fails_unavailable_then_recovers(
    server: RoutedHTTPServer,
    collector: Collector,
    brand: BrandConfig,
    failure: ResponseSpec,
    retry_after: Any,
    source: str,
    mentions: int,
) -> None:
    """With `failure` served next, a fetch raises SourceUnavailable naming `source`, carrying the
    platform's delay (more than a day off) when `retry_after` is "future" and none otherwise; the
    fetch after it finds all `mentions` again."""
    server.fail_next(failure)
    with pytest.raises(SourceUnavailable, match=f"^{source}: ") as raised:
        collector.fetch(brand, None)
    if retry_after == "future":
        assert raised.value.retry_after > 86400
    else:
        assert raised.value.retry_after is None
    assert len(collector.fetch(brand, None).mentions) == mentions
