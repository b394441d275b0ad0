"""The collector interface every source implements.

A collector only talks to its platform: it fetches what is new for one brand since a cursor and
returns mentions plus the next cursor. Storage, brand matching, scheduling and backoff are done
around it by the scheduler, so a new source is one module with one method.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import (
    Any,
    Callable,
    Iterable,
    Protocol,
    Sequence,
    TypeVar,
    runtime_checkable,
)

from pydantic import BaseModel, ConfigDict

from listener.config import BrandConfig
from listener.core.clock import Clock
from listener.core.limits import DEFAULT_MAX_FUTURE
from listener.core.records import Mention
from listener.plugins import Extra

Cursor = dict[str, Any]
"""JSON-serialisable position in a source's stream (since-id, last timestamp, ETag...)."""

ItemT = TypeVar("ItemT")
ParsedT = TypeVar("ParsedT")


class CollectorSettings(BaseModel):
    """Base for a collector type's own settings; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class FetchResult:
    """What one poll found, and where the next poll starts.

    The scheduler commits the mentions and the cursor in one transaction, so a crash between the
    two can neither lose mentions nor skip past them.
    """

    mentions: list[Mention]
    cursor: Cursor = field(default_factory=dict)
    finished: bool = False
    """The stream has ended (a replay reached its last record): no later poll will find more. The
    pipeline says so once, with how much is still to score, since the alerts come after that."""


class SourceUnavailable(Exception):
    """The platform could not be reached or refused; the scheduler backs off.

    `retry_after` (seconds), when the platform says how long to wait (HTTP 429, Retry-After),
    overrides the computed backoff.
    """

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class SourceMisconfigured(Exception):
    """The source can never work as configured (credentials rejected, feed URL not found).

    Unlike SourceUnavailable this will not pass by waiting; `listener sources test` reports it as
    a failure to fix, and the daemon logs it and keeps polling at the normal backoff.
    """


class Collector(Protocol):
    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        """Mentions of `brand` newer than `cursor` (None on the first run)."""
        ...

    def check(self, brand: BrandConfig) -> str:
        """One cheap real request proving credentials and connectivity, for `listener sources test`.

        Returns a one-line verdict for a human ("authenticated; 12 recent results"); raises
        SourceUnavailable (transient) or SourceMisconfigured (fix the config or credentials).
        """
        ...


@runtime_checkable
class ReplayCollector(Collector, Protocol):
    """A collector whose whole stream is recorded locally (the demo's replay), so `listener sources
    test` can say for every brand it serves how much would be stored, and why the rest would not."""

    def replay_summary(self, brands: Sequence[BrandConfig]) -> str: ...


@dataclass(frozen=True)
class SourceContext:
    """What a collector is built with: its instance name, validated settings and the clock.

    `max_future` (`[clock] max_future`) is how far past the clock a mention may be dated; the
    pipeline refuses later ones from every source, and a collector that can say more about where
    a record came from (a file and line) may refuse them itself first."""

    name: str
    settings: Any
    clock: Clock
    max_future: timedelta = DEFAULT_MAX_FUTURE


@dataclass(frozen=True)
class CollectorType:
    """A registered kind of source (`type = "..."` in config)."""

    name: str
    settings_model: type[CollectorSettings]
    build: Callable[[SourceContext], Collector]
    extra: Extra | None = None
    """The optional SDK it needs and the extra that installs it; None when the core install has it all."""


def parse_each(
    items: Iterable[ItemT],
    parse: Callable[[ItemT], ParsedT | None],
    log: logging.Logger,
    source: str,
    identify: Callable[[ItemT], object] | None = None,
) -> list[ParsedT]:
    """`parse` applied to each item of a platform's response, skipping the ones it cannot parse.

    Platforms return the odd malformed record (a missing field, a null where a number belongs,
    an unparseable date); one of those must cost that record, logged with its id, not the whole
    poll and with it every good record behind it. `parse` returns None for a record that is fine
    but unwanted (a deleted post).
    """
    parsed: list[ParsedT] = []
    for index, item in enumerate(items):
        try:
            value = parse(item)
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
            try:
                identity = identify(item) if identify is not None else f"#{index}"
            except Exception:  # the id is as malformed as the rest
                identity = f"#{index}"
            log.warning("%s: skipped malformed item %s: %s: %s", source, identity, type(error).__name__, error)
            continue
        if value is not None:
            parsed.append(value)
    return parsed


def split_at_since(
    items_by_id: dict[str, ItemT], created: Callable[[ItemT], int | None], cursor: Cursor | None
) -> tuple[list[ItemT], Cursor]:
    """The items not stored yet, and the next cursor, for a search filtered by `created >= since`
    in whole seconds (Algolia, Stack Exchange).

    Asking from `since` itself (not after it) is what keeps a post made in the same second as the
    newest one seen from being skipped; the ids already seen at that second are kept in the cursor
    so they are not stored again.
    """
    since = int((cursor or {}).get("since", 0)) or None
    seen_at_since = set((cursor or {}).get("seen", []))
    fresh = [
        item for item_id, item in items_by_id.items()
        if not (since is not None and created(item) == since and item_id in seen_at_since)
    ]
    newest = max([since or 0, *(stamp for item in items_by_id.values() if (stamp := created(item)) is not None)])
    seen = {item_id for item_id, item in items_by_id.items() if created(item) == newest}
    if newest == since:
        seen |= seen_at_since
    next_cursor: Cursor = {"since": newest, "seen": sorted(seen)} if newest else dict(cursor or {})
    return fresh, next_cursor
