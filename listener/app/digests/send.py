"""Scheduled digests: a daily or weekly email per brand for the marketing team.

Each digest shows the period's volume and net sentiment (a chart), its share of voice against
the other configured brands (a chart), the key numbers with their change against the previous
period, the notable mentions (widest reach, most negative) and the period's alerts. Charts are
PNGs drawn with matplotlib's Agg backend and sent inline (multipart/related, `cid:` links).

Periods are local days in the digest's time zone: a daily digest sent on day D covers D-1, a
weekly one the seven days before its send day. Numbers come from the hourly rollups, so a period
is counted in whole UTC hours (in a zone with a half-hour offset it starts 30 minutes early).

Sending goes through an email notifier's SMTP settings and connection code. A scheduled send is
recorded in `digests_sent` after the server accepted it, and a period already recorded is never
sent again, so restarts and catch-up runs are safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from listener.app.digests.render import build_message
from listener.app.digests.report import (
    Period,
    build_report,
    latest_period,
    period_of_days,
)
from listener.config import DigestConfig, ListenerConfig
from listener.core.clock import utcnow
from listener.storage.digests import DigestStore
from listener.storage.repository import Store

if TYPE_CHECKING:
    from alerts.notify.mail import Mailer

log = logging.getLogger(__name__)


class DigestError(Exception):
    """A digest that cannot be sent as configured; the message says what to fix."""


def manual_send_time(config: ListenerConfig, engine: Engine) -> datetime:
    """The time `listener digest send` picks "the latest complete period" at.

    In replay mode (the demo) that is where the replay got to: the replay clock of the latest
    stored poll. A separate command cannot share the daemon's replay clock, and the wall clock is
    far from the replayed mentions, so a digest for its "yesterday" would count nothing. Before
    anything was replayed it is the replay's start."""
    if config.clock.mode != "replay":
        return utcnow()
    return Store(engine).latest_collected_until() or config.clock.start or utcnow()


def period_starting(digest: DigestConfig, start: datetime) -> Period:
    """The digest's period (a day, or seven) from local midnight `start` in the digest's zone."""
    if start.time() != datetime.min.time():
        raise DigestError(
            f"--period-start {start.isoformat(sep=' ')}: a digest covers whole local days; give a date such as {start.date()}"
        )
    return period_of_days(start.date(), 1 if digest.schedule == "daily" else 7, ZoneInfo(digest.timezone))


# -- sending --------------------------------------------------------------------------------------


class Digests:
    """Builds and sends the configured digests; `run_due` is what the scheduler calls."""

    def __init__(self, config: ListenerConfig, engine: Engine):
        self.config = config
        self.engine = engine
        self.ledger = DigestStore(engine)
        self.failures = 0
        """How many sends the last `run_due` could not make (they are retried by the next run)."""

    def brands(self, digest: DigestConfig) -> list[str]:
        return list(digest.brands) if digest.brands else [brand.name for brand in self.config.brands]

    def run_due(self, now: datetime) -> list[tuple[str, str, Period]]:
        """Send every enabled digest's latest period not yet sent; returns what was sent.

        A failure is logged and leaves the period unsent, so a later run tries again; `failures`
        counts the ones worth retrying soon (not a configuration problem)."""
        sent = []
        self.failures = 0
        for digest in self.config.digests:
            if not digest.enabled:
                continue
            period = latest_period(digest, now)
            for brand in self.brands(digest):
                if self.ledger.was_sent(digest.name, brand, period.start):
                    continue
                try:
                    recipients = self.send(digest, brand, period)
                except DigestError as error:  # needs an operator (e.g. SMTP_HOST unset): no quick retry
                    log.warning("digest %s for %s (%s) not sent: %s", digest.name, brand, period.label, error)
                    continue
                except Exception as error:
                    log.error("digest %s for %s (%s) not sent: %s", digest.name, brand, period.label, error)
                    self.failures += 1
                    continue
                self.ledger.record_sent(digest.name, brand, period.start, period.end, recipients, utcnow())
                log.info("digest %s for %s (%s) sent to %s", digest.name, brand, period.label, ", ".join(recipients))
                sent.append((digest.name, brand, period))
        return sent

    def send(self, digest: DigestConfig, brand: str, period: Period, recipients: Sequence[str] | None = None) -> list[str]:
        """Build and send one digest now (not recorded: `run_due` records scheduled sends)."""
        mailer = self._mailer(digest)
        to = list(recipients or digest.recipients or mailer.settings.recipients)
        invalid = [address for address in to if "@" not in parseaddr(address)[1]]
        if invalid:
            raise DigestError(f"{invalid[0]!r} is not an email address such as marketing@example.com")
        report = build_report(self.config, self.engine, digest, brand, period, answered_by=utcnow())
        mailer.send_message(build_message(report, mailer.settings.sender, to, utcnow()), to)
        return to

    def _mailer(self, digest: DigestConfig) -> Mailer:
        """The SMTP server, login and sender of the email notifier the digest names."""
        from alerts.notify.mail import MailSettings, build_mailer
        from alerts.notify.notifiers import NotifierDisabled

        entry = next(entry for entry in self.config.notifiers if entry.name == digest.notifier)
        try:
            return build_mailer(entry.name, MailSettings.model_validate(entry.settings))
        except NotifierDisabled as disabled:
            raise DigestError(f"email notifier {entry.name!r} is not enabled: {disabled}") from None


