"""The one TOML configuration file, validated with pydantic.

Validation runs in two passes. The first checks the file's overall shape; the second validates each
source's and notifier's own settings against the model its plugin declares, so that adding a
source type never means editing this module. Every error is reported as
`FILE: field.path: problem`, all at once, so a user fixes a broken file in one go.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from listener.settings_types import Duration


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in a config key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StorageConfig(StrictModel):
    url: str = Field("sqlite:///listener.db", description="Any SQLAlchemy URL; SQLite needs no set-up.")


class ClockConfig(StrictModel):
    """Which time the daemon lives in: the real one, or a replayed one for demos and rehearsals."""

    mode: Literal["system", "replay"] = "system"
    start: datetime | None = Field(None, description="Replay start (UTC); defaults to the demo data's start.")
    speed: float = Field(1.0, gt=0, description="Replayed seconds per wall-clock second.")

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class BrandConfig(StrictModel):
    """A brand and the terms that identify a mention of it."""

    name: str = Field(min_length=1)
    keywords: tuple[str, ...] = Field(default=(), description="Whole words, case-insensitive.")
    phrases: tuple[str, ...] = Field(default=(), description="Exact phrases, case-insensitive.")
    exclude: tuple[str, ...] = Field(default=(), description="A mention containing any of these is dropped.")
    languages: tuple[str, ...] = Field(default=(), description="ISO 639-1 codes; empty means any.")

    @model_validator(mode="after")
    def _has_terms(self) -> BrandConfig:
        if not self.keywords and not self.phrases:
            raise ValueError(f"brand {self.name!r} needs at least one keyword or phrase")
        blank = [term for term in (*self.keywords, *self.phrases, *self.exclude) if not term.strip()]
        if blank:
            raise ValueError(f"brand {self.name!r} has an empty search term")
        return self


class SourceConfig(BaseModel):
    """A collector instance. Keys beyond these are the collector type's own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1)
    type: str = Field(min_length=1)
    interval: Duration = Field(default=timedelta(minutes=5), description="How often the source is polled.")
    enabled: bool = True
    brands: list[str] | None = Field(None, description="Brands this source searches; default all.")

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ModelConfig(StrictModel):
    """The sentiment model: the shipped offline default, or any Hugging Face classifier."""

    name: str = Field("default", description="'default' (offline, shipped) or a Hugging Face name or local path.")
    labels: dict[str, Literal["negative", "neutral", "positive"]] = Field(
        default_factory=dict,
        description="Maps the model's own label names to negative/neutral/positive.",
    )
    batch_size: int = Field(32, ge=1, le=1024)
    max_length: int = Field(128, ge=8, le=4096, description="Tokens per text; longer texts are truncated.")


class DetectionConfig(StrictModel):
    """Negative-spike detection, per brand, over fixed windows of mention time."""

    window: Duration = Field(default=timedelta(minutes=15))
    baseline: Duration = Field(default=timedelta(days=1), description="History the expected count is learnt from.")
    min_baseline_windows: int = Field(8, ge=1, description="No alert until this many windows of history exist.")
    min_count: int = Field(5, ge=1, description="Never alert on fewer negative mentions than this in one window.")
    min_ratio: float = Field(2.0, ge=1.0, description="Observed must be at least this multiple of expected.")
    threshold: float = Field(0.9999, gt=0, lt=1, description="Anomaly score (0-1) at or above which a window alerts.")
    critical_ratio: float = Field(5.0, ge=1.0, description="Observed/expected at or above which severity is critical.")
    cooldown: Duration = Field(default=timedelta(hours=2), description="Quiet period after a spike ends.")
    lateness: Duration = Field(
        default=timedelta(minutes=5), description="Judge a window only once every source polled this long after it closed."
    )
    source_wait: Duration = Field(
        default=timedelta(minutes=30), description="Stop waiting for a source that has not polled for this long."
    )
    top_mentions: int = Field(5, ge=0, le=50)


class NotifierConfig(BaseModel):
    """A notifier instance. Keys beyond these are the notifier type's own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1)
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


class ListenerConfig(StrictModel):
    storage: StorageConfig = Field(default_factory=StorageConfig)
    clock: ClockConfig = Field(default_factory=ClockConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    brands: list[BrandConfig] = Field(min_length=1)
    sources: list[SourceConfig] = Field(min_length=1)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    notifiers: list[NotifierConfig] = Field(default_factory=list)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    process_interval: Duration = Field(
        default=timedelta(seconds=10), description="How often new mentions are scored and windows checked."
    )

    @model_validator(mode="after")
    def _cross_references(self) -> ListenerConfig:
        _require_unique("brands", [brand.name for brand in self.brands])
        _require_unique("sources", [source.name for source in self.sources])
        _require_unique("notifiers", [notifier.name for notifier in self.notifiers])
        known = [brand.name for brand in self.brands]
        for index, source in enumerate(self.sources):
            for brand in source.brands or []:
                if brand not in known:
                    raise ValueError(
                        f"sources[{index}].brands: brand {brand!r} is not defined (known: {', '.join(known)})"
                    )
        return self

    def brand(self, name: str) -> BrandConfig:
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise KeyError(f"brand {name!r} is not in the config (known: {', '.join(b.name for b in self.brands)})")


def _require_unique(section: str, names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise ValueError(f"{section}[{index}].name: duplicate name {name!r}")
        seen.add(name)


class ConfigError(Exception):
    """A configuration file that cannot be used, with every problem found in it."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {problem}" for problem in problems))


def format_location(location: tuple[int | str, ...]) -> str:
    """`('sources', 0, 'interval')` -> `sources[0].interval`."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _problems(error: ValidationError, prefix: tuple[int | str, ...] = ()) -> list[str]:
    problems = []
    for item in error.errors():
        location = format_location(prefix + tuple(item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append(f"{location}: {message}" if location else message)
    return problems


def parse_config(raw: dict[str, Any], path: Path | str = "<config>") -> ListenerConfig:
    """Validate a parsed TOML document, including each plugin's own settings."""
    from alerts.notifiers import notifier_settings_model
    from listener.sources import collector_settings_model

    try:
        config = ListenerConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(path, _problems(error)) from None
    problems: list[str] = []
    sections: list[tuple[str, list[Any], Any]] = [
        ("sources", list(config.sources), collector_settings_model),
        ("notifiers", list(config.notifiers), notifier_settings_model),
    ]
    for section, entries, settings_model_for in sections:
        for index, entry in enumerate(entries):
            try:
                settings_model = settings_model_for(entry.type)
            except KeyError as unknown:
                problems.append(f"{section}[{index}].type: {unknown.args[0]}")
                continue
            try:
                settings_model.model_validate(entry.settings)
            except ValidationError as error:
                problems.extend(_problems(error, (section, index)))
    if problems:
        raise ConfigError(path, problems)
    return config


def load_config(path: Path | str) -> ListenerConfig:
    """Read and validate a config file; every failure is a ConfigError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, [f"cannot be read: {error}"]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [f"invalid TOML: {error}"]) from None
    return parse_config(raw, path)
