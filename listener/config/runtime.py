"""Where the daemon keeps its data, which clock it runs on, and which sentiment model it loads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from listener.config.base import StrictModel
from listener.config.types import Duration


class StorageConfig(StrictModel):
    url: str = Field("sqlite:///listener.db", description="Any SQLAlchemy URL; SQLite needs no set-up.")
    keep_mentions: Duration | None = Field(
        None, description="Delete raw mentions older than this (rollups, alert evidence, outbox kept); unset: all."
    )

    @field_validator("url")
    @classmethod
    def _usable(cls, url: str) -> str:
        check_database_url(url)
        return url


def check_database_url(url: str) -> URL:
    """Refuse, at load, a URL the daemon could only fail on later: unreadable, an unknown
    database, a driver that is not installed. Messages never repeat the URL: it may hold a password."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        reason = "the port is not a number" if "int()" in str(error) else "it cannot be parsed"
        raise ValueError(
            f"not a database URL ({reason}): write e.g. sqlite:///listener.db or postgresql://user@host/db"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise ValueError(
            f"unknown database {parsed.drivername!r}: use sqlite:///FILE or postgresql://user@host/db"
        ) from None
    try:
        dialect.import_dbapi()
    except ImportError as error:
        raise ValueError(f"the driver for {parsed.drivername!r} is not installed ({error})") from None
    return parsed


MAX_REPLAY_SPEED = 100_000.0
"""A replayed day in under a second: faster, polls and processing could no longer keep up with the
clock, and the replayed time runs past any date within minutes."""


class ClockConfig(StrictModel):
    """Which time the daemon lives in: the real one, or a replayed one for demos and rehearsals."""

    mode: Literal["system", "replay"] = "system"
    start: datetime | None = Field(None, description="Replay start (UTC); defaults to the demo data's start.")
    speed: float = Field(
        1.0, gt=0, le=MAX_REPLAY_SPEED, allow_inf_nan=False, description="Replayed seconds per wall-clock second."
    )
    max_future: Duration = Field(
        default=timedelta(days=1),
        description="Mentions dated more than this after the clock are refused as implausible.",
    )

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _replay_has_start(self) -> ClockConfig:
        if self.mode == "replay" and self.start is None:
            raise ValueError('start is required when mode = "replay", e.g. start = "2026-11-02T00:00:00Z"')
        return self


class ModelConfig(StrictModel):
    """The sentiment model: the shipped offline default, or any Hugging Face classifier."""

    name: str = Field(
        "default",
        description="'default' (offline, shipped), a shipped model by version ('e5-small-lora-v2', multilingual; "
        "'minilm-l6-lora-v1'), or a Hugging Face name or local path.",
    )
    labels: dict[str, Literal["negative", "neutral", "positive"]] = Field(
        default_factory=dict,
        description="Maps the model's own label names to negative/neutral/positive.",
    )
    batch_size: int = Field(16, ge=1, le=1024, description="Texts per model call; 16 measured fastest on CPU.")
    max_length: int = Field(128, ge=8, le=4096, description="Tokens per text; longer texts are truncated.")
    runtime: Literal["onnx", "torch"] = Field(
        "onnx", description="The default model's runtime: ONNX Runtime (faster, ~400 MB less memory) or torch."
    )
    threads: int = Field(0, ge=0, le=256, description="CPU threads for the model; 0 = one per core.")
    cache_size: int = Field(10_000, ge=0, description="Distinct recent texts whose verdicts are remembered; 0 = none.")
    detect_languages: tuple[str, ...] = Field(
        default=("en", "es", "pt", "fr", "de", "it", "nl", "ar", "hi", "ja", "zh", "ru", "tr", "ko"),
        description="ISO 639-1 codes the language detector chooses from; empty turns detection off.",
    )

    @field_validator("detect_languages")
    @classmethod
    def _known_languages(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        from listener.core.language import check_language_codes

        return check_language_codes(codes)
