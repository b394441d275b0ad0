"""Bluesky posts through the atproto SDK's `app.bsky.feed.searchPosts` (sort=latest).

Search needs a logged-in session, so the source logs in with a handle and an app password from
the environment and keeps the session (the SDK refreshes it). Posts are indexed a little late, so
each poll searches from a few minutes before the newest post seen and skips the posts the cursor
remembers from that overlap; nothing indexed late is lost, nothing is emitted twice.

A reply keeps its reply refs: `in_reply_to` is the parent post's URI and `conversation_id` the
thread's root (a post that replies to nothing is its own root). The brand's own answers are
searched with `from:<handle>` for each of `own_accounts.bluesky`, keeping only replies, since an
answer rarely names the brand.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Callable

from pydantic import Field

from listener.config import BrandConfig
from listener.config.types import Duration, Secret
from listener.core.language import normalise_language_tag
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
from listener.sources.http import (
    DEFAULT_TIMEOUT,
    RequestTimeout,
    item_id,
    parse_timestamp,
    retry_after_seconds,
    search_terms,
)

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

POST_URL = "https://bsky.app/profile/{handle}/post/{rkey}"
INVALID_HANDLE = "handle.invalid"
"""What Bluesky shows instead of a handle whose DNS or well-known verification fails."""


class BlueskySettings(CollectorSettings):
    handle: Secret = Field(description="${ENV} reference to the account handle, e.g. ${BLUESKY_HANDLE}.")
    app_password: Secret = Field(description="${ENV} reference to an app password (Settings > App passwords).")
    service: str = Field("https://bsky.social", pattern=r"^https?://", description="The account's PDS or entryway.")
    overlap: Duration = Field(default=timedelta(minutes=10), description="How far back each poll re-searches for late-indexed posts.")
    max_pages: int = Field(5, ge=1, le=50, description="Pages of 100 read per search term and poll.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT


class BlueskyCollector:
    def __init__(self, context: SourceContext):
        self._settings: BlueskySettings = context.settings
        self._source = context.name
        self._client: Any = None

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        client = self._session()
        seen: dict[str, str] = dict((cursor or {}).get("seen", {}))
        newest = (cursor or {}).get("newest")
        since = (parse_timestamp(newest) - self._settings.overlap) if newest else None
        posts: dict[str, Mention] = {}
        for term in search_terms(brand):
            for mention in self._search(client, term, since):
                posts.setdefault(mention.external_id, mention)
        for handle in brand.own_accounts.bluesky:
            for mention in self._search(client, f"from:{handle.lstrip('@')}", since):
                if mention.in_reply_to is not None:
                    posts.setdefault(mention.external_id, mention)
        fresh = [mention for uri, mention in posts.items() if uri not in seen]
        times = [mention.created_at for mention in posts.values()] + ([parse_timestamp(newest)] if newest else [])
        if not times:
            return FetchResult([], dict(cursor or {}))
        next_newest = max(times)
        keep_from = next_newest - self._settings.overlap
        remembered = {uri: stamp for uri, stamp in seen.items() if parse_timestamp(stamp) >= keep_from}
        remembered.update({uri: m.created_at.isoformat() for uri, m in posts.items() if m.created_at >= keep_from})
        return FetchResult(fresh, {"newest": next_newest.isoformat(), "seen": remembered})

    def check(self, brand: BrandConfig) -> str:
        client = self._session()
        term = search_terms(brand)[0]
        reply = self._call(lambda: self._query(client, {"q": term, "sort": "latest", "limit": 1}))
        return f"logged in to {self._settings.service}; search works ({len(reply.get('posts') or [])} recent post for {term!r})"

    def _session(self) -> Any:
        """A logged-in client, made once and reused: logging in on every poll is rate limited."""
        if self._client is not None:
            return self._client
        handle, password = self._settings.handle.resolve(secret=False), self._settings.app_password.resolve()
        missing = [ref.variable for ref, value in ((self._settings.handle, handle), (self._settings.app_password, password)) if not value]
        if missing:
            raise SourceMisconfigured(f"{self._source}: set {', '.join('$' + name for name in missing)} (handle and app password)")
        from atproto import Client  # lazily: config validation must not pay for it
        from atproto_client.request import Request

        client = Client(base_url=self._settings.service, request=Request(timeout=self._settings.timeout))
        self._call(lambda: client.login(handle, password, fetch_bsky_profile=False), logging_in=True)
        self._client = client
        return client

    @staticmethod
    def _query(client: Any, params: dict[str, Any]) -> dict[str, Any]:
        """searchPosts through the SDK's session and error handling, but with posts left as JSON, so
        one post the models reject is skipped rather than failing the whole page."""
        from atproto import models

        response = client.invoke_query("app.bsky.feed.searchPosts", params=models.AppBskyFeedSearchPosts.Params(**params))
        if not isinstance(response.content, dict):
            raise ValueError("searchPosts reply is not a JSON object")
        return response.content

    def _search(self, client: Any, term: str, since: Any) -> list[Mention]:
        params: dict[str, Any] = {"q": term, "sort": "latest", "limit": 100}
        if since is not None:
            params["since"] = since.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        mentions: list[Mention] = []
        for _ in range(self._settings.max_pages):
            reply = self._call(lambda: self._query(client, params))
            mentions.extend(parse_each(reply.get("posts") or [], self._mention, log, self._source, item_id))
            if not reply.get("cursor") or not reply.get("posts"):
                break
            params = {**params, "cursor": reply["cursor"]}
        else:
            log.warning("%s: more than %d pages of posts for %r; older ones skipped", self._source, self._settings.max_pages, term)
        return mentions

    def _call(self, request: Callable[[], Any], logging_in: bool = False) -> Any:
        from atproto_client import exceptions

        where = f"{self._source}: {self._settings.service}"
        try:
            return request()
        except exceptions.RateLimitExceededError as error:
            headers = error.response.headers if error.response is not None else {}
            raise SourceUnavailable(f"{where}: rate limited", retry_after=retry_after_seconds(headers)) from error
        except (exceptions.UnauthorizedError, exceptions.BadRequestError) as error:
            detail = _xrpc_error(error)
            if logging_in:
                raise SourceMisconfigured(f"{where}: login refused ({detail}); check the handle and app password") from error
            self._client = None  # an expired or revoked session: log in afresh next poll
            raise SourceUnavailable(f"{where}: session rejected ({detail}); logging in again next poll") from error
        except (exceptions.NetworkError, exceptions.InvokeTimeoutError) as error:
            raise SourceUnavailable(f"{where}: network error or timeout ({_xrpc_error(error)})") from error
        except exceptions.RequestException as error:
            status = error.response.status_code if error.response is not None else None
            if status is not None and 400 <= status < 500:
                raise SourceMisconfigured(f"{where}: HTTP {status} ({_xrpc_error(error)})") from error
            raise SourceUnavailable(f"{where}: server error HTTP {status} ({_xrpc_error(error)})") from error
        except (exceptions.ModelError, ValueError) as error:
            raise SourceUnavailable(f"{where}: malformed reply: {error}") from error

    def _mention(self, post: dict[str, Any]) -> Mention | None:
        from atproto import models
        from atproto_client.exceptions import ModelError
        from atproto_client.models.utils import get_or_create

        try:
            view = get_or_create(post, models.AppBskyFeedDefs.PostView, strict=True)
        except ModelError as error:
            cause = error.__cause__
            if hasattr(cause, "errors"):  # pydantic's ValidationError: name the fields, not the whole input
                raise ValueError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in cause.errors())) from error
            raise ValueError(str(error)) from error
        record = view.record
        text = getattr(record, "text", None) if not isinstance(record, dict) else record.get("text")
        if not text:  # not a post record, or an image with no text
            return None
        created = getattr(record, "created_at", None) if not isinstance(record, dict) else record.get("createdAt")
        langs = (getattr(record, "langs", None) if not isinstance(record, dict) else record.get("langs")) or []
        rkey = view.uri.rsplit("/", 1)[-1]
        # An unverified handle links nowhere; the DID always resolves.
        author = view.author.did if view.author.handle == INVALID_HANDLE else view.author.handle
        return Mention(
            source=self._source,
            external_id=view.uri,
            text=text,
            created_at=_post_time(created, view.indexed_at),
            author=author,
            url=POST_URL.format(handle=author, rkey=rkey),
            language=normalise_language_tag(langs[0]) if langs else None,
            likes=view.like_count or 0,
            shares=(view.repost_count or 0) + (view.quote_count or 0),
            replies=view.reply_count or 0,
            conversation_id=_reply_ref(record, "root") or view.uri,
            in_reply_to=_reply_ref(record, "parent"),
        )


def _reply_ref(record: Any, which: str) -> str | None:
    """The URI of a post record's reply `parent` or `root` (None for a post that is not a reply);
    the SDK gives a model for a known record type and a dict for an unknown one."""
    reply = record.get("reply") if isinstance(record, dict) else getattr(record, "reply", None)
    ref = (reply.get(which) if isinstance(reply, dict) else getattr(reply, which, None)) if reply else None
    uri = ref.get("uri") if isinstance(ref, dict) else getattr(ref, "uri", None)
    return uri if isinstance(uri, str) and uri else None


def _post_time(created: str | None, indexed: str) -> datetime:
    """When a post was written, as Bluesky sorts it: its claimed creation time, but never later
    than its indexing. Clients write `createdAt` themselves, so it may be unparseable (year 0, which
    Python cannot represent) or before Bluesky's timestamps mean anything; then the other of the
    two timestamps is used. A post with neither is malformed and skipped by the caller."""
    times = [moment for moment in (_timestamp(created), _timestamp(indexed)) if moment is not None]
    if not times:
        raise ValueError(f"neither createdAt {created!r} nor indexedAt {indexed!r} is a usable time")
    return min(times)


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parse_timestamp(value)
    except (ValueError, OverflowError):
        return None
    return moment if moment > EPOCH else None


def _xrpc_error(error: Exception) -> str:
    response = getattr(error, "response", None)
    content = getattr(response, "content", None)
    if content is not None and hasattr(content, "error"):
        return f"{content.error}: {content.message}" if getattr(content, "message", None) else str(content.error)
    if response is None:  # a transport failure: the httpx error underneath says what happened
        cause = error.__cause__
        return f"{type(cause).__name__}: {cause}" if cause is not None else type(error).__name__
    return f"HTTP {response.status_code}"


def build(context: SourceContext) -> Collector:
    return BlueskyCollector(context)


PLUGIN = CollectorType(name="bluesky", settings_model=BlueskySettings, build=build, extra=Extra("bluesky", ("atproto",)))
