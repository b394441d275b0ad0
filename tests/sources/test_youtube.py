"""YouTube collector: the real httpx code against a loopback fake of the YouTube Data API v3.

There is no internet here, so youtube.json is not a recording: it is built in the documented
shapes of `search.list` (https://developers.google.com/youtube/v3/docs/search/list, a
`youtube#searchListResponse` whose titles and descriptions come HTML-escaped) and
`commentThreads.list` (https://developers.google.com/youtube/v3/docs/commentThreads/list,
`youtube#commentThreadListResponse`, with `textFormat=plainText`). Errors follow the API's
documented error body, `{"error": {"code", "message", "errors": [{"domain", "reason", ...}]}}`.
One search result lacks its date and one comment its date; a video that matched the search does
not name the brand, nor do some comments.
"""

from __future__ import annotations

import copy
import json
import logging
import random
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from listener.app.pipeline import Pipeline
from listener.app.scheduler import Scheduler
from listener.config import BrandConfig
from listener.core.clock import ManualClock
from listener.sources import (
    COLLECTORS,
    SourceContext,
    SourceMisconfigured,
    SourceUnavailable,
)
from listener.storage.repository import Store
from tests.conftest import utc
from tests.servers import (
    RecordedRequest,
    RoutedHTTPServer,
    ScriptedResponse,
    json_response,
    routed_http_server,
)

FIXTURE = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "youtube.json").read_text(encoding="utf-8"))
ACME = BrandConfig(name="Acme", keywords=("acme",))
KEY = "yt-test-key"
NOW = utc(2026, 11, 2, 12, 0)


def api_error(status: int, reason: str, message: str = "refused", domain: str = "youtube.quota") -> ScriptedResponse:
    return json_response(
        {"error": {"code": status, "message": message, "errors": [{"message": message, "domain": domain, "reason": reason}]}},
        status=status,
    )


class FakeYouTube:
    """search (publishedAfter inclusive, newest first, maxResults), commentThreads (newest first,
    paged by maxResults with numeric page tokens) and videos, all behind the API key."""

    def __init__(self) -> None:
        self.videos: list[dict[str, Any]] = copy.deepcopy(FIXTURE["search"]["items"])
        self.threads: dict[str, list[dict[str, Any]]] = {
            video_id: copy.deepcopy(reply["items"]) for video_id, reply in FIXTURE["commentThreads"].items()
        }
        self.comments_disabled: set[str] = set()

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        params = dict(parse_qsl(url.query))
        if params.get("key") != KEY:
            return api_error(400, "keyInvalid", "API key not valid. Please pass a valid API key.", "usageLimits")
        method = url.path.rsplit("/", 1)[-1]
        if method == "search":
            return self._search(params)
        if method == "commentThreads":
            return self._comment_threads(params)
        if method == "videos":
            return json_response({"kind": "youtube#videoListResponse", "items": [{"kind": "youtube#video", "id": "popular1"}]})
        return api_error(404, "notFound", domain="global")

    def _search(self, params: dict[str, str]) -> ScriptedResponse:
        after = params["publishedAfter"]
        found = [video for video in self.videos if video["snippet"].get("publishedAt", "9999") >= after]
        found.sort(key=lambda video: video["snippet"].get("publishedAt", ""), reverse=True)
        size = int(params.get("maxResults", 5))
        reply = {**FIXTURE["search"], "items": found[:size], "pageInfo": {"totalResults": len(found), "resultsPerPage": size}}
        if len(found) > size:
            reply["nextPageToken"] = "CAoQAA"
        return json_response(reply)

    def _comment_threads(self, params: dict[str, str]) -> ScriptedResponse:
        video_id = params["videoId"]
        if video_id in self.comments_disabled:
            return api_error(403, "commentsDisabled", "The video has disabled comments.", "youtube.commentThread")
        if video_id not in self.threads:
            return api_error(404, "videoNotFound", "The video could not be found.", "youtube.commentThread")
        threads = sorted(self.threads[video_id], key=_thread_time, reverse=True)
        size, start = int(params.get("maxResults", 20)), int(params.get("pageToken", 0))
        reply = {**FIXTURE["commentThreads"]["aCm3Vid0001"], "items": threads[start:start + size]}
        if start + size < len(threads):
            reply["nextPageToken"] = str(start + size)
        return json_response(reply)

    def add_comment(self, video_id: str, comment_id: str, text: str, published: str) -> None:
        thread = copy.deepcopy(FIXTURE["commentThreads"]["aCm3Vid0001"]["items"][0])
        thread["id"] = thread["snippet"]["topLevelComment"]["id"] = comment_id
        snippet = thread["snippet"]["topLevelComment"]["snippet"]
        snippet.update(videoId=video_id, textDisplay=text, textOriginal=text, publishedAt=published, updatedAt=published)
        self.threads.setdefault(video_id, []).append(thread)


