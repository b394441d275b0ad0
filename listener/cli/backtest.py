"""`listener backtest`: a count series through the live detector and the daemon's incident grouping."""

from __future__ import annotations

from typing import TextIO

import click

from listener.cli.common import config_option, read_config, resolve_config_path
from listener.config import (
    DetectionConfig,
    ListenerConfig,
)


@click.command()
@click.option("--series", required=True, type=click.File("r", encoding="utf-8"), help="CSV with timestamp,value per interval.")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="Where to write (default stdout).")
@click.option("--rule", "rule_name", metavar="NAME", help="Use this [[rules]] entry's settings (default: [detection]).")
@click.option("--defaults", "shipped_defaults", is_flag=True, help="Ignore any config file: the shipped detection and alerting defaults.")
@config_option
def backtest(series: TextIO, output: TextIO, rule_name: str | None, shipped_defaults: bool, config_path: str | None) -> None:
    """Score a count series with the live detector; writes timestamp,anomaly_score,alert.

    One window per row, as long as the series' own spacing; `alert` is 1 where the daemon would
    have sent a new alert. Uses the [detection] and [alerting] settings of the config file found
    as for every command (a ./config/demo.toml too: run from a checkout, pass --defaults), else
    the shipped defaults; says which on stderr, then prints a one-line summary there.
    """
    from alerts.backtest import (
        SeriesError,
        grouping_settings,
        read_series,
        rule_settings,
        summary,
        write_backtest,
    )
    from alerts.backtest import backtest as run_backtest

    if shipped_defaults and (config_path or rule_name):
        raise click.UsageError("--defaults ignores every config file; it cannot be combined with --config or --rule")
    config, settings = _backtest_config(config_path, shipped_defaults, rule_name)
    click.echo(f"backtest: using {settings}", err=True)
    try:
        if config is None and rule_name is not None:
            raise SeriesError(f"--rule {rule_name}: no config file found to read rules from")
        rule = rule_settings(config, rule_name) if config is not None else DetectionConfig()
        points = read_series(series, getattr(series, "name", "<input>"))
        rows = list(run_backtest(points, rule, grouping_settings(config)))
    except SeriesError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    write_backtest(rows, output)
    click.echo(f"backtest: {summary(rows, points, rule)}", err=True)


def _backtest_config(
    config_path: str | None, shipped_defaults: bool, rule_name: str | None
) -> tuple[ListenerConfig | None, str]:
    """The config a backtest reads (None: the shipped defaults) and how to say so in one line.

    A checkout holds config/demo.toml, whose threshold suits the demo, not a brand's history; a
    backtest run from there must say it is using it, and how to get the shipped defaults instead.
    """
    if shipped_defaults:
        return None, "the shipped detection and alerting defaults (--defaults)"
    try:
        found, chosen_by = resolve_config_path(config_path)
    except click.UsageError:
        return None, "the shipped detection and alerting defaults (no config file found)"
    detection = f"rule {rule_name!r}" if rule_name else "[detection]"
    settings = f"{detection} and [alerting] from {found}"
    if chosen_by != "--config":
        settings += f" ({chosen_by}; pass --defaults for the shipped defaults)"
    return read_config(found), settings
