"""Detection, rules, routes, silences and notifier delivery: what decides and who is told."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from listener.config.base import StrictModel
from listener.config.types import Duration, Name, Rate, TimeZoneName

REPLACED_SETTINGS = {
    "threshold": "the tail probability a window had to beat",
    "rise_quantile": "the share of the baseline's rises a window had to beat",
}


def refuse_replaced_settings(data: Any) -> Any:
    """Refuse `threshold` and `rise_quantile`, saying how to convert, instead of a bare "extra field".

    Both were raw probabilities nobody could relate to pages; `false_alarms` says how often chance
    alone may page, whatever the window length (issue 11).
    """
    if isinstance(data, dict):
        replaced = [name for name in REPLACED_SETTINGS if name in data]
        if replaced:
            raise ValueError(
                f"{' and '.join(replaced)} {'were' if len(replaced) > 1 else 'was'} replaced by false_alarms, the alerts "
                "per brand and rule that chance alone may raise (default \"1/month\"); delete "
                f"{' and '.join(replaced)}, and if alerts came too often or too rarely set e.g. false_alarms = \"2/month\" "
                "(more alerts) or \"1/year\" (fewer)"
            )
    return data


class DetectionConfig(StrictModel):
    """Negative-spike detection, per brand, over fixed windows of mention time."""

    window: Duration = Field(default=timedelta(minutes=15))
    baseline: Duration = Field(
        default=timedelta(days=7), description="History the expected count (same time of day, earlier days) is learnt from."
    )
    min_baseline_windows: int = Field(8, ge=1, description="No alert until this many windows of history exist.")
    min_count: int = Field(5, ge=1, description="Never alert on fewer negative mentions than this in one window.")
    min_ratio: float = Field(2.0, ge=1.0, description="Observed must be at least this multiple of expected.")
    false_alarms: Rate = Field(
        default="1/month",
        validate_default=True,
        description="Alerts per brand and rule that may come from chance alone, e.g. 1/month, 2/week, 1/day.",
    )
    critical_ratio: float = Field(5.0, ge=1.0, description="Observed/expected at or above which severity is critical.")
    seasonal: bool = Field(
        True, description="Expect what the same time of day brought on the baseline's earlier days (else its median)."
    )
    cooldown: Duration = Field(
        default=timedelta(hours=24), description="Anomalous windows less than this apart are one incident (one alert)."
    )
    lateness: Duration = Field(
        default=timedelta(minutes=5), description="Judge a window only once every source polled this long after it closed."
    )
    source_wait: Duration = Field(
        default=timedelta(minutes=30), description="Stop waiting for a source that has not polled, or a mention not scored, for this long."
    )
    top_mentions: int = Field(
        5, ge=0, le=50, description="Mentions an alert lists: the widest-reaching of what its metric counts."
    )

    @model_validator(mode="before")
    @classmethod
    def _refuse_replaced(cls, data: Any) -> Any:
        return refuse_replaced_settings(data)


class NotifierConfig(BaseModel):
    """A notifier instance. Keys beyond these are the notifier type's own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: Name
    type: str = Field(min_length=1)
    enabled: bool = True

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class DeliveryConfig(StrictModel):
    """Outbox retry policy: exponential backoff, then dead letter."""

    max_attempts: int = Field(8, ge=1)
    initial_backoff: Duration = Field(default=timedelta(seconds=5))
    max_backoff: Duration = Field(default=timedelta(minutes=10))


# -- alert rules, grouping, routing and silences (alerts/detect/rules.py, incidents.py, routing.py) ---

_QUIET_HOURS = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """`"22:00-07:00"` -> (22:00, 07:00); the range may wrap past midnight."""
    match = _QUIET_HOURS.match(text)
    if match is None:
        raise ValueError(f"invalid quiet hours {text!r}: use local HH:MM-HH:MM, e.g. 22:00-07:00")
    start = time(int(match.group(1)), int(match.group(2)))
    end = time(int(match.group(3)), int(match.group(4)))
    if start == end:
        raise ValueError(f"invalid quiet hours {text!r}: start and end are the same time")
    return start, end