def _thread_time(thread: dict[str, Any]) -> str:
    # A comment without a date sits where YouTube put it: among its neighbours, here just after 10:10.
    return thread["snippet"]["topLevelComment"]["snippet"].get("publishedAt", "2026-11-02T10:10:00Z")


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUTUBE_API_KEY", KEY)


def youtube(server: RoutedHTTPServer, clock: ManualClock | None = None, **settings: Any):
    plugin = COLLECTORS.get("youtube")
    validated = plugin.settings_model.model_validate({"base_url": server.url + "/youtube/v3", **settings})
    return plugin.build(SourceContext("yt", validated, clock or ManualClock(NOW)))


def requests_to(server: RoutedHTTPServer, method: str) -> list[dict[str, str]]:
    return [
        dict(parse_qsl(urlsplit(request.path).query)) for request in server.requests
        if urlsplit(request.path).path.endswith("/" + method)
    ]


@pytest.mark.usefixtures("api_key")
def test_matching_videos_and_comments_become_mentions_with_their_links(caplog) -> None:
    with routed_http_server(FakeYouTube()) as server, caplog.at_level(logging.WARNING):
        result = youtube(server).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    # aCm3Vid0002 matched the search but its title does not name Acme; its comment UgyBBBB0002 does.
    assert sorted(by_id) == ["UgxAAAA0001", "UgxAAAA0004", "UgyBBBB0002", "aCm3Vid0001"]

    video = by_id["aCm3Vid0001"]
    assert video.text == (
        'Acme Rocket Skates review & teardown: "worth it?"\n'
        "I bought the Acme skates so you don't have to. Full review <no sponsor>."
    )
    assert (video.url, video.author, video.created_at) == ("https://www.youtube.com/watch?v=aCm3Vid0001", "Gear & Gadgets", utc(2026, 11, 2, 9))

    comment = by_id["UgxAAAA0001"]
    assert comment.text == "The acme skates broke after one day.\nNever again."
    assert comment.url == "https://www.youtube.com/watch?v=aCm3Vid0001&lc=UgxAAAA0001"
    assert (comment.author, comment.created_at, comment.likes, comment.replies) == ("@wile_e", utc(2026, 11, 2, 10, 30), 42, 3)
    assert by_id["UgxAAAA0004"].text == "ACME support never answered <script>alert(1)</script>"  # plain text, kept as written
    assert by_id["UgyBBBB0002"].url == "https://www.youtube.com/watch?v=aCm3Vid0002&lc=UgyBBBB0002"

    warnings = [record.getMessage() for record in caplog.records]
    assert any("yt: skipped malformed item aCm3Vid0003" in message for message in warnings)
    assert any("yt: skipped malformed item UgxAAAA0003" in message for message in warnings)

    (search,) = requests_to(server, "search")
    assert (search["part"], search["type"], search["order"], search["q"]) == ("snippet", "video", "date", "acme")
    assert (search["publishedAfter"], search["maxResults"]) == ("2026-10-30T12:00:00Z", "10")
    threads = requests_to(server, "commentThreads")
    assert sorted(query["videoId"] for query in threads) == ["aCm3Vid0001", "aCm3Vid0002"]
    assert all((q["order"], q["textFormat"], q["part"]) == ("time", "plainText", "snippet") for q in threads)


