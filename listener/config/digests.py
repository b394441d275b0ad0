"""Scheduled digests: who gets which brand's summary, and when."""

from __future__ import annotations

import re
from datetime import time
from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

from listener.config.base import StrictModel
from listener.config.types import Name, TimeZoneName

_LOCAL_TIME = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")
ClockTime = time
"""datetime.time under a name that DigestConfig's `time` field does not shadow."""
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class DigestConfig(StrictModel):
    """A daily or weekly email per brand: the period's charts, numbers, notable mentions and alerts.

    A daily digest sent on day D covers local day D-1; a weekly one covers the seven local days
    before the send day. Each (digest, brand, period) is sent once, however often the daemon restarts.
    """

    name: Name
    brands: list[str] | None = Field(None, description="Brands to send a digest for; default all.")
    schedule: Literal["daily", "weekly"] = "daily"
    time: str = Field("08:00", description="Local HH:MM at which the digest goes out.")
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = Field(
        "monday", description="Weekly digests: the day they go out."
    )
    timezone: TimeZoneName = Field("UTC", description="IANA time zone of time, weekday and the period's days.")
    notifier: str = Field(min_length=1, description="An email notifier whose SMTP server and sender are used.")
    recipients: list[str] = Field(default_factory=list, description="Default: the notifier's recipients.")
    top_mentions: int = Field(5, ge=0, le=20, description="Notable mentions listed per kind.")
    enabled: bool = True

    @field_validator("time")
    @classmethod
    def _local_time(cls, value: str) -> str:
        if _LOCAL_TIME.match(value) is None:
            raise ValueError(f"invalid time {value!r}: use local HH:MM, e.g. 08:00")
        return value.strip()

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        from email.utils import getaddresses

        for value in values:
            parsed = getaddresses([value])
            if len(parsed) != 1 or "@" not in parsed[0][1]:
                raise ValueError(f"{value!r} is not an email address such as marketing@example.com")
        return values

    @property
    def local_time(self) -> ClockTime:
        hour, minute = self.time.split(":")
        return ClockTime(int(hour), int(minute))
