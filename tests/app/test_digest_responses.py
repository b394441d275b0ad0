"""The digest's response-time section, built from real storage and rendered as text and HTML."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from listener.app.digests.render import render_html, render_text
from listener.app.digests.report import build_report, latest_period
from listener.core.records import Mention, Sentiment
from listener.storage.repository import Store
from tests.conftest import utc

DAY_START = utc(2026, 11, 2)  # Monday, UTC


def test_digest_reports_response_time_and_unanswered_negatives(store: Store, make_config: Any) -> None:
    config = make_config(
        brands=[
            {
                "name": "Acme",
                "keywords": ["acme"],
                "own_accounts": {"demo": ["acme_support"]},
                "business_hours": {"days": "mon-fri", "start": "09:00", "end": "17:00", "timezone": "UTC"},
            },
            {"name": "Globex", "keywords": ["globex"]},
        ],
        digests=[{"name": "daily", "notifier": "console", "schedule": "daily", "time": "08:00", "timezone": "UTC"}],
        notifiers=[
            {
                "name": "console",
                "type": "email",
                "host": "127.0.0.1",
                "sender": "l@example.com",
                "recipients": ["m@example.com"],
            }
        ],
    )
    store.store_batch(
        "demo",
        "Acme",
        [
            Mention("demo", "m1", "acme is down", DAY_START + timedelta(hours=8), author="kim", author_reach=10),
            Mention("demo", "r1", "on it!", DAY_START + timedelta(hours=10), author="acme_support", in_reply_to="m1"),
            Mention(
                "demo",
                "m2",
                "acme <b>broke</b> my build",
                DAY_START + timedelta(hours=12),
                author="lee",
                author_reach=900,
            ),
        ],
        {},
    )
    ids = {text: mention_id for mention_id, text in store.unscored(10)}
    store.save_scores(
        [
            (ids["acme is down"], Sentiment("negative", -0.9, 0.9)),
            (ids["acme <b>broke</b> my build"], Sentiment("negative", -0.8, 0.9)),
        ],
        "m",
    )
    digest = config.digests[0]
    period = latest_period(digest, utc(2026, 11, 3, 9))
    report = build_report(config, store.engine, digest, "Acme", period, answered_by=utc(2026, 11, 3, 9))
    text = render_text(report)
    assert "Response time (answers by the brand's own accounts):" in text
    assert "all: 1 of 2 answered (50%); first response median 2 h, mean 2 h; in business hours median 1 h" in text
    assert "Unanswered negative mentions: 1" in text and "@lee · reach 900 · waiting 21 h" in text
    html = render_html(report, None, None)
    assert "<h3>Response time</h3>" in html and "&lt;b&gt;broke&lt;/b&gt;" in html and "<b>broke" not in html
    globex = build_report(config, store.engine, digest, "Globex", period)
    assert globex.responses is None and "Response time" not in render_text(globex)
