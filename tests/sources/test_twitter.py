"""The X collector, driven through tweepy's real client with recorded API v2 responses."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest

from listener.core.clock import ManualClock
from listener.config import BrandConfig
from listener.sources.matching import mentions_brand
from listener.app.pipeline import Pipeline
from listener.sources.x_query import compile_for_x
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured, SourceUnavailable
from listener.sources.twitter import TwitterCollector
from tests.conftest import utc
from tests.recorded_http import Recording, load_fixture, replay_session

ACME = BrandConfig(name="Acme", keywords=("acme",))
NOW = utc(2026, 11, 23, 10, 30)
TOKEN = "test-bearer-token-s3cr3t"
PAGE_ONE_NEWEST = "2124806410859446272"


@pytest.fixture(autouse=True)
def bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)


def collector(recordings: list[Recording], clock: ManualClock | None = None, **settings):
    session, adapter = replay_session(recordings)
    twitter = COLLECTORS.get("twitter")
    context = SourceContext("x", twitter.settings_model.model_validate(settings), clock or ManualClock(NOW))
    return TwitterCollector(context, session=session), adapter


def test_pages_become_mentions_with_author_reach_metrics_and_links(caplog: pytest.LogCaptureFixture) -> None:
    x, adapter = collector(load_fixture("twitter", "search_two_pages.json"))
    with caplog.at_level(logging.WARNING):
        result = x.fetch(ACME, None)
    assert [m.author for m in result.mentions] == ["kim_dev", "acme_fan", "acme_fan", "kim_dev"]
    first = result.mentions[0]
    assert first.external_id == PAGE_ONE_NEWEST
    assert first.text.endswith("everything 502s 😤")
    assert first.created_at == utc(2026, 11, 23, 10, 5)
    assert (first.author_reach, first.likes, first.shares, first.replies) == (1264, 14, 4, 5)
    assert first.url == f"https://x.com/kim_dev/status/{PAGE_ONE_NEWEST}"
    assert first.language == "en"
    assert result.mentions[2].text == "مشكلة في خدمة acme اليوم" and result.mentions[2].language == "ar"
    assert result.mentions[3].language is None  # X's "und"
    assert "skipped malformed item not-a-number" in caplog.text
    assert result.cursor == {"since_id": PAGE_ONE_NEWEST, "query": "acme -is:retweet"}

    first_request, second_request = adapter.requested("/2/tweets/search/recent")
    assert first_request["query"] == "acme -is:retweet"
    assert first_request["start_time"] == "2026-11-23T09:30:00Z"  # backfill = 1h on the first poll
    assert first_request["expansions"] == "author_id"
    assert "public_metrics" in first_request["tweet.fields"] and "created_at" in first_request["tweet.fields"]
    assert first_request["user.fields"] == "username,public_metrics"
    assert second_request["next_token"] == "b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul"
    assert adapter.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_page_limit_saves_the_page_token_and_the_next_poll_finishes_without_loss() -> None:
    x, adapter = collector(load_fixture("twitter", "search_two_pages.json"), max_pages=1)
    first = x.fetch(ACME, None)
    assert len(first.mentions) == 2
    assert first.cursor["next_token"] and first.cursor["pending_newest_id"] == PAGE_ONE_NEWEST
    assert first.cursor["since_id"] is None  # the floor does not move until the older page is read
    second = x.fetch(ACME, first.cursor)
    assert len(second.mentions) == 2
    assert second.cursor == {"since_id": PAGE_ONE_NEWEST, "query": "acme -is:retweet"}
    assert adapter.requested("/recent")[1]["start_time"] == adapter.requested("/recent")[0]["start_time"]


def test_cursor_resume_stores_only_new_tweets(make_config, database_url: str) -> None:
    config = make_config(
        storage={"url": database_url}, brands=[{"name": "Acme", "keywords": ["acme"]}], sources=[{"name": "x", "type": "twitter"}]
    )
    pipeline = Pipeline(config, clock=ManualClock(NOW), notifiers={})
    recordings = load_fixture("twitter", "search_two_pages.json") + load_fixture("twitter", "search_newer.json")
    pipeline.collectors["x"], adapter = collector(recordings)

    assert pipeline.collect("x") == {"Acme": 4}
    assert pipeline.collect("x") == {"Acme": 1}
    assert pipeline.collect("x") == {"Acme": 0}
    assert [request.get("since_id") for request in adapter.requested("/recent")] == [
        None, None, PAGE_ONE_NEWEST, "2124810185733046272",
    ]
    assert pipeline.store.count_mentions() == 5


def test_rate_limit_backs_off_until_the_reset_time_without_blocking() -> None:
    recordings = load_fixture("twitter", "rate_limited.json")
    reset = int(time.time()) + 120
    recordings[0].headers = [(k, str(reset) if v == "<RESET>" else v) for k, v in recordings[0].headers]
    x, _ = collector(recordings)
    started = time.monotonic()
    with pytest.raises(SourceUnavailable) as raised:
        x.fetch(ACME, None)
    assert time.monotonic() - started < 60  # tweepy's wait_on_rate_limit would have slept 2 minutes
    assert raised.value.retry_after is not None and 100 < raised.value.retry_after <= 121
    assert "429" in str(raised.value)


def test_rate_limit_midway_keeps_the_pages_read_and_resumes_from_the_page_token() -> None:
    page_one = load_fixture("twitter", "search_two_pages.json")[:1]
    x, _ = collector(page_one + load_fixture("twitter", "rate_limited.json"))
    result = x.fetch(ACME, None)
    assert len(result.mentions) == 2
    assert result.cursor["next_token"] == "b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul"
    assert result.cursor["since_id"] is None


@pytest.mark.parametrize("fixture, expected", [("unauthorized.json", "401 Unauthorized"), ("forbidden.json", "403 Forbidden")])
def test_rejected_credentials_are_misconfiguration_naming_the_variable(fixture: str, expected: str) -> None:
    x, _ = collector(load_fixture("twitter", fixture))
    with pytest.raises(SourceMisconfigured) as raised:
        x.fetch(ACME, None)
    assert expected in str(raised.value) and "X_BEARER_TOKEN" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_malformed_json_is_a_transient_failure_that_keeps_the_cursor() -> None:
    x, _ = collector(load_fixture("twitter", "malformed_json.json"))
    with pytest.raises(SourceUnavailable, match="X request failed"):
        x.fetch(ACME, {"since_id": PAGE_ONE_NEWEST, "query": "acme -is:retweet"})


def test_since_id_older_than_recent_search_falls_back_to_the_last_seven_days() -> None:
    x, adapter = collector(load_fixture("twitter", "since_id_too_old.json"))
    result = x.fetch(ACME, {"since_id": "1578516068309794817", "query": "acme -is:retweet"})
    assert [m.text for m in result.mentions] == ["@acme cloud is back, thanks team"]
    assert adapter.requested("/recent")[1]["start_time"] == "2026-11-16T10:35:00Z"
    assert result.cursor["since_id"] == "2124810185733046272"


def test_a_query_x_rejects_is_misconfiguration() -> None:
    x, _ = collector(load_fixture("twitter", "invalid_query.json"))
    with pytest.raises(SourceMisconfigured, match="missing '\\)'"):
        x.fetch(ACME, None)


def test_unset_token_is_a_clear_misconfiguration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("X_BEARER_TOKEN")
    x, adapter = collector([])
    with pytest.raises(SourceMisconfigured, match="environment variable X_BEARER_TOKEN is not set"):
        x.fetch(ACME, None)
    assert adapter.requests == []


def test_prefix_wildcards_cannot_be_searched_on_x() -> None:
    x, _ = collector([])
    with pytest.raises(SourceMisconfigured, match="X has no '\\*' wildcard"):
        x.fetch(BrandConfig(name="Acme", query="acme*"), None)


def test_brand_query_is_sent_compiled_to_x_syntax() -> None:
    brand = BrandConfig(name="Acme", query='"acme cloud" OR (acme -anvil) lang:en', languages=())
    x, adapter = collector(load_fixture("twitter", "search_two_pages.json")[:1], include_retweets=True, max_pages=1)
    x.fetch(brand, None)
    assert adapter.requested("/recent")[0]["query"] == compile_for_x(brand.query_ast) == '"acme cloud" OR ((acme -anvil) lang:en)'


def test_the_bearer_token_never_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    x, _ = collector(load_fixture("twitter", "search_two_pages.json"))
    with caplog.at_level(logging.DEBUG):
        x.fetch(ACME, None)
    assert TOKEN not in caplog.text


def test_check_makes_one_small_search_and_reports_the_count() -> None:
    x, adapter = collector(load_fixture("twitter", "search_two_pages.json")[:1])
    verdict = x.check(ACME)
    assert verdict.startswith("authenticated; 2 tweets")
    assert adapter.requested("/recent")[0]["max_results"] == "10"


def test_clock_in_the_past_does_not_start_before_recent_search_reaches() -> None:
    x, adapter = collector(load_fixture("twitter", "search_two_pages.json")[:1], backfill="30d", max_pages=1)
    x.fetch(ACME, None)
    assert adapter.requested("/recent")[0]["start_time"] == (NOW - timedelta(days=7) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_used_up_rate_limit_stops_paging_before_a_429_and_saves_the_page_token() -> None:
    x, adapter = collector(load_fixture("twitter", "search_rate_limit_used_up.json"))
    result = x.fetch(ACME, None)
    assert len(result.mentions) == 2 and len(adapter.requests) == 1
    assert result.cursor["next_token"] == "b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul"


# -- text as its author wrote it ------------------------------------------------------------
# search_escaped_text_and_retweet.json is built in X's documented v2 shape (no recording of these
# fields is in tweepy's cassettes): X HTML-escapes `&`, `<` and `>` in `text`, tags Indonesian with
# the legacy code `in`, and sends a retweet's own text cut to 140 characters, with the original
# in `includes.tweets` when `referenced_tweets.id` is expanded. The first tweet's id is the one
# the recorded replay missed for "libra & capricorn".


def escaped_page(**settings):
    return collector(load_fixture("twitter", "search_escaped_text_and_retweet.json"), clock=ManualClock(utc(2022, 1, 18, 12)), **settings)


def test_tweet_text_is_html_unescaped_so_brands_with_ampersands_match() -> None:
    x, _ = escaped_page()
    by_id = {m.external_id: m for m in x.fetch(ACME, None).mentions}
    assert by_id["1483436734373322752"].text == "libra & capricorn are the most underrated pairing, fight me"
    assert by_id["1483436800000000000"].text == "AT&T support > every other carrier I have tried <3"
    assert mentions_brand(BrandConfig(name="Zodiac", keywords=("libra & capricorn",)), by_id["1483436734373322752"].text)
    assert mentions_brand(BrandConfig(name="AT&T", keywords=("at&t",)), by_id["1483436800000000000"].text)


def test_legacy_language_code_in_is_stored_as_iso_id() -> None:
    x, _ = escaped_page()
    by_id = {m.external_id: m for m in x.fetch(ACME, None).mentions}
    assert by_id["1483436900000000000"].language == "id"
    assert by_id["1483436900000000000"].text == "Promo H&M hari ini diskon 50% untuk semua jaket"


def test_retweets_are_stored_with_the_full_text_of_the_original() -> None:
    x, adapter = escaped_page(include_retweets=True)
    retweet = {m.external_id: m for m in x.fetch(ACME, None).mentions}["1483437000000000000"]
    assert retweet.text.startswith("RT @carrier_watch: Thread on switching carriers")
    assert retweet.text.endswith("how badly AT&T handled my number transfer >:(")
    assert "…" not in retweet.text
    assert adapter.requested("/recent")[0]["expansions"] == "author_id,referenced_tweets.id"


# -- reply relationships (response time) -------------------------------------------------------

ACME_WITH_SUPPORT = BrandConfig(name="Acme", keywords=("acme",), own_accounts={"x": ["acme_support"]})


def test_replies_keep_their_conversation_and_parent_and_own_replies_are_searched() -> None:
    x, adapter = collector(load_fixture("twitter", "search_conversation.json"))
    reply, customer = x.fetch(ACME_WITH_SUPPORT, None).mentions
    assert (customer.author, customer.in_reply_to, customer.conversation_id) == ("kim_dev", None, "2124900000000000001")
    assert (reply.author, reply.in_reply_to, reply.conversation_id) == (
        "acme_support", "2124900000000000001", "2124900000000000001",
    )
    [request] = adapter.requested("/2/tweets/search/recent")
    assert request["query"] == "(acme -is:retweet) OR (from:acme_support is:reply)"
    assert "conversation_id" in request["tweet.fields"] and "referenced_tweets" in request["tweet.fields"]


def test_own_replies_are_stored_and_answer_the_mention(make_config, database_url: str) -> None:
    from listener.storage.responses import ResponseStore

    config = make_config(
        storage={"url": database_url},
        brands=[{"name": "Acme", "keywords": ["acme"], "own_accounts": {"x": ["acme_support"]}}],
        sources=[{"name": "x", "type": "twitter"}],
    )
    pipeline = Pipeline(config, clock=ManualClock(NOW), notifiers={})
    pipeline.collectors["x"], _ = collector(load_fixture("twitter", "search_conversation.json"))
    assert pipeline.collect("x") == {"Acme": 2}  # the answer does not name Acme, and is kept
    report = ResponseStore(pipeline.store.engine).report(config.brands[0], config.sources, NOW - timedelta(hours=1), NOW, NOW)
    assert (report.overall.customer_mentions, report.overall.answered, report.overall.median_seconds) == (1, 1, 20 * 60)


def test_an_own_account_that_is_not_an_x_username_is_misconfiguration() -> None:
    x, _ = collector([])
    brand = BrandConfig(name="Acme", keywords=("acme",), own_accounts={"x": ["acme support"]})
    with pytest.raises(SourceMisconfigured, match="own_accounts.x: 'acme support' is not an X username"):
        x.fetch(brand, None)
