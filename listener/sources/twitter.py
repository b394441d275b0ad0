"""X (Twitter) recent search through tweepy's API v2 client.

Each poll asks `GET /2/tweets/search/recent` for the brand's query compiled to X syntax, newer
than the `since_id` cursor, newest first, following `next_token` for at most `max_pages` pages.
The cursor only moves past what was actually read: a poll that stops at the page limit (or on a
rate limit part-way) saves the page token with the old `since_id`, and the next poll carries on
from that page before it moves `since_id` up to the newest tweet it saw, so a burst bigger than
one poll is read over several polls instead of being skipped.

Rate limits are left to the scheduler: tweepy's `wait_on_rate_limit` would block this source's
worker thread for up to 15 minutes; instead a 429 becomes SourceUnavailable with the seconds
until `x-rate-limit-reset`, and the scheduler backs off exactly that long.
"""

from __future__ import annotations

import html
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping

from pydantic import Field

from listener.config import BrandConfig
from listener.config.types import Duration, Secret, SecretRef
from listener.core.language import normalise_language_tag
from listener.sources.x_query import QueryNotSupported, compile_for_x, with_own_replies
from listener.core.records import Mention
from listener.plugins import Extra
from listener.sources.base import (
    Collector,
    CollectorSettings,
    CollectorType,
    Cursor,
    FetchResult,
    SourceContext,
    SourceMisconfigured,
    SourceUnavailable,
    parse_each,
)

if TYPE_CHECKING:
    import requests
    import tweepy

log = logging.getLogger(__name__)

TWEET_FIELDS = [
    "created_at", "lang", "public_metrics", "author_id", "note_tweet", "referenced_tweets", "conversation_id",
]
RETWEET_PREFIX = re.compile(r"^RT @\w{1,15}: ")
"""How X starts a retweet's own text, which it then cuts to 140 characters with an ellipsis."""
USER_FIELDS = ["username", "public_metrics"]
TWITTER_EPOCH_MS = 1288834974657
"""Tweet ids are snowflakes: (id >> 22) + this is the creation time in ms, should a tweet lack it."""
RECENT_SEARCH_REACH = timedelta(days=7)


class TwitterSettings(CollectorSettings):
    bearer_token: Secret = Field(
        default=SecretRef("${X_BEARER_TOKEN}"), description="App-only bearer token, from the environment."
    )
    include_retweets: bool = Field(False, description="Retweets repeat the original's text; off by default.")
    max_results: int = Field(100, ge=10, le=100, description="Tweets per page (X allows 10-100).")
    max_pages: int = Field(5, ge=1, le=100, description="Pages read per poll; the rest is read on the next poll.")
    backfill: Duration = Field(default=timedelta(hours=1), description="How far back the very first poll looks.")
    timeout: float = Field(10.0, gt=0, description="Seconds to wait for X before the poll fails and is retried.")


class _TimeoutSession:
    """tweepy's client sends requests with no timeout; this wraps its session to add one."""

    def __init__(self, session: requests.Session, timeout: float):
        self._session = session
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        return self._session.request(*args, **kwargs)

    def close(self) -> None:
        self._session.close()


