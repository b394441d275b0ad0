"""The digest's topic section: each topic's mentions and net sentiment in the period, with the
change since the period before, from real storage, as text and escaped HTML."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from listener.app.digests.render import render_html, render_text
from listener.app.digests.report import build_report, latest_period
from listener.core.records import Mention, Sentiment
from listener.storage.repository import Store
from tests.conftest import utc

DAY = utc(2026, 11, 2)  # the period; the day before is the previous one
EMAIL = {"name": "mail", "type": "email", "host": "127.0.0.1", "sender": "l@example.com", "recipients": ["m@example.com"]}


def stored(store: Store, key: str, text: str, at: Any, label: str, topics: list[str]) -> None:
    store.store_batch("demo", "Acme", [Mention("demo", key, text, at, author="kim")], {})
    (mention_id,) = [mention_id for mention_id, body in store.unscored(50) if body == text]
    store.save_scores([(mention_id, Sentiment(label, -0.5 if label == "negative" else 0.5, 0.9))], "m")  # type: ignore[arg-type]
    store.tag_topics({mention_id: topics})


def test_digest_lists_topics_busiest_first_with_the_change_in_net_sentiment(store: Store, make_config: Any) -> None:
    config = make_config(
        topics=[
            {"name": "billing", "query": "invoice OR charged", "touchpoint": "purchase"},
            {"name": "<b>app</b>", "query": "app"},
            {"name": "shipping", "query": "parcel"},
        ],
        digests=[{"name": "daily", "notifier": "mail", "schedule": "daily", "time": "08:00", "timezone": "UTC"}],
        notifiers=[EMAIL],
    )
    stored(store, "p1", "acme invoice was fine", DAY - timedelta(hours=5), "positive", ["billing"])
    stored(store, "m1", "acme charged me twice", DAY + timedelta(hours=9), "negative", ["billing"])
    stored(store, "m2", "acme invoice wrong again", DAY + timedelta(hours=10), "negative", ["billing"])
    stored(store, "m3", "acme invoice ok now", DAY + timedelta(hours=11), "positive", ["billing"])
    stored(store, "m4", "acme app is great", DAY + timedelta(hours=12), "positive", ["<b>app</b>"])

    digest = config.digests[0]
    report = build_report(config, store.engine, digest, "Acme", latest_period(digest, utc(2026, 11, 3, 9)))
    text = render_text(report)
    section = text[text.index("Topics (") :].splitlines()[1:4]
    assert section == [
        "  billing: 3 · -33 · -133 pts",  # was +100 the day before (one positive)
        "  purchase (touchpoint): 3 · -33 · -133 pts",
        "  <b>app</b>: 1 · +100 · new",
    ]
    assert "shipping" not in text  # no mention in the period
    html = render_html(report, None, None)
    assert "<h3>Topics</h3>" in html and "&lt;b&gt;app&lt;/b&gt;" in html and "<b>app</b>" not in html


def test_a_digest_without_topics_configured_has_no_topic_section(store: Store, make_config: Any) -> None:
    config = make_config(
        digests=[{"name": "daily", "notifier": "mail", "schedule": "daily", "time": "08:00", "timezone": "UTC"}],
        notifiers=[EMAIL],
    )
    digest = config.digests[0]
    report = build_report(config, store.engine, digest, "Acme", latest_period(digest, utc(2026, 11, 3, 9)))
    assert report.topics is None and "Topics" not in render_text(report) and "Topics" not in render_html(report, None, None)


def test_a_topic_named_like_its_touchpoint_keeps_its_own_change(store: Store, make_config: Any) -> None:
    config = make_config(
        topics=[
            {"name": "purchase", "query": "invoice", "touchpoint": "purchase"},
            {"name": "checkout", "query": "cart", "touchpoint": "purchase"},
        ],
        digests=[{"name": "daily", "notifier": "mail", "schedule": "daily", "time": "08:00", "timezone": "UTC"}],
        notifiers=[EMAIL],
    )
    stored(store, "p1", "acme invoice fine", DAY - timedelta(hours=5), "positive", ["purchase"])
    stored(store, "p2", "acme cart broken", DAY - timedelta(hours=4), "negative", ["checkout"])
    stored(store, "m1", "acme invoice wrong", DAY + timedelta(hours=9), "negative", ["purchase"])
    digest = config.digests[0]
    report = build_report(config, store.engine, digest, "Acme", latest_period(digest, utc(2026, 11, 3, 9)))
    text = render_text(report)
    # The topic was +100 the day before; the touchpoint (both topics) was 0.
    assert "  purchase: 1 · -100 · -200 pts" in text
    assert "  purchase (touchpoint): 1 · -100 · -100 pts" in text
