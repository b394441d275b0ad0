"""Google Play collector: google-play-scraper's real request format, reply pattern and review fields,
over our httpx client, against a loopback fake of the Play Store's `batchexecute` endpoint.

googleplay_reviews.json is a reply in the shape the package reads (`)]}'` framing, the reviews as a
JSON string inside `wrb.fr`, each review an array: id, [user name, avatar], stars, -, text,
[seconds, nanos], thumbs up, [-, developer reply, time], ...); one review has no stars and one is
cut short.
"""

from __future__ import annotations

import copy
import json
import logging
import ssl
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from listener.config import BrandConfig, ConfigError, parse_config
from listener.core.clock import SystemClock
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured, SourceUnavailable
from listener.storage.repository import Store
from tests.conftest import utc
from tests.recorded_http import OWN_FIXTURES, load_cassette
from tests.servers import RecordedRequest, RoutedHTTPServer, ScriptedResponse, routed_http_server

[RECORDED] = load_cassette(OWN_FIXTURES / "http" / "googleplay_reviews.json")
OUTER = json.loads(RECORDED.body.decode("utf-8").split("\n\n", 1)[1])
REVIEWS = json.loads(OUTER[0][2])[0]
APP = "com.acme.cloud"
ACME = BrandConfig(name="Acme", keywords=("acme",))


class FakePlayStore:
    """batchexecute for one app: the newest `count` reviews the request asks for; other apps have none."""

    def __init__(self, reviews: list[Any]):
        self.reviews = copy.deepcopy(reviews)
        self.asked: list[dict[str, Any]] = []

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        assert url.path == "/_/PlayStoreUi/data/batchexecute", url.path
        form = parse_qs(request.body.decode("utf-8"))
        inner = json.loads(json.loads(form["f.req"][0])[0][0][1])
        package, count = inner[2][0], inner[1][2][0]
        self.asked.append({"package": package, "count": count, **dict(parse_qs(url.query))})
        newest = sorted(self.reviews, key=lambda review: -_seconds(review))[:count] if package == APP else None
        payload = None if newest is None else json.dumps([newest, [None, "next-page-token"]])
        outer = [["wrb.fr", "oCPfdb", payload, None, None, None, "generic"], ["di", 87]]
        return ScriptedResponse(
            200, {"Content-Type": "application/json; charset=utf-8"}, ")]}'\n\n" + json.dumps(outer)
        )

    def add(self, review_id: str, seconds: int, stars: int, text: str) -> None:
        review = copy.deepcopy(REVIEWS[1])
        review[0], review[5], review[2], review[4] = review_id, [seconds, 0], stars, text
        self.reviews.append(review)


def _seconds(review: Any) -> int:
    try:
        return int(review[5][0])
    except (IndexError, TypeError):
        return 0


def googleplay(server: RoutedHTTPServer, **settings: Any):
    plugin = COLLECTORS.get("googleplay")
    validated = plugin.settings_model.model_validate({"apps": {"Acme": [APP]}, "base_url": server.url, **settings})
    return plugin.build(SourceContext("play", validated, SystemClock()))


def test_the_recorded_reply_becomes_rated_mentions_and_bad_reviews_are_skipped(caplog) -> None:
    recorded = (RECORDED.status, dict(RECORDED.headers), RECORDED.body)
    with routed_http_server(lambda request: recorded) as server, caplog.at_level(logging.WARNING):
        result = googleplay(server).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == [
        "gp:AOqpTOHf3kX9_acme_1",
        "gp:AOqpTOHf3kX9_acme_2",
        "gp:AOqpTOHf3kX9_acme_3",
        "gp:AOqpTOHf3kX9_acme_6",
    ]
    first = by_id["gp:AOqpTOHf3kX9_acme_1"]
    assert first.text == "Dashboard loads forever on mobile data. Worked fine last month."
    assert (first.rating, first.author, first.likes, first.language, first.about_brand) == (
        2,
        "Priya Natarajan",
        5,
        "en",
        True,
    )
    assert first.created_at == utc(2026, 11, 9, 9, 0)
    assert first.url == "https://play.google.com/store/apps/details?id=com.acme.cloud&reviewId=gp%3AAOqpTOHf3kX9_acme_1"
    assert by_id["gp:AOqpTOHf3kX9_acme_2"].text == "Best way to keep an eye on my servers & the widgets are great"
    messages = [record.getMessage() for record in caplog.records]
    assert any("play: skipped malformed item gp:AOqpTOHf3kX9_acme_4: ValueError: rating None" in m for m in messages)
    assert any("play: skipped malformed item gp:AOqpTOHf3kX9_acme_5: ValueError: no review time" in m for m in messages)
    request = server.requests[0]
    assert request.method == "POST" and parse_qs(urlsplit(request.path).query) == {"hl": ["en"], "gl": ["us"]}
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_cursor_survives_restart_without_duplicates_or_gaps(store: Store) -> None:
    fake = FakePlayStore(REVIEWS)
    with routed_http_server(fake) as server:
        first = googleplay(server).fetch(ACME, None)
        assert store.store_batch("play", "Acme", first.mentions, first.cursor) == 4
        assert first.cursor == {"feeds": {f"{APP}/en/us": {"since": 1794214800, "seen": ["gp:AOqpTOHf3kX9_acme_1"]}}}
        fake.add("gp:same-second", 1794214800, 3, "Posted in the same second as the newest")
        fake.add("gp:later", 1794300000, 5, "Later and happier")
        second = googleplay(server).fetch(ACME, store.get_cursor("play", "Acme"))
        assert sorted(m.external_id for m in second.mentions) == ["gp:later", "gp:same-second"]
        assert store.store_batch("play", "Acme", second.mentions, second.cursor) == 2
        assert googleplay(server).fetch(ACME, store.get_cursor("play", "Acme")).mentions == []
    assert fake.asked[0] == {"package": APP, "count": 200, "hl": ["en"], "gl": ["us"]}


