"""`listener sources test`: each configured source, built as the daemon builds it, asked once."""

from __future__ import annotations

import click

from listener.cli.common import config_option, load, output_console


@click.group()
def sources() -> None:
    """The configured sources of mentions."""


@sources.command("test")
@config_option
@click.option("--source", "source_name", metavar="NAME", help="Only this source (default: every configured one).")
@click.option("--timeout", type=click.FloatRange(min=1), default=30, show_default=True, help="Seconds to wait for the platforms.")
def sources_test(config_path: str | None, source_name: str | None, timeout: float) -> None:
    """Make one real request per enabled source; exit 0 when all are OK, 1 otherwise."""
    from listener.app.sources_check import check_sources, exit_status, results_table

    config = load(config_path)
    try:
        results = check_sources(config, source_name, timeout)
    except KeyError as unknown:
        raise click.BadParameter(unknown.args[0], param_hint="--source") from None
    output_console().print(results_table(results))
    raise SystemExit(exit_status(results))