def digest_for(config: ListenerConfig, brand: str, period: str | None) -> DigestConfig:
    """The configured digest to send for `brand` by hand: one covering the brand (with the asked
    schedule if there is one), its schedule replaced by `period` ('day'/'week') when given."""
    covering = [d for d in config.digests if not d.brands or brand in d.brands]
    if not covering:
        known = ", ".join(d.name for d in config.digests) or "none"
        raise DigestError(f"no [[digests]] entry covers brand {brand!r} (digests: {known}); add one naming an email notifier")
    schedule = {"day": "daily", "week": "weekly", None: None}[period]
    chosen = next((d for d in covering if d.schedule == schedule), covering[0])
    return chosen if schedule is None else chosen.model_copy(update={"schedule": schedule})


# -- scheduling -----------------------------------------------------------------------------------

RETRY_AFTER = timedelta(minutes=15)


def schedule_digests(scheduler: Any, config: ListenerConfig, engine: Engine, now: Callable[[], datetime]) -> None:
    """Add one cron job per enabled digest (at its local time, in its time zone) and a catch-up
    run at start, all on a thread of their own; a run with failures retries in RETRY_AFTER.

    Every run sends only what is due and not yet in the ledger, so overlapping triggers are harmless.
    """
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.triggers.cron import CronTrigger

    enabled = [digest for digest in config.digests if digest.enabled]
    if not enabled:
        return
    digests = Digests(config, engine)

    def run() -> None:
        try:
            digests.run_due(now())
        except Exception:
            log.exception("digest run failed; retrying in %s", RETRY_AFTER)
            digests.failures = 1
        if digests.failures:
            scheduler.add_job(
                run, "date", run_date=datetime.now(UTC) + RETRY_AFTER, id="digest:retry",
                name="digest retry", executor="digest", replace_existing=True,
            )

    scheduler.add_executor(ThreadPoolExecutor(max_workers=1), alias="digest")
    for digest in enabled:
        local = digest.local_time
        trigger = CronTrigger(
            day_of_week=digest.weekday[:3] if digest.schedule == "weekly" else "*",
            hour=local.hour, minute=local.minute, timezone=ZoneInfo(digest.timezone),
        )
        scheduler.add_job(run, trigger, id=f"digest:{digest.name}", name=f"digest {digest.name}", executor="digest")
    scheduler.add_job(run, "date", run_date=datetime.now(UTC), id="digest:catch-up", name="digest catch-up", executor="digest")
