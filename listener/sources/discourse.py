"""Posts on a Discourse forum, through its JSON search (`/search.json`), each new one read whole.

Discourse's `after:` filter has a resolution of one day, so each poll asks from the day before
the newest post seen and skips the posts the cursor remembers (a digest of each, so an edited post
is sent again under the same id and storage updates it). Public forums need no key; a private one
takes an API key and username from the environment.

Every post keeps its topic as `conversation_id`. For a brand with `own_accounts.discourse`, each
post read also keeps the id of the post it answers (`in_reply_to`): Discourse gives only its
number in the topic (`reply_to_post_number`; none means the topic's first post), so that number
is looked up once with `/posts/by_number/{topic}/{number}.json`; and the brand's accounts' own
posts are searched (`@username`), since an answer rarely names the brand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from listener.config import BrandConfig
from listener.config.types import Secret
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
    get_json,
    item_id,
    make_client,
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
    max_post_fetches: int = Field(
        40,
        ge=1,
        le=1000,
        description="New posts read whole (one request each) per poll; Discourse allows 50 requests per 10 seconds per "
        "IP by default, so the rest wait for the next poll.",
    )
    timeout: RequestTimeout = DEFAULT_TIMEOUT
    remember: int = Field(2000, ge=10, le=100_000, description="Post ids remembered to skip repeats.")


class DiscourseCollector:
    def __init__(self, context: SourceContext):
        self._settings: DiscourseSettings = context.settings
        self._source = context.name
        self._base_url = self._settings.url.rstrip("/")
        self._client = make_client(self._settings.timeout)
        self._search_url = self._base_url + "/search.json"
        self._post_ids: dict[tuple[int, int], str] = {}
        """(topic, post number) -> post id, for the parents of replies."""

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
        """New and edited posts, each read whole from `/posts/{id}.json`.

        Search only returns an excerpt of about 200 characters around the match, and a complaint
        is rarely all in its first sentence. Reading posts whole costs a request each, so at most
        `max_post_fetches` are read per poll and a 429 stops the reading: the posts left over are
        neither emitted nor remembered, and `latest` is held back to the oldest of them, so the
        next poll's search finds them again and reads them then.
        """
        latest = (cursor or {}).get("latest")
        seen: dict[str, str] = dict((cursor or {}).get("seen", {}))
        after = (parse_timestamp(latest) - timedelta(days=1)).date().isoformat() if latest else None
        hits: dict[str, _Hit] = {}
        own_accounts = [f"@{name.lstrip('@')}" for name in brand.own_accounts.discourse]
        for term in [*search_terms(brand), *own_accounts]:
            for hit in self._search(term, after):
                hits.setdefault(hit.post_id, hit)
        fresh = [hit for post_id, hit in hits.items() if seen.get(post_id) != hit.digest]
        mentions, deferred = self._read_whole(fresh, with_parents=bool(own_accounts))
        read = {post_id: hit for post_id, hit in hits.items() if post_id not in deferred}
        next_cursor: Cursor = {"seen": remember(seen, {post_id: hit.digest for post_id, hit in read.items()}, self._settings.remember)}
        times = [hit.created_at for hit in read.values()] + ([parse_timestamp(latest)] if latest else [])
        if deferred:
            times = [min([*times, *(hits[post_id].created_at for post_id in deferred)])]
        if times:
            next_cursor["latest"] = max(times).isoformat()
        return FetchResult(mentions, next_cursor)

    def check(self, brand: BrandConfig) -> str:
        term = search_terms(brand)[0]
        reply = get_json(
            self._client, self._source, self._search_url, params={"q": f"{term} order:latest"}, headers=self._auth_headers()
        )
        return f"{self._base_url} search reachable; {len(reply.get('posts') or [])} recent posts for {term!r}"

    def _search(self, term: str, after: str | None) -> list[_Hit]:
        query = f'"{term}"' if " " in term else term
        query += " order:latest" + (f" after:{after}" if after else "")
        hits: list[_Hit] = []
        for page in range(1, self._settings.max_pages + 1):
            reply = get_json(
                self._client, self._source, self._search_url, params={"q": query, "page": page}, headers=self._auth_headers()
            )
            if not isinstance(reply, dict):
                log.warning("%s: search for %r returned %s, not an object; skipped", self._source, term, type(reply).__name__)
                break
            topics = {topic.get("id"): topic for topic in reply.get("topics") or [] if isinstance(topic, dict)}
            hits.extend(parse_each(reply.get("posts") or [], lambda post: _hit(post, topics), log, self._source, item_id))
            if not (reply.get("grouped_search_result") or {}).get("more_full_page_results"):
                break
        return hits

    def _read_whole(self, fresh: list[_Hit], with_parents: bool = False) -> tuple[list[Mention], set[str]]:
        """Mentions of the `fresh` posts read whole, and the ids of those left for the next poll;
        `with_parents`: each with the id of the post it answers."""
        mentions: list[Mention] = []
        for index, hit in enumerate(fresh):
            if index >= self._settings.max_post_fetches:
                log.info("%s: %d more new posts than max_post_fetches (%d); read next poll",
                         self._source, len(fresh) - index, self._settings.max_post_fetches)
                return mentions, {later.post_id for later in fresh[index:]}
            try:
                post = get_json(self._client, self._source, f"{self._base_url}/posts/{hit.post_id}.json", headers=self._auth_headers())
            except SourceUnavailable as error:
                log.warning("%s: stopped reading posts whole (%s); %d left for the next poll", self._source, error, len(fresh) - index)
                return mentions, {later.post_id for later in fresh[index:]}
            except SourceMisconfigured as error:  # deleted since the search, or in a category we may not read
                log.info("%s: post %s could not be read whole (%s); skipped", self._source, hit.post_id, error)
                continue
            cooked = post.get("cooked") if isinstance(post, dict) else None
            if not isinstance(cooked, str):
                log.warning("%s: post %s came back without its text; the search excerpt is kept", self._source, hit.post_id)
                cooked = hit.post.get("blurb")
            parent = self._parent_id(post) if with_parents and isinstance(post, dict) else None
            mentions.extend(
                parse_each(
                    [hit],
                    lambda whole, cooked=cooked, parent=parent: self._mention(whole, cooked, parent),
                    log,
                    self._source,
                    lambda whole: whole.post_id,
                )
            )
        return mentions, set()

    def _parent_id(self, post: dict[str, Any]) -> str | None:
        """The id of the post `post` answers: its `reply_to_post_number`, or the topic's first
        post for a later post that names none; None for a first post or a parent that is gone."""
        topic, number = post.get("topic_id"), post.get("post_number")
        if not isinstance(topic, int) or not isinstance(number, int) or number <= 1:
            return None
        parent_number = post.get("reply_to_post_number") or 1
        if not isinstance(parent_number, int):
            return None
        key = (topic, parent_number)
        if key not in self._post_ids:
            url = f"{self._base_url}/posts/by_number/{topic}/{parent_number}.json"
            try:
                parent = get_json(self._client, self._source, url, headers=self._auth_headers())
            except (SourceUnavailable, SourceMisconfigured) as error:  # deleted, or not readable: no link
                log.info("%s: the post %d of topic %d answers could not be read (%s)", self._source, parent_number, topic, error)
                return None
            if not isinstance(parent, dict) or parent.get("id") is None:
                return None
            if len(self._post_ids) >= self._settings.remember:
                self._post_ids.clear()
            self._post_ids[key] = str(parent["id"])
        return self._post_ids[key]

    def _mention(self, hit: _Hit, cooked: str | None, in_reply_to: str | None = None) -> Mention | None:
        post, topic = hit.post, hit.topic
        body = strip_html(cooked)
        title = strip_html(topic.get("title") or topic.get("fancy_title")) if post.get("post_number") == 1 else ""
        text = "\n".join(part for part in (title, body) if part)
        if not text:
            return None
        slug = topic.get("slug") or "topic"
        return Mention(
            source=self._source,
            external_id=hit.post_id,
            text=text,
            created_at=hit.created_at,
            author=post.get("username"),
            url=f"{self._base_url}/t/{slug}/{post['topic_id']}/{post.get('post_number', 1)}",
            likes=int(post.get("like_count") or 0),
            replies=int(topic.get("posts_count", 1)) - 1 if post.get("post_number") == 1 else 0,
            conversation_id=str(post["topic_id"]),
            in_reply_to=in_reply_to,
        )


@dataclass(frozen=True)
class _Hit:
    """A search result: the post as search describes it, its topic, and a digest of its excerpt
    (what tells an edited post from one already read, without reading it again)."""

    post_id: str
    post: dict[str, Any]
    topic: dict[str, Any]
    created_at: datetime
    digest: str


def _hit(post: dict[str, Any], topics: dict[Any, dict[str, Any]]) -> _Hit | None:
    topic = topics.get(post["topic_id"], {})
    if post.get("deleted_at") or post.get("user_deleted"):
        return None
    return _Hit(str(post["id"]), post, topic, parse_timestamp(post["created_at"]), content_digest(post.get("blurb"), topic.get("title")))


def build(context: SourceContext) -> Collector:
    return DiscourseCollector(context)


PLUGIN = CollectorType(name="discourse", settings_model=DiscourseSettings, build=build)
