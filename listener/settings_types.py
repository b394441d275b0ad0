"""Field types shared by every config section: durations and secret references.

They live apart from `listener.config` so that a collector's or notifier's own settings model can
use them without importing the whole configuration schema.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, PlainValidator

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> timedelta:
    """Accept `30s`, `15m`, `2h`, `1d`, `1w` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 15m, 2h or 1d")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError(f"invalid duration {value!r}: use a number of seconds or e.g. 30s, 15m, 2h, 1d")
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return timedelta(seconds=seconds)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda d: f"{d.total_seconds():g}s", return_type=str),
]

_ENV_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


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

    def resolve(self) -> str | None:
        """The variable's value, or None when it is unset or empty."""
        return os.environ.get(self.variable) or None

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
