"""The Reddit collector, driven through praw and prawcore with recorded Reddit responses."""

from __future__ import annotations

import logging

import pytest

from listener.core.clock import ManualClock
from listener.config import BrandConfig, ConfigError, parse_config
from listener.app.pipeline import Pipeline
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured, SourceUnavailable
from listener.sources.reddit import RedditCollector, reddit_query
from tests.conftest import BASE_CONFIG, merge, utc
from tests.recorded_http import Recording, load_fixture, replay_session

ACME = BrandConfig(name="Acme", keywords=("acme",))
NOW = utc(2026, 11, 23, 10, 10)
SECRET = "reddit-app-s3cr3t"


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDDIT_CLIENT_ID", "app-id")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("REDDIT_USER_AGENT", "social-listener tests by u/example")


def collector(recordings: list[Recording], **settings):
    session, adapter = replay_session(recordings)
    reddit = COLLECTORS.get("reddit")
    values = {"subreddits": ["acme", "r/technology"], **settings}
    context = SourceContext("reddit", reddit.settings_model.model_validate(values), ManualClock(NOW))
    return RedditCollector(context, session=session), adapter


def test_posts_and_matching_comments_become_mentions_and_gone_ones_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    reddit, adapter = collector(load_fixture("reddit", "poll_first.json"))
    with caplog.at_level(logging.WARNING):
        result = reddit.fetch(ACME, None)
    assert [m.external_id for m in result.mentions] == ["t3_1x01", "t3_1x04", "t1_c1"]
    post = result.mentions[0]
    assert post.text == "Acme cloud outage again?\n\nEverything returns 502 since 10:00 UTC. Anyone else?"
    assert post.created_at == utc(2026, 11, 23, 10, 5)
    assert (post.author, post.likes, post.shares, post.replies) == ("kim_dev", 57, 1, 21)
    assert post.url == "https://www.reddit.com/r/technology/comments/1x01/acme_cloud_outage_again?/"
    assert result.mentions[2].text == "acme support told me to clear my cache 🙄"
    assert (post.conversation_id, post.in_reply_to) == ("t3_1x01", None)
    assert (result.mentions[2].conversation_id, result.mentions[2].in_reply_to) == ("t3_zz1", "t3_zz1")
    assert "skipped malformed item t3_1x05" in caplog.text

    search, comments = adapter.requested("/search"), adapter.requested("/comments")
    assert search[0]["q"] == "acme" and search[0]["sort"] == "new"
    assert len(comments) == 1
    assert adapter.requests[0].url == "https://www.reddit.com/api/v1/access_token"
    assert adapter.requests[0].body == "grant_type=client_credentials"  # read-only, app credentials


def test_cursor_admits_only_new_posts_including_one_from_the_last_second_read() -> None:
    reddit, _ = collector(load_fixture("reddit", "poll_first.json") + load_fixture("reddit", "poll_second.json"))
    first = reddit.fetch(ACME, None)
    assert first.cursor["search"] == {"created": utc(2026, 11, 23, 10, 5).timestamp(), "seen": ["t3_1x01"], "polled": NOW.timestamp()}
    second = reddit.fetch(ACME, first.cursor)
    # 1x08 shares the last second read but was not seen; 1x01 was edited since the last poll.
    assert [m.external_id for m in second.mentions] == ["t3_1x07", "t3_1x08", "t3_1x01", "t1_c4"]
    assert second.mentions[2].text.endswith("EDIT: fixed now")


def test_cursor_resume_stores_only_new_posts(make_config, database_url: str) -> None:
    config = make_config(
        storage={"url": database_url},
        brands=[{"name": "Acme", "keywords": ["acme"]}],
        sources=[{"name": "reddit", "type": "reddit", "subreddits": ["acme", "technology"]}],
    )
    pipeline = Pipeline(config, clock=ManualClock(NOW), notifiers={})
    pipeline.collectors["reddit"], _ = collector(load_fixture("reddit", "poll_first.json") + load_fixture("reddit", "poll_second.json"))
    assert pipeline.collect("reddit") == {"Acme": 3}
    assert pipeline.collect("reddit") == {"Acme": 3}  # 1x07, 1x08, c4; the edited 1x01 is updated, not new
    assert pipeline.store.count_mentions() == 6
    assert any(text.endswith("EDIT: fixed now") for _, text in pipeline.store.unscored(10))


def test_rate_limit_backs_off_for_retry_after() -> None:
    reddit, _ = collector(load_fixture("reddit", "rate_limited.json"))
    with pytest.raises(SourceUnavailable) as raised:
        reddit.fetch(ACME, None)
    assert raised.value.retry_after == 37


def test_rejected_app_credentials_are_misconfiguration_without_the_secret() -> None:
    reddit, _ = collector(load_fixture("reddit", "bad_credentials.json"))
    with pytest.raises(SourceMisconfigured) as raised:
        reddit.check(ACME)
    message = str(raised.value)
    assert "HTTP 401" in message and "REDDIT_CLIENT_ID" in message and SECRET not in message