@pytest.mark.usefixtures("api_key")
def test_cursor_resumes_after_restart_without_duplicates_or_gaps(store: Store) -> None:
    fake = FakeYouTube()
    clock = ManualClock(NOW)
    with routed_http_server(fake) as server:
        first = youtube(server, clock).fetch(ACME, None)
        assert store.store_batch("yt", "Acme", first.mentions, first.cursor) == 4
        cursor = store.get_cursor("yt", "Acme")
        assert cursor["videos"]["aCm3Vid0001"]["since"] == int(utc(2026, 11, 2, 10, 30).timestamp())
        assert "aCm3Vid0003" not in cursor["videos"]

        clock.advance(timedelta(minutes=30))
        fake.add_comment("aCm3Vid0001", "UgxAAAA0010", "acme in the same second as the newest", "2026-11-02T10:30:00Z")
        fake.add_comment("aCm3Vid0002", "UgyBBBB0010", "later acme comment", "2026-11-02T12:10:00Z")
        fake.add_comment("aCm3Vid0002", "UgyBBBB0011", "later, no brand", "2026-11-02T12:11:00Z")
        new_video = {**copy.deepcopy(fake.videos[0]), "id": {"kind": "youtube#video", "videoId": "aCm3Vid0020"}}
        new_video["snippet"].update(publishedAt="2026-11-02T12:05:00Z", title="Acme unboxing")
        fake.videos.append(new_video)
        fake.add_comment("aCm3Vid0020", "UgzCCCC0001", "first! acme forever", "2026-11-02T12:20:00Z")

        second = youtube(server, clock).fetch(ACME, store.get_cursor("yt", "Acme"))
        assert sorted(m.external_id for m in second.mentions) == ["UgxAAAA0010", "UgyBBBB0010", "UgzCCCC0001", "aCm3Vid0020"]
        assert requests_to(server, "search")[-1]["publishedAfter"] == "2026-11-02T08:00:00Z"  # the newest video, less an hour
        assert store.store_batch("yt", "Acme", second.mentions, second.cursor) == 4
        assert youtube(server, clock).fetch(ACME, store.get_cursor("yt", "Acme")).mentions == []


@pytest.mark.usefixtures("api_key")
def test_comments_are_read_in_pages_down_to_the_cursor_only(store: Store) -> None:
    fake = FakeYouTube()
    for minute in range(5):
        fake.add_comment("aCm3Vid0001", f"UgxPAGE{minute:04d}", f"acme page {minute}", f"2026-11-02T11:{minute:02d}:00Z")
    with routed_http_server(fake) as server:
        first = youtube(server, max_comments_per_video=2).fetch(ACME, None)
        assert [m.external_id for m in first.mentions if m.external_id.startswith("UgxPAGE")] == ["UgxPAGE0004", "UgxPAGE0003"]
        fake.add_comment("aCm3Vid0001", "UgxPAGE0010", "acme newest", "2026-11-02T11:59:00Z")
        server.requests.clear()
        second = youtube(server, max_comments_per_video=2).fetch(ACME, first.cursor)
    assert [m.external_id for m in second.mentions] == ["UgxPAGE0010"]
    assert [q.get("pageToken") for q in requests_to(server, "commentThreads") if q["videoId"] == "aCm3Vid0001"] == [None]


@pytest.mark.usefixtures("api_key")
def test_videos_past_the_lookback_are_no_longer_read() -> None:
    clock = ManualClock(NOW)
    with routed_http_server(FakeYouTube()) as server:
        first = youtube(server, clock).fetch(ACME, None)
        clock.advance(timedelta(days=3, hours=-5))  # Nov 5, 07:00: aCm3Vid0002 (Nov 1, 20:00) is over 3 days old, aCm3Vid0001 (Nov 2, 09:00) not
        server.requests.clear()
        second = youtube(server, clock).fetch(ACME, first.cursor)
    assert list(second.cursor["videos"]) == ["aCm3Vid0001"]
    assert [q["videoId"] for q in requests_to(server, "commentThreads")] == ["aCm3Vid0001"]


@pytest.mark.usefixtures("api_key")
def test_quota_exceeded_waits_until_pacific_midnight_not_a_configuration_error() -> None:
    quota = api_error(403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota.")
    with routed_http_server(FakeYouTube()) as server:
        collector = youtube(server)
        server.fail_next(quota)
        with pytest.raises(SourceUnavailable, match="^yt: .*quotaExceeded.*midnight Pacific time") as raised:
            collector.fetch(ACME, None)
        # 12:00 UTC on Nov 2 2026 is 04:00 PST; the quota resets at 08:00 UTC on Nov 3.
        assert raised.value.retry_after == 20 * 3600
        assert len(collector.fetch(ACME, None).mentions) == 4


@pytest.mark.usefixtures("api_key")
@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [
        (ScriptedResponse(429, {"Retry-After": "90"}, ""), 90.0),
        (api_error(403, "rateLimitExceeded", domain="usageLimits"), None),
        (ScriptedResponse(503, {}, "<html>down</html>"), None),
        (ScriptedResponse(200, {"Content-Type": "application/json"}, '{"items": ['), None),
    ],
    ids=["429", "rateLimitExceeded", "503", "malformed"],
)
def test_rate_limits_and_server_errors_back_off_and_the_next_poll_recovers(failure: ScriptedResponse, retry_after: float | None) -> None:
    with routed_http_server(FakeYouTube()) as server:
        collector = youtube(server)
        server.fail_next(failure)
        with pytest.raises(SourceUnavailable, match="^yt: ") as raised:
            collector.fetch(ACME, None)
        assert raised.value.retry_after == retry_after
        assert KEY not in str(raised.value)
        assert len(collector.fetch(ACME, None).mentions) == 4


