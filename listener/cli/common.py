"""What every command shares: finding and reading the config, logging, output helpers.

Every command that reads config takes `--config`; without it, `$LISTENER_CONFIG`, then
`./listener.toml`, then `./config/demo.toml` are tried, so the quick-start demo needs no flags.
Because a file can be picked up without being named, every command logs one line saying which
file it read (or that it used the shipped defaults).
"""

from __future__ import annotations

import csv
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.logging import RichHandler

from listener.config import (
    ConfigError,
    ListenerConfig,
    load_config,
)
from listener.core import redaction
from listener.core.text import plural
from listener.storage.database import StorageError, open_database
from listener.storage.repository import Store

DEFAULT_CONFIGS = ("listener.toml", "config/demo.toml")
DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
]

log = logging.getLogger("listener")


def setup_logging(verbose: bool) -> None:
    """Coloured, aligned logs on a terminal; plain one-line records with timestamps otherwise
    (journald, a log file, a container), where colours and wrapping only get in the way."""
    console = Console(stderr=True)
    handler: logging.Handler
    if console.is_terminal:
        handler = RichHandler(console=console, show_path=False, rich_tracebacks=verbose, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    redaction.install()
    for noisy in (
        "httpx",
        "urllib3",
        "alembic",
        "transformers",
        "filelock",
        "huggingface_hub",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # APScheduler warns whenever a run is skipped because the previous one is still busy: that is
    # how the processing job is meant to behave under load, not a problem to report.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def resolve_config_path(path: str | None) -> tuple[Path, str]:
    """The config file to read, and how it was chosen (for the line saying which one was read)."""
    if path:
        return Path(path), "--config"
    if env_path := os.environ.get("LISTENER_CONFIG"):
        return Path(env_path), "$LISTENER_CONFIG"
    for candidate in DEFAULT_CONFIGS:
        if Path(candidate).exists():
            return Path(candidate), "found in the current directory"
    raise click.UsageError(
        f"no config file given: pass --config FILE, set LISTENER_CONFIG, or create {DEFAULT_CONFIGS[0]}"
    )


def read_config(config_path: Path) -> ListenerConfig:
    try:
        return load_config(config_path)
    except ConfigError as error:
        click.echo(str(error), err=True)
        raise SystemExit(2) from None


def load(path: str | None) -> ListenerConfig:
    """The config for a command, logging which file it came from: a `listener.toml` or the demo's
    config picked up from the current directory must never be used silently."""
    config_path, chosen_by = resolve_config_path(path)
    config = read_config(config_path)
    redaction.register_config_secrets(config)  # before anything can log or quote them
    log.info("config: read %s (%s)", config_path, chosen_by)
    return config


config_option = click.option(
    "--config",
    "config_path",
    metavar="FILE",
    help="Config file (default: $LISTENER_CONFIG, ./listener.toml, ./config/demo.toml).",
)


class ListenerGroup(click.Group):
    """Turns the errors a user can fix (database unreachable, model missing) into one line."""

    def invoke(self, ctx: click.Context) -> object:
        from classifiers import ModelLoadError

        try:
            return super().invoke(ctx)
        except (StorageError, ModelLoadError) as error:
            click.echo(f"error: {redaction.redact(str(error))}", err=True)
            raise SystemExit(2) from None


def open_store(config: ListenerConfig) -> Store:
    return Store(open_database(config.storage.url))


def output_console() -> Console:
    """Tables for a terminal fit its width; piped into a file or another program, they do not wrap."""
    console = Console()
    if not console.is_terminal:
        console.width = 200
    return console


def utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def write_csv(records: list[dict[str, object]], stream: TextIO, columns: list[str]) -> None:
    writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)


def count_of(number: int, noun: str) -> str:
    """`3 brands`, `1 source`: a count as a summary line reads it."""
    return f"{number} {plural(number, noun)}"