def test_private_subreddit_is_misconfiguration() -> None:
    reddit, _ = collector(load_fixture("reddit", "private_subreddit.json"))
    with pytest.raises(SourceMisconfigured, match="private, banned or misspelt"):
        reddit.fetch(ACME, None)


def test_malformed_json_is_a_transient_failure() -> None:
    reddit, _ = collector(load_fixture("reddit", "malformed_json.json"))
    with pytest.raises(SourceUnavailable, match="BadJSON"):
        reddit.fetch(ACME, None)


def test_unset_credentials_name_every_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDDIT_CLIENT_SECRET")
    monkeypatch.delenv("REDDIT_USER_AGENT")
    reddit, adapter = collector([])
    with pytest.raises(SourceMisconfigured) as raised:
        reddit.fetch(ACME, None)
    assert "REDDIT_CLIENT_SECRET is not set" in str(raised.value)
    assert "REDDIT_USER_AGENT is not set" in str(raised.value)
    assert adapter.requests == []


def test_all_of_reddit_is_searched_but_its_comments_are_not_read() -> None:
    recordings = load_fixture("reddit", "poll_first.json")
    for recording in recordings:
        recording.uri = recording.uri.replace("acme+technology", "all")
    reddit, adapter = collector(recordings[:2], subreddits=["all"])
    result = reddit.fetch(ACME, None)
    assert [m.external_id for m in result.mentions] == ["t3_1x01", "t3_1x04"]
    assert adapter.requested("/comments") == []
    assert "comments" not in result.cursor


def test_search_asks_for_the_query_terms_ored() -> None:
    brand = BrandConfig(name="Acme", query='(acme OR "acme cloud" OR #acmedown) -anvil')
    assert reddit_query(brand) == 'acme OR "acme cloud" OR acmedown'


def test_subreddit_names_are_validated_in_config() -> None:
    raw = merge(BASE_CONFIG, {"sources": [{"name": "r", "type": "reddit", "subreddits": ["python", "not a sub"]}]})
    with pytest.raises(ConfigError, match=r"sources\[0\]\.subreddits: .*not a subreddit name: 'not a sub'"):
        parse_config(raw, "test.toml")


def test_check_reports_recent_posts() -> None:
    reddit, _ = collector(load_fixture("reddit", "poll_first.json")[:2])
    assert reddit.check(ACME).startswith("authenticated (read-only); 6 recent posts in r/acme+technology")


def test_a_burst_larger_than_one_poll_is_read_over_several_polls_without_loss() -> None:
    reddit, adapter = collector(load_fixture("reddit", "search_burst.json"), max_items=2, include_comments=False)
    first = reddit.fetch(ACME, None)
    assert [m.external_id for m in first.mentions] == ["t3_1x01"]  # 1x02 was deleted
    assert first.cursor["search"]["after"] == "t3_1x02"
    second = reddit.fetch(ACME, first.cursor)
    assert [m.external_id for m in second.mentions] == ["t3_1x04"]  # 1x03 was removed
    third = reddit.fetch(ACME, second.cursor)  # 1x05 is malformed, 1x06 older than the floor
    assert third.mentions == []
    assert third.cursor["search"] == {"created": utc(2026, 11, 23, 10, 5).timestamp(), "seen": ["t3_1x01"], "polled": NOW.timestamp()}
    assert [request.get("after") for request in adapter.requested("/search")] == [None, "t3_1x02", "t3_1x04"]


def test_post_and_comment_text_is_stored_without_html_entities() -> None:
    """entities.json is poll_first.json with text as Reddit's new editor stores its markdown even
    under raw_json=1: `&amp;` for `&`, and `&#x200B;` (a zero-width space) as an empty paragraph."""
    reddit, _ = collector(load_fixture("reddit", "entities.json"))
    post, comment = reddit.fetch(ACME, None).mentions
    assert post.text == "Acme & Globex: Q&A thread\n\nAsk anything about Acme & Globex merging.\n\n\n\nRules: be nice > be right"
    assert comment.text == 'acme support & billing both said "clear your cache" <sigh>'


def test_the_brands_own_comments_are_kept_without_naming_it() -> None:
    """Response time needs the brand's answers, which rarely say its name."""
    reddit, _ = collector(load_fixture("reddit", "poll_first.json"))
    brand = BrandConfig(name="Acme", keywords=("acme",), own_accounts={"reddit": ["Acme_Fan"]})
    result = reddit.fetch(brand, None)
    assert [m.external_id for m in result.mentions] == ["t3_1x01", "t3_1x04", "t1_c1", "t1_c2"]
    answer = result.mentions[3]
    assert (answer.author, answer.in_reply_to, answer.conversation_id) == ("acme_fan", "t3_zz1", "t3_zz1")
