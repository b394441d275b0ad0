"""`listener history`: a brand's sentiment per time bucket, from the same queries as the API.

The CLI's `--until` names a bucket to include, so it becomes the end of that bucket; the API's
`until` is exclusive but series always widen to whole buckets, so both give the same rows.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click
from rich.table import Table

from listener.cli.common import (
    DATE_FORMATS,
    config_option,
    load,
    open_store,
    output_console,
    utc,
    write_csv,
)
from listener.config import ListenerConfig
from listener.core.buckets import Bucket, bucket_floor, bucket_next
from listener.core.clock import SystemClock
from listener.core.limits import TIME_RANGE
from listener.core.response_time import describe
from listener.storage.queries import Analytics, MentionFilter, SeriesRow
from listener.storage.repository import Store
from listener.storage.responses import ResponseStore


def brand_history(
    store: Store,
    brand: str,
    bucket: Bucket = "hour",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[SeriesRow]:
    end = bucket_next(bucket_floor(until, bucket), bucket) if until else None
    return Analytics(store).series(MentionFilter(brand=brand, since=since, until=end), bucket)


def response_line(
    store: Store, config: ListenerConfig, brand: str, since: datetime | None, until: datetime | None
) -> str | None:
    """`Response time: all: 36 of 2,010 answered (2%); ...` for a brand with `own_accounts`, with
    answers counted up to where collection has reached; None for a brand without."""
    brand_config = config.brand(brand)
    if not brand_config.own_accounts.configured:
        return None
    now = store.latest_collected_until() or SystemClock().now()
    end = until or now
    report = ResponseStore(store.engine).report(
        brand_config, config.sources, since or TIME_RANGE[0], end, max(now, end), texts_for=0
    )
    unanswered = len(report.unanswered_negative)
    return (
        f"Response time: {describe(report.overall, brand_config.business_hours is not None)}; "
        f"{unanswered} negative {'mention' if unanswered == 1 else 'mentions'} unanswered"
    )


@click.command()
@config_option
@click.option("--brand", required=True, help="Brand name as in the config.")
@click.option(
    "--bucket",
    type=click.Choice(["hour", "day", "week", "month"]),
    default="hour",
    show_default=True,
)
@click.option(
    "--since",
    type=click.DateTime(DATE_FORMATS),
    help="Start (UTC), e.g. 2026-11-02 or 2026-11-02T12:00.",
)
@click.option(
    "--until",
    type=click.DateTime(DATE_FORMATS),
    help="End (UTC), inclusive of its bucket.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
def history(
    config_path: str | None,
    brand: str,
    bucket: str,
    since: datetime | None,
    until: datetime | None,
    output_format: str,
) -> None:
    """Sentiment history of one brand: mentions and sentiment per time bucket."""
    from listener.storage.filters import QueryError

    config = load(config_path)
    try:
        config.brand(brand)
    except KeyError as unknown:
        raise click.BadParameter(unknown.args[0], param_hint="--brand") from None
    store = open_store(config)
    try:
        rows = brand_history(store, brand, bucket, utc(since), utc(until))
    except QueryError as error:
        raise click.UsageError(str(error)) from None
    records = [row.as_json() for row in rows]
    if output_format == "json":
        json.dump(records, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif output_format == "csv":
        write_csv(
            records,
            sys.stdout,
            [
                "bucket_start",
                "mentions",
                "negative",
                "neutral",
                "positive",
                "net_sentiment",
            ],
        )
    else:
        table = Table(title=f"{brand}: sentiment per {bucket} (UTC)")
        for column in (
            "bucket",
            "mentions",
            "negative",
            "neutral",
            "positive",
            "net sentiment",
        ):
            table.add_column(column, justify="left" if column == "bucket" else "right")
        for row in rows:
            net = "" if row.net_sentiment is None else f"{row.net_sentiment:+.2f}"
            table.add_row(
                row.bucket_start.strftime("%Y-%m-%d %H:%M"),
                str(row.mentions),
                str(row.negative),
                str(row.neutral),
                str(row.positive),
                net,
            )
        output_console().print(table)
        stars = ratings_line(store, brand, utc(since), utc(until), bucket)
        if stars:
            output_console().print(stars)
        if line := topics_line(store, config, brand, utc(since), utc(until), bucket):
            output_console().print(line, markup=False, highlight=False)
        if line := response_line(store, config, brand, utc(since), utc(until)):
            output_console().print(line, markup=False, highlight=False)


def topics_line(
    store: Store, config: ListenerConfig, brand: str, since: datetime | None, until: datetime | None, bucket: Bucket
) -> str | None:
    """`Topics: billing 3 (net -33.3), app 1 (net +100.0)` over the table's range, busiest first,
    as the dashboard's topic panel counts them; None without `[[topics]]` or tagged mentions."""
    from listener.storage.topics import topic_overview

    if not config.topics:
        return None
    end = bucket_next(bucket_floor(until, bucket), bucket) if until else None
    overview = topic_overview(store.engine, MentionFilter(brand=brand, since=since, until=end), config.topics)
    busy = sorted((counts for counts in overview.topics if counts.mentions), key=lambda counts: -counts.mentions)
    if not busy:
        return None
    net = lambda value: "n/a" if value is None else f"{value:+.1f}"  # noqa: E731
    return "Topics: " + ", ".join(f"{counts.name} {counts.mentions:,} (net {net(counts.net_sentiment)})" for counts in busy)


def ratings_line(store: Store, brand: str, since: datetime | None, until: datetime | None, bucket: Bucket) -> str | None:
    """One line of the brand's review stars over the table's range, or None without reviews: most
    brands' mentions have no stars, and their table needs no empty line about them."""
    from listener.storage.ratings import RatingReads

    end = bucket_next(bucket_floor(until, bucket), bucket) if until else None
    summary = RatingReads(store).summary(MentionFilter(brand=brand, since=since, until=end), bucket)
    if not summary.reviews:
        return None
    spread = ", ".join(f"{stars}★ {count}" for stars, count in summary.distribution.items())
    return f"Review ratings: {summary.average:.2f}★ average from {summary.reviews} reviews ({spread})"
