"""Videos matching the brand on YouTube, and their comments, through the YouTube Data API v3.

An API key (Google Cloud console, YouTube Data API v3 enabled) has 10,000 quota units a day, and
the two calls cost very differently: `search.list` is 100 units, `commentThreads.list` 1. So each
poll runs one search for all of the brand's terms at once (`a|"b c"`, YouTube's OR) and then
reads the comments of every video found within `video_lookback`; the ids of those videos live in
the cursor, since a video's comments keep coming for days after search has moved on.

Search matches a video's title, description and tags; a comment under it need not name the
brand at all, so every comment (and the video itself) is matched against the brand locally and
only the ones that really mention it are returned.

A used-up daily quota (`quotaExceeded`) is waited out until the quota resets at midnight Pacific
time, not reported as a configuration problem; a video with comments turned off, or deleted since,
is dropped from the cursor quietly.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pydantic import Field

from listener.config import BrandConfig
from listener.config.types import Duration, Secret, SecretRef
from listener.core.clock import Clock
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
    split_at_since,
)
from listener.sources.http import (
    DEFAULT_TIMEOUT,
    RequestTimeout,
    make_client,
    parse_timestamp,
    plain_text,
    raise_for_status,
    retry_after_seconds,
    search_terms,
)
from listener.sources.matching import mentions_brand

log = logging.getLogger(__name__)

VIDEO_URL = "https://www.youtube.com/watch?v={video}"
COMMENT_URL = "https://www.youtube.com/watch?v={video}&lc={comment}"
QUOTA_TIMEZONE = ZoneInfo("America/Los_Angeles")
"""The daily quota resets at midnight Pacific time."""
SEARCH_OVERLAP = timedelta(hours=1)
"""How far before the newest video found each search looks again: search indexes a video some
minutes after it is published, so a video published just before the newest one may appear late.
The known video ids keep the overlap from storing anything twice."""
SKIPPED_VIDEO_REASONS = frozenset({"commentsDisabled", "videoNotFound", "forbidden"})
"""Reasons `commentThreads.list` gives for one video whose comments cannot be read: turned off,
deleted, or made private since it was found (`forbidden`). A bad key fails the search first."""
THROTTLED_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked"})


class YouTubeSettings(CollectorSettings):
    api_key: Secret = Field(
        default=SecretRef("${YOUTUBE_API_KEY}"), description="${ENV} reference to a YouTube Data API v3 key."
    )
    max_videos: int = Field(10, ge=1, le=50, description="Newest videos a poll's search returns (one search costs 100 units).")
    max_comments_per_video: int = Field(
        100, ge=1, le=1000, description="Newest comments read per video and poll (one unit per 100)."
    )
    video_lookback: Duration = Field(
        default=timedelta(days=3), description="How long a found video keeps being read for new comments."
    )
    region_code: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 country the search favours, e.g. US.")
    relevance_language: str | None = Field(
        None, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", description="Language the search favours, e.g. en or zh-Hans."
    )
    base_url: str = Field("https://www.googleapis.com/youtube/v3", pattern=r"^https?://", description="The API root.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT


class _VideoGone(Exception):
    """The video's comments cannot be read (turned off, or the video deleted): stop asking."""


@dataclass(frozen=True)
class _FoundVideo:
    video_id: str
    published: int
    mention: Mention