class RuleConfig(StrictModel):
    """One thing to watch per brand. Detection settings left out are taken from `[detection]`."""

    name: Name
    metric: str = Field("negative_volume", description="A metric name: negative_volume, volume, negative_share, net_sentiment, or an installed plugin's.")
    brands: list[str] | None = Field(None, description="Brands this rule watches; default all.")
    enabled: bool = True
    window: Duration | None = None
    baseline: Duration | None = None
    min_baseline_windows: int | None = Field(None, ge=1)
    min_count: int | None = Field(None, ge=1, description="Fewest mentions counted by the metric to alert on.")
    min_ratio: float | None = Field(None, ge=1.0)
    false_alarms: Rate | None = None
    critical_ratio: float | None = Field(None, ge=1.0)
    split_by: list[Literal["source", "language"]] = Field(
        default_factory=list, description="Judge each source and/or language on its own."
    )
    quiet_hours: str | None = Field(None, description="Local HH:MM-HH:MM with no new notifications.")
    timezone: TimeZoneName = Field("UTC", description="IANA time zone of quiet_hours.")
    min_reach: int | None = Field(None, ge=0, description="unanswered_negative: authors with at least this reach (default 1000).")
    answer_within: Duration | None = Field(None, description="unanswered_negative: how long a mention may wait for an answer (default 4h).")

    @model_validator(mode="before")
    @classmethod
    def _refuse_replaced(cls, data: Any) -> Any:
        return refuse_replaced_settings(data)

    @model_validator(mode="after")
    def _response_settings_need_their_metric(self) -> RuleConfig:
        given = [name for name in ("min_reach", "answer_within") if getattr(self, name) is not None]
        if given and self.metric != "unanswered_negative":
            raise ValueError(f"rule {self.name!r}: {given[0]} applies only to metric = \"unanswered_negative\"")
        return self

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str | None) -> str | None:
        if value is not None:
            parse_quiet_hours(value)
        return value

    @field_validator("split_by")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("split_by lists a dimension twice")
        return value


class AlertingConfig(StrictModel):
    """How firing windows become incidents and messages (Alertmanager's grouping semantics)."""

    group_by: list[Literal["brand", "rule", "metric", "source", "language"]] = Field(
        default_factory=lambda: ["brand"], description="Firing windows sharing these are one incident; brand always is."
    )
    repeat_interval: Duration = Field(default=timedelta(hours=4), description="Re-send while an incident lasts.")
    resolve_after: Duration | None = Field(
        None, description="No firing window for this long ends an incident; default [detection].cooldown."
    )
    send_resolved: bool = Field(True, description="Also send a message when an incident ends.")


class RouteConfig(StrictModel):
    """Which receivers (notifier names) get an alert; empty match lists match anything."""

    brands: list[str] = Field(default_factory=list)
    severities: list[Literal["warning", "critical"]] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    metrics: list[str] = Field(default_factory=list)
    receivers: list[str] = Field(default_factory=list, description="Notifier names; empty sends nothing.")
    continue_matching: bool = Field(False, description="Keep matching later routes after this one matched.")


class SilenceConfig(StrictModel):
    """A planned silence (maintenance, a launch): incidents are recorded but not delivered."""

    brand: str | None = Field(None, description="Default: every brand.")
    rule: str | None = Field(None, description="Default: every rule.")
    starts: datetime
    ends: datetime
    reason: str = Field(min_length=1)

    @field_validator("starts", "ends")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value

    @model_validator(mode="after")
    def _ordered(self) -> SilenceConfig:
        if self.ends <= self.starts:
            raise ValueError("ends must be after starts")
        return self


DEFAULT_RULE = "negative_spike"
"""The rule `[detection]` alone defines when no `[[rules]]` are configured."""
