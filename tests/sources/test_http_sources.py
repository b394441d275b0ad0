"""What every HTTP collector shares (error mapping, Retry-After, HTML stripping), and the HTTP
collectors inside the real pipeline and scheduler: one platform's 429 backs off that source only,
and the next poll stores what the failed one would have."""

from __future__ import annotations

import logging
import random
from typing import Any

import pytest

from listener.core.clock import ManualClock
from listener.config import BrandConfig
from listener.app.pipeline import Pipeline
from listener.app.scheduler import Scheduler
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured, SourceUnavailable
from listener.sources.http import (
    USER_AGENT,
    get_json,
    make_client,
    remember,
    retry_after_seconds,
    search_terms,
    strip_html,
)
from tests.conftest import utc
from tests.servers import ScriptedResponse, recording_http_server, refused_port, routed_http_server
from tests.sources.test_feeds import FakeFeeds
from tests.sources.test_hackernews import HITS, FakeAlgolia

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "Fri, 15 Jan 2027 08:00:05 GMT"}, 5.0),
        ({"X-RateLimit-Reset": str(int(NOW) + 60)}, 60.0),
        ({"ratelimit-reset": "30"}, 30.0),
        ({"X-RateLimit-Reset": "2027-01-15T08:01:00.000Z"}, 60.0),
        ({"X-RateLimit-Reset": str(int(NOW) - 60)}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_from_every_header_platforms_use(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_seconds(headers, now=NOW) == expected


@pytest.mark.parametrize(
    ("status", "error", "fragment"),
    [
        (429, SourceUnavailable, "rate limited"),
        (500, SourceUnavailable, "server error HTTP 500"),
        (503, SourceUnavailable, "server error HTTP 503"),
        (401, SourceMisconfigured, "credentials"),
        (403, SourceMisconfigured, "credentials"),
        (404, SourceMisconfigured, "check the URL"),
        (410, SourceMisconfigured, "check the URL"),
        (400, SourceMisconfigured, "HTTP 400"),
    ],
)
def test_error_statuses_map_to_transient_or_permanent_failures(status: int, error: type, fragment: str) -> None:
    with recording_http_server([ScriptedResponse(status, {}, "no")]) as server, make_client(2) as client:
        with pytest.raises(error, match=fragment):
            get_json(client, "forum", server.url + "/search.json?api_key=SECRET")
    assert server.requests[0].headers["User-Agent"] == USER_AGENT


def test_error_messages_name_the_source_and_never_the_query_string() -> None:
    with recording_http_server([ScriptedResponse(503, {}, "")]) as server, make_client(2) as client:
        with pytest.raises(SourceUnavailable) as raised:
            get_json(client, "forum", server.url + "/search.json", params={"api_key": "SECRET"})
    assert str(raised.value).startswith("forum: GET http://127.0.0.1:")
    assert "SECRET" not in str(raised.value)


def test_refused_connection_is_transient() -> None:
    with refused_port() as port, make_client(2) as client:
        with pytest.raises(SourceUnavailable, match="network error"):
            get_json(client, "hn", f"http://127.0.0.1:{port}/")


def test_strip_html_keeps_text_and_line_breaks_only() -> None:
    html = '<p>Hi &amp; <b>bye</b><br>next &lt;script&gt;</p><script>alert("x")</script><p>\u200flast \U0001f600</p>'
    assert strip_html(html) == 'Hi & bye\nnext <script>\n\u200flast \U0001f600'
    assert strip_html("plain &quot;quoted&quot;") == 'plain "quoted"'
    assert strip_html(None) == ""


def test_remember_is_bounded_and_keeps_the_newest() -> None:
    seen = remember({"a": "1", "b": "1", "c": "1"}, {"b": "2", "d": "1"}, limit=3)
    assert seen == {"c": "1", "b": "2", "d": "1"}


def test_search_terms_come_from_the_brand_query() -> None:
    assert search_terms(BrandConfig(name="Acme", keywords=("acme", "acmecloud"), phrases=("acme cloud",))) == [
        "acme", "acmecloud", "acme cloud"
    ]
    assert "acme" in search_terms(BrandConfig(name="Acme", query='#acme OR "acme cloud"'))


@pytest.mark.parametrize(
    ("type_name", "settings"),
    [
        ("hackernews", {}),
        ("stackexchange", {"site": "superuser", "key": "${STACKEXCHANGE_KEY}"}),
        ("github", {"token": "${GITHUB_TOKEN}", "repos": ["acme-corp/acme-ui"], "include_pull_requests": False}),
        ("youtube", {"api_key": "${YOUTUBE_API_KEY}", "video_lookback": "2d", "region_code": "US"}),
        ("rss", {"urls": ["https://forum.example.com/latest.rss"]}),
        ("discourse", {"url": "https://forum.example.com", "api_key": "${DISCOURSE_API_KEY}"}),
        ("mastodon", {"instance": "https://mastodon.social", "hashtags": ["acme"]}),
        ("bluesky", {"handle": "${BLUESKY_HANDLE}", "app_password": "${BLUESKY_APP_PASSWORD}"}),
        ("file", {"path": "exports/*.csv", "timezone": "Europe/Berlin"}),
        ("appstore", {"apps": {"Acme": ["1466522170"]}, "countries": ["us", "gb"]}),
        ("googleplay", {"apps": {"Acme": ["com.acme.cloud"]}, "languages": ["en", "de"]}),
    ],
)
def test_each_source_validates_in_a_config_and_builds_without_network(make_config, type_name: str, settings: dict[str, Any]) -> None:
    config = make_config(sources=[{"name": "s", "type": type_name, **settings}])
    plugin = COLLECTORS.get(type_name)
    settings_model = plugin.settings_model.model_validate(config.sources[0].settings)
    plugin.build(SourceContext("s", settings_model, ManualClock(utc(2026, 11, 2))))


def test_a_rate_limited_source_backs_off_alone_and_its_next_poll_loses_nothing(make_config, database_url: str, caplog) -> None:
    with routed_http_server(FakeAlgolia(HITS)) as hn, routed_http_server(FakeFeeds()) as feeds:
        config = make_config(
            storage={"url": database_url},
            sources=[
                {"name": "hn", "type": "hackernews", "base_url": hn.url, "interval": "1m"},
                {"name": "news", "type": "rss", "urls": [feeds.url + "/news.rss"], "interval": "1m"},
            ],
        )
        pipeline = Pipeline(config, clock=ManualClock(utc(2026, 11, 2, 12)), notifiers={})
        now = 500.0  # monotonic seconds, frozen: the backoff is exact however slow the machine
        scheduler = Scheduler(pipeline, rng=random.Random(1), monotonic=lambda: now)
        hn.fail_next(ScriptedResponse(429, {"Retry-After": "120"}, ""))
        with caplog.at_level(logging.ERROR):
            scheduler.run_source("hn")
            scheduler.run_source("news")
        assert scheduler.health["hn"].failures == 1
        assert scheduler.health["hn"].resume_at == now + 120
        assert any("source hn is failing" in r.getMessage() and "429" in r.getMessage() for r in caplog.records)
        assert pipeline.store.count_mentions() == 2  # the news feed's Acme and Globex articles

        scheduler.health["hn"].resume_at = 0.0  # the platform's wait is over
        scheduler.run_source("hn")
        assert scheduler.health["hn"].failures == 0
        assert pipeline.store.count_mentions() == 5
        scheduler.run_source("hn")
        assert pipeline.store.count_mentions() == 5
        pipeline.store.engine.dispose()