class TwitterCollector:
    def __init__(self, context: SourceContext, session: requests.Session | None = None):
        self._settings: TwitterSettings = context.settings
        self._name = context.name
        self._clock = context.clock
        self._session = session
        self._client: tweepy.Client | None = None

    # -- talking to X ------------------------------------------------------------------------

    def _api(self) -> tweepy.Client:
        if self._client is None:
            import requests
            import tweepy

            logging.getLogger("tweepy").setLevel(logging.INFO)  # its debug log prints the bearer token
            token = self._settings.bearer_token.resolve()
            if token is None:
                raise SourceMisconfigured(
                    f"{self._name}: bearer_token: environment variable {self._settings.bearer_token.variable} is not set"
                )
            # The raw response, not tweepy's objects: its rate-limit headers say when to stop
            # paging, and each tweet is parsed on its own so one malformed tweet costs only itself.
            client = tweepy.Client(bearer_token=token, return_type=requests.Response, wait_on_rate_limit=False)
            client.session = _TimeoutSession(self._session or requests.Session(), self._settings.timeout)  # type: ignore[assignment]
            self._client = client
        return self._client

    def _query(self, brand: BrandConfig) -> str:
        """The brand's query, widened with its own accounts' replies (`own_accounts.x`): an
        answer rarely names the brand, and response time needs the answers."""
        try:
            query = compile_for_x(brand.query_ast, include_retweets=self._settings.include_retweets)
            return with_own_replies(query, brand.own_accounts.x)
        except QueryNotSupported as error:
            raise SourceMisconfigured(f"{self._name}: brand {brand.name!r}: {error}") from None

    def _search(self, query: str, **params: Any) -> tuple[dict[str, Any], bool]:
        """One page of recent search, and whether the rate limit allows another request now.

        Platform failures are mapped to what the scheduler acts on.
        """
        import requests
        import tweepy

        try:
            response = self._api().search_recent_tweets(
                query,
                # A retweet's own text is cut short; the original it repeats comes in `includes`.
                expansions=["author_id", "referenced_tweets.id"] if self._settings.include_retweets else ["author_id"],
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
                **{key: value for key, value in params.items() if value is not None},
            )
            page = response.json()
        except tweepy.TooManyRequests as error:
            wait = None if error.reset_time is None else max(error.reset_time - time.time(), 1.0)
            raise SourceUnavailable(f"{self._name}: X rate limit reached (HTTP 429)", retry_after=wait) from None
        except (tweepy.Unauthorized, tweepy.Forbidden) as error:
            raise SourceMisconfigured(
                f"{self._name}: X refused the bearer token from {self._settings.bearer_token.variable} "
                f"({_first_line(error)}); check the token and that the app's access level includes recent search"
            ) from None
        except tweepy.BadRequest:
            raise  # the caller knows whether a page token or since_id can be dropped
        except tweepy.HTTPException as error:  # 5xx, and anything else X should not be sending
            raise SourceUnavailable(f"{self._name}: X request failed: {_first_line(error)}") from None
        except (requests.RequestException, ValueError) as error:  # network trouble; a body that is not JSON
            raise SourceUnavailable(f"{self._name}: X request failed: {type(error).__name__}: {error}") from None
        if not isinstance(page, dict):
            raise SourceUnavailable(f"{self._name}: X returned {type(page).__name__}, not a JSON object")
        return page, response.headers.get("x-rate-limit-remaining") != "0"

    # -- the collector interface -------------------------------------------------------------

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        import tweepy

        query = self._query(brand)
        position = _Position.from_cursor(cursor or {}, query)
        if position.since_id is None:
            position.start_time = self._start_time(position.start_time)
        mentions: list[Mention] = []
        for _ in range(self._settings.max_pages):
            try:
                page, may_continue = self._search(
                    query,
                    since_id=position.since_id,
                    start_time=position.start_time if position.since_id is None else None,
                    next_token=position.next_token,
                    max_results=self._settings.max_results,
                )
            except SourceUnavailable as error:
                if not mentions:
                    raise
                log.warning("%s: %s: stopped after %d tweets, resuming next poll: %s", self._name, brand.name, len(mentions), error)
                return FetchResult(mentions, position.as_cursor())
            except tweepy.BadRequest as error:
                position = self._recover_from_bad_request(brand, position, error)
                if mentions:
                    break
                continue
            mentions.extend(self._parse_page(page))
            meta = page.get("meta") or {}
            if position.next_token is None and meta.get("newest_id"):
                position.pending_newest_id = str(meta["newest_id"])
            position.next_token = meta.get("next_token")
            if position.next_token is None:
                break
            if not may_continue:  # the next page would be a 429: save the token and let the limit reset
                log.info("%s: %s: X rate limit used up; the remaining pages are read next poll", self._name, brand.name)
                break
        return FetchResult(mentions, position.as_cursor())

    def _start_time(self, stored: str | None) -> str:
        """Where a brand with no since_id yet starts: `backfill` ago on the first poll, but never
        earlier than recent search reaches (X rejects a start_time older than 7 days)."""
        now = self._clock.now()
        earliest = now - RECENT_SEARCH_REACH + timedelta(minutes=5)
        start = datetime.fromisoformat(stored.replace("Z", "+00:00")) if stored else now - self._settings.backfill
        return max(start, earliest).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _recover_from_bad_request(self, brand: BrandConfig, position: _Position, error: Exception) -> _Position:
        """An expired page token, or a since_id older than recent search reaches (the daemon was
        off for a week), is recovered from; any other 400 is the query's fault."""
        message = _first_line(error)
        if position.next_token is not None:
            # Search again from the same floor: what was already read is stored again, harmlessly.
            log.warning("%s: %s: page token rejected (%s); searching again from since_id", self._name, brand.name, message)
            return _Position(position.query, position.since_id, position.start_time, None, None)
        if position.since_id is not None and "since_id" in str(error):
            log.warning("%s: %s: since_id is older than X's 7 days of recent search; reading the last 7 days", self._name, brand.name)
            return _Position(position.query, None, self._start_time("1970-01-01T00:00:00Z"), None, None)
        raise SourceMisconfigured(f"{self._name}: X rejected the search for {brand.name!r}: {message}") from None

    def _parse_page(self, page: dict[str, Any]) -> list[Mention]:
        import tweepy

        includes = page.get("includes") or {}
        users_raw = includes.get("users") or []
        users = {user.id: user for user in parse_each(users_raw, tweepy.User, log, f"{self._name} user", _raw_id)}
        originals = {str(raw["id"]): raw for raw in includes.get("tweets") or [] if isinstance(raw, dict) and "id" in raw}
        return parse_each(
            page.get("data") or [],
            lambda raw: tweet_to_mention(tweepy.Tweet(raw), users, self._name, originals),
            log,
            self._name,
            _raw_id,
        )

    def check(self, brand: BrandConfig) -> str:
        import tweepy

        query = self._query(brand)
        try:
            page, _ = self._search(query, max_results=10)
        except tweepy.BadRequest as error:
            raise SourceMisconfigured(f"{self._name}: X rejected the search {query!r}: {_first_line(error)}") from None
        count = (page.get("meta") or {}).get("result_count", len(page.get("data") or []))
        return f"authenticated; {count} tweets in the last 7 days match {query}"


