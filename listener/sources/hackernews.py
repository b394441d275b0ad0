"""Hacker News stories and comments, through the public Algolia search API (no key needed).

`search_by_date` returns the newest hits first; we ask only for hits at or after the cursor's
second and skip the ids already seen at that second, so two posts in the same second are never
lost and never emitted twice.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import Field

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
    split_at_since,
)
from listener.sources.http import (
    DEFAULT_TIMEOUT,
    RequestTimeout,
    get_json,
    item_id,
    make_client,
    parse_timestamp,
    plain_text,
    search_terms,
    strip_html,
)

log = logging.getLogger(__name__)

ITEM_URL = "https://news.ycombinator.com/item?id={id}"


class HackerNewsSettings(CollectorSettings):
    base_url: str = Field("https://hn.algolia.com/api/v1", description="The Algolia HN Search API root.")
    tags: tuple[Literal["story", "comment"], ...] = Field(("story", "comment"), min_length=1)
    hits_per_page: int = Field(100, ge=1, le=1000)
    max_pages: int = Field(5, ge=1, le=50, description="Pages read per search term and poll.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT


class HackerNewsCollector:
    def __init__(self, context: SourceContext):
        self._settings: HackerNewsSettings = context.settings
        self._source = context.name
        self._client = make_client(self._settings.timeout)
        self._search_url = self._settings.base_url.rstrip("/") + "/search_by_date"

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        since = int((cursor or {}).get("since", 0)) or None
        hits_by_id: dict[str, dict[str, Any]] = {}
        for term in search_terms(brand):
            for hit in self._search(term, since):
                if isinstance(hit, dict) and "objectID" in hit:
                    hits_by_id.setdefault(str(hit["objectID"]), hit)
        fresh, next_cursor = split_at_since(hits_by_id, _created, cursor)
        mentions = parse_each(fresh, self._mention, log, self._source, item_id)
        return FetchResult(mentions, next_cursor)

    def check(self, brand: BrandConfig) -> str:
        term = search_terms(brand)[0]
        reply = get_json(self._client, self._source, self._search_url, params={"query": term, "hitsPerPage": 1})
        return f"Algolia HN search reachable; {reply.get('nbHits', 0)} results for {term!r}"

    def _search(self, term: str, since: int | None) -> list[Any]:
        params: dict[str, Any] = {
            "query": term,
            "tags": f"({','.join(self._settings.tags)})",
            "hitsPerPage": self._settings.hits_per_page,
        }
        if since is not None:
            params["numericFilters"] = f"created_at_i>={since}"
        hits: list[Any] = []
        for page in range(self._settings.max_pages):
            reply = get_json(self._client, self._source, self._search_url, params={**params, "page": page})
            page_hits = reply.get("hits") if isinstance(reply, dict) else None
            if not isinstance(page_hits, list):
                log.warning("%s: search for %r page %d has no hits list; skipped", self._source, term, page)
                break
            hits.extend(page_hits)
            if page + 1 >= int(reply.get("nbPages", 0)):
                break
        else:
            log.warning(
                "%s: more than %d pages of results for %r; older ones skipped (poll more often or raise max_pages)",
                self._source, self._settings.max_pages, term,
            )
        return hits

    def _mention(self, hit: dict[str, Any]) -> Mention | None:
        object_id = str(hit["objectID"])
        created = _created(hit)
        if created is None:
            raise ValueError("no created_at_i")
        is_comment = "comment" in (hit.get("_tags") or []) or hit.get("comment_text") is not None
        if is_comment:
            text = strip_html(hit.get("comment_text"))
        else:
            # Algolia gives a story's title as the plain text HN shows; only story_text is HTML.
            text = "\n".join(part for part in (plain_text(hit.get("title")), strip_html(hit.get("story_text"))) if part)
        if not text:  # a deleted or flagged item keeps its id but loses its text
            return None
        return Mention(
            source=self._source,
            external_id=object_id,
            text=text,
            created_at=parse_timestamp(created),
            author=hit.get("author"),
            url=ITEM_URL.format(id=object_id),
            likes=int(hit.get("points") or 0),
            replies=int(hit.get("num_comments") or 0),
        )


def _created(hit: dict[str, Any]) -> int | None:
    value = hit.get("created_at_i")
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def build(context: SourceContext) -> Collector:
    return HackerNewsCollector(context)


PLUGIN = CollectorType(name="hackernews", settings_model=HackerNewsSettings, build=build)
