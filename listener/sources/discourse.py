"""Posts on a Discourse forum, through its JSON search (`/search.json`).

Discourse's `after:` filter has a resolution of one day, so each poll asks from the day before
the newest post seen and skips the posts the cursor remembers (a digest of each, so an edited post
is sent again under the same id and storage updates it). Public forums need no key; a private one
takes an API key and username from the environment.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from pydantic import Field

from listener.config import BrandConfig
from listener.core.records import Mention
from listener.config.types import Secret
from listener.sources.base import (
    Collector,
    CollectorSettings,
    CollectorType,
    Cursor,
    FetchResult,
    SourceContext,
    parse_each,
    SourceMisconfigured,
)
from listener.sources.http import (
    DEFAULT_TIMEOUT,
    RequestTimeout,
    content_digest,
    get_json,
    make_client,
    item_id,
    parse_timestamp,
    remember,
    search_terms,
    strip_html,
)

log = logging.getLogger(__name__)


class DiscourseSettings(CollectorSettings):
    url: str = Field(pattern=r"^https?://", description="The forum's base URL, e.g. https://forum.example.com.")
    api_key: Secret | None = Field(None, description="${ENV} reference to an API key, for private forums.")
    api_username: str | None = Field(None, description="The user the API key acts as (default: system).")
    max_pages: int = Field(5, ge=1, le=50, description="Result pages read per search term and poll.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT
    remember: int = Field(2000, ge=10, le=100_000, description="Post ids remembered to skip repeats.")


class DiscourseCollector:
    def __init__(self, context: SourceContext):
        self._settings: DiscourseSettings = context.settings
        self._source = context.name
        self._base_url = self._settings.url.rstrip("/")
        self._client = make_client(self._settings.timeout)
        self._search_url = self._base_url + "/search.json"

    def _auth_headers(self) -> dict[str, str]:
        """Read at each request, so a key added to the environment works without a rebuild."""
        if self._settings.api_key is None:
            return {}
        key = self._settings.api_key.resolve()
        if key is None:
            raise SourceMisconfigured(
                f"{self._source}: api_key refers to ${{{self._settings.api_key.variable}}}, which is not set"
            )
        return {"Api-Key": key, "Api-Username": self._settings.api_username or "system"}

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        latest = (cursor or {}).get("latest")
        seen: dict[str, str] = dict((cursor or {}).get("seen", {}))
        after = (parse_timestamp(latest) - timedelta(days=1)).date().isoformat() if latest else None
        posts: dict[str, Mention] = {}
        for term in search_terms(brand):
            for mention in self._search(term, after):
                posts.setdefault(mention.external_id, mention)
        current = {post_id: content_digest(mention.text) for post_id, mention in posts.items()}
        fresh = [mention for post_id, mention in posts.items() if seen.get(post_id) != current[post_id]]
        times = [mention.created_at for mention in posts.values()] + ([parse_timestamp(latest)] if latest else [])
        next_cursor: Cursor = {"seen": remember(seen, current, self._settings.remember)}
        if times:
            next_cursor["latest"] = max(times).isoformat()
        return FetchResult(fresh, next_cursor)

    def check(self, brand: BrandConfig) -> str:
        term = search_terms(brand)[0]
        reply = get_json(
            self._client, self._source, self._search_url, params={"q": f"{term} order:latest"}, headers=self._auth_headers()
        )
        return f"{self._base_url} search reachable; {len(reply.get('posts') or [])} recent posts for {term!r}"

    def _search(self, term: str, after: str | None) -> list[Mention]:
        query = f'"{term}"' if " " in term else term
        query += " order:latest" + (f" after:{after}" if after else "")
        mentions: list[Mention] = []
        for page in range(1, self._settings.max_pages + 1):
            reply = get_json(
                self._client, self._source, self._search_url, params={"q": query, "page": page}, headers=self._auth_headers()
            )
            if not isinstance(reply, dict):
                log.warning("%s: search for %r returned %s, not an object; skipped", self._source, term, type(reply).__name__)
                break
            topics = {topic.get("id"): topic for topic in reply.get("topics") or [] if isinstance(topic, dict)}
            mentions.extend(
                parse_each(reply.get("posts") or [], lambda post: self._mention(post, topics), log, self._source, item_id)
            )
            if not (reply.get("grouped_search_result") or {}).get("more_full_page_results"):
                break
        return mentions

    def _mention(self, post: dict[str, Any], topics: dict[Any, dict[str, Any]]) -> Mention | None:
        topic = topics.get(post["topic_id"], {})
        if post.get("deleted_at") or post.get("user_deleted"):
            return None
        body = strip_html(post.get("cooked") or post.get("blurb"))
        title = strip_html(topic.get("title") or topic.get("fancy_title")) if post.get("post_number") == 1 else ""
        text = "\n".join(part for part in (title, body) if part)
        if not text:
            return None
        slug = topic.get("slug") or "topic"
        return Mention(
            source=self._source,
            external_id=str(post["id"]),
            text=text,
            created_at=parse_timestamp(post["created_at"]),
            author=post.get("username"),
            url=f"{self._base_url}/t/{slug}/{post['topic_id']}/{post.get('post_number', 1)}",
            likes=int(post.get("like_count") or 0),
            replies=int(topic.get("posts_count", 1)) - 1 if post.get("post_number") == 1 else 0,
        )


def build(context: SourceContext) -> Collector:
    return DiscourseCollector(context)


PLUGIN = CollectorType(name="discourse", settings_model=DiscourseSettings, build=build)
