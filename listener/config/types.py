"""Field types shared by every config section: durations, secret references, names and paths.

They live apart from `listener.config` so that a collector's or notifier's own settings model can
use them without importing the whole configuration schema.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from datetime import timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    PlainValidator,
)

from listener.core.redaction import register_secret

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION = timedelta(days=3653)
"""Ten years: longer than any interval, window or silence means anything, and far enough below
timedelta's own limit that adding one to a date never overflows."""


def parse_duration(value: object) -> timedelta:
    """Accept `30s`, `15m`, `2h`, `1d`, `1w` or a number of seconds, up to ten years."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if not 0 < seconds <= MAX_DURATION.total_seconds():
            raise ValueError(f"duration must be positive and at most 10 years, got {value}")
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 15m, 2h or 1d")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError(f"invalid duration {value!r}: use a number of seconds or e.g. 30s, 15m, 2h, 1d")
    if not math.isfinite(seconds):
        raise ValueError(f"duration {value!r} is not a finite number of seconds")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"duration {value!r} is too long: at most 10 years")
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    if seconds < 1e-6:
        raise ValueError(f"duration {value!r} is shorter than a microsecond")
    return timedelta(seconds=seconds)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda d: f"{d.total_seconds():g}s", return_type=str),
]


def _printable_name(value: str) -> str:
    """Names end up in log lines, alert messages, CSV cells and HTTP headers, where a CR or LF
    forges a line of its own; control characters are refused rather than cleaned, so the name in
    the config is the name everywhere."""
    for character in value:
        if unicodedata.category(character) in ("Cc", "Zl", "Zp"):
            raise ValueError(f"contains the control character {character!r}; use printable characters only")
    if not value.strip():
        raise ValueError("is blank")
    return value


Name = Annotated[str, Field(min_length=1), AfterValidator(_printable_name)]
"""A brand's, source's, notifier's or rule's name: printable text."""


class RelativeToConfig:
    """Marks a path setting that is read relative to the config file's folder, not the current
    directory: `listener run --config /etc/listener/brand.toml` finds the same files from anywhere."""


ConfigPath = Annotated[str, RelativeToConfig()]


def _known_time_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}: use an IANA name such as UTC or Europe/Berlin") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]
"""An IANA time zone name, checked at load so a typo is a config error, not a crash at 9:00."""
"""A file path (or glob) in config, made absolute against the config file's folder at load."""


_ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def is_env_reference(value: str) -> bool:
    """Whether a setting is written `${NAME}`: a value to read from the environment."""
    return _ENV_REFERENCE.match(value) is not None


def literal_or_env(value: str, secret: bool = True) -> str | None:
    """A setting that may be written as itself or as `${NAME}`: the value, read from the
    environment in the second case (None when unset; kept out of logs when `secret`)."""
    return SecretRef(value).resolve(secret) if is_env_reference(value) else value


class SecretRef(str):
    """A reference to an environment variable, written `${NAME}` in config.

    Secrets never live in config files (they end up in git and in logs); the reference is stored
    and the value is read from the environment only when a notifier or collector needs it.
    """

    @property
    def variable(self) -> str:
        match = _ENV_REFERENCE.match(self)
        assert match is not None
        return match.group(1)

    def resolve(self, secret: bool = True) -> str | None:
        """The variable's value, or None when it is unset or empty. A secret one is kept out of
        every log line and shown error from then on (`listener.core.redaction`); `secret=False` is for
        references that only keep a deployment detail out of the file (an SMTP host, a login name)."""
        value = os.environ.get(self.variable) or None
        if secret:
            register_secret(value)
        return value

    def __repr__(self) -> str:  # never the value, only the reference
        return f"SecretRef({str(self)!r})"


def _validate_secret_ref(value: object) -> SecretRef:
    if not isinstance(value, str) or not _ENV_REFERENCE.match(value):
        raise ValueError(
            "must be an environment variable reference such as ${SLACK_WEBHOOK_URL}; "
            "secrets are never written in config files"
        )
    return SecretRef(value)


Secret = Annotated[SecretRef, PlainValidator(_validate_secret_ref), PlainSerializer(str, return_type=str)]


_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(hour|day|week|month|quarter|year)\s*$")
_UNIT_DAYS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}


class AlarmRate(str):
    """How often something may happen by chance, written `N/unit` (`1/month`, `2/week`).

    Kept as the text the user wrote (config is shown back as written); `per_day` is the number
    the detector uses.
    """

    @property
    def per_day(self) -> float:
        match = _RATE.match(self)
        assert match is not None
        return float(match.group(1)) / _UNIT_DAYS[match.group(2)]

    def per_window(self, window: timedelta) -> float:
        """The chance that a window of this length is a false alarm."""
        return self.per_day * (window / timedelta(days=1))


def _validate_rate(value: object) -> AlarmRate:
    match = _RATE.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"invalid rate {value!r}: write e.g. \"1/month\", \"2/week\" or \"1/day\" (hour, day, week, month, quarter or year)")
    rate = AlarmRate(value.strip())
    if rate.per_day <= 0:
        raise ValueError(f"rate {value!r} must be above zero")
    if rate.per_day > 24:
        raise ValueError(f"rate {value!r} is more than one an hour; an alert that often is not an alert")
    return rate


Rate = Annotated[AlarmRate, PlainValidator(_validate_rate), PlainSerializer(str, return_type=str)]
