"""App Store collector: the real httpx code against a loopback fake of Apple's customer-reviews feed.

appstore_reviews.json is a page in the feed's documented JSON shape (every value wrapped in
`{"label": ...}`, `updated` with an offset, stars as a string), with the app's own entry first as
older feeds have it, one review without a readable date and one with seven stars.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from listener.app.pipeline import Pipeline
from listener.config import BrandConfig
from listener.core.clock import ManualClock, SystemClock
from listener.core.records import Sentiment
from listener.sources import COLLECTORS, SourceContext
from listener.storage.repository import Store
from tests.collector_checks import assert_fails_unavailable_then_recovers
from tests.conftest import utc
from tests.servers import RecordedRequest, RoutedHTTPServer, ScriptedResponse, json_response, routed_http_server

FEED = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "http" / "appstore_reviews.json").read_text(encoding="utf-8")
)
APP = "1466522170"
ACME = BrandConfig(name="Acme", keywords=("acme",))
PAGE_PATH = re.compile(
    r"^/(?P<country>[a-z]{2})/rss/customerreviews/page=(?P<page>\d+)/id=(?P<app>\d+)/sortby=mostrecent/json$"
)


class FakeAppStore:
    """The feed of one app: its entries newest first, `per_page` a page; other apps have no reviews."""

    def __init__(self, entries: list[Any], per_page: int = 50, single_as_object: bool = False):
        self.entries = copy.deepcopy(entries)
        self.per_page = per_page
        self.single_as_object = single_as_object

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        match = PAGE_PATH.match(urlsplit(request.path).path)
        assert match, request.path
        page = int(match["page"])
        chunk = self.entries[(page - 1) * self.per_page : page * self.per_page] if match["app"] == APP else []
        feed = {key: value for key, value in FEED["feed"].items() if key != "entry"}
        if len(chunk) == 1 and self.single_as_object:
            feed["entry"] = chunk[0]
        elif chunk:
            feed["entry"] = chunk
        return json_response({"feed": feed})

    def add(self, review_id: str, updated: str, stars: int, title: str) -> None:
        entry = copy.deepcopy(FEED["feed"]["entry"][2])
        entry["id"]["label"], entry["updated"]["label"] = review_id, updated
        entry["im:rating"]["label"], entry["title"]["label"] = str(stars), title
        self.entries.insert(1, entry)


def appstore(server: RoutedHTTPServer, **settings: Any):
    plugin = COLLECTORS.get("appstore")
    validated = plugin.settings_model.model_validate({"apps": {"Acme": [APP]}, "base_url": server.url, **settings})
    return plugin.build(SourceContext("appstore", validated, SystemClock()))


def test_reviews_become_rated_mentions_of_the_brand_and_bad_ones_are_skipped(caplog) -> None:
    with routed_http_server(FakeAppStore(FEED["feed"]["entry"])) as server, caplog.at_level(logging.WARNING):
        result = appstore(server).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == ["11889000321", "11892210044", "11893377510", "11894021377"]
    first = by_id["11894021377"]
    assert first.text == (
        "Logs me out every day\nSince the last update the app forgets my session every morning & I have to do 2FA again. Please fix."
    )
    assert (first.rating, first.author, first.likes, first.about_brand) == (1, "dana_k", 3, True)
    assert first.created_at == utc(2026, 11, 3, 16, 41, 12)
    assert first.url == f"https://apps.apple.com/us/app/id{APP}?see-all=reviews"
    assert by_id["11892210044"].text.endswith("<b>Let me mute by service.</b>")  # plain text, as written
    assert by_id["11889000321"].likes == 0  # a negative vote sum is no like count
    skipped = [record.getMessage() for record in caplog.records]
    assert any("appstore: skipped malformed item 11891100087: ValueError: no update time" in line for line in skipped)
    assert any(
        "skipped malformed item 11890055123: ValueError: rating 7 is not 1 to 5 stars" in line for line in skipped
    )
    assert server.requests[0].path == f"/us/rss/customerreviews/page=1/id={APP}/sortby=mostrecent/json"


def test_cursor_survives_restart_and_reads_only_newer_pages(store: Store) -> None:
    fake = FakeAppStore(FEED["feed"]["entry"], per_page=2)
    with routed_http_server(fake) as server:
        first = appstore(server).fetch(ACME, None)
        assert store.store_batch("appstore", "Acme", first.mentions, first.cursor) == 4
        assert first.cursor == {"feeds": {f"{APP}/us": {"since": "2026-11-03T16:41:12+00:00", "seen": ["11894021377"]}}}
        fake.add("11895000001", "2026-11-03T09:41:12-07:00", 2, "Same second, another review")
        fake.add("11895000002", "2026-11-04T08:00:00-07:00", 3, "Later review")
        asked_before = len(server.requests)
        second = appstore(server).fetch(ACME, store.get_cursor("appstore", "Acme"))
        assert sorted(m.external_id for m in second.mentions) == ["11895000001", "11895000002"]
        assert len(server.requests) - asked_before == 3  # page 3 reaches back past the cursor; pages 4-5 are not read
        assert store.store_batch("appstore", "Acme", second.mentions, second.cursor) == 2
        assert appstore(server).fetch(ACME, store.get_cursor("appstore", "Acme")).mentions == []


def test_an_edited_review_is_stored_again_with_its_new_stars(store: Store) -> None:
    fake = FakeAppStore(FEED["feed"]["entry"])
    with routed_http_server(fake) as server:
        first = appstore(server).fetch(ACME, None)
        store.store_batch("appstore", "Acme", first.mentions, first.cursor)
        fake.add("11889000321", "2026-11-05T10:00:00-07:00", 4, "Support sorted the double charge")
        second = appstore(server).fetch(ACME, store.get_cursor("appstore", "Acme"))
        assert [(m.external_id, m.rating) for m in second.mentions] == [("11889000321", 4)]
        assert store.store_batch("appstore", "Acme", second.mentions, second.cursor) == 0
    ratings = {m.external_id: m.rating for m in store.mentions_by_id([i for i, _ in store.unscored(100)])}
    assert ratings["11889000321"] == 4


def test_a_single_review_comes_as_an_object_and_no_reviews_as_no_entry() -> None:
    with routed_http_server(FakeAppStore([])) as server:
        assert appstore(server).fetch(ACME, None).mentions == []
    with routed_http_server(FakeAppStore(FEED["feed"]["entry"][:1], single_as_object=True)) as server:
        assert appstore(server).fetch(ACME, None).mentions == []  # the app's own entry alone
    with routed_http_server(FakeAppStore(FEED["feed"]["entry"][1:2], single_as_object=True)) as server:
        [mention] = appstore(server).fetch(ACME, None).mentions
        assert mention.rating == 1
        assert "app 1466522170" in appstore(server).check(ACME)


def test_every_country_of_every_app_is_read_and_other_brands_read_nothing() -> None:
    with routed_http_server(FakeAppStore(FEED["feed"]["entry"])) as server:
        collector = appstore(server, apps={"Acme": [APP, "999"]}, countries=["US", "gb"])
        result = collector.fetch(ACME, None)
        assert sorted(result.cursor["feeds"]) == [f"{APP}/gb", f"{APP}/us"]  # app 999 has no reviews yet
        assert {request.path.split("/")[1] for request in server.requests} == {"us", "gb"}
        asked = len(server.requests)
        assert collector.fetch(BrandConfig(name="Globex", keywords=("globex",)), None).mentions == []
        assert len(server.requests) == asked
        assert "no apps configured for Globex" in collector.check(BrandConfig(name="Globex", keywords=("globex",)))


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [
        (ScriptedResponse(503, {}, "<html>down</html>"), None),
        (ScriptedResponse(429, {"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"}, ""), "future"),
        (ScriptedResponse(200, {"Content-Type": "application/json"}, '{"feed": {"entry": ['), None),
        (ScriptedResponse(200, {"Content-Type": "application/json"}, '{"errors": ["not found"]}'), None),
    ],
    ids=["503", "429", "malformed", "not-a-feed"],
)
def test_failures_raise_source_unavailable_then_recover(failure: ScriptedResponse, retry_after: Any) -> None:
    with routed_http_server(FakeAppStore(FEED["feed"]["entry"])) as server:
        collector = appstore(server)
        assert_fails_unavailable_then_recovers(server, collector, ACME, failure, retry_after, "appstore", mentions=4)


def test_settings_name_what_is_wrong() -> None:
    model = COLLECTORS.get("appstore").settings_model
    with pytest.raises(ValidationError, match="app id 'acme-cloud' is not the number"):
        model.model_validate({"apps": {"Acme": ["acme-cloud"]}})
    with pytest.raises(ValidationError, match="'usa' is not a two-letter country code"):
        model.model_validate({"apps": {"Acme": ["1"]}, "countries": ["usa"]})


class Positive:
    version = "positive-test"

    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment("positive", 0.9, 0.9) for _ in texts]


def test_reviews_that_never_name_the_brand_are_stored_for_it_with_their_stars(make_config, database_url: str) -> None:
    """The pipeline matches every mention against the brand's query; a review of the brand's own
    app is the brand's without naming it ("Logs me out every day")."""
    with routed_http_server(FakeAppStore(FEED["feed"]["entry"])) as server:
        config = make_config(
            storage={"url": database_url},
            sources=[{"name": "ios", "type": "appstore", "apps": {"Acme": [APP]}, "base_url": server.url}],
        )
        pipeline = Pipeline(config, clock=ManualClock(utc(2026, 11, 6)), classifier=Positive(), notifiers={})
        assert pipeline.collect("ios") == {"Acme": 4, "Globex": 0}
    stored = pipeline.store.mentions_by_id([row_id for row_id, _ in pipeline.store.unscored(100)])
    assert sorted(m.rating for m in stored) == [1, 2, 4, 5]
    assert {m.source for m in stored} == {"ios"}
