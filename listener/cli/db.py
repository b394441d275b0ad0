"""`listener db`: schema migrations and rebuilding the rollups from the raw rows."""

from __future__ import annotations

import click

from listener.cli.common import config_option, load
from listener.storage.database import migrate_database, open_database


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@config_option
def db_upgrade(config_path: str | None) -> None:
    """Create or migrate the schema to the latest version (the daemon also does this on start)."""
    engine, before, after = migrate_database(load(config_path).storage.url)
    engine.dispose()
    if before is None:
        click.echo(f"created the database schema at revision {after}")
    elif before != after:
        click.echo(f"upgraded the database schema from revision {before} to {after}")
    else:
        click.echo(f"database schema is up to date (revision {after})")


@db.command("rebuild-rollups")
@config_option
def db_rebuild_rollups(config_path: str | None) -> None:
    """Recount the hourly and daily sentiment rollups from the stored mentions (safe while the daemon runs)."""
    from listener.storage.rollups import rebuild_rollups

    rows = rebuild_rollups(open_database(load(config_path).storage.url))
    click.echo(f"rollups rebuilt: {rows:,} hourly rows")
