"""Reddit through praw in read-only mode: search for the brand, plus new comments.

Two listings are read per brand and poll, both newest first: a search of the configured
subreddits (or r/all) sorted by new, for the brand's search terms, and the newest comments of the
configured subreddits, which Reddit's search does not cover, kept only when they match the brand
locally. Each listing has its own cursor: the newest `created_utc` read and the fullnames seen at
exactly that second, so posts sharing a timestamp are neither repeated nor skipped; a burst bigger
than `max_items` is read on from the last fullname over the following polls.

Comments keep what they answer (`parent_id`, a post's or comment's fullname) and their post
(`link_id`): a comment by one of the brand's `own_accounts.reddit` is kept even when it does not
name the brand, since it is the brand's answer (response time). The brand's answers are found in
the configured subreddits' new comments; with `subreddits = ["all"]` no comments are read, so none.

Deleted and removed posts (`[deleted]`, `[removed]`) are skipped. A post or comment edited since
the previous poll and still in the listing is returned again, and storage updates it by (source,
external id), so it is scored again.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from pydantic import Field, field_validator

from listener.config import BrandConfig
from listener.config.types import Duration, Secret, SecretRef, literal_or_env
from listener.core.query import search_terms
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
from listener.sources.matching import mentions_brand

if TYPE_CHECKING:
    import praw
    import requests

log = logging.getLogger(__name__)

GONE = frozenset({"[deleted]", "[removed]", "[deleted by user]", "[removed by reddit]"})
REDDIT_MAX_QUERY_LENGTH = 512
_SUBREDDIT = re.compile(r"[A-Za-z0-9_]{2,21}")


class RedditSettings(CollectorSettings):
    client_id: Secret = Field(default=SecretRef("${REDDIT_CLIENT_ID}"), description="A Reddit 'script' or 'web' app's id.")
    client_secret: Secret = Field(default=SecretRef("${REDDIT_CLIENT_SECRET}"), description="That app's secret.")
    user_agent: str = Field(
        "${REDDIT_USER_AGENT}",
        min_length=1,
        description="Reddit asks for a unique one naming the app and its owner; literal or ${ENV}.",
    )
    subreddits: tuple[str, ...] = Field(("all",), min_length=1, description="Where to search; 'all' is all of Reddit.")
    include_comments: bool = Field(True, description="Also read new comments of the named subreddits (not of 'all').")
    max_items: int = Field(250, ge=1, le=1000, description="Most posts and most comments read per brand and poll.")
    backfill: Duration = Field(default=timedelta(hours=1), description="How far back the very first poll looks.")
    timeout: float = Field(16.0, gt=0, description="Seconds to wait for Reddit before the poll fails and is retried.")

    @field_validator("subreddits")
    @classmethod
    def _names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(name.removeprefix("r/").removeprefix("/r/") for name in names)
        bad = [name for name in cleaned if not _SUBREDDIT.fullmatch(name)]
        if bad:
            raise ValueError(f"not a subreddit name: {', '.join(map(repr, bad))} (write e.g. 'python' or 'r/python')")
        return cleaned


def reddit_query(brand: BrandConfig) -> str:
    """The brand's search terms ORed in Reddit's search syntax; local matching does the rest."""
    parts = []
    for term in search_terms(brand.query_ast):
        term = term.lstrip("#@")
        parts.append(term if re.fullmatch(r"\w+", term) else '"' + " ".join(term.replace('"', " ").split()) + '"')
    query = " OR ".join(dict.fromkeys(parts))
    if len(query) > REDDIT_MAX_QUERY_LENGTH:
        raise SourceMisconfigured(
            f"brand {brand.name!r}: the Reddit search is {len(query)} characters; Reddit accepts {REDDIT_MAX_QUERY_LENGTH}"
        )
    return query


class RedditCollector:
    def __init__(self, context: SourceContext, session: requests.Session | None = None):
        self._settings: RedditSettings = context.settings
        self._name = context.name
        self._clock = context.clock
        self._session = session
        self._reddit: praw.Reddit | None = None

    def _api(self) -> praw.Reddit:
        if self._reddit is None:
            import praw

            for noisy in ("prawcore", "praw"):  # their debug logs print request parameters and bodies
                logging.getLogger(noisy).setLevel(logging.INFO)
            settings = self._settings
            client_id, client_secret = settings.client_id.resolve(), settings.client_secret.resolve()
            user_agent = literal_or_env(settings.user_agent, secret=False)
            missing = [
                f"{field}: environment variable {reference.variable} is not set"
                for field, reference, value in (
                    ("client_id", settings.client_id, client_id),
                    ("client_secret", settings.client_secret, client_secret),
                )
                if value is None
            ]
            if user_agent is None:
                missing.append(f"user_agent: environment variable {settings.user_agent[2:-1]} is not set")
            if missing:
                raise SourceMisconfigured(f"{self._name}: " + "; ".join(missing))
            requestor_kwargs: dict[str, Any] = {"timeout": settings.timeout}
            if self._session is not None:
                requestor_kwargs["session"] = self._session
            self._reddit = praw.Reddit(
                client_id=client_id,
                client_secret=client_secret,
                user_agent=user_agent,
                check_for_updates=False,
                check_for_async=False,
                requestor_kwargs=requestor_kwargs,
            )
            self._reddit.read_only = True
        return self._reddit

    def _read(self, listing: Iterable[Any]) -> list[Any]:
        """Materialise a praw listing (that is when praw makes its requests), errors mapped."""
        import prawcore

        try:
            return list(listing)
        except prawcore.TooManyRequests as error:
            wait = float(error.retry_after) if error.retry_after else None
            raise SourceUnavailable(f"{self._name}: Reddit rate limit reached (HTTP 429)", retry_after=wait) from None
        except (prawcore.Forbidden, prawcore.NotFound, prawcore.Redirect) as error:
            raise SourceMisconfigured(
                f"{self._name}: Reddit refused r/{'+'.join(self._settings.subreddits)} ({error}); "
                "is a subreddit private, banned or misspelt?"
            ) from None
        except prawcore.OAuthException as error:
            raise SourceMisconfigured(f"{self._name}: Reddit rejected the app credentials: {error}") from None
        except prawcore.ResponseException as error:
            status = error.response.status_code
            if status in (401, 403) and error.response.url.endswith("/api/v1/access_token"):
                raise SourceMisconfigured(
                    f"{self._name}: Reddit rejected the app credentials (HTTP {status}); check "
                    f"{self._settings.client_id.variable} and {self._settings.client_secret.variable}"
                ) from None
            raise SourceUnavailable(f"{self._name}: Reddit request failed: {type(error).__name__} (HTTP {status})") from None
        except prawcore.PrawcoreException as error:  # network failures, timeouts, 5xx, bad JSON
            raise SourceUnavailable(f"{self._name}: Reddit request failed: {type(error).__name__}: {error}") from None

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        cursor = cursor or {}
        reddit = self._api()
        subreddit = reddit.subreddit("+".join(self._settings.subreddits))
        start = _Floor.start(self._clock.now() - self._settings.backfill)
        limit = self._settings.max_items

        search_floor = _Floor.from_cursor(cursor.get("search"), start)
        posts = self._read(
            subreddit.search(reddit_query(brand), sort="new", time_filter="week", limit=limit, params=search_floor.params())
        )
        found, next_cursor = self._newer(posts, search_floor, brand, "posts", submission_to_mention)
        next_cursor = {"search": next_cursor}

        if self._reads_comments:
            comment_floor = _Floor.from_cursor(cursor.get("comments"), start)
            comments = self._read(subreddit.comments(limit=limit, params=comment_floor.params()))
            matching, comments_cursor = self._newer(comments, comment_floor, brand, "comments", comment_to_mention)
            found += [
                mention for mention in matching
                if brand.own_accounts.owns("reddit", mention.author) or mentions_brand(brand, mention.text, mention.language)
            ]
            next_cursor["comments"] = comments_cursor
        return FetchResult(found, next_cursor)

    @property
    def _reads_comments(self) -> bool:
        return self._settings.include_comments and "all" not in self._settings.subreddits

    def _newer(self, items: list[Any], floor: _Floor, brand: BrandConfig, what: str, parse: Any) -> tuple[list[Mention], Cursor]:
        """What in a newest-first listing is new since `floor`, and the listing's next cursor.

        When all `max_items` read are new, the gap down to the floor is not closed yet: the cursor
        keeps the floor and the last id read, and the next poll reads on from there before it
        moves the floor up, so a burst larger than one poll is read over several polls.
        """
        fields = [_fields(item) for item in items]
        fresh = [item for item, values in zip(items, fields) if floor.admits(values)]
        edited = [item for item, values in zip(items, fields) if not floor.admits(values) and floor.edited_since(values)]
        mentions = parse_each(
            fresh + edited, lambda item: parse(_fields(item), self._name), log, self._name, lambda item: _fields(item).get("name")
        )
        polled = self._clock.now().timestamp()
        gap_closed = len(items) < self._settings.max_items or len(fresh) < len(items)
        if gap_closed:
            return mentions, floor.advanced([_fields(item) for item in fresh], polled).as_cursor()
        log.info(
            "%s: %s: more than %d new %s; the older ones are read next poll", self._name, brand.name, len(items), what
        )
        return mentions, floor.continued_after(str(fields[-1].get("name")), [_fields(item) for item in fresh], polled).as_cursor()

    def check(self, brand: BrandConfig) -> str:
        reddit = self._api()
        subreddits = "+".join(self._settings.subreddits)
        posts = self._read(reddit.subreddit(subreddits).search(reddit_query(brand), sort="new", time_filter="week", limit=10))
        return f"authenticated (read-only); {len(posts)} recent posts in r/{subreddits} match {reddit_query(brand)}"


class _Floor:
    """A listing's cursor: the newest creation time read, the fullnames read at that time, and
    when the listing was last polled (a post edited since then is read again, to update it).

    Mid-way through a burst, `after` is the last fullname read and `pending` the floor to move up
    to once the listing has been read down to this one.
    """

    def __init__(
        self,
        created: float,
        seen: frozenset[str],
        polled: float | None = None,
        after: str | None = None,
        pending: _Floor | None = None,
    ):
        self.created = created
        self.seen = seen
        self.polled = polled
        self.after = after
        self.pending = pending

    @classmethod
    def start(cls, moment: datetime) -> _Floor:
        return cls(moment.timestamp(), frozenset())

    @classmethod
    def from_cursor(cls, cursor: Cursor | None, default: _Floor) -> _Floor:
        if not cursor:
            return default
        pending = cls.from_cursor(cursor["pending"], default) if cursor.get("pending") else None
        return cls(float(cursor["created"]), frozenset(cursor.get("seen", ())), cursor.get("polled"), cursor.get("after"), pending)

    def params(self) -> dict[str, str]:
        """Listing parameters: read on below the last id when a burst is being read."""
        return {"after": self.after} if self.after else {}

    def admits(self, fields: dict[str, Any]) -> bool:
        try:
            created = float(fields["created_utc"])
        except (KeyError, TypeError, ValueError):
            return True  # let the parser log it as malformed rather than drop it silently here
        return created > self.created or (created == self.created and fields.get("name") not in self.seen)

    def edited_since(self, fields: dict[str, Any]) -> bool:
        """Reddit's `edited` is False, or the time of the last edit."""
        edited = fields.get("edited")
        return self.polled is not None and isinstance(edited, (int, float)) and not isinstance(edited, bool) and edited > self.polled

    def advanced(self, read: list[dict[str, Any]], polled: float) -> _Floor:
        """The floor once everything down to it has been read: the newest of all that was read."""
        top = self.pending or self
        created, seen = top.created, set(top.seen)
        for fields in read:
            try:
                moment = float(fields["created_utc"])
            except (KeyError, TypeError, ValueError):
                continue
            if moment > created:
                created, seen = moment, set()
            if moment == created:
                seen.add(str(fields.get("name")))
        return _Floor(created, frozenset(seen), polled)

    def continued_after(self, last: str, read: list[dict[str, Any]], polled: float) -> _Floor:
        """The same floor, to be read on from `last`; what was read so far becomes `pending`."""
        return _Floor(self.created, self.seen, polled, last, self.advanced(read, polled))

    def as_cursor(self) -> Cursor:
        cursor: Cursor = {"created": self.created, "seen": sorted(self.seen), "polled": self.polled}
        if self.after:
            cursor.update(after=self.after, pending=self.pending.as_cursor() if self.pending else None)
        return cursor


