"""RSS and Atom feeds: news sites, blogs, Google-Alerts-style feeds, Discourse's `/latest.rss`.

We fetch with httpx ourselves (timeouts, status codes, conditional requests) and hand the bytes to
feedparser. Feeds have no "since" parameter, so the cursor remembers, per feed URL, the ETag and
Last-Modified (a 304 costs the server nothing) and a bounded set of entry ids with a digest of
their content: an entry seen before is skipped unless its text changed, in which case it is sent
again under the same id and storage updates it.
"""

from __future__ import annotations

import calendar
import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import Field, field_validator

from listener.core.clock import Clock
from listener.config import BrandConfig
from listener.core.records import Mention
from listener.sources.base import (
    Collector,
    CollectorSettings,
    CollectorType,
    Cursor,
    FetchResult,
    SourceContext,
    parse_each,
    SourceMisconfigured,
    SourceUnavailable,
)
from listener.sources.http import (
    DEFAULT_TIMEOUT,
    RequestTimeout,
    content_digest,
    item_id,
    make_client,
    remember,
    request,
    strip_html,
)

log = logging.getLogger(__name__)


class FeedSettings(CollectorSettings):
    urls: tuple[str, ...] = Field(min_length=1, description="RSS or Atom feed URLs, all read on every poll.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT
    remember: int = Field(1000, ge=10, le=100_000, description="Entry ids remembered per feed to skip repeats.")

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http(s) URL")
        return urls


class FeedUnreadable(SourceUnavailable):
    """The URL answered, but not with a feed (a login page, a proxy's error page)."""


class FeedCollector:
    def __init__(self, context: SourceContext):
        self._settings: FeedSettings = context.settings
        self._source = context.name
        self._clock: Clock = context.clock
        self._client = make_client(self._settings.timeout)

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        """Read every feed; one failing feed is logged and retried next poll from its own state,
        while the others' entries are kept. Only when every feed fails does the source fail."""
        states: dict[str, Any] = dict((cursor or {}).get("feeds", {}))
        mentions: list[Mention] = []
        failures: list[Exception] = []
        for url in self._settings.urls:
            try:
                found, states[url] = self._read(url, states.get(url, {}))
            except (SourceUnavailable, SourceMisconfigured) as error:
                failures.append(error)
                log.warning("%s", error)
                continue
            mentions.extend(found)
        if failures and len(failures) == len(self._settings.urls):
            raise failures[0]
        # Feeds removed from the config are forgotten, so the cursor does not grow forever.
        return FetchResult(mentions, {"feeds": {url: states[url] for url in self._settings.urls if url in states}})

    def check(self, brand: BrandConfig) -> str:
        counts = []
        for url in self._settings.urls:
            try:
                entries, _ = self._download(url, {})
            except FeedUnreadable as error:  # during a poll maybe a passing error page; here, a wrong URL
                raise SourceMisconfigured(str(error)) from error
            counts.append(len(entries or []))
        return f"{len(counts)} feed(s) readable, {sum(counts)} entries now"

    def _download(self, url: str, state: dict[str, Any]) -> tuple[list[Any] | None, dict[str, Any]]:
        """The feed's entries and its validators (and language), or None when the server says 304."""
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        response = request(self._client, self._source, url, headers=headers)
        if response.status_code == 304:
            return None, {}
        import feedparser  # lazily: config validation must not pay for it

        parsed = feedparser.parse(
            response.content,
            response_headers={key.lower(): value for key, value in response.headers.items()},
        )
        if parsed.bozo and not parsed.entries:
            raise FeedUnreadable(f"{self._source}: {url}: not a readable RSS/Atom feed: {parsed.get('bozo_exception')}")
        if parsed.bozo:
            log.debug("%s: %s: feed has errors, read anyway: %s", self._source, url, parsed.get("bozo_exception"))
        validators = {
            "etag": response.headers.get("ETag"),
            "modified": response.headers.get("Last-Modified"),
            "language": parsed.feed.get("language"),
        }
        return list(parsed.entries), validators

    def _read(self, url: str, state: dict[str, Any]) -> tuple[list[Mention], dict[str, Any]]:
        entries, validators = self._download(url, state)
        if entries is None:
            return [], state
        seen: dict[str, str] = dict(state.get("seen", {}))
        current: dict[str, str] = {}

        def parse(entry: Any) -> Mention | None:
            mention, digest = self._mention(entry, validators.get("language"))
            current[mention.external_id] = digest
            return mention if seen.get(mention.external_id) != digest else None

        mentions = parse_each(entries, parse, log, f"{self._source}: {url}", item_id)
        next_state = {
            **{key: validators[key] for key in ("etag", "modified") if validators.get(key)},
            "seen": remember(seen, current, max(self._settings.remember, len(current))),
        }
        return mentions, next_state

    def _mention(self, entry: Any, feed_language: str | None) -> tuple[Mention, str]:
        title = strip_html(entry.get("title"))
        contents = entry.get("content") or []
        body = strip_html(contents[0].get("value") if contents else entry.get("summary"))
        text = "\n".join(part for part in (title, body) if part)
        if not text:
            raise ValueError("entry has neither title nor text")
        entry_id = entry.get("id") or entry.get("link") or content_digest(title, body)
        moment = entry.get("published_parsed") or entry.get("updated_parsed")
        created_at = datetime.fromtimestamp(calendar.timegm(moment), UTC) if moment else self._clock.now()
        language = (contents[0].get("language") if contents else None) or feed_language
        mention = Mention(
            source=self._source,
            external_id=str(entry_id),
            text=text,
            created_at=created_at,
            author=entry.get("author") or None,
            url=entry.get("link") or None,
            language=language.split("-")[0].lower() if language else None,
        )
        return mention, content_digest(title, body)


def build(context: SourceContext) -> Collector:
    return FeedCollector(context)


PLUGIN = CollectorType(name="rss", settings_model=FeedSettings, build=build)
