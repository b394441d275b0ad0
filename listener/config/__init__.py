"""Configuration: one module per section, and `loading` to read, check and resolve a file.

Callers import from here; the section modules import only `listener.core` and each other.
"""

from listener.config.alerting import (
    DEFAULT_RULE,
    REPLACED_SETTINGS,
    AlertingConfig,
    DeliveryConfig,
    DetectionConfig,
    NotifierConfig,
    RouteConfig,
    RuleConfig,
    SilenceConfig,
    parse_quiet_hours,
    refuse_replaced_settings,
)
from listener.config.base import ConfigError, StrictModel, format_location
from listener.config.brands import BrandConfig, SourceConfig
from listener.config.cluster import QUEUE_ROLES, ClusterConfig, ClusterQueues
from listener.config.digests import WEEKDAYS, ClockTime, DigestConfig
from listener.config.loading import MAX_BASELINE, load_config, parse_config
from listener.config.root import ListenerConfig
from listener.config.runtime import (
    MAX_REPLAY_SPEED,
    ClockConfig,
    ModelConfig,
    StorageConfig,
    check_database_url,
)
from listener.config.surveys import SurveyFileConfig
from listener.config.topics import TOUCHPOINTS, TopicConfig
from listener.config.web import WebConfig

__all__ = [
    "AlertingConfig",
    "BrandConfig",
    "ClockConfig",
    "ClusterConfig",
    "ClusterQueues",
    "ClockTime",
    "ConfigError",
    "DEFAULT_RULE",
    "DeliveryConfig",
    "DetectionConfig",
    "DigestConfig",
    "ListenerConfig",
    "MAX_BASELINE",
    "MAX_REPLAY_SPEED",
    "ModelConfig",
    "QUEUE_ROLES",
    "NotifierConfig",
    "REPLACED_SETTINGS",
    "RouteConfig",
    "RuleConfig",
    "SilenceConfig",
    "SourceConfig",
    "SurveyFileConfig",
    "StorageConfig",
    "StrictModel",
    "TOUCHPOINTS",
    "TopicConfig",
    "WEEKDAYS",
    "WebConfig",
    "check_database_url",
    "format_location",
    "load_config",
    "parse_config",
    "parse_quiet_hours",
    "refuse_replaced_settings",
]