def _fields(item: Any) -> dict[str, Any]:
    """The attributes praw filled from the listing. Reading them through `vars` rather than
    attribute access keeps praw from fetching a missing one with a request per item."""
    return vars(item)


def _author(fields: dict[str, Any]) -> str | None:
    author = fields.get("author")
    name = getattr(author, "name", author)
    return None if name is None or name in GONE else str(name)


def _created(fields: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(float(fields["created_utc"]), UTC)


def _int(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a count")
    return max(int(value), 0)


def submission_to_mention(fields: dict[str, Any], source: str) -> Mention | None:
    """A post as a Mention: its title and body; None for a deleted or removed one."""
    _require_kind(fields, "t3_", "post")
    title, body = fields["title"], fields.get("selftext") or ""
    if not isinstance(title, str) or not isinstance(body, str):
        raise TypeError("title and selftext must be strings")
    title, body = _unescaped(title), _unescaped(body)
    if title.strip() in GONE or body.strip() in GONE or fields.get("removed_by_category"):
        return None
    return Mention(
        source=source,
        external_id=str(fields["name"]),
        text=f"{title}\n\n{body}" if body.strip() else title,
        created_at=_created(fields),
        author=_author(fields),
        url=_url(fields, f"/comments/{fields['id']}/"),
        likes=_int(fields.get("score")),
        shares=_int(fields.get("num_crossposts")),
        replies=_int(fields.get("num_comments")),
        conversation_id=str(fields["name"]),
    )


def comment_to_mention(fields: dict[str, Any], source: str) -> Mention | None:
    """A comment as a Mention; None for a deleted or removed one."""
    _require_kind(fields, "t1_", "comment")
    body = fields["body"]
    if not isinstance(body, str):
        raise TypeError("body must be a string")
    body = _unescaped(body)
    if body.strip() in GONE:
        return None
    return Mention(
        source=source,
        external_id=str(fields["name"]),
        text=body,
        created_at=_created(fields),
        author=_author(fields),
        url=_url(fields, f"/comments/{str(fields['link_id']).removeprefix('t3_')}/_/{fields['id']}/"),
        likes=_int(fields.get("score")),
        conversation_id=_fullname(fields.get("link_id")),
        in_reply_to=_fullname(fields.get("parent_id")),
    )


def _fullname(value: object) -> str | None:
    """A post's or comment's fullname (`t3_...`, `t1_...`), as the replied-to post is stored."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("t1_", "t3_")):
        raise ValueError(f"{value!r} is not a post or comment fullname")
    return value


def _unescaped(markdown: str) -> str:
    """Reddit's markdown as its author typed it. Even with raw_json=1 the new editor's markdown
    keeps `&amp;`, `&lt;`, `&gt;` and `&#x200B;` (a zero-width space standing for an empty
    paragraph): left in, "AT&amp;T" would not match the brand AT&T. The zero-width spaces go too,
    since they only ever stand for the blank line around them."""
    return html.unescape(markdown).replace("\u200b", "")


def _require_kind(fields: dict[str, Any], prefix: str, what: str) -> None:
    if not str(fields.get("name", "")).startswith(prefix):
        raise ValueError(f"{fields.get('name')!r} is not a {what} ({prefix}...)")


def _url(fields: dict[str, Any], fallback_path: str) -> str:
    """The permalink; listings from before 2017 carry none for comments, so it is built from ids."""
    permalink = fields.get("permalink")
    return "https://www.reddit.com" + (permalink if isinstance(permalink, str) and permalink.startswith("/") else fallback_path)


def build(context: SourceContext) -> Collector:
    return RedditCollector(context)


PLUGIN = CollectorType(name="reddit", settings_model=RedditSettings, build=build, extra=Extra("reddit", ("praw",)))
