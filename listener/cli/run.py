"""`listener run` and `listener check-config`: the daemon, and the check before starting it."""

from __future__ import annotations

from pathlib import Path

import click

from listener.cli.common import config_option, count_of, load, read_config
from listener.cli.log_format import log_format_option


@click.command()
@config_option
@log_format_option
@click.option(
    "--once",
    is_flag=True,
    help="Poll every source once, process, print a one-line summary and exit (no scheduler); exit status 1 if a source failed.",
)
def run(config_path: str | None, once: bool) -> None:
    """Run the daemon in the foreground until SIGINT/SIGTERM."""
    from listener.app.daemon import run_daemon, run_once
    from listener.app.pipeline import Pipeline

    config = load(config_path)
    pipeline = Pipeline(config)
    if once:
        report = run_once(pipeline)
        click.echo(report.summary())
        if report.failed_sources:
            raise SystemExit(1)
    else:
        run_daemon(config, pipeline)


@click.command("check-config")
@click.argument("file", type=click.Path(dir_okay=False))
def check_config(file: str) -> None:
    """Validate FILE; print every problem with its field, exit 2 if there is any.

    Also says which notifiers would run with the current environment, and why the others would not.
    """
    from listener.app.pipeline import build_notifiers

    config = read_config(Path(file))
    click.echo(
        f"{file}: OK ({count_of(len(config.brands), 'brand')}, {count_of(len(config.sources), 'source')}, "
        f"{count_of(len(config.notifiers), 'notifier')})"
    )
    enabled, disabled = build_notifiers(config)
    for entry in config.notifiers:
        state = "enabled" if entry.name in enabled else f"not enabled: {disabled[entry.name]}"
        click.echo(f"  notifier {entry.name} ({entry.type}): {state}")
    for digest in config.digests:
        when = f"{digest.weekday}s" if digest.schedule == "weekly" else "daily"
        state = "" if digest.enabled else " (disabled)"
        click.echo(f"  digest {digest.name}: {when} at {digest.time} {digest.timezone} via {digest.notifier}{state}")