class YouTubeCollector:
    def __init__(self, context: SourceContext):
        self._settings: YouTubeSettings = context.settings
        self._source = context.name
        self._clock: Clock = context.clock
        self._client = make_client(self._settings.timeout)
        self._base_url = self._settings.base_url.rstrip("/")

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        cursor = cursor or {}
        now = self._clock.now()
        floor = int((now - self._settings.video_lookback).timestamp())
        tracked: dict[str, dict[str, Any]] = {
            video_id: dict(entry)
            for video_id, entry in (cursor.get("videos") or {}).items()
            if isinstance(entry, dict) and int(entry.get("published", 0)) >= floor
        }
        newest_video = int(cursor.get("newest_video", 0))
        mentions: list[Mention] = []

        published_after = max(floor, newest_video - int(SEARCH_OVERLAP.total_seconds()))
        for video in self._search(brand, published_after):
            newest_video = max(newest_video, video.published)
            if video.video_id in tracked or video.published < floor:
                continue
            tracked[video.video_id] = {"published": video.published}
            if mentions_brand(brand, video.mention.text, video.mention.language):
                mentions.append(video.mention)

        for video_id in list(tracked):
            entry = tracked[video_id]
            try:
                comments, comment_cursor = self._new_comments(video_id, entry)
            except _VideoGone as gone:
                log.info("%s: no longer reading comments of video %s: %s", self._source, video_id, gone)
                del tracked[video_id]
                continue
            mentions += [comment for comment in comments if mentions_brand(brand, comment.text, comment.language)]
            entry.update(comment_cursor)

        next_cursor: Cursor = {"videos": tracked}
        if newest_video:
            next_cursor["newest_video"] = newest_video
        return FetchResult(mentions, next_cursor)

    def check(self, brand: BrandConfig) -> str:
        """The key is proved with `videos.list` on the popular chart (1 unit), not a search (100)."""
        self._get("videos", {"part": "id", "chart": "mostPopular", "maxResults": 1})
        return (f"YouTube Data API key accepted; each poll searches {self._query(brand)!r} "
                f"(100 of the 10,000 daily units) plus 1 unit per 100 comments of each video read")

    # -- search ------------------------------------------------------------------------------

    def _query(self, brand: BrandConfig) -> str:
        """All terms in one search, `|` being YouTube's OR: one search instead of one per term
        saves 100 units each."""
        return "|".join(f'"{term}"' if " " in term else term for term in search_terms(brand))

    def _search(self, brand: BrandConfig, published_after: int) -> list[_FoundVideo]:
        params: dict[str, Any] = {
            "part": "snippet",
            "type": "video",
            "order": "date",
            "q": self._query(brand),
            "maxResults": self._settings.max_videos,
            "publishedAfter": datetime.fromtimestamp(published_after, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if self._settings.region_code:
            params["regionCode"] = self._settings.region_code
        if self._settings.relevance_language:
            params["relevanceLanguage"] = self._settings.relevance_language
        reply = self._get("search", params)
        items = reply.get("items")
        if not isinstance(items, list):
            log.warning("%s: search reply has no items list; skipped", self._source)
            return []
        if reply.get("nextPageToken") and len(items) >= self._settings.max_videos:
            log.info("%s: more than %d new videos; the oldest are not read (raise max_videos or poll more often)",
                     self._source, self._settings.max_videos)
        return parse_each(items, self._video, log, self._source, _video_id)

    def _video(self, item: dict[str, Any]) -> _FoundVideo:
        video_id = _video_id(item)
        if not isinstance(video_id, str) or not video_id:
            raise ValueError("no id.videoId")
        snippet = item["snippet"]
        created = parse_timestamp(snippet["publishedAt"])
        # search.list HTML-escapes titles and descriptions (`&#39;`, `&amp;`) though they are plain text.
        title = plain_text(html.unescape(str(snippet.get("title") or "")))
        description = plain_text(html.unescape(str(snippet.get("description") or "")))
        mention = Mention(
            source=self._source,
            external_id=video_id,
            text="\n".join(part for part in (title, description) if part),
            created_at=created,
            author=html.unescape(snippet["channelTitle"]) if snippet.get("channelTitle") else None,
            url=VIDEO_URL.format(video=video_id),
        )
        return _FoundVideo(video_id, int(created.timestamp()), mention)

    # -- comments ----------------------------------------------------------------------------

    def _new_comments(self, video_id: str, entry: dict[str, Any]) -> tuple[list[Mention], Cursor]:
        """The comments posted since the video's cursor, newest first, at most
        `max_comments_per_video`; the cursor is the newest second read and the ids seen at it."""
        since = int(entry.get("since", 0)) or None
        threads_by_id: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {
            "part": "snippet", "videoId": video_id, "order": "time", "textFormat": "plainText",
            "maxResults": min(self._settings.max_comments_per_video, 100),
        }
        reached_floor = False
        while len(threads_by_id) < self._settings.max_comments_per_video:
            reply = self._get("commentThreads", params)
            items = reply.get("items")
            if not isinstance(items, list):
                log.warning("%s: comments of video %s have no items list; skipped", self._source, video_id)
                break
            for item in items:
                thread_id = _thread_id(item)
                created = _comment_created(item)
                if thread_id is None:
                    log.warning("%s: skipped malformed comment thread without an id on video %s", self._source, video_id)
                    continue
                if since is not None and created is not None and created < since:
                    reached_floor = True
                    continue
                threads_by_id.setdefault(thread_id, item)
            token = reply.get("nextPageToken")
            if reached_floor or not token:
                reached_floor = True
                break
            params["pageToken"] = token
        if not reached_floor and since is not None:
            log.warning("%s: more than %d new comments on video %s; older ones skipped (raise max_comments_per_video)",
                        self._source, self._settings.max_comments_per_video, video_id)
        fresh, comment_cursor = split_at_since(threads_by_id, _comment_created, {"since": since or 0, "seen": entry.get("seen", [])})
        mentions = parse_each(fresh, lambda item: self._comment(video_id, item), log, self._source, _thread_id)
        return mentions, comment_cursor

    def _comment(self, video_id: str, thread: dict[str, Any]) -> Mention:
        comment = thread["snippet"]["topLevelComment"]
        snippet = comment["snippet"]
        text = plain_text(str(snippet.get("textDisplay") or snippet.get("textOriginal") or ""))
        if not text:
            raise ValueError("no comment text")
        return Mention(
            source=self._source,
            external_id=str(comment["id"]),
            text=text,
            created_at=parse_timestamp(snippet["publishedAt"]),
            author=str(snippet["authorDisplayName"]) if snippet.get("authorDisplayName") else None,
            url=COMMENT_URL.format(video=video_id, comment=comment["id"]),
            likes=max(int(snippet.get("likeCount") or 0), 0),
            replies=max(int(thread["snippet"].get("totalReplyCount") or 0), 0),
        )

    # -- the API -----------------------------------------------------------------------------

    def _get(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """One API request. Errors come as JSON with `error.errors[0].reason`, which says more
        than the status: a 403 is a used-up quota (wait), comments turned off (skip the video) or
        a rejected key (fix the config)."""
        key = self._settings.api_key.resolve()
        if key is None:
            raise SourceMisconfigured(
                f"{self._source}: api_key: environment variable {self._settings.api_key.variable} is not set"
            )
        url = f"{self._base_url}/{method}"
        try:
            response = self._client.get(url, params={**params, "key": key})
        except httpx.TimeoutException as error:
            raise SourceUnavailable(f"{self._source}: {url}: timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise SourceUnavailable(f"{self._source}: {url}: network error: {error}") from error
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if response.status_code >= 400:
            self._raise_for_error(response, method, _error_reason(reply))
        if not isinstance(reply, dict):
            raise SourceUnavailable(f"{self._source}: {url}: malformed JSON in HTTP {response.status_code} reply")
        return reply

    def _raise_for_error(self, response: httpx.Response, method: str, reason: str | None) -> None:
        where = f"{self._source}: YouTube {method}"
        if reason == "quotaExceeded":
            wait = _until_next_pacific_midnight(self._clock.now())
            raise SourceUnavailable(
                f"{where}: the daily quota is used up (quotaExceeded); waiting until it resets at midnight "
                f"Pacific time, in {wait / 3600:.1f} h", retry_after=wait,
            )
        if reason in THROTTLED_REASONS:
            raise SourceUnavailable(f"{where}: rate limited ({reason})", retry_after=retry_after_seconds(response.headers))
        if reason in SKIPPED_VIDEO_REASONS and method == "commentThreads":
            raise _VideoGone(reason)
        # Google now reports a bad key as a 400 `badRequest` ("API key not valid") more often than `keyInvalid`.
        if reason in KEY_REASONS or (reason == "badRequest" and "API key" in response.text):
            raise SourceMisconfigured(
                f"{where}: the API key was rejected ({reason}); check {self._settings.api_key.variable} and that "
                f"the YouTube Data API v3 is enabled for it"
            )
        raise_for_status(response, self._source)


def _error_reason(reply: Any) -> str | None:
    """`error.errors[0].reason` of an API error reply, if it has that shape."""
    error = reply.get("error") if isinstance(reply, dict) else None
    errors = error.get("errors") if isinstance(error, dict) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    reason = first.get("reason")
    return reason if isinstance(reason, str) else None


def _until_next_pacific_midnight(now: datetime) -> float:
    local = now.astimezone(QUOTA_TIMEZONE)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=QUOTA_TIMEZONE)
    return max((midnight - now).total_seconds(), 0.0)


def _video_id(item: Any) -> str | None:
    ids = item.get("id") if isinstance(item, dict) else None
    video_id = ids.get("videoId") if isinstance(ids, dict) else None
    return video_id if isinstance(video_id, str) else None


def _thread_id(item: Any) -> str | None:
    thread_id = item.get("id") if isinstance(item, dict) else None
    return thread_id if isinstance(thread_id, str) and thread_id else None


def _comment_created(item: Any) -> int | None:
    try:
        return int(parse_timestamp(item["snippet"]["topLevelComment"]["snippet"]["publishedAt"]).timestamp())
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def build(context: SourceContext) -> Collector:
    return YouTubeCollector(context)


PLUGIN = CollectorType(name="youtube", settings_model=YouTubeSettings, build=build)
