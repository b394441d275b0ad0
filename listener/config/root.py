"""The whole file: one model holding every section."""

from __future__ import annotations

from datetime import timedelta

from pydantic import (
    Field,
    model_validator,
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
from listener.config.cluster import ClusterConfig
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
    cluster: ClusterConfig | None = Field(None, description="The multi-node mode; absent for `listener run`.")

    @model_validator(mode="after")
    def _cluster_needs_shared_state(self) -> ListenerConfig:
        """Every node of a cluster must see one database and one time: SQLite is a file on one
        machine, and a replayed clock would start over in each process."""
        if self.cluster is None:
            return self
        if self.storage.url.startswith("sqlite"):
            raise ValueError(
                "cluster: needs PostgreSQL, but storage.url is SQLite (a file on one machine that the other "
                "nodes cannot share); set storage.url = \"postgresql://...\" or remove [cluster] to run `listener run`"
            )
        if self.clock.mode != "system":
            raise ValueError(
                "cluster: needs clock.mode = \"system\" (a replayed clock would start over in every node)"
            )
        return self

    def brand(self, name: str) -> BrandConfig:
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise KeyError(f"brand {name!r} is not in the config (known: {', '.join(b.name for b in self.brands)})")
