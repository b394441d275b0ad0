"""`[cluster]`: PostgreSQL only, the system clock only, and no password written in the file."""

from __future__ import annotations

import pytest

from listener.config import ConfigError

PG = {"url": "postgresql://listener@db-host/listener"}


def test_cluster_on_sqlite_is_refused_naming_file_and_field(make_config) -> None:
    with pytest.raises(ConfigError) as error:
        make_config(storage={"url": "sqlite:///listener.db"}, cluster={"broker_url": "amqp://guest:guest@127.0.0.1//"})
    assert "test.toml: cluster: needs PostgreSQL, but storage.url is SQLite" in str(error.value)


def test_cluster_with_a_replayed_clock_is_refused(make_config) -> None:
    with pytest.raises(ConfigError, match=r"cluster: needs clock.mode = \"system\""):
        make_config(
            storage=PG,
            clock={"mode": "replay", "start": "2026-11-02T00:00:00Z"},
            cluster={"broker_url": "amqp://guest:guest@127.0.0.1//"},
        )


def test_broker_password_must_come_from_the_environment(make_config) -> None:
    with pytest.raises(ConfigError, match=r"cluster.broker_url: holds a password: .*\$\{LISTENER_BROKER_URL\}"):
        make_config(storage=PG, cluster={"broker_url": "amqp://listener:hunter2@rabbit/listener"})


def test_broker_url_reference_is_read_from_the_environment(make_config, monkeypatch) -> None:
    config = make_config(storage=PG, cluster={"broker_url": "${TEST_BROKER_URL}", "queues": {"classify": "scoring"}})
    monkeypatch.setenv("TEST_BROKER_URL", "amqp://listener:hunter2@rabbit/listener")
    assert config.cluster.resolved_broker_url() == "amqp://listener:hunter2@rabbit/listener"
    assert config.cluster.queues.named(["collect", "classify"]) == ["listener.collect", "scoring"]
    monkeypatch.delenv("TEST_BROKER_URL")
    with pytest.raises(ValueError, match=r"cluster.broker_url: \$\{TEST_BROKER_URL\} is not set"):
        config.cluster.resolved_broker_url()


def test_config_without_cluster_is_single_process_on_sqlite(make_config) -> None:
    assert make_config().cluster is None
