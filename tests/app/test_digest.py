"""Digests: periods in local time, content, inline charts, escaping, and never sending a period twice.

Sent over real SMTP to the aiosmtpd server of tests/servers.py; data in real SQLite/PostgreSQL.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest

from listener.config import ConfigError
from listener.app.digests.send import (
    DigestError,
    Digests,
    digest_for,
    latest_period,
    schedule_digests,
)
from listener.core.records import Alert, Mention, Sentiment
from listener.storage.repository import Store
from listener.core.records import DetectorState
from tests.cli_helpers import write_cli_config
from tests.conftest import record_alert, utc
from tests.servers import smtp_server

HOSTILE = '<script>alert("x")</script> acme & <b>friends</b>'


def digest_config(make_config: Any, smtp_port: int, **digest: Any) -> Any:
    entry = {"name": "marketing", "notifier": "mail", "schedule": "daily", "time": "08:00", "timezone": "Europe/Berlin"}
    entry.update(digest)
    return make_config(
        notifiers=[
            {
                "name": "mail", "type": "email", "host": "127.0.0.1", "port": smtp_port, "security": "none",
                "sender": "listener@example.com", "recipients": ["oncall@example.com"], "timeout": 5,
            }
        ],
        digests=[entry],
    )


def mention(external_id: str, when: Any, text: str = "acme works", reach: int = 100, url: str | None = None) -> Mention:
    return Mention(
        source="demo", external_id=external_id, text=text, created_at=when, author=f"user{external_id}",
        author_reach=reach, url=url or f"https://example.invalid/{external_id}", language="en",
    )


# Berlin is UTC+1 in November: local 2 Nov is [1 Nov 23:00, 2 Nov 23:00) UTC.
DAY_START = utc(2026, 11, 1, 23)


def seed(store: Store) -> None:
    """Local 2 Nov: 3 Acme mentions (one hostile, one negative with a javascript: link), 1 Globex;
    local 1 Nov (the previous period): 2 Acme mentions; plus an alert on 2 Nov."""
    store.store_batch("demo", "Acme", [
        mention("a1", DAY_START + timedelta(hours=1), HOSTILE, reach=5000),
        mention("a2", DAY_START + timedelta(hours=10), "acme is down again", reach=50, url="javascript:alert(1)"),
        mention("a3", DAY_START + timedelta(hours=22, minutes=59), "acme fine", reach=10),
        mention("p1", DAY_START - timedelta(hours=5)),
        mention("p2", DAY_START - timedelta(hours=6)),
        mention("late", DAY_START + timedelta(hours=24)),  # local 3 Nov 00:00: outside the period
    ], {})
    store.store_batch("demo", "Globex", [mention("g1", DAY_START + timedelta(hours=3), "globex")], {})
    ids = {m.external_id: m.id for m in store.mentions_by_id(list(range(1, 20)))}
    store.save_scores([
        (ids["a1"], Sentiment("positive", 0.6, 0.9)),
        (ids["a2"], Sentiment("negative", -0.9, 0.9)),
        (ids["a3"], Sentiment("neutral", 0.0, 0.9)),
        (ids["p1"], Sentiment("negative", -0.5, 0.9)),
        (ids["p2"], Sentiment("negative", -0.5, 0.9)),
    ], "m")
    alert = Alert(
        brand="Acme", rule="negative_volume", window_start=DAY_START + timedelta(hours=10),
        window_end=DAY_START + timedelta(hours=10, minutes=15), observed=12, expected=2.0,
        negative_share=0.8, severity="critical", score=0.99999,
    )
    record_alert(store, "Acme", "negative_volume", DetectorState(alert.window_end, alert.window_end), alert)


def test_daily_period_is_the_previous_local_day_once_the_send_time_passed(make_config: Any) -> None:
    digest = digest_config(make_config, 25).digests[0]
    before_eight = latest_period(digest, utc(2026, 11, 3, 6, 59))  # 07:59 in Berlin
    after_eight = latest_period(digest, utc(2026, 11, 3, 7, 0))
    assert (before_eight.start, before_eight.end) == (utc(2026, 10, 31, 23), DAY_START)
    assert (after_eight.start, after_eight.end) == (DAY_START, utc(2026, 11, 2, 23))
    assert after_eight.label == "Mon 2 Nov 2026"


def test_weekly_period_is_the_seven_local_days_before_the_send_day(make_config: Any) -> None:
    digest = digest_config(make_config, 25, schedule="weekly", weekday="monday", time="09:30").digests[0]
    period = latest_period(digest, utc(2026, 11, 11, 12))  # Wednesday: last Monday was 9 Nov
    assert (period.first_day.isoformat(), period.last_day.isoformat()) == ("2026-11-02", "2026-11-08")
    assert period.start == DAY_START and period.end == utc(2026, 11, 8, 23)
    # The week spanning the end of daylight saving time (25 Oct) is 7 local days, 169 hours.
    dst = latest_period(digest, utc(2026, 10, 26, 9))
    assert dst.end - dst.start == timedelta(hours=169)


def test_digest_has_numbers_charts_notable_mentions_and_alerts(store: Store, make_config: Any) -> None:
    seed(store)
    with smtp_server() as smtp:
        config = digest_config(make_config, smtp.port, recipients=["marketing@example.com"])
        sent = Digests(config, store.engine).run_due(utc(2026, 11, 3, 7, 5))
        assert [(name, brand) for name, brand, _ in sent] == [("marketing", "Acme"), ("marketing", "Globex")]
    acme = next(mail for mail in smtp.received if "for Acme" in mail.message["Subject"])
    assert acme.rcpt_tos == ["marketing@example.com"]
    message = acme.message
    assert message["Subject"] == "Daily digest for Acme, Mon 2 Nov 2026: 3 mentions (+50%)"
    text = message.get_body(("plain",)).get_content()
    assert re.search(r"Mentions +3 +\+50% vs previous period", text)
    assert re.search(r"Negative share +33% +-67 pts vs previous period", text)
    assert "Acme: 3 (75%)" in text and "Globex: 1 (25%)" in text
    assert "12 vs 2.0 expected" in text
    html = message.get_body(("html",)).get_content()
    # Attacker-controlled text is escaped, and a javascript: URL is not turned into a link.
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "javascript:" not in html
    assert 'href="https://example.invalid/a1"' in html
    widest, most_negative = html.split("<h3>Most negative</h3>")
    assert widest.index("&lt;script&gt;") < widest.index("acme is down again")  # by reach: 5000 first
    assert "acme is down again" in most_negative.split("<h3>Alerts</h3>")[0]
    assert "late" not in text  # a mention of local 3 Nov is not in the 2 Nov digest
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2
    for image in images:
        assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'src="cid:{image["Content-ID"].strip().strip("<>")}"' in html


def test_a_period_is_sent_once_across_restarts(store: Store, make_config: Any) -> None:
    seed(store)
    with smtp_server() as smtp:
        config = digest_config(make_config, smtp.port, brands=["Acme"])
        assert len(Digests(config, store.engine).run_due(utc(2026, 11, 3, 7, 5))) == 1
        restarted = Digests(config, store.engine)  # a new daemon on the same database
        assert restarted.run_due(utc(2026, 11, 3, 7, 6)) == []
        assert restarted.run_due(utc(2026, 11, 3, 20, 0)) == []
        assert len(restarted.run_due(utc(2026, 11, 4, 7, 0))) == 1  # the next day's digest
    assert len(smtp.received) == 2
    assert smtp.messages[0]["Message-ID"] != smtp.messages[1]["Message-ID"]


def test_failed_send_is_not_recorded_and_is_retried(store: Store, make_config: Any) -> None:
    seed(store)
    with smtp_server(refuse_recipients={"marketing@example.com": "450 4.2.1 try later"}) as smtp:
        config = digest_config(make_config, smtp.port, brands=["Acme"], recipients=["marketing@example.com"])
        assert Digests(config, store.engine).run_due(utc(2026, 11, 3, 7, 5)) == []
    with smtp_server() as smtp:
        config = digest_config(make_config, smtp.port, brands=["Acme"], recipients=["marketing@example.com"])
        assert len(Digests(config, store.engine).run_due(utc(2026, 11, 3, 7, 10))) == 1
    assert len(smtp.received) == 1


def test_manual_send_overrides_recipients_and_period(store: Store, make_config: Any) -> None:
    seed(store)
    with smtp_server() as smtp:
        config = digest_config(make_config, smtp.port)
        digest = digest_for(config, "Acme", "week")
        assert digest.schedule == "weekly"
        period = latest_period(digest, utc(2026, 11, 9, 12))
        Digests(config, store.engine).send(digest, "Acme", period, ["boss@example.com"])
    (mail,) = smtp.received
    assert mail.rcpt_tos == ["boss@example.com"]
    assert mail.message["Subject"].startswith("Weekly digest for Acme, 2 Nov – 8 Nov 2026: 4 mentions")


def test_digest_config_errors_name_the_field(make_config: Any) -> None:
    with pytest.raises(ConfigError) as error:
        make_config(
            notifiers=[{"name": "console", "type": "console"}],
            digests=[{"name": "d", "notifier": "console", "time": "25:00", "timezone": "Mars/Olympus"}],
        )
    problems = "\n".join(error.value.problems)
    assert "digests[0].time: invalid time '25:00'" in problems
    assert "digests[0].timezone: unknown time zone 'Mars/Olympus'" in problems
    with pytest.raises(ConfigError, match=r"digests\[0\].notifier: 'console' is not an email notifier"):
        make_config(notifiers=[{"name": "console", "type": "console"}], digests=[{"name": "d", "notifier": "console"}])
    with pytest.raises(DigestError, match="no \\[\\[digests\\]\\] entry covers brand 'Acme'"):
        digest_for(make_config(), "Acme", None)


def test_daemon_schedules_a_cron_job_per_digest_and_catches_up_at_start(store: Store, make_config: Any) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    seed(store)
    with smtp_server() as smtp:
        config = digest_config(make_config, smtp.port, brands=["Acme"], schedule="weekly", weekday="tuesday", time="07:30")
        scheduler = BackgroundScheduler(timezone="UTC")
        schedule_digests(scheduler, config, store.engine, lambda: utc(2026, 11, 3, 7, 5))
        job = scheduler.get_job("digest:marketing")
        assert str(job.trigger) == "cron[day_of_week='tue', hour='7', minute='30']"
        assert str(job.trigger.timezone) == "Europe/Berlin"
        scheduler.start()
        try:
            deadline = time.monotonic() + 60
            while not smtp.received and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            scheduler.shutdown(wait=True)
    (mail,) = smtp.received
    assert mail.message["Subject"].startswith("Weekly digest for Acme, 27 Oct – 2 Nov 2026")


CLI_NOTIFIER_AND_DIGEST = """
[[notifiers]]
name = "mail"
type = "email"
host = "127.0.0.1"
port = {port}
security = "none"
sender = "listener@example.com"
recipients = ["oncall@example.com"]

