"""A brand's own accounts and business hours: what response-time metrics need to know.

`own_accounts` says which authors speak for the brand on each platform. Their posts are still
collected and stored (an answer rarely names the brand), but they are the brand's answers, never
customer mentions. `business_hours` lets first-response time be counted in the hours the team
works as well as around the clock.
"""

from __future__ import annotations

from datetime import time

from pydantic import Field, field_validator, model_validator

from listener.config.base import StrictModel
from listener.config.types import TimeZoneName
from listener.core.response_time import WorkingHours, is_own_post, normalise_author

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

PLATFORM_OF_SOURCE_TYPE = {
    "twitter": "x",
    "reddit": "reddit",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
    "discourse": "discourse",
    "demo": "demo",
}
"""Which `own_accounts` key covers a source type: X's collector type is `twitter`."""


def normalise_account(name: str) -> str:
    """Handles compare without case or a leading `@` (X and Mastodon write both ways)."""
    return normalise_author(name)


class OwnAccounts(StrictModel):
    """The brand's own account names per platform, as the platform's collector reports authors."""

    x: tuple[str, ...] = Field(default=(), description="X usernames, without @.")
    reddit: tuple[str, ...] = Field(default=(), description="Reddit usernames, without u/.")
    mastodon: tuple[str, ...] = Field(
        default=(), description="Mastodon accounts as user@instance (or user on the same instance)."
    )
    bluesky: tuple[str, ...] = Field(default=(), description="Bluesky handles, e.g. acme.bsky.social.")
    discourse: tuple[str, ...] = Field(default=(), description="Discourse usernames.")
    demo: tuple[str, ...] = Field(default=(), description="Authors of the demo replay that speak for the brand.")

    @field_validator("x", "reddit", "mastodon", "bluesky", "discourse", "demo")
    @classmethod
    def _no_blank_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        blank = [name for name in names if not normalise_account(name)]
        if blank:
            raise ValueError("an account name is empty")
        return names

    def for_source_type(self, source_type: str) -> frozenset[str]:
        """The normalised own account names for a source of `source_type` (empty if none)."""
        platform = PLATFORM_OF_SOURCE_TYPE.get(source_type)
        names: tuple[str, ...] = getattr(self, platform) if platform else ()
        return frozenset(normalise_account(name) for name in names)

    def owns(self, source_type: str, author: str | None) -> bool:
        return is_own_post(author, self.for_source_type(source_type))

    @property
    def configured(self) -> bool:
        return any(getattr(self, platform) for platform in set(PLATFORM_OF_SOURCE_TYPE.values()))


def _clock_time(value: str, field: str) -> time:
    try:
        hours, minutes = value.split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{field} {value!r} is not a time of day as HH:MM (e.g. 09:00)") from None


class BusinessHours(StrictModel):
    """When the brand's team answers: `days = "mon-fri"` (or "mon,wed,fri"), start and end as HH:MM
    in `timezone`. First-response time in business hours counts only time inside them."""

    days: str = Field("mon-fri", description='Working days: a range "mon-fri", a list "mon,tue,thu", or both.')
    start: str = Field("09:00", description="Start of the working day, HH:MM.")
    end: str = Field("18:00", description="End of the working day, HH:MM (after start).")
    timezone: TimeZoneName = Field("UTC", description="IANA time zone of days, start and end.")

    @field_validator("days")
    @classmethod
    def _days(cls, value: str) -> str:
        _weekdays(value)
        return value

    @field_validator("start", "end")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        _clock_time(value, "time")
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if _clock_time(self.start, "start") >= _clock_time(self.end, "end"):
            raise ValueError(f"business_hours: start {self.start} must be before end {self.end}")
        return self

    @property
    def weekdays(self) -> frozenset[int]:
        """Working days as `datetime.weekday()` numbers (Monday 0)."""
        return _weekdays(self.days)

    def working_hours(self) -> WorkingHours:
        """The hours as `listener.core.response_time` counts them."""
        return WorkingHours(
            self.weekdays, _clock_time(self.start, "start"), _clock_time(self.end, "end"), self.timezone
        )


def _weekdays(spec: str) -> frozenset[int]:
    days: set[int] = set()
    for part in spec.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"days {spec!r}: {part!r} is not a weekday or range of them (mon, tue, ... sun)")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            raise ValueError(f"days {spec!r}: the range {part!r} runs backwards")
        days.update(range(start, end + 1))
    return frozenset(days)