@pytest.mark.usefixtures("api_key")
@pytest.mark.parametrize("gone", ["comments disabled", "deleted"])
def test_a_video_whose_comments_cannot_be_read_is_skipped_quietly(gone: str, caplog) -> None:
    fake = FakeYouTube()
    if gone == "deleted":
        del fake.threads["aCm3Vid0002"]
    else:
        fake.comments_disabled.add("aCm3Vid0002")
    with routed_http_server(fake) as server, caplog.at_level(logging.WARNING):
        result = youtube(server).fetch(ACME, None)
    assert sorted(m.external_id for m in result.mentions) == ["UgxAAAA0001", "UgxAAAA0004", "aCm3Vid0001"]
    assert "aCm3Vid0002" not in result.cursor["videos"]
    assert not [r for r in caplog.records if "aCm3Vid0002" in r.getMessage()]


@pytest.mark.parametrize("reason", ["keyInvalid", "badRequest"])
def test_a_rejected_key_is_a_configuration_error(reason: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUTUBE_API_KEY", "wrong-key")
    with routed_http_server(FakeYouTube()) as server:
        server.fail_next(api_error(400, reason, "API key not valid. Please pass a valid API key.", "usageLimits"))
        with pytest.raises(SourceMisconfigured, match=f"{reason}.*YOUTUBE_API_KEY") as raised:
            youtube(server).fetch(ACME, None)
    assert "wrong-key" not in str(raised.value)


def test_a_missing_api_key_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YOUTUBE_API_KEY", raising=False)
    missing = r"yt: api_key: environment variable YOUTUBE_API_KEY is not set"
    with routed_http_server(FakeYouTube()) as server, pytest.raises(SourceMisconfigured, match=missing):
        youtube(server).fetch(ACME, None)
    assert server.requests == []


def test_the_key_must_be_an_environment_reference() -> None:
    with pytest.raises(ValueError, match="environment variable reference"):
        COLLECTORS.get("youtube").settings_model.model_validate({"api_key": "AIzaSyLiteralKey"})


@pytest.mark.usefixtures("api_key")
def test_all_terms_go_into_one_search_with_region_and_language() -> None:
    brand = BrandConfig(name="Acme", keywords=("acme", "acmecloud"), phrases=("acme cloud",))
    with routed_http_server(FakeYouTube()) as server:
        youtube(server, region_code="DE", relevance_language="de").fetch(brand, None)
    (search,) = requests_to(server, "search")
    assert search["q"] == 'acme|acmecloud|"acme cloud"'
    assert (search["regionCode"], search["relevanceLanguage"]) == ("DE", "de")


@pytest.mark.usefixtures("api_key")
def test_check_proves_the_key_without_spending_a_search() -> None:
    with routed_http_server(FakeYouTube()) as server:
        verdict = youtube(server).check(ACME)
    assert verdict.startswith("YouTube Data API key accepted")
    assert [urlsplit(r.path).path for r in server.requests] == ["/youtube/v3/videos"]


@pytest.mark.usefixtures("api_key")
def test_in_the_daemon_a_used_up_quota_pauses_the_source_and_the_next_poll_stores_everything(make_config, database_url: str) -> None:
    with routed_http_server(FakeYouTube()) as server:
        config = make_config(
            storage={"url": database_url},
            sources=[{"name": "yt", "type": "youtube", "base_url": server.url + "/youtube/v3", "interval": "1h"}],
        )
        pipeline = Pipeline(config, clock=ManualClock(NOW), notifiers={})
        monotonic_now = 500.0  # frozen: the backoff is exact however slow the machine
        scheduler = Scheduler(pipeline, rng=random.Random(1), monotonic=lambda: monotonic_now)
        server.fail_next(api_error(403, "quotaExceeded", "You have exceeded your quota."))
        scheduler.run_source("yt")
        assert scheduler.health["yt"].resume_at == monotonic_now + 20 * 3600
        assert pipeline.store.count_mentions() == 0

        scheduler.health["yt"].resume_at = 0.0  # midnight Pacific has come
        scheduler.run_source("yt")
        assert scheduler.health["yt"].failures == 0
        assert pipeline.store.count_mentions() == 4
        scheduler.run_source("yt")
        assert pipeline.store.count_mentions() == 4
        pipeline.store.engine.dispose()
