"""Topics on the web: `GET /api/v1/topics`, the topic filter, the net-sentiment panel and the
stories of an alert's drill-down, with topic names and story terms shown as text only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from listener.app.topic_tagging import TopicTagger
from listener.config import TopicConfig
from listener.core.records import Alert, AlertEvidence, DetectorState, Story, VolumeContext
from listener.core.themes import BY_EMBEDDINGS
from listener.storage.repository import Store
from listener.web import create_app
from tests.conftest import record_alert, utc
from tests.web_seed import API_TOKEN, login, seed, web_settings

HOSTILE_TOPIC = '<script>window.pwned=1</script>"&'
TOPICS = [
    {"name": "outage", "query": "#outage OR down OR outage OR langsam", "touchpoint": "retention"},
    {"name": "support", "query": "support", "touchpoint": "retention"},
    {"name": "pricing", "query": "pricing", "touchpoint": "consideration"},
    {"name": HOSTILE_TOPIC, "query": "dashboard"},
]
STORY_WINDOW = (utc(2026, 11, 3, 12, 0), utc(2026, 11, 3, 12, 15))
HOSTILE_STORY = "</script><img src=x onerror=alert(1)>"


@pytest.fixture
def app_store(store: Store) -> Store:
    seed(store)
    tagger = TopicTagger(_configs())
    store.tag_topics(tagger.tag(store.mentions_to_tag(utc(2000, 1, 1), None, None, 0, 1000)))
    evidence = AlertEvidence(
        stories=(Story("outage again", 3, ("outage", "again")), Story(HOSTILE_STORY, 2)), stories_from=BY_EMBEDDINGS,
        volume=VolumeContext(mentions=3, usual_mentions=2.0, usual_negative_share=0.25),
    )
    alert = Alert("Acme", "negative_volume", *STORY_WINDOW, observed=3, expected=0.4, negative_share=1.0,
                  severity="critical", score=0.99999, evidence=evidence)  # fmt: skip
    record_alert(store, "Acme", "negative_volume", DetectorState(STORY_WINDOW[1], STORY_WINDOW[1]), alert, [])
    return store


def _configs() -> list[TopicConfig]:
    return [TopicConfig.model_validate(topic) for topic in TOPICS]


@pytest.fixture
def api(app_store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    app = create_app(make_config(web=web_settings(), topics=TOPICS), app_store)
    with TestClient(app, headers={"Authorization": f"Bearer {API_TOKEN}"}) as client:
        yield client


@pytest.fixture
def page(app_store: Store, make_config) -> Iterator[TestClient]:
    with TestClient(create_app(make_config(web=web_settings(), topics=TOPICS), app_store)) as client:
        login(client)
        yield client


def test_topics_api_gives_sentiment_per_topic_and_touchpoint(api: TestClient) -> None:
    body = api.get("/api/v1/topics", params={"brand": "Acme"}).json()
    topics = {row["name"]: row for row in body["topics"]}
    assert [row["name"] for row in body["topics"]] == [topic["name"] for topic in TOPICS]
    assert {key: topics["outage"][key] for key in ("touchpoint", "mentions", "negative", "net_sentiment")} == {
        "touchpoint": "retention", "mentions": 4, "negative": 4, "net_sentiment": -100.0,
    }  # fmt: skip
    assert (topics["support"]["positive"], topics["pricing"]["neutral"]) == (1, 1)
    assert topics[HOSTILE_TOPIC]["touchpoint"] is None and topics[HOSTILE_TOPIC]["positive"] == 1
    assert body["touchpoints"] == [
        {"name": "consideration", "mentions": 1, "negative": 0, "neutral": 1, "positive": 0, "net_sentiment": 0.0},
        {"name": "retention", "mentions": 5, "negative": 4, "neutral": 0, "positive": 1, "net_sentiment": -60.0},
    ]
    day = api.get("/api/v1/topics", params={"brand": "Acme", "since": "2026-11-03"}).json()
    assert {row["name"]: row["mentions"] for row in day["topics"]}["outage"] == 2


def test_topic_filter_narrows_the_api_and_refuses_unknown_topics(api: TestClient) -> None:
    mentions = api.get("/api/v1/mentions", params={"brand": "Acme", "topic": "support"}).json()["mentions"]
    assert [mention["text"] for mention in mentions] == ["acme support fixed it, thanks"]
    series = api.get(
        "/api/v1/series", params=[("brand", "Acme"), ("bucket", "day"), ("topic", "outage"), ("topic", "pricing")]
    ).json()
    assert sum(point["mentions"] for point in series["series"]) == 5
    for path in ("/api/v1/mentions", "/api/v1/topics", "/api/v1/series"):
        refused = api.get(path, params={"brand": "Acme", "topic": "<b>nope</b>"})
        assert refused.status_code == 422
        assert "topic: '<b>nope</b>' is not a configured topic (known: outage, support, pricing" in refused.text


def test_topics_api_needs_a_login(app_store: Store, make_config) -> None:
    with TestClient(create_app(make_config(web=web_settings(), topics=TOPICS), app_store)) as client:
        assert client.get("/api/v1/topics").status_code == 401


def test_panel_and_filter_show_topic_names_as_text(page: TestClient) -> None:
    html = page.get("/", params={"brand": "Acme"}).text
    assert 'id="topics-panel"' in html and "Net sentiment by touchpoint" in html
    assert "<script>window.pwned" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;&#34;&amp;" in html  # the panel and the filter menu
    panel = html[html.index('id="topics-by-topic"') : html.index('id="topics-by-touchpoint"')]
    assert re.search(
        r">outage</a></td>\s*<td>retention</td><td>4</td><td>4</td>\s*<td>0</td><td>0</td>\s*<td>-100</td>", panel
    )
    filtered = page.get("/", params={"brand": "Acme", "topic": "outage"}).text
    assert 'id="kpi-mentions">4<' in filtered
    assert "<option selected>outage</option>" in filtered


def test_no_topics_no_panel(app_store: Store, make_config) -> None:
    with TestClient(create_app(make_config(web=web_settings()), app_store)) as client:
        login(client)
        html = client.get("/", params={"brand": "Acme"}).text
    assert 'id="topics-panel"' not in html and 'name="topic"' not in html


def test_alert_drill_down_carries_its_stories_as_data(page: TestClient) -> None:
    html = page.get("/", params={"brand": "Acme"}).text
    island = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert island is not None and "</script><img" not in island.group(1)
    spikes = {spike["window_start"]: spike for spike in json.loads(island.group(1))["spikes"]}
    assert spikes["2026-11-03T12:00:00Z"]["stories"] == f"2 stories: outage again 3, {HOSTILE_STORY} 2"
    assert spikes["2026-11-03T12:00:00Z"]["volume"] == (
        "All mentions: 3 in the window, 1.5x the usual 2. Negative share: 100% of mentions negative (usual 25%)."
    )
    assert spikes["2026-11-02T09:00:00Z"]["stories"] == spikes["2026-11-02T09:00:00Z"]["volume"] == ""  # stored without evidence
    assert 'id="drilldown-stories"' in html and 'id="drilldown-volume"' in html
