"""`[cluster]`: the multi-node mode (Celery workers over RabbitMQ, PostgreSQL shared).

Without this section `listener run` is the one-process daemon it always was; with it, `listener
scheduler` and `listener worker` read the broker and queue names from here. The section is checked
against the rest of the file in `ListenerConfig` (it needs PostgreSQL and the system clock).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from listener.config.base import StrictModel
from listener.config.types import Name, is_env_reference, literal_or_env

QUEUE_ROLES = ("collect", "classify", "detect", "notify")
"""The kinds of work, one queue each: polls, scoring, judging windows, delivering the outbox."""


class ClusterQueues(StrictModel):
    """The RabbitMQ queue each kind of work is sent to; `listener worker --queues` picks kinds."""

    collect: Name = Field("listener.collect", description="Polls of one source for one brand.")
    classify: Name = Field("listener.classify", description="Scoring batches of stored mentions.")
    detect: Name = Field("listener.detect", description="Judging one brand's closed windows.")
    notify: Name = Field("listener.notify", description="Delivering the outbox.")

    def named(self, roles: list[str]) -> list[str]:
        return [getattr(self, role) for role in roles]


class ClusterConfig(StrictModel):
    broker_url: str = Field(
        description="RabbitMQ URL (amqp://user@host:5672/vhost); a ${NAME} reference when it holds a password."
    )
    queues: ClusterQueues = Field(default_factory=ClusterQueues)
    score_shards: int = Field(
        4, ge=1, le=256, description="Scoring tasks run side by side; at least the number of scoring worker processes."
    )
    metrics_port: int = Field(
        0, ge=0, le=65535, description="Port of /metrics and /healthz on scheduler and worker nodes; 0 = none."
    )

    @field_validator("broker_url")
    @classmethod
    def _url_without_password(cls, value: str) -> str:
        """A password written in the file would end up in git and in backups: only RabbitMQ's
        well-known local default (guest) may be written out."""
        if is_env_reference(value):
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("amqp", "amqps", "pyamqp"):
            raise ValueError("must be an amqp:// URL (RabbitMQ) or a ${NAME} reference to one")
        if parts.password and parts.password != "guest":
            raise ValueError("holds a password: put the URL in the environment and write e.g. ${LISTENER_BROKER_URL}")
        return value

    def resolved_broker_url(self) -> str:
        """The URL with a `${NAME}` reference read from the environment (and kept out of logs)."""
        url = literal_or_env(self.broker_url)
        if not url:
            raise ValueError(f"cluster.broker_url: {self.broker_url} is not set in the environment")
        return url