[[digests]]
name = "marketing"
notifier = "mail"
schedule = "daily"
"""


def test_cli_digest_send_goes_to_the_given_address(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from listener.cli.main import main

    with smtp_server() as smtp:
        config = write_cli_config(
            tmp_path, f"sqlite:///{tmp_path / 'cli.db'}", CLI_NOTIFIER_AND_DIGEST.format(port=smtp.port)
        )
        result = CliRunner().invoke(
            main, ["digest", "send", "--config", str(config), "--brand", "Acme", "--period", "week", "--to", "cmo@example.com"]
        )
        assert result.exit_code == 0, result.output
        assert "weekly digest for Acme" in result.output and "sent to cmo@example.com" in result.output
        bad = CliRunner().invoke(main, ["digest", "send", "--config", str(config), "--brand", "Acme", "--to", "nobody"])
        assert bad.exit_code == 2 and "'nobody' is not an email address" in bad.output
    (mail,) = smtp.received
    assert mail.rcpt_tos == ["cmo@example.com"]
    assert mail.message["Subject"].startswith("Weekly digest for Acme")


def test_cli_digest_send_follows_the_replay_clock_or_period_start(tmp_path: Any) -> None:
    """Issue 17: on the demo (`[clock] mode = "replay"`) `digest send` read the real clock and sent
    "0 mentions" for a yesterday years after the replayed mentions."""
    from click.testing import CliRunner

    from listener.cli.main import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    replay_clock = '\n[clock]\nmode = "replay"\nstart = "2026-11-01T00:00:00Z"\nspeed = 1440\n'
    with smtp_server() as smtp:
        config = write_cli_config(tmp_path, url, replay_clock + CLI_NOTIFIER_AND_DIGEST.format(port=smtp.port))
        from listener.storage.database import open_database

        store = Store(open_database(url))
        seed(store)  # in UTC (this digest's zone): 4 Acme mentions on 2 Nov, 2 on 1 Nov
        store.store_batch("demo", "Acme", [], {"position": 7}, collected_until=utc(2026, 11, 3, 8))
        replayed = CliRunner().invoke(main, ["digest", "send", "--config", str(config), "--brand", "Acme"])
        assert replayed.exit_code == 0, replayed.output
        assert "daily digest for Acme (Mon 2 Nov 2026)" in replayed.output
        chosen = CliRunner().invoke(
            main, ["digest", "send", "--config", str(config), "--brand", "Acme", "--period-start", "2026-11-01"]
        )
        assert chosen.exit_code == 0, chosen.output
        assert "daily digest for Acme (Sun 1 Nov 2026)" in chosen.output
        midday = CliRunner().invoke(
            main, ["digest", "send", "--config", str(config), "--brand", "Acme", "--period-start", "2026-11-01T12:00"]
        )
        assert midday.exit_code == 2 and "whole local days" in midday.output
    first, second = smtp.received
    assert first.message["Subject"].startswith("Daily digest for Acme, Mon 2 Nov 2026: 4 mentions")
    assert second.message["Subject"].startswith("Daily digest for Acme, Sun 1 Nov 2026: 2 mentions")
