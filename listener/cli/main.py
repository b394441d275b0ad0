"""The `listener` command line: one module per command group, assembled here.

Errors are one line naming what to fix, and a non-zero exit status; tracebacks only with -v.
"""

from __future__ import annotations

import click

from listener.cli.alerts import alerts
from listener.cli.backtest import backtest
from listener.cli.classify import classify, rescore
from listener.cli.cluster import scheduler, worker
from listener.cli.common import ListenerGroup, setup_logging
from listener.cli.db import db
from listener.cli.digest import digest
from listener.cli.history import history
from listener.cli.run import check_config, run
from listener.cli.sources import sources
from listener.cli.surveys import surveys
from listener.cli.web import serve, web


@click.group(cls=ListenerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging and full tracebacks.")
@click.version_option(package_name="social-listener")
def main(verbose: bool) -> None:
    """social-listener: collect brand mentions, score their sentiment, alert on negative spikes."""
    setup_logging(verbose)


for command in (run, check_config, history, serve, web, classify, rescore, backtest, sources, db, digest, alerts, scheduler, worker):
    main.add_command(command)
main.add_command(surveys)
