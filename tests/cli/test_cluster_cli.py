"""`listener scheduler` and `listener worker` refuse, in one line, what cannot run a cluster."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from listener.cli.main import main


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "listener.toml"
    path.write_text(
        '[storage]\nurl = "postgresql://listener@db-host/listener"\n'
        '[[brands]]\nname = "Acme"\nkeywords = ["acme"]\n'
        '[[sources]]\nname = "demo"\ntype = "demo"\n' + extra,
        encoding="utf-8",
    )
    return path


def test_roles_need_a_cluster_section(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    for role in ("scheduler", "worker"):
        result = CliRunner().invoke(main, [role, "--config", str(config)])
        assert result.exit_code == 2
        assert "the config has no [cluster] section" in result.output


def test_worker_names_the_kinds_of_work_it_knows(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[cluster]\nbroker_url = "amqp://guest:guest@127.0.0.1:5672//"\n')
    result = CliRunner().invoke(main, ["worker", "--config", str(config), "--queues", "collect,scoring"])
    assert result.exit_code == 2
    assert "scoring: choose from collect,classify,detect,notify" in result.output


def test_cluster_config_on_sqlite_is_refused_before_anything_starts(tmp_path: Path) -> None:
    config = tmp_path / "sqlite.toml"
    config.write_text(
        write_config(tmp_path).read_text().replace("postgresql://listener@db-host/listener", "sqlite:///x.db")
        + '[cluster]\nbroker_url = "amqp://guest:guest@127.0.0.1:5672//"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["worker", "--config", str(config)])
    assert result.exit_code == 2
    assert f"{config}: cluster: needs PostgreSQL, but storage.url is SQLite" in result.output
