"""`listener alerts`: deliveries, test messages, routes and silences."""

from __future__ import annotations

import click

from listener.cli.common import config_option, load, open_store, output_console
from listener.core.clock import SystemClock


@click.group()
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
    from listener.cli.tables import deliveries_table

    config = load(config_path)
    store = open_store(config)
    output_console().print(deliveries_table(store.delivery_statuses(limit, status_filter)))
    if status_filter is None:
        from listener.cli.tables import suppressed_table

        suppressed = store.suppressed_alerts(limit)
        if suppressed:
            output_console().print(suppressed_table(suppressed))


@alerts.command("show")
@config_option
@click.argument("alert_id", type=int, metavar="ID")
def alerts_show(config_path: str | None, alert_id: int) -> None:
    """The message ID (from `listener alerts list`) as staff received it, whole: the numbers, the
    evidence and every top mention, however much Slack had to leave out; then its deliveries, or
    why it was recorded without being sent."""
    from alerts.notify.render import alert_text
    from listener.cli.tables import deliveries_table

    store = open_store(load(config_path))
    found = store.alert_message(alert_id)
    if found is None:
        raise click.ClickException(f"no alert message {alert_id}; `listener alerts list` shows their ids")
    alert, not_sent = found
    console = output_console()
    console.print(alert_text(alert), markup=False, highlight=False, emoji=False)
    if not_sent is not None:
        console.print(f"recorded, not delivered: {not_sent}", markup=False, highlight=False, emoji=False)
    else:
        console.print(deliveries_table(store.delivery_statuses(100, alert_id=alert_id)))


@alerts.command("test")
@config_option
@click.option("--receiver", required=True, metavar="NAME", help="The notifier to test, by its name in the config.")
def alerts_test(config_path: str | None, receiver: str) -> None:
    """Send a clearly marked test alert, with made-up evidence, straight through one notifier.

    Bypasses the outbox and routing; prints the verdict and exits 1 if the notifier failed.
    """
    from alerts.notify.test_message import send_test_alert

    verdict = send_test_alert(load(config_path), receiver, SystemClock())
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
    from alerts.detect.rules import rules_from_config
    from alerts.dispatch.routing import explain_routes
    from listener.app.pipeline import build_notifiers

    config = load(config_path)
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
    from alerts.dispatch.silences import SilenceError, create_silence, current_user
    from listener.core.clock import utcnow

    config = load(config_path)
    store = open_store(config)
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
    from listener.cli.tables import silences_table
    from listener.core.clock import utcnow

    config = load(config_path)
    now = utcnow()
    stored = open_store(config).silences(None if show_all else now)
    output_console().print(silences_table(stored, now))
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
    from listener.core.clock import utcnow

    silence = open_store(load(config_path)).expire_silence(silence_id, utcnow())
    if silence is None:
        raise click.UsageError(f"there is no silence #{silence_id} (see `listener alerts silences --all`)")
    click.echo(f"silence #{silence_id} ({silence.brand or '*'}) ended at {silence.ends_at:%Y-%m-%d %H:%M} UTC")
