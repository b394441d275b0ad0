"""The `listener` command line.

Every command that reads config takes `--config`; without it, `$LISTENER_CONFIG`, then
`./listener.toml`, then `./config/demo.toml` are tried, so the quick-start demo needs no flags.
Because a file can be picked up without being named, every command logs one line saying which
file it read (or that it used the shipped defaults). Errors are one line naming what to fix, and
a non-zero exit status; tracebacks only with -v.
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

from listener import redaction
from listener.config import ConfigError, DetectionConfig, ListenerConfig, ModelConfig, load_config
from listener.storage.database import StorageError, migrate_database, open_database
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
    redaction.install()
    for noisy in ("httpx", "urllib3", "alembic", "transformers", "filelock", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # APScheduler warns whenever a run is skipped because the previous one is still busy: that is
    # how the processing job is meant to behave under load, not a problem to report.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def _resolve_config_path(path: str | None) -> tuple[Path, str]:
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


def _read(config_path: Path) -> ListenerConfig:
    try:
        return load_config(config_path)
    except ConfigError as error:
        click.echo(str(error), err=True)
        raise SystemExit(2) from None


def _load(path: str | None) -> ListenerConfig:
    """The config for a command, logging which file it came from: a `listener.toml` or the demo's
    config picked up from the current directory must never be used silently."""
    config_path, chosen_by = _resolve_config_path(path)
    config = _read(config_path)
    redaction.register_config_secrets(config)  # before anything can log or quote them
    log.info("config: read %s (%s)", config_path, chosen_by)
    return config


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
            click.echo(f"error: {redaction.redact(str(error))}", err=True)
            raise SystemExit(2) from None


@click.group(cls=ListenerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging and full tracebacks.")
@click.version_option(package_name="social-listener")
def main(verbose: bool) -> None:
    """social-listener: collect brand mentions, score their sentiment, alert on negative spikes."""
    _setup_logging(verbose)


@main.command()
@config_option
@click.option(
    "--once",
    is_flag=True,
    help="Poll every source once, process, print a one-line summary and exit (no scheduler); exit status 1 if a source failed.",
)
def run(config_path: str | None, once: bool) -> None:
    """Run the daemon in the foreground until SIGINT/SIGTERM."""
    from listener.daemon import run_daemon, run_once
    from listener.pipeline import Pipeline

    config = _load(config_path)
    pipeline = Pipeline(config)
    if once:
        report = run_once(pipeline)
        click.echo(report.summary())
        if report.failed_sources:
            raise SystemExit(1)
    else:
        run_daemon(config, pipeline)


@main.command("check-config")
@click.argument("file", type=click.Path(dir_okay=False))
def check_config(file: str) -> None:
    """Validate FILE; print every problem with its field, exit 2 if there is any.

    Also says which notifiers would run with the current environment, and why the others would not.
    """
    from listener.pipeline import build_notifiers

    config = _read(Path(file))
    click.echo(
        f"{file}: OK ({_count(len(config.brands), 'brand')}, {_count(len(config.sources), 'source')}, "
        f"{_count(len(config.notifiers), 'notifier')})"
    )
    enabled, disabled = build_notifiers(config)
    for entry in config.notifiers:
        state = "enabled" if entry.name in enabled else f"not enabled: {disabled[entry.name]}"
        click.echo(f"  notifier {entry.name} ({entry.type}): {state}")
    for digest in config.digests:
        when = f"{digest.weekday}s" if digest.schedule == "weekly" else "daily"
        state = "" if digest.enabled else " (disabled)"
        click.echo(f"  digest {digest.name}: {when} at {digest.time} {digest.timezone} via {digest.notifier}{state}")


@main.command()
@config_option
@click.option("--brand", required=True, help="Brand name as in the config.")
@click.option("--bucket", type=click.Choice(["hour", "day", "week", "month"]), default="hour", show_default=True)
@click.option("--since", type=click.DateTime(DATE_FORMATS), help="Start (UTC), e.g. 2026-11-02 or 2026-11-02T12:00.")
@click.option("--until", type=click.DateTime(DATE_FORMATS), help="End (UTC), inclusive of its bucket.")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def history(
    config_path: str | None, brand: str, bucket: str, since: datetime | None, until: datetime | None, output_format: str
) -> None:
    """Sentiment history of one brand: mentions and sentiment per time bucket."""
    from listener.analytics import QueryError
    from listener.history import brand_history

    config = _load(config_path)
    try:
        config.brand(brand)
    except KeyError as unknown:
        raise click.BadParameter(unknown.args[0], param_hint="--brand") from None
    store = _open_store(config)
    try:
        rows = brand_history(store, brand, bucket, _utc(since), _utc(until))
    except QueryError as error:
        raise click.UsageError(str(error)) from None
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
@click.option("--host", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: [web] port, 8000).")
def serve(config_path: str | None, host: str | None, port: int | None) -> None:
    """Serve the web dashboard and JSON API (without running the daemon)."""
    from listener.web.server import serve as serve_web

    serve_web(_load(config_path), host, port)


@main.group()
def web() -> None:
    """Dashboard administration."""


@web.command("hash-password")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin instead of prompting.")
def web_hash_password(password_stdin: bool) -> None:
    """Print an argon2 hash of a password, for [web] users in the config."""
    from listener.web.auth import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.UsageError("the password is empty")
    click.echo(hash_password(password))


@main.command()
@config_option
@click.option("--model", "model_name", help="A model other than the configured one: 'default', a Hugging Face name or a local path.")
@click.option("--input", "input_file", type=click.File("r", encoding="utf-8", errors="replace"), help="Read texts from FILE instead of stdin.")
@click.option("--column", help="Treat the input as CSV with a header and classify this column.")
@click.option("--batch-size", type=click.IntRange(1, 1024), help="Texts per model batch.")
def classify(
    config_path: str | None, model_name: str | None, input_file: TextIO | None, column: str | None, batch_size: int | None
) -> None:
    """Score texts (one per line; blank lines are skipped) and print one JSON object per text, in order."""
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


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _model_config(config_path: str | None, model_name: str | None, batch_size: int | None) -> ModelConfig:
    try:
        base = _load(config_path).model
    except click.UsageError:
        log.info("config: no config file found; using the shipped model settings")
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
            if line.strip():  # a blank line is no text: scoring it would print a verdict on nothing
                yield line.rstrip("\r\n")
        return
    reader = csv.DictReader(stream)
    if reader.fieldnames is None or column not in reader.fieldnames:
        raise click.BadParameter(
            f"column {column!r} not found (columns: {', '.join(reader.fieldnames or [])})", param_hint="--column"
        )
    for record in reader:
        if (record[column] or "").strip():
            yield record[column]


@main.command()
@config_option
@click.option("--since", required=True, type=click.DateTime(DATE_FORMATS), help="Mentions created from this time (UTC).")
@click.option("--until", type=click.DateTime(DATE_FORMATS), help="Up to (not including) this time (UTC); default: now.")
@click.option("--brand", help="Only this brand's mentions (default: all).")
@click.option("--model", "model_name", help="Score with this model instead of the configured one: 'default', a shipped version such as e5-small-lora-v1, a Hugging Face name or a local path.")
def rescore(
    config_path: str | None, since: datetime, until: datetime | None, brand: str | None, model_name: str | None
) -> None:
    """Score stored mentions again with the current model; resumable: rerun to continue."""
    from listener.rescore import run_rescore_command

    config = _load(config_path)
    if model_name:
        labels = {} if model_name != config.model.name else config.model.labels
        config = config.model_copy(update={"model": config.model.model_copy(update={"name": model_name, "labels": labels})})
    console = Console(stderr=True)
    try:
        report = run_rescore_command(config, _utc(since), _utc(until), brand, console)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: every finished batch is saved; run the same command again to continue", err=True)
        raise SystemExit(130) from None
    click.echo(
        f"rescored {_count(report.scored, 'mention')} with {report.model} ({report.changed} changed label; "
        f"{report.already_scored} already scored by it were skipped): {report.labels['negative']} negative, "
        f"{report.labels['neutral']} neutral, {report.labels['positive']} positive"
    )


@main.command()
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
    from alerts.backtest import SeriesError, grouping_settings, read_series, rule_settings, summary, write_backtest
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
        found, chosen_by = _resolve_config_path(config_path)
    except click.UsageError:
        return None, "the shipped detection and alerting defaults (no config file found)"
    detection = f"rule {rule_name!r}" if rule_name else "[detection]"
    settings = f"{detection} and [alerting] from {found}"
    if chosen_by != "--config":
        settings += f" ({chosen_by}; pass --defaults for the shipped defaults)"
    return _read(found), settings


@main.group()
def sources() -> None:
    """The configured sources of mentions."""


@sources.command("test")
@config_option
@click.option("--source", "source_name", metavar="NAME", help="Only this source (default: every configured one).")
@click.option("--timeout", type=click.FloatRange(min=1), default=30, show_default=True, help="Seconds to wait for the platforms.")
def sources_test(config_path: str | None, source_name: str | None, timeout: float) -> None:
    """Make one real request per enabled source; exit 0 when all are OK, 1 otherwise."""
    from listener.sources_check import check_sources, exit_status, results_table

    config = _load(config_path)
    try:
        results = check_sources(config, source_name, timeout)
    except KeyError as unknown:
        raise click.BadParameter(unknown.args[0], param_hint="--source") from None
    _output_console().print(results_table(results))
    raise SystemExit(exit_status(results))


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@config_option
def db_upgrade(config_path: str | None) -> None:
    """Create or migrate the schema to the latest version (the daemon also does this on start)."""
    engine, before, after = migrate_database(_load(config_path).storage.url)
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

    rows = rebuild_rollups(open_database(_load(config_path).storage.url))
    click.echo(f"rollups rebuilt: {rows:,} hourly rows")


@main.group()
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
    from alerts.notifiers import PermanentError, RetryableError
    from listener.digest import DigestError, Digests, digest_for, latest_period, manual_send_time, period_starting

    config = _load(config_path)
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


@main.group()
def alerts() -> None:
    """Alerts and their deliveries."""


@alerts.command("list")
@config_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option(
    "--status", "status_filter", type=click.Choice(["pending", "delivered", "dead"]),
    help="Only deliveries in this state; `--status dead` lists the dead letters to fix.",
)
def alerts_list(config_path: str | None, limit: int, status_filter: str | None) -> None:
    """Recent alerts and the state of each delivery: pending (with its next try), delivered, or dead (with why)."""
    from alerts.deliveries import deliveries_table

    config = _load(config_path)
    store = _open_store(config)
    _output_console().print(deliveries_table(store.delivery_statuses(limit, status_filter)))
    if status_filter is None:
        from alerts.silences import suppressed_table

        suppressed = store.suppressed_alerts(limit)
        if suppressed:
            _output_console().print(suppressed_table(suppressed))


@alerts.command("test")
@config_option
@click.option("--receiver", required=True, metavar="NAME", help="The notifier to test, by its name in the config.")
def alerts_test(config_path: str | None, receiver: str) -> None:
    """Send a clearly marked test alert, with made-up evidence, straight through one notifier.

    Bypasses the outbox and routing; prints the verdict and exits 1 if the notifier failed.
    """
    from alerts.test_message import send_test_alert

    verdict = send_test_alert(_load(config_path), receiver)
    click.echo(verdict.message, err=not verdict.ok)
    if not verdict.ok:
        raise SystemExit(1)


@alerts.command("route-test")
@config_option
@click.option("--brand", required=True, help="Brand name as in the config.")
@click.option("--severity", type=click.Choice(["warning", "critical"]), default="critical", show_default=True)
@click.option("--rule", help="Rule name (default: the first rule).")
@click.option("--metric", help="Metric (default: the rule's).")
def alerts_route_test(config_path: str | None, brand: str, severity: str, rule: str | None, metric: str | None) -> None:
    """Print which routes an alert would match and which notifiers would get it.

    Receivers are the notifiers that can run now; each one that cannot (`enabled = false`, or its
    secret's environment variable unset) is listed as skipped, with the reason.
    """
    from alerts.routing import explain_routes
    from alerts.rules import rules_from_config
    from listener.pipeline import build_notifiers

    config = _load(config_path)
    try:
        config.brand(brand)
    except KeyError as unknown:
        raise click.BadParameter(unknown.args[0], param_hint="--brand") from None
    rules = {entry.name: entry for entry in rules_from_config(config)}
    chosen = rules.get(rule) if rule else next(iter(rules.values()), None)
    if chosen is None:
        raise click.BadParameter(f"rule {rule!r} is not in the config (known: {', '.join(rules)})", param_hint="--rule")
    runnable, disabled = build_notifiers(config)
    for line in explain_routes(config.routes, brand, severity, chosen.name, metric or chosen.metric, list(runnable)):
        click.echo(line)
    for name, reason in disabled.items():
        click.echo(f"skipped {name}: {reason}")


@alerts.command("silence")
@config_option
@click.option("--brand", required=True, help="Brand name as in the config.")
@click.option("--for", "duration", required=True, metavar="DURATION", help="How long, e.g. 30m, 2h, 1d.")
@click.option("--reason", required=True, help="Why: shown to whoever wonders why alerts are quiet.")
@click.option("--rule", help="Only this rule (default: every rule of the brand).")
@click.option("--by", "created_by", help="Who silences (default: $LISTENER_USER, else the login name).")
def alerts_silence(
    config_path: str | None, brand: str, duration: str, reason: str, rule: str | None, created_by: str | None
) -> None:
    """Silence a brand's alerts for a while: incidents are still recorded, but nothing is delivered."""
    from alerts.silences import SilenceError, create_silence, current_user
    from listener.clock import utcnow

    config = _load(config_path)
    store = _open_store(config)
    try:
        silence = create_silence(store, config, brand, duration, reason, rule, created_by or current_user(), utcnow())
    except SilenceError as error:
        raise click.UsageError(str(error)) from None
    click.echo(
        f"silence #{silence.id}: {brand}{f' rule {rule}' if rule else ''} until "
        f"{silence.ends_at:%Y-%m-%d %H:%M} UTC (undo: listener alerts unsilence {silence.id})"
    )


@alerts.command("silences")
@config_option
@click.option("--all", "show_all", is_flag=True, help="Include expired silences.")
def alerts_silences(config_path: str | None, show_all: bool) -> None:
    """List silences: active ones, or with --all every one ever made."""
    from alerts.silences import silences_table
    from listener.clock import utcnow

    config = _load(config_path)
    now = utcnow()
    stored = _open_store(config).silences(None if show_all else now)
    _output_console().print(silences_table(stored, now))
    configured = [entry for entry in config.silences if show_all or entry.starts <= now < entry.ends]
    for entry in configured:
        click.echo(
            f"config: {entry.brand or '*'} rule {entry.rule or '*'} {entry.starts:%Y-%m-%d %H:%M}-"
            f"{entry.ends:%Y-%m-%d %H:%M} UTC: {entry.reason}"
        )


@alerts.command("unsilence")
@config_option
@click.argument("silence_id", type=int, metavar="ID")
def alerts_unsilence(config_path: str | None, silence_id: int) -> None:
    """End silence ID now (it stays listed under `listener alerts silences --all`)."""
    from listener.clock import utcnow

    silence = _open_store(_load(config_path)).expire_silence(silence_id, utcnow())
    if silence is None:
        raise click.UsageError(f"there is no silence #{silence_id} (see `listener alerts silences --all`)")
    click.echo(f"silence #{silence_id} ({silence.brand or '*'}) ended at {silence.ends_at:%Y-%m-%d %H:%M} UTC")


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
