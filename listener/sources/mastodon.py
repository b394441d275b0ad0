"""Mastodon statuses through Mastodon.py: hashtag timelines, and full-text search with a token.

Hashtag timelines are public on most instances, so a source works with no account at all; an
access token adds `search_v2` over statuses (Mastodon only full-text-searches for logged-in
users). Each timeline or search keeps its own newest-seen id in the cursor and is read upwards
from it with `min_id`, so a burst bigger than one page is read page by page, without gaps.

Statuses keep the status they answer (`in_reply_to_id`). The replies of the brand's own accounts
(`own_accounts.mastodon`, as this instance writes them: `user` for a local account, else
`user@host`) are read from each account's public statuses, since an answer rarely carries the
brand's hashtag or name; response-time metrics match them to the statuses they answer.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC
from typing import Any, Callable

from pydantic import Field, field_validator

from listener.config import BrandConfig
from listener.config.types import Secret
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
    USER_AGENT,
    RequestTimeout,
    item_id,
    parse_timestamp,
    query_terms,
    search_terms,
    strip_html,
)

log = logging.getLogger(__name__)

PAGE_SIZE = 40  # Mastodon's maximum for timelines and search


class MastodonSettings(CollectorSettings):
    instance: str = Field(pattern=r"^https?://", description="The instance's base URL, e.g. https://mastodon.social.")
    hashtags: tuple[str, ...] = Field(
        (), description="Hashtags to follow, without '#'; default: the brand's #tags and one-word keywords."
    )
    access_token: Secret | None = Field(None, description="${ENV} reference to a token; enables status search.")
    max_pages: int = Field(5, ge=1, le=50, description="Pages of 40 read per timeline or search and poll.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT

    @field_validator("hashtags")
    @classmethod
    def _without_hash(cls, hashtags: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(tag.lstrip("#") for tag in hashtags if tag.lstrip("#"))


class MastodonCollector:
    def __init__(self, context: SourceContext):
        self._settings: MastodonSettings = context.settings
        self._source = context.name
        self._api: Any = None
        self._api_token: str | None = None
        self._account_ids: dict[str, str] = {}

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        api = self._client()
        self._require_something_to_read(brand)
        since_ids: dict[str, str] = dict((cursor or {}).get("since_id", {}))
        mentions: dict[str, Mention] = {}
        streams: list[tuple[str, Callable[..., list[Any]]]] = [
            (f"tag:{tag}", lambda tag=tag, **page: api.timeline_hashtag(tag, **page)) for tag in self._hashtags(brand)
        ]
        if self._api_token:
            streams += [
                (f"search:{term}", lambda term=term, **page: api.search_v2(term, result_type="statuses", **page).statuses)
                for term in search_terms(brand)
            ]
        own = {f"own:{acct}" for acct in brand.own_accounts.mastodon}
        streams += [
            (f"own:{acct}", lambda acct=acct, **page: api.account_statuses(self._account_id(acct), exclude_reblogs=True, **page))
            for acct in brand.own_accounts.mastodon
        ]
        for key, read_page in streams:
            statuses, newest = self._read(key, read_page, since_ids.get(key))
            if key in own:  # the brand's answers; its other posts come in through the brand's own streams
                statuses = [status for status in statuses if isinstance(status, dict) and status.get("in_reply_to_id")]
            for mention in parse_each(statuses, self._mention, log, self._source, item_id):
                mentions.setdefault(mention.external_id, mention)
            if newest is not None:
                since_ids[key] = newest
        return FetchResult(list(mentions.values()), {"since_id": since_ids})

    def check(self, brand: BrandConfig) -> str:
        api = self._client()
        self._require_something_to_read(brand)
        if not self._hashtags(brand):
            results = self._call(lambda: api.search_v2(search_terms(brand)[0], result_type="statuses", limit=1))
            return f"{self._settings.instance} reachable; search only; {len(results.statuses)} recent result(s)"
        tag = self._hashtags(brand)[0]
        statuses = self._call(lambda: api.timeline_hashtag(tag, limit=1))
        mode = "hashtags and search (token set)" if self._api_token else "hashtags only (no access token)"
        return f"{self._settings.instance} reachable; {mode}; #{tag} has {'recent posts' if statuses else 'no recent posts'}"

    def _require_something_to_read(self, brand: BrandConfig) -> None:
        if not self._hashtags(brand) and not self._api_token:
            raise SourceMisconfigured(
                f"{self._source}: brand {brand.name!r} has no one-word keyword or #tag to follow as a hashtag; "
                "set `hashtags`, or an `access_token` to search statuses"
            )

    def _client(self) -> Any:
        token = None
        if self._settings.access_token is not None:
            token = self._settings.access_token.resolve()
            if token is None:
                raise SourceMisconfigured(
                    f"{self._source}: access_token refers to ${{{self._settings.access_token.variable}}}, which is not set"
                )
        if self._api is None or token != self._api_token:
            from mastodon import (
                Mastodon,  # lazily: config validation must not pay for it
            )

            self._api = Mastodon(
                api_base_url=self._settings.instance.rstrip("/"),
                access_token=token,
                request_timeout=self._settings.timeout,
                ratelimit_method="throw",
                version_check_mode="none",
                user_agent=USER_AGENT,
            )
            self._api_token = token
        return self._api

    def _account_id(self, acct: str) -> str:
        """The id of an own account, looked up once (`/api/v1/accounts/lookup`, public)."""
        if acct not in self._account_ids:
            account = self._call(lambda: self._client().account_lookup(acct.lstrip("@")))
            self._account_ids[acct] = str(account["id"])
        return self._account_ids[acct]

    def _hashtags(self, brand: BrandConfig) -> list[str]:
        if self._settings.hashtags:
            return list(self._settings.hashtags)
        tags = [term.lstrip("#").lower() for term in query_terms(brand) if " " not in term and not term.startswith("@")]
        return list(dict.fromkeys(tag for tag in tags if tag.replace("_", "").isalnum()))

    def _read(self, key: str, read_page: Callable[..., list[Any]], since_id: str | None) -> tuple[list[Any], str | None]:
        """Every status newer than `since_id`, page by page upwards; on the first run only the
        newest page, so adding a source does not backfill a whole hashtag's history."""
        statuses: list[Any] = []
        newest = since_id
        for _ in range(self._settings.max_pages):
            page = list(self._call(lambda: read_page(min_id=newest, limit=PAGE_SIZE)) or [])
            statuses.extend(page)
            ids = [str(status["id"]) for status in page if isinstance(status, dict) and "id" in status]
            if ids:
                newest = max([*ids, *([newest] if newest else [])], key=_id_order)
            if since_id is None or len(page) < PAGE_SIZE:
                break
        else:
            log.warning("%s: %s has more than %d pages of new posts; reading on next poll", self._source, key,
                        self._settings.max_pages)
        return statuses, newest

    def _call(self, request: Callable[[], Any]) -> Any:
        from mastodon import (
            MastodonAPIError,
            MastodonNetworkError,
            MastodonNotFoundError,
            MastodonRatelimitError,
            MastodonServerError,
            MastodonUnauthorizedError,
        )

        where = f"{self._source}: {self._settings.instance}"
        try:
            return request()
        except MastodonRatelimitError as error:
            reset = getattr(self._api, "ratelimit_reset", None)
            wait = max(float(reset) - time.time(), 0.0) if reset else None
            raise SourceUnavailable(f"{where}: rate limited", retry_after=wait) from error
        except MastodonNetworkError as error:
            raise SourceUnavailable(f"{where}: network error or timeout: {error}") from error
        except MastodonServerError as error:
            raise SourceUnavailable(f"{where}: server error {_status(error)}") from error
        except (MastodonUnauthorizedError, MastodonNotFoundError) as error:
            raise SourceMisconfigured(f"{where}: HTTP {_status(error)}: check the instance URL and access token") from error
        except MastodonAPIError as error:
            status = _status(error)
            if isinstance(status, int) and 400 <= status < 500 and status not in (408, 429):
                raise SourceMisconfigured(f"{where}: HTTP {status}: {error}") from error
            raise SourceUnavailable(f"{where}: unusable reply: {error}") from error

    def _mention(self, status: Any) -> Mention | None:
        if status.get("reblog"):  # a boost repeats someone else's post, which is collected on its own
            return None
        text = "\n".join(part for part in (strip_html(status.get("spoiler_text")), strip_html(status["content"])) if part)
        if not text:
            return None
        created = status["created_at"]
        if created is None:
            raise ValueError("status has no created_at")
        created_at = created.astimezone(UTC) if hasattr(created, "astimezone") else parse_timestamp(created)
        account = status.get("account") or {}
        return Mention(
            source=self._source,
            external_id=str(status["id"]),
            text=text,
            created_at=created_at,
            author=account.get("acct"),
            author_reach=account.get("followers_count"),
            url=status.get("url") or status.get("uri"),
            language=normalise_language_tag(status.get("language")),
            likes=int(status.get("favourites_count") or 0),
            shares=int(status.get("reblogs_count") or 0),
            replies=int(status.get("replies_count") or 0),
            in_reply_to=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
        )


def _id_order(status_id: str) -> tuple[int, int | str]:
    """Mastodon ids are numeric strings of growing length; other servers' ids sort as text."""
    return (0, int(status_id)) if status_id.isdigit() else (1, status_id)


def _status(error: Exception) -> object:
    return error.args[1] if len(error.args) > 1 else "?"


def build(context: SourceContext) -> Collector:
    return MastodonCollector(context)


PLUGIN = CollectorType(name="mastodon", settings_model=MastodonSettings, build=build, extra=Extra("mastodon", ("mastodon",)))