class _Position:
    """Where a poll stands: the since_id floor, and mid-way, the page token and the newest id."""

    def __init__(
        self,
        query: str,
        since_id: str | None,
        start_time: str | None,
        next_token: str | None,
        pending_newest_id: str | None,
    ):
        self.query = query
        self.since_id = since_id
        self.start_time = start_time
        self.next_token = next_token
        self.pending_newest_id = pending_newest_id

    @classmethod
    def from_cursor(cls, cursor: Cursor, query: str) -> _Position:
        since_id = cursor.get("since_id")
        if cursor.get("query") != query:  # a page token belongs to the query it was issued for
            return cls(query, since_id, None, None, None)
        return cls(query, since_id, cursor.get("start_time"), cursor.get("next_token"), cursor.get("pending_newest_id"))

    def as_cursor(self) -> Cursor:
        if self.next_token is None:  # the poll read everything: move the floor up
            newest = self.pending_newest_id or self.since_id
            return {"since_id": newest, "query": self.query} if newest else {"query": self.query, "start_time": self.start_time}
        return {
            "since_id": self.since_id,
            "start_time": self.start_time,
            "next_token": self.next_token,
            "pending_newest_id": self.pending_newest_id,
            "query": self.query,
        }


def tweet_to_mention(
    tweet: tweepy.Tweet,
    users: dict[int, tweepy.User],
    source: str,
    originals: Mapping[str, dict[str, Any]] | None = None,
) -> Mention:
    """A tweet as a Mention, in the words its author wrote: long tweets keep their full
    `note_tweet` text, a retweet the full text of the tweet it repeats (`originals`, X's
    `includes.tweets`), and X's HTML escaping (`&amp;`, `&lt;`, `&gt;`) is undone, so that
    "AT&T" in a tweet matches the brand AT&T."""
    user = users.get(tweet.author_id) if tweet.author_id is not None else None
    metrics = tweet.public_metrics or {}
    user_metrics = (user.public_metrics or {}) if user is not None else {}
    text = _retweeted_text(tweet.data, originals or {}) or _full_text(tweet.data)
    created_at = tweet.created_at or datetime.fromtimestamp(((tweet.id >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)
    username = user.username if user is not None else None
    return Mention(
        source=source,
        external_id=str(tweet.id),
        text=text,
        created_at=created_at,
        author=username,
        author_reach=_count(user_metrics.get("followers_count")) if user is not None else None,
        url=f"https://x.com/{username}/status/{tweet.id}" if username else f"https://x.com/i/web/status/{tweet.id}",
        language=normalise_language_tag(tweet.lang),
        likes=_count(metrics.get("like_count")) or 0,
        shares=(_count(metrics.get("retweet_count")) or 0) + (_count(metrics.get("quote_count")) or 0),
        replies=_count(metrics.get("reply_count")) or 0,
        conversation_id=_optional_id(tweet.data.get("conversation_id")),
        in_reply_to=_replied_to(tweet.data),
    )


def _replied_to(raw: Mapping[str, Any]) -> str | None:
    """The id of the tweet this one replies to (`referenced_tweets` of type `replied_to`)."""
    for ref in raw.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            return _optional_id(ref.get("id"))
    return None


def _optional_id(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise TypeError(f"tweet id {value!r} is not a string")
    return str(value)


def _full_text(raw: Mapping[str, Any]) -> str:
    note = raw.get("note_tweet") or {}
    text = note.get("text") if isinstance(note, dict) and note.get("text") else raw.get("text")
    if not isinstance(text, str):
        raise TypeError(f"tweet text is {type(text).__name__}, not a string")
    return html.unescape(text)


def _retweeted_text(raw: Mapping[str, Any], originals: Mapping[str, dict[str, Any]]) -> str | None:
    """`RT @author: ` and the whole retweeted tweet, when X sent the original along; None for a
    tweet that is not a retweet or whose original is missing (deleted, or not expanded)."""
    retweeted = [ref for ref in raw.get("referenced_tweets") or [] if isinstance(ref, dict) and ref.get("type") == "retweeted"]
    original = originals.get(str(retweeted[0].get("id"))) if retweeted else None
    if original is None:
        return None
    prefix = RETWEET_PREFIX.match(str(raw.get("text") or ""))
    return (prefix.group(0) if prefix else "") + _full_text(original)


def _count(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"metric {value!r} is not a count")
    return value


def _raw_id(raw: object) -> object:
    return raw.get("id") if isinstance(raw, dict) else repr(raw)[:40]


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split("\n")[:2])


def build(context: SourceContext) -> Collector:
    return TwitterCollector(context)


PLUGIN = CollectorType(name="twitter", settings_model=TwitterSettings, build=build, extra=Extra("x", ("tweepy",)))
