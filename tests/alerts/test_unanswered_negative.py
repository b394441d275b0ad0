"""The unanswered_negative rule metric: a negative mention from a wide-reaching author that the
brand's own accounts leave unanswered past `answer_within` opens an incident, through the same
incident, routing and outbox path as a spike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.dispatch.engine import detect_brand, policy_from_config
from alerts.metrics.unanswered_negative import overdue_in_windows
from listener.config import ConfigError
from listener.core.records import Mention, Sentiment
from listener.core.response_time import ThreadPost
from listener.storage.repository import Store
from tests.conftest import utc

T0 = utc(2026, 11, 2, 9)
RULE = {"name": "unanswered", "metric": "unanswered_negative", "min_reach": 500, "answer_within": "2h"}


def config_with_rule(make_config, **rule):
    return make_config(
        brands=[{"name": "Acme", "keywords": ["acme"], "own_accounts": {"demo": ["acme_support"]}}],
        rules=[{**RULE, **rule}],
        notifiers=[{"name": "console", "type": "console"}],
        alerting={"resolve_after": "1h"},
    )


def seed(store: Store) -> None:
    store.store_batch(
        "demo",
        "Acme",
        [
            Mention("demo", "big", "acme lost my data", T0, author="famous", author_reach=90_000),
            Mention("demo", "answered", "acme is down", T0 + timedelta(minutes=1), author="known", author_reach=5_000),
            Mention(
                "demo",
                "reply",
                "so sorry, fixed",
                T0 + timedelta(minutes=50),
                author="acme_support",
                in_reply_to="answered",
            ),
            Mention("demo", "small", "acme meh", T0 + timedelta(minutes=2), author="nobody", author_reach=20),
            Mention("demo", "late", "acme broke billing", T0 + timedelta(minutes=3), author="known2", author_reach=800),
            Mention(
                "demo", "late-reply", "looking now", T0 + timedelta(hours=3), author="acme_support", in_reply_to="late"
            ),
        ],
        {},
    )
    labels = {
        "acme lost my data": "negative",
        "acme is down": "negative",
        "acme meh": "negative",
        "acme broke billing": "negative",
    }
    store.save_scores(
        [
            (row_id, Sentiment(labels.get(text, "neutral"), -0.9 if text in labels else 0.0, 0.9))
            for row_id, text in store.unscored(100)
        ],
        "m",
    )


def test_an_ignored_complaint_from_a_big_account_opens_one_incident_that_resolves(store: Store, make_config) -> None:
    seed(store)
    config = config_with_rule(make_config)
    policy = policy_from_config(config)
    summary = detect_brand(store, "Acme", policy, T0 + timedelta(hours=2, minutes=30), ["console"])
    [firing] = summary.alerts
    assert firing.metric == "unanswered_negative" and firing.severity == "warning"
    assert (firing.window_start, firing.observed) == (T0 + timedelta(hours=2), 2)  # "big" and "late": 11:00-11:15
    assert [mention.author for mention in firing.top_mentions] == ["famous", "known2"]
    assert firing.evidence is None
    later = detect_brand(store, "Acme", policy, T0 + timedelta(hours=6), ["console"])
    assert [alert.kind for alert in later.alerts] == ["resolved"]
    assert detect_brand(store, "Acme", policy, T0 + timedelta(hours=7), ["console"]).alerts == []


def test_nothing_fires_when_the_brand_answers_in_time(store: Store, make_config) -> None:
    seed(store)
    policy = policy_from_config(config_with_rule(make_config, answer_within="4h", min_reach=100_000))
    assert detect_brand(store, "Acme", policy, T0 + timedelta(hours=8), ["console"]).alerts == []


def test_each_overdue_mention_counts_once_in_the_window_its_deadline_passes() -> None:
    own = {"x": frozenset({"acme_support"})}
    posts = [
        ThreadPost(1, "x", "1", "kim", T0, sentiment_label="negative", author_reach=1000),
        ThreadPost(2, "x", "2", "acme_support", T0 + timedelta(minutes=59), in_reply_to="1"),  # in time
        ThreadPost(3, "x", "3", "lee", T0 + timedelta(minutes=20), sentiment_label="negative", author_reach=1000),
        ThreadPost(
            4, "x", "4", "acme_support", T0 + timedelta(minutes=1), sentiment_label="negative", author_reach=10**6
        ),
    ]
    starts = [T0 + timedelta(minutes=15 * index) for index in range(12)]
    overdue = overdue_in_windows(posts, own, starts, timedelta(minutes=15), timedelta(hours=1), 500)
    assert [[post.external_id for post in window] for window in overdue] == [
        [],
        [],
        [],
        [],
        [],
        ["3"],
        [],
        [],
        [],
        [],
        [],
        [],
    ]


def test_reply_settings_belong_to_the_unanswered_negative_metric(make_config) -> None:
    with pytest.raises(ConfigError, match="answer_within applies only to metric"):
        make_config(rules=[{"name": "spike", "metric": "negative_volume", "answer_within": "2h"}])
