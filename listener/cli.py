"""The `listener` command line.

Every command that reads config takes `--config`; without it, `$LISTENER_CONFIG`, then
`./listener.toml`, then `./config/demo.toml` are tried, so the quick-start demo needs no flags.
Errors are one line naming what to fix, and a non-zero exit status; tracebacks only with -v.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Iterable, TextIO

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from listener.config import ConfigError, ListenerConfig, ModelConfig, load_config
from listener.storage.database import StorageError, open_database
from listener.storage.repository import Store

DEFAULT_CONFIGS = ("listener.toml", "config/demo.toml")
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

log = logging.getLogger("listener")


def _setup_logging(verbose: bool) -> None:
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
    for noisy in ("httpx", "urllib3", "alembic", "transformers", "filelock", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # APScheduler warns whenever a run is skipped because the previous one is still busy: that is
    # how the processing job is meant to behave under load, not a problem to report.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def _resolve_config_path(path: str | None) -> Path:
    if path:
        return Path(path)
    if env_path := os.environ.get("LISTENER_CONFIG"):
        return Path(env_path)
    for candidate in DEFAULT_CONFIGS:
        if Path(candidate).exists():
            return Path(candidate)
    raise click.UsageError(
        f"no config file given: pass --config FILE, set LISTENER_CONFIG, or create {DEFAULT_CONFIGS[0]}"
    )


def _load(path: str | None) -> ListenerConfig:
    config_path = _resolve_config_path(path)
    try:
        return load_config(config_path)
    except ConfigError as error:
        click.echo(str(error), err=True)
        raise SystemExit(2) from None


config_option = click.option(
    "--config", "config_path", metavar="FILE", help="Config file (default: $LISTENER_CONFIG, ./listener.toml, ./config/demo.toml)."
)


class ListenerGroup(click.Group):
    """Turns the errors a user can fix (database unreachable, model missing) into one line."""

    def invoke(self, ctx: click.Context) -> object:
        from classifiers import ModelLoadError

        try:
            return super().invoke(ctx)
        except (StorageError, ModelLoadError) as error:
            click.echo(f"error: {error}", err=True)
            raise SystemExit(2) from None


@click.group(cls=ListenerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging and full tracebacks.")
@click.version_option(package_name="social-listener")
def main(verbose: bool) -> None:
    """social-listener: collect brand mentions, score their sentiment, alert on negative spikes."""
    _setup_logging(verbose)


@main.command()
@config_option
@click.option("--once", is_flag=True, help="Poll every source once, process, and exit (no scheduler).")
def run(config_path: str | None, once: bool) -> None:
    """Run the daemon in the foreground until SIGINT/SIGTERM."""
    from listener.daemon import run_daemon, run_once
    from listener.pipeline import Pipeline

    config = _load(config_path)
    pipeline = Pipeline(config)
    if once:
        run_once(pipeline)
    else:
        run_daemon(config, pipeline)


@main.command("check-config")
@click.argument("file", type=click.Path(dir_okay=False))
def check_config(file: str) -> None:
    """Validate FILE; print every problem with its field, exit 2 if there is any.

    Also says which notifiers would run with the current environment, and why the others would not.
    """
    from listener.pipeline import build_notifiers

    config = _load(file)
    click.echo(
        f"{file}: OK ({len(config.brands)} brands, {len(config.sources)} sources, {len(config.notifiers)} notifiers)"
    )
    enabled, disabled = build_notifiers(config)
    for entry in config.notifiers:
        state = "enabled" if entry.name in enabled else f"not enabled: {disabled[entry.name]}"
        click.echo(f"  notifier {entry.name} ({entry.type}): {state}")


@main.command()
@config_option
@click.option("--brand", required=True, help="Brand name as in the config.")
@click.option("--bucket", type=click.Choice(["hour", "day", "week"]), default="hour", show_default=True)
@click.option("--since", type=click.DateTime(DATE_FORMATS), help="Start (UTC), e.g. 2026-11-02 or 2026-11-02T12:00.")
@click.option("--until", type=click.DateTime(DATE_FORMATS), help="End (UTC), inclusive of its bucket.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def history(
    config_path: str | None, brand: str, bucket: str, since: datetime | None, until: datetime | None, output_format: str
) -> None:
    """Sentiment history of one brand: mentions and sentiment per time bucket."""
    from listener.history import brand_history

    config = _load(config_path)
    try:
        config.brand(brand)
    except KeyError as unknown:
        raise click.BadParameter(unknown.args[0], param_hint="--brand") from None
    store = _open_store(config)
    rows = brand_history(store, brand, bucket, _utc(since), _utc(until))
    records = [row.as_json() for row in rows]
    if output_format == "json":
        json.dump(records, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif output_format == "csv":
        _write_csv(records, sys.stdout, ["bucket_start", "mentions", "negative", "neutral", "positive", "net_sentiment"])
    else:
        table = Table(title=f"{brand}: sentiment per {bucket} (UTC)")
        for column in ("bucket", "mentions", "negative", "neutral", "positive", "net sentiment"):
            table.add_column(column, justify="left" if column == "bucket" else "right")
        for row in rows:
            net = "" if row.net_sentiment is None else f"{row.net_sentiment:+.2f}"
            table.add_row(
                row.bucket_start.strftime("%Y-%m-%d %H:%M"), str(row.mentions), str(row.negative),
                str(row.neutral), str(row.positive), net,
            )
        _output_console().print(table)


@main.command()
@config_option
@click.option("--model", "model_name", help="A model other than the configured one: 'default', a Hugging Face name or a local path.")
@click.option("--input", "input_file", type=click.File("r", encoding="utf-8", errors="replace"), help="Read texts from FILE instead of stdin.")
@click.option("--column", help="Treat the input as CSV with a header and classify this column.")
@click.option("--batch-size", type=click.IntRange(1, 1024), help="Texts per model batch.")
def classify(
    config_path: str | None, model_name: str | None, input_file: TextIO | None, column: str | None, batch_size: int | None
) -> None:
    """Score texts (one per line) and print one JSON object per line, in order."""
    from classifiers import load_classifier

    model = _model_config(config_path, model_name, batch_size)
    stream = input_file or click.get_text_stream("stdin", encoding="utf-8", errors="replace")
    texts = list(_read_texts(stream, column))
    classifier = load_classifier(model)
    chunk = model.batch_size * 16
    for offset in range(0, len(texts), chunk):
        for sentiment in classifier.classify(texts[offset : offset + chunk]):
            sys.stdout.write(json.dumps(sentiment.as_json()) + "\n")
        sys.stdout.flush()


def _model_config(config_path: str | None, model_name: str | None, batch_size: int | None) -> ModelConfig:
    try:
        base = _load(config_path).model
    except click.UsageError:
        base = ModelConfig()  # classify works without any config file
    updates: dict[str, object] = {}
    if model_name:
        updates.update(name=model_name, labels={} if model_name != base.name else base.labels)
    if batch_size:
        updates["batch_size"] = batch_size
    return base.model_copy(update=updates)


def _read_texts(stream: TextIO, column: str | None) -> Iterable[str]:
    if column is None:
        for line in stream:
            yield line.rstrip("\r\n")
        return
    reader = csv.DictReader(stream)
    if reader.fieldnames is None or column not in reader.fieldnames:
        raise click.BadParameter(
            f"column {column!r} not found (columns: {', '.join(reader.fieldnames or [])})", param_hint="--column"
        )
    for record in reader:
        yield record[column] or ""


@main.command()
@click.option("--series", required=True, type=click.File("r", encoding="utf-8"), help="CSV with timestamp,value per interval.")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="Where to write (default stdout).")
@config_option
def backtest(series: TextIO, output: TextIO, config_path: str | None) -> None:
    """Score a count series with the live detector; writes timestamp,anomaly_score,alert.

    Uses the detection settings of --config when one is found, else the defaults.
    """
    from alerts.backtest import SeriesError, read_series, write_backtest
    from alerts.backtest import backtest as run_backtest
    from listener.config import DetectionConfig

    try:
        rule = _load(config_path).detection
    except click.UsageError:
        rule = DetectionConfig()
    try:
        points = read_series(series, getattr(series, "name", "<input>"))
    except SeriesError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(2) from None
    write_backtest(run_backtest(points, rule), output)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@config_option
def db_upgrade(config_path: str | None) -> None:
    """Create or migrate the schema to the latest version (the daemon also does this on start)."""
    open_database(_load(config_path).storage.url)
    click.echo("database schema is up to date")


@main.group()
def alerts() -> None:
    """Alerts and their deliveries."""


@alerts.command("list")
@config_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def alerts_list(config_path: str | None, limit: int) -> None:
    """Recent alerts and the state of each delivery (pending, delivered, dead)."""
    config = _load(config_path)
    store = _open_store(config)
    table = Table(title="alert deliveries (newest first)")
    for column in ("brand", "window (UTC)", "severity", "negative vs expected", "notifier", "status", "attempts", "last error"):
        table.add_column(column)
    for status in store.delivery_statuses(limit):
        table.add_row(
            status.brand, status.window_start.strftime("%Y-%m-%d %H:%M"), status.severity,
            f"{status.observed} vs {status.expected:.1f}", status.notifier, status.status,
            str(status.attempts), status.last_error or "",
        )
    _output_console().print(table)


def _open_store(config: ListenerConfig) -> Store:
    return Store(open_database(config.storage.url))


def _output_console() -> Console:
    """Tables for a terminal fit its width; piped into a file or another program, they do not wrap."""
    console = Console()
    if not console.is_terminal:
        console.width = 200
    return console


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _write_csv(records: list[dict[str, object]], stream: TextIO, columns: list[str]) -> None:
    writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
