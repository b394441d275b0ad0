"""The whole file: one model holding every section."""

from __future__ import annotations

from datetime import timedelta

from pydantic import (
    Field,
)

from listener.config.alerting import (
    AlertingConfig,
    DeliveryConfig,
    DetectionConfig,
    NotifierConfig,
    RouteConfig,
    RuleConfig,
    SilenceConfig,
)
from listener.config.base import StrictModel
from listener.config.brands import BrandConfig, SourceConfig
from listener.config.digests import DigestConfig
from listener.config.runtime import ClockConfig, ModelConfig, StorageConfig
from listener.config.surveys import SurveyFileConfig
from listener.config.topics import TopicConfig
from listener.config.types import Duration
from listener.config.web import WebConfig


class ListenerConfig(StrictModel):
    storage: StorageConfig = Field(default_factory=StorageConfig)
    clock: ClockConfig = Field(default_factory=ClockConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    brands: list[BrandConfig] = Field(min_length=1)
    sources: list[SourceConfig] = Field(min_length=1)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    notifiers: list[NotifierConfig] = Field(default_factory=list)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    rules: list[RuleConfig] = Field(default_factory=list, description="Default: one rule from [detection].")
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    routes: list[RouteConfig] = Field(default_factory=list, description="Default: every enabled notifier.")
    silences: list[SilenceConfig] = Field(default_factory=list)
    web: WebConfig = Field(default_factory=WebConfig)
    digests: list[DigestConfig] = Field(default_factory=list)
    surveys: list[SurveyFileConfig] = Field(
        default_factory=list, description="Survey exports imported at daemon start."
    )
    topics: list[TopicConfig] = Field(default_factory=list, description="Topics every mention is tagged with.")
    process_interval: Duration = Field(
        default=timedelta(seconds=10), description="How often new mentions are scored and windows checked."
    )

    def brand(self, name: str) -> BrandConfig:
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise KeyError(f"brand {name!r} is not in the config (known: {', '.join(b.name for b in self.brands)})")
