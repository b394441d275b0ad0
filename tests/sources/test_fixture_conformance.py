"""The collectors against real recordings from tweepy's and praw's own test suites.

Our own fixtures are shaped after the platforms' documentation; these cassettes were recorded
from the live APIs by the libraries' maintainers, so they catch a field we assumed and the real
API does not send (tweets without `created_at` or users, 2016-era Reddit listings without
`num_crossposts`). They live in ../shared/fixtures; without it these tests skip.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.core.clock import ManualClock
from listener.config import BrandConfig
from listener.sources.matching import mentions_brand
from listener.sources import COLLECTORS, SourceContext
from listener.sources.reddit import GONE, RedditCollector
from listener.sources.twitter import TwitterCollector, tweet_to_mention
from tests.recorded_http import SHARED_FIXTURES, Recording, load_cassette, replay_session

TWITTER = SHARED_FIXTURES / "twitter"
REDDIT = SHARED_FIXTURES / "reddit"


def cassette(path: Path) -> list[Recording]:
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared/fixtures holds the recorded cassettes)")
    return load_cassette(path)


def body_json(recording: Recording) -> dict:
    raw = recording.body
    if dict(recording.headers).get("content-encoding") == "gzip":
        raw = gzip.decompress(raw)
    return json.loads(raw)


# -- X -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["test_client_search_recent_tweets.yaml", "test_asyncclient_search_recent_tweets.yaml"])
def test_recorded_recent_search_replays_through_the_collector(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    recordings = cassette(TWITTER / name)
    recorded = body_json(recordings[0])
    monkeypatch.setenv("X_BEARER_TOKEN", "recorded")
    session, adapter = replay_session(recordings, match_query=False)
    twitter = COLLECTORS.get("twitter")
    settings = twitter.settings_model.model_validate({"include_retweets": True, "max_pages": 1})
    clock = ManualClock(datetime(2022, 10, 7, 23, 0, tzinfo=UTC))
    result = TwitterCollector(SourceContext("x", settings, clock), session=session).fetch(
        BrandConfig(name="Tweepy", keywords=("tweepy",)), None
    )

    assert [m.external_id for m in result.mentions] == [tweet["id"] for tweet in recorded["data"]]
    assert [m.text for m in result.mentions] == [tweet["text"] for tweet in recorded["data"]]
    for mention in result.mentions:  # recorded without created_at: the time comes from the snowflake id
        assert datetime(2022, 10, 7, 20, tzinfo=UTC) < mention.created_at < datetime(2022, 10, 8, tzinfo=UTC)
        assert mention.url == f"https://x.com/i/web/status/{mention.external_id}"
    assert result.cursor["next_token"] == recorded["meta"]["next_token"]
    assert result.cursor["pending_newest_id"] == recorded["meta"]["newest_id"]
    assert adapter.requested("/2/tweets/search/recent")[0]["query"] == "tweepy"


@pytest.mark.parametrize(
    "name",
    ["test_client_get_tweets.yaml", "test_client_get_users_mentions.yaml", "test_client_search_all_tweets.yaml"],
)
def test_every_recorded_tweet_shape_parses(name: str) -> None:
    import tweepy

    recorded = body_json(cassette(TWITTER / name)[0])
    users = {int(user["id"]): tweepy.User(user) for user in recorded.get("includes", {}).get("users", [])}
    for raw in recorded["data"]:
        mention = tweet_to_mention(tweepy.Tweet(raw), users, "x")
        assert mention.external_id == raw["id"]
        assert mention.text == raw["text"]  # emoji decoded from JSON surrogate escapes stay intact
        assert mention.created_at.year >= 2020


# -- Reddit --------------------------------------------------------------------------------


def reddit_collector(recordings: list[Recording], subreddit: str, now: datetime, monkeypatch: pytest.MonkeyPatch, **settings):
    for variable, value in (("REDDIT_CLIENT_ID", "id"), ("REDDIT_CLIENT_SECRET", "secret"), ("REDDIT_USER_AGENT", "tests")):
        monkeypatch.setenv(variable, value)
    session, adapter = replay_session(recordings, match_query=False)
    reddit = COLLECTORS.get("reddit")
    values = {"subreddits": [subreddit], "backfill": "3650d", "max_items": 100, **settings}
    return RedditCollector(SourceContext("reddit", reddit.settings_model.model_validate(values), ManualClock(now)), session=session), adapter


def as_search(recording: Recording, subreddit: str) -> Recording:
    """A recorded post listing served for the search request (both are Listings of t3 things)."""
    recording.uri = f"https://oauth.reddit.com/r/{subreddit}/search"
    return recording


def children(recording: Recording) -> list[dict]:
    return [child["data"] for child in body_json(recording)["data"]["children"]]


def test_recorded_new_posts_replay_as_search_results(monkeypatch: pytest.MonkeyPatch) -> None:
    token, listing = cassette(REDDIT / "TestSubredditListings.test_new.json")
    reddit, _ = reddit_collector([token, as_search(listing, "askreddit")], "askreddit", datetime(2016, 3, 1, 9, tzinfo=UTC), monkeypatch, include_comments=False)
    result = reddit.fetch(BrandConfig(name="anything", keywords=("the",)), None)

    posts = [post for post in children(listing) if post["selftext"].strip() not in GONE and post["title"].strip() not in GONE]
    assert [m.external_id for m in result.mentions] == [post["name"] for post in posts]
    for mention, post in zip(result.mentions, posts):
        assert mention.url == "https://www.reddit.com" + post["permalink"]
        assert mention.created_at == datetime.fromtimestamp(post["created_utc"], UTC)
        assert mention.text.startswith(post["title"])
        assert mention.likes == max(post["score"], 0) and mention.replies == post["num_comments"]


@pytest.mark.parametrize(
    "name, subreddit",
    [("TestSubredditListings.test_comments.json", "askreddit"), ("TestSubredditStreams.test_comments__with_pause.json", "kakapo")],
)
def test_recorded_comments_are_matched_locally(name: str, subreddit: str, monkeypatch: pytest.MonkeyPatch) -> None:
    token, comments = cassette(REDDIT / name)[:2]
    empty_search = Recording("GET", f"https://oauth.reddit.com/r/{subreddit}/search", 200, [("Content-Type", "application/json")],
                             b'{"kind": "Listing", "data": {"children": [], "after": null, "before": null}}')
    latest = max(comment["created_utc"] for comment in children(comments))
    reddit, _ = reddit_collector([token, empty_search, comments], subreddit, datetime.fromtimestamp(latest + 60, UTC), monkeypatch)
    brand = BrandConfig(name="common", keywords=("the", "i"))
    result = reddit.fetch(brand, None)

    expected = [c["name"] for c in children(comments) if c["body"].strip() not in GONE and mentions_brand(brand, c["body"])]
    assert expected, "the recording should contain comments with these common words"
    assert [m.external_id for m in result.mentions] == expected
    assert all(m.url.startswith("https://www.reddit.com/") and m.url.endswith(f"/{m.external_id[3:]}/") for m in result.mentions)
    comments_cursor = result.cursor["comments"]
    if len(children(comments)) == 100:  # a full page, all new: the next poll reads on below it
        assert comments_cursor["after"] == children(comments)[-1]["name"]
        comments_cursor = comments_cursor["pending"]
    assert comments_cursor["created"] == latest


def test_a_listing_of_subreddits_yields_no_mentions_and_no_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    token, listing = cassette(REDDIT / "TestSubreddits.test_search.json")
    reddit, _ = reddit_collector([token, as_search(listing, "praw")], "praw", datetime(2016, 7, 12, 16, tzinfo=UTC), monkeypatch, include_comments=False)
    assert reddit.fetch(BrandConfig(name="praw", keywords=("praw",)), None).mentions == []
