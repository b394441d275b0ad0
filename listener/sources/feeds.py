"""RSS and Atom feeds: news sites, blogs, Google-Alerts-style feeds, Discourse's `/latest.rss`.

We fetch with httpx ourselves (timeouts, status codes, conditional requests) and hand the bytes to
feedparser. Feeds have no "since" parameter, so the cursor remembers, per feed URL, the ETag and
Last-Modified (a 304 costs the server nothing) and a bounded set of entry ids with a digest of
their content: an entry seen before is skipped unless its text changed, in which case it is sent
again under the same id and storage updates it.

Feeds are loose about what they promise, so each entry is read defensively: relative links are
resolved against the feed's own address (and `xml:base`), an id that is not a web address
(`urn:uuid:`, `tag:`) is never shown as a link, a `type="text"` title is taken as written, and an
entry with no date is stored at the poll time but marked `undated`, which keeps it out of the
spike detector's counts (a feed added with fifty undated entries would otherwise be a spike).
A feed with a small error and no entries (yet) is an empty feed, not a failure: the error is
logged once, when it first appears, and again only if it changes.
"""

from __future__ import annotations

import calendar
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from pydantic import Field, field_validator

from listener.config import BrandConfig
from listener.core.clock import Clock
from listener.core.language import normalise_language_tag
from listener.core.records import Mention
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
    content_digest,
    item_id,
    make_client,
    plain_text,
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
        """The feed's entries and its validators (and language, base address and parse error), or
        None when the server says 304."""
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        response = request(self._client, self._source, url, headers=headers)
        if response.status_code == 304:
            return None, {}
        import feedparser  # lazily: config validation must not pay for it

        # Where the feed was read from (after redirects) is the base its relative links resolve
        # against. It is not handed to feedparser, which would resolve relative RSS guids too and
        # so change the ids of entries already stored.
        base = urljoin(str(response.url), response.headers.get("Content-Location", ""))
        parsed = feedparser.parse(
            response.content,
            response_headers={key.lower(): value for key, value in response.headers.items()},
        )
        if not parsed.version and not parsed.entries:
            detail = parsed.get("bozo_exception") or "no RSS or Atom elements"
            raise FeedUnreadable(f"{self._source}: {url}: not a readable RSS/Atom feed: {detail}")
        malformed = str(parsed.get("bozo_exception") or "")[:300] if parsed.bozo else ""
        if malformed and malformed != state.get("malformed"):
            log.warning("%s: %s: feed has errors, read anyway (%d entries): %s", self._source, url, len(parsed.entries), malformed)
        validators = {
            "etag": response.headers.get("ETag"),
            "modified": response.headers.get("Last-Modified"),
            "language": parsed.feed.get("language"),
            "base": base,
            "malformed": malformed,
        }
        return list(parsed.entries), validators

    def _read(self, url: str, state: dict[str, Any]) -> tuple[list[Mention], dict[str, Any]]:
        entries, validators = self._download(url, state)
        if entries is None:
            return [], state
        seen: dict[str, str] = dict(state.get("seen", {}))
        current: dict[str, str] = {}

        def parse(entry: Any) -> Mention | None:
            mention, digest = self._mention(entry, validators.get("language"), validators["base"])
            current[mention.external_id] = digest
            return mention if seen.get(mention.external_id) != digest else None

        mentions = parse_each(entries, parse, log, f"{self._source}: {url}", item_id)
        next_state = {
            **{key: validators[key] for key in ("etag", "modified", "malformed") if validators.get(key)},
            "seen": remember(seen, current, max(self._settings.remember, len(current))),
        }
        return mentions, next_state

    def _mention(self, entry: Any, feed_language: str | None, base: str) -> tuple[Mention, str]:
        title = _as_written(entry.get("title_detail"), entry.get("title"))
        contents = entry.get("content") or []
        if contents:
            body = _as_written(contents[0], contents[0].get("value"))
        else:
            body = _as_written(entry.get("summary_detail"), entry.get("summary"))
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
            url=_web_link(entry.get("link"), base, from_guid=bool(entry.get("guidislink"))),
            language=normalise_language_tag(language),
            undated=not moment,
        )
        return mention, content_digest(title, body)


def _as_written(detail: Any, value: Any) -> str:
    """A title, summary or content as its author wrote it: markup stripped only from HTML.
    feedparser hands a `type="text"` construct (Atom's default, and RSS titles) over already
    unescaped, so `<dialog>` in it is a word, not a tag."""
    if (detail or {}).get("type") == "text/plain":
        return plain_text(value)
    return strip_html(value)


def _web_link(link: object, base: str, from_guid: bool = False) -> str | None:
    """An http(s) address for the entry, or None. A relative link is resolved against the feed's
    address. An entry without a link element gets its RSS guid as `link` from feedparser (a guid
    is a permalink unless it says otherwise), but most such guids are identifiers (`urn:uuid:...`,
    `tag:...`, a bare number): only one that is a whole web address is taken as the link."""
    if not isinstance(link, str) or not link.strip():
        return None
    resolved = link.strip() if from_guid else urljoin(base, link.strip())
    return resolved if urlsplit(resolved).scheme in ("http", "https") else None


def build(context: SourceContext) -> Collector:
    return FeedCollector(context)


PLUGIN = CollectorType(name="rss", settings_model=FeedSettings, build=build)