def test_a_backlog_larger_than_one_request_is_logged(caplog) -> None:
    fake = FakePlayStore(REVIEWS)
    with routed_http_server(fake) as server:
        collector = googleplay(server, max_reviews=2)
        cursor = collector.fetch(ACME, None).cursor
        fake.add("gp:new-1", 1794300000, 5, "one")
        fake.add("gp:new-2", 1794300001, 5, "two")
        fake.add("gp:new-3", 1794300002, 5, "three")
        with caplog.at_level(logging.WARNING):
            assert len(collector.fetch(ACME, cursor).mentions) == 2
    assert any("more than 2 new reviews of com.acme.cloud (en, us)" in r.getMessage() for r in caplog.records)


def test_each_language_and_country_is_asked_and_a_review_seen_twice_is_one_mention() -> None:
    fake = FakePlayStore(REVIEWS)
    with routed_http_server(fake) as server:
        result = googleplay(server, languages=["en", "DE"], countries=["us"]).fetch(ACME, None)
    assert [(asked["hl"], asked["gl"]) for asked in fake.asked] == [(["en"], ["us"]), (["de"], ["us"])]
    assert len(result.mentions) == 4 and sorted(result.cursor["feeds"]) == [f"{APP}/de/us", f"{APP}/en/us"]


def test_an_app_without_reviews_and_a_brand_without_apps_read_nothing() -> None:
    fake = FakePlayStore(REVIEWS)
    with routed_http_server(fake) as server:
        assert googleplay(server, apps={"Acme": ["com.acme.newapp"]}).fetch(ACME, None).mentions == []
        globex = BrandConfig(name="Globex", keywords=("globex",))
        assert googleplay(server).fetch(globex, None).mentions == []
        assert "no apps configured for Globex" in googleplay(server).check(globex)
        assert "6 recent en reviews of com.acme.cloud in US" in googleplay(server).check(ACME)
    assert len(fake.asked) == 2


@pytest.mark.parametrize(
    ("failure", "expected", "retry_after"),
    [
        (ScriptedResponse(503, {}, "<html>down</html>"), "server error HTTP 503", None),
        (ScriptedResponse(429, {"Retry-After": "120"}, ""), "rate limited", 120.0),
        (ScriptedResponse(200, {}, ')]}\'\n\n[["wrb.fr","oCPfdb","[[[\\"gp:x\\"'), "malformed reply", None),
        (ScriptedResponse(200, {}, "<html>a captcha page</html>"), "no \\)]}' framed reply", None),
        (
            ScriptedResponse(
                200, {}, ')]}\'\n\n[["er",null,null,null,null,429,"com.google.play.gateway.proto.PlayGatewayError"]]'
            ),
            "slow down",
            None,
        ),
        (ScriptedResponse(200, {}, b"[]", delay=1.5), "timed out", None),
    ],
    ids=["503", "429", "malformed", "not-framed", "throttled", "timeout"],
)
def test_failures_raise_source_unavailable_then_recover(
    failure: ScriptedResponse, expected: str, retry_after: Any
) -> None:
    with routed_http_server(FakePlayStore(REVIEWS)) as server:
        collector = googleplay(server, timeout=0.5)
        server.fail_next(failure)
        with pytest.raises(SourceUnavailable, match=f"^play: .*{expected}") as raised:
            collector.fetch(ACME, None)
        assert raised.value.retry_after == retry_after
        assert len(collector.fetch(ACME, None).mentions) == 4


def test_an_unknown_endpoint_is_a_configuration_error() -> None:
    with routed_http_server(FakePlayStore(REVIEWS)) as server:
        server.fail_next(ScriptedResponse(404, {}, "Not Found"))
        with pytest.raises(SourceMisconfigured, match="HTTP 404"):
            googleplay(server).fetch(ACME, None)


def test_the_package_import_leaves_tls_verification_on() -> None:
    """google_play_scraper's import replaces ssl's default context with an unverified one for the
    whole process; the collector puts it back."""
    with routed_http_server(FakePlayStore(REVIEWS)) as server:
        googleplay(server).fetch(ACME, None)
    assert ssl._create_default_https_context is ssl.create_default_context


def test_settings_name_what_is_wrong() -> None:
    model = COLLECTORS.get("googleplay").settings_model
    with pytest.raises(ValidationError, match="'acme cloud' is not a package name"):
        model.model_validate({"apps": {"Acme": ["acme cloud"]}})
    with pytest.raises(ValidationError, match="'english' is not a two- or three-letter code"):
        model.model_validate({"apps": {"Acme": [APP]}, "languages": ["english"]})


def test_without_the_package_the_config_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google_play_scraper", None)  # as if installed without [reviews]
    raw = {
        "brands": [{"name": "Acme", "keywords": ["acme"]}],
        "sources": [{"name": "play", "type": "googleplay", "apps": {"Acme": [APP]}}],
    }
    with pytest.raises(ConfigError) as error:
        parse_config(raw, "listener.toml")
    assert (
        "sources[0].type: source type 'googleplay' needs the 'google_play_scraper' package, which is not installed: "
        "pip install 'social-listener[reviews]'" in error.value.problems
    )
