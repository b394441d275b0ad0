"""Silences: incidents that are recorded but not delivered, for a while.

An operator silences a brand (or one rule of it) during a known event, `listener alerts silence
--brand Acme --for 2h --reason "..."`, and config can declare planned ones (a launch, a
maintenance window). Like Alertmanager's, silences are matched against the real time at which a
message would be queued, not against the mentions' time, and every message they stop is still
stored, with the silence named, so `listener alerts list` shows what was kept quiet and why.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from listener.config import DEFAULT_RULE, ListenerConfig, SilenceConfig
from listener.config.types import parse_duration
from listener.core.records import Silence
from listener.storage.repository import Store


@dataclass(frozen=True)
class ActiveSilence:
    """A silence in force now, from the database or the config file."""

    brand: str | None
    rule: str | None
    ends_at: datetime
    label: str
    """How a suppressed message names it, e.g. `silence #3 by kim until 2026-11-04 12:00 UTC: deploy`."""

    def matches(self, brand: str, rule: str) -> bool:
        return (self.brand is None or self.brand == brand) and (self.rule is None or self.rule == rule)


def active_silences(store: Store, configured: Sequence[SilenceConfig], now: datetime) -> list[ActiveSilence]:
    """Every silence in force at `now`: stored ones (newest first), then the config's."""
    active = [
        ActiveSilence(silence.brand, silence.rule, silence.ends_at, describe(silence))
        for silence in store.silences(active_at=now)
    ]
    for entry in configured:
        if entry.starts <= now < entry.ends:
            until = entry.ends.strftime("%Y-%m-%d %H:%M %Z")
            active.append(ActiveSilence(entry.brand, entry.rule, entry.ends, f"config silence until {until}: {entry.reason}"))
    return active


def silenced_by(silences: Sequence[ActiveSilence], brand: str, rule: str) -> str | None:
    """The label of the first silence matching `brand` and `rule`, or None."""
    for silence in silences:
        if silence.matches(brand, rule):
            return silence.label[:300]
    return None


def describe(silence: Silence) -> str:
    until = silence.ends_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"silence #{silence.id} by {silence.created_by} until {until}: {silence.reason}"


def current_user() -> str:
    """Who is creating a silence: $LISTENER_USER, else the login name."""
    if user := os.environ.get("LISTENER_USER"):
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class SilenceError(ValueError):
    """A silence that cannot be created as asked; the message says what to fix."""


def create_silence(
    store: Store,
    config: ListenerConfig,
    brand: str,
    duration: str,
    reason: str,
    rule: str | None,
    created_by: str,
    now: datetime,
) -> Silence:
    """Store a silence of `brand` (and only `rule`, if given) from `now` for `duration`."""
    try:
        config.brand(brand)
    except KeyError as unknown:
        raise SilenceError(unknown.args[0]) from None
    rules = [entry.name for entry in config.rules] or [DEFAULT_RULE]
    if rule is not None and rule not in rules:
        raise SilenceError(f"rule {rule!r} is not in the config (known: {', '.join(rules)})")
    try:
        length = parse_duration(duration)
    except ValueError as error:
        raise SilenceError(str(error)) from None
    if not reason.strip():
        raise SilenceError("give a reason: the next person on call needs to know why alerts are quiet")
    return store.add_silence(brand, rule, reason.strip(), created_by, now, now + length)
