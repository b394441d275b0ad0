"""A brand whose mentions stay unscored is still judged, and says so: the guard of issue 11.

Detection waits for every mention of a window to be scored. A mention that is never scored (in
issue 11, a brand link that lost its label in a race) must not stop the brand's alerts for good:
after `[detection] source_wait` the brand is judged on what is scored, the log says so once when
that starts and once when it ends, and /healthz and the dashboard name the brand meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from alerts.dispatch.engine import detect_brand
from listener.config import DetectionConfig
from listener.core.records import Mention, Sentiment
from listener.storage.repository import Store
from listener.core.records import JudgingStall
from listener.storage.rollups import rebuild_rollups
from listener.storage.schema import MentionBrandRow, MentionRow
from listener.web import create_app
from tests.conftest import utc
from tests.alerts.test_engine import RULE_CONFIG, add_mentions
from tests.storage.test_rollups import assert_rollups_match_raw
from tests.web_seed import login, web_settings

START = utc(2026, 11, 2)
DETECTION = DetectionConfig()  # 15-minute windows, 5 minutes' lateness, 30 minutes' source_wait


def at(hours: int, minutes: int = 0):  # noqa: ANN201 - a datetime
    return START + timedelta(hours=hours, minutes=minutes)


def stall_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "alerts.dispatch.engine" and ("still unscored" in record.getMessage() or "scored again" in record.getMessage())
    ]


def test_brand_is_judged_past_a_mention_unscored_for_longer_than_source_wait(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alerts.dispatch.engine")
    add_mentions(store, "Acme", START, 2, 1.5, seed=1, tag="base")
    store.store_batch("demo", "Acme", [Mention("demo", "stuck", "Acme stuck", at(2, 10))], {}, collected_until=at(2, 10))

    # 02:30: the mention was collected 20 minutes ago, scoring may still come; judging waits at its window.
    assert detect_brand(store, "Acme", DETECTION, at(2, 30), []).windows == 8
    assert store.judging_stalls() == [] and stall_messages(caplog) == []

    # 02:45: unscored for longer than source_wait since it was collected: judged on without it, up to 02:40 less lateness.
    assert detect_brand(store, "Acme", DETECTION, at(2, 45), []).windows == 2
    assert store.judging_stalls() == [JudgingStall("Acme", at(2, 10), at(2, 45))]
    assert len(stall_messages(caplog)) == 1

    # A fresh unscored mention is still waited for, and the stall is not logged again.
    store.store_batch("demo", "Acme", [Mention("demo", "fresh", "Acme fresh", at(2, 50))], {}, collected_until=at(2, 50))
    assert detect_brand(store, "Acme", DETECTION, at(3, 10), []).windows == 1  # 02:30-02:45: up to the fresh one
    assert detect_brand(store, "Acme", DETECTION, at(3, 15), []).windows == 0
    assert len(stall_messages(caplog)) == 1

    # Both scored: the stall ends, logged once, and judging waits for unscored mentions again.
    ids = [mention_id for mention_id, _ in store.unscored(10)]
    store.save_scores([(mention_id, Sentiment("neutral", 0.0, 0.9)) for mention_id in ids], "test")
    assert detect_brand(store, "Acme", DETECTION, at(3, 30), []).windows == 2
    assert detect_brand(store, "Acme", DETECTION, at(3, 45), []).windows == 1
    assert store.judging_stalls() == []
    started, ended = stall_messages(caplog)
    assert "Acme: a mention from 2026-11-02 02:10 UTC is still unscored" in started
    assert ended.startswith("Acme: every mention collected [detection] source_wait ago or more is scored again")


def test_a_backlog_of_old_mentions_is_waited_for_and_its_spike_pages(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """Mentions written hours ago but collected just now (a platform indexing late, a source back
    after an outage, a cluster whose scoring is behind) are late, not stuck: judging waits for
    their scores, so a spike among them pages instead of being judged away without them."""
    caplog.set_level(logging.INFO, logger="alerts.dispatch.engine")
    add_mentions(store, "Acme", START - timedelta(hours=28), 30, 1.5, seed=1, tag="base")
    assert detect_brand(store, "Acme", RULE_CONFIG, at(2, 5), ["console"]).alerts == []  # judged up to 02:00

    # Collected at 05:00: three hours of mentions, 40 negatives a window from 03:00 among them.
    backlog = [
        Mention("demo", f"late-{minute}-{index}", f"Acme {'down again' if minute >= 60 else 'fine'}", at(2, minute))
        for minute in range(0, 180, 15)
        for index in range(40 if minute >= 60 else 2)
    ]
    store.store_batch("demo", "Acme", backlog, {}, collected_until=at(5))
    assert detect_brand(store, "Acme", RULE_CONFIG, at(5, 20), ["console"]).windows == 0  # waits at 02:00
    assert store.judging_stalls() == [] and stall_messages(caplog) == []

    store.save_scores(
        [
            (row_id, Sentiment("negative", -0.9, 0.9) if "down" in text else Sentiment("neutral", 0.0, 0.9))
            for row_id, text in store.unscored(len(backlog))
        ],
        "test",
    )
    fired = detect_brand(store, "Acme", RULE_CONFIG, at(5, 25), ["console"]).alerts
    assert [(alert.brand, alert.kind, alert.window_start) for alert in fired[:1]] == [("Acme", "firing", at(3))]
    assert store.judging_stalls() == []


def test_link_that_lost_its_scored_mentions_label_is_relabelled(store: Store) -> None:
    """Databases written before the race was fixed hold such links; they are repaired, with their
    rollups, when judging finds them stuck."""
    add_mentions(store, "Acme", START, 2, 1.5, seed=1, tag="base")
    with store.engine.begin() as connection:
        connection.execute(
            update(MentionBrandRow).where(MentionBrandRow.created_at < at(0, 15)).values(sentiment_label=None)
        )
        connection.execute(update(MentionRow).values(collected_at=MentionRow.created_at))  # collected as they came
    rebuild_rollups(store.engine)  # the rollups counted the damaged rows as they were
    assert store.oldest_unscored("Acme") is not None

    assert detect_brand(store, "Acme", DETECTION, at(2, 30), []).windows == 9
    assert store.oldest_unscored("Acme") is None
    assert store.judging_stalls() == []
    assert_rollups_match_raw(store.engine)


@pytest.fixture
def client(store: Store, make_config) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(create_app(make_config(web=web_settings()), store)) as test_client:
        yield test_client


def test_healthz_lists_stalled_brands_beside_its_status(client: TestClient, store: Store) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "stalled_brands": []}
    store.start_judging_stall("Acme", at(2, 10), at(2, 45))
    assert client.get("/healthz").json() == {"status": "ok", "stalled_brands": ["Acme"]}
    store.end_judging_stall("Acme")
    assert client.get("/healthz").json()["stalled_brands"] == []


def test_dashboard_shows_a_stall_as_escaped_text(client: TestClient, store: Store) -> None:
    login(client)
    assert 'id="judging-stalls"' not in client.get("/?brand=Acme").text
    store.start_judging_stall("Globex <img src=x onerror=alert(1)>", at(2, 10), at(2, 45))
    html = client.get("/?brand=Acme").text
    assert 'id="judging-stalls"' in html
    assert "Globex &lt;img src=x onerror=alert(1)&gt;: a mention from 2026-11-02 02:10 UTC" in html
    assert "<img src=x" not in html
