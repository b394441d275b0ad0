"""`listener digest send`: a brand's digest now, for a chosen period and recipients."""

from __future__ import annotations

from datetime import datetime

import click

from listener.cli.common import DATE_FORMATS, config_option, load
from listener.storage.database import open_database


@click.group()
def digest() -> None:
    """Scheduled email digests."""


@digest.command("send")
@config_option
@click.option("--brand", required=True, help="Brand name as in the config.")
@click.option("--period", type=click.Choice(["day", "week"]), help="Default: the schedule of the brand's [[digests]] entry.")
@click.option(
    "--period-start", type=click.DateTime(DATE_FORMATS), metavar="DATE",
    help="Send the period starting on this local day (in the digest's time zone), e.g. 2026-11-04. "
    "Default: the latest complete period by the system clock, or in replay mode ([clock]) by where the replay got to.",
)
@click.option("--to", "recipients", multiple=True, metavar="ADDR", help="Send only to ADDR (repeatable) instead of the configured recipients.")
def digest_send(
    config_path: str | None, brand: str, period: str | None, period_start: datetime | None, recipients: tuple[str, ...]
) -> None:
    """Send BRAND's digest for the latest complete period (or the one from --period-start) now.

    A manual send is not recorded: the scheduled digest for the same period still goes out.
    """
    from alerts.notify.notifiers import PermanentError, RetryableError
    from listener.app.digests.send import (
        DigestError,
        Digests,
        digest_for,
        latest_period,
        manual_send_time,
        period_starting,
    )

    config = load(config_path)
    try:
        config.brand(brand)
    except KeyError as unknown:
        raise click.BadParameter(unknown.args[0], param_hint="--brand") from None
    try:
        chosen = digest_for(config, brand, period)
        engine = open_database(config.storage.url)
        if period_start is None:
            window = latest_period(chosen, manual_send_time(config, engine))
        else:
            window = period_starting(chosen, period_start)
        sent_to = Digests(config, engine).send(chosen, brand, window, list(recipients) or None)
    except (DigestError, RetryableError, PermanentError) as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    click.echo(f"{chosen.schedule} digest for {brand} ({window.label}) sent to {', '.join(sent_to)}")
