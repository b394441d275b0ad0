"""Questions and answers on a Stack Exchange site, through the public `/2.3/search/excerpts` API.

No account is needed: anonymous use has 300 requests a day per IP, an app key (from
stackapps.com, not a secret but kept in the environment like one) raises that to 10,000. Each
term is searched newest first (`sort=creation`) from the cursor's second (`fromdate`, inclusive),
skipping the ids already seen at that second, as the Hacker News source does.

The API asks for restraint in two ways. A reply may carry `backoff` (seconds to wait before the
next request to the same method): paging stops there and the rest is read next poll. Going over
the quota or too fast is `throttle_violation` (HTTP 400 with an error id of 502, the wait named in
the message), a transient failure the scheduler waits out, not a configuration error.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

import httpx
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
    split_at_since,
)
from listener.sources.http import (
    DEFAULT_TIMEOUT,
    RequestTimeout,
    make_client,
    parse_timestamp,
    plain_text,
    raise_for_status,
    search_terms,
    strip_html,
)

log = logging.getLogger(__name__)

SITE_DOMAINS = {
    "stackoverflow": "stackoverflow.com",
    "serverfault": "serverfault.com",
    "superuser": "superuser.com",
    "askubuntu": "askubuntu.com",
    "mathoverflow.net": "mathoverflow.net",
    "stackapps": "stackapps.com",
}
"""Sites with a domain of their own; every other site is SITE.stackexchange.com."""
THROTTLED = frozenset({"throttle_violation", "temporarily_unavailable"})
_SECONDS = re.compile(r"(\d+) seconds")


class StackExchangeSettings(CollectorSettings):
    site: str = Field("stackoverflow", pattern=r"^[a-z0-9.]+$", description="The API's site name, e.g. stackoverflow, superuser, unix.")
    site_url: str | None = Field(
        None, pattern=r"^https?://", description="Where links point; default https://stackoverflow.com style from `site`."
    )
    key: Secret | None = Field(None, description="${ENV} reference to a stackapps.com app key (10,000 requests a day, not 300).")
    base_url: str = Field("https://api.stackexchange.com/2.3", description="The Stack Exchange API root.")
    page_size: int = Field(100, ge=1, le=100)
    max_pages: int = Field(3, ge=1, le=25, description="Pages read per search term and poll; each costs one request of the quota.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT


class StackExchangeCollector:
    def __init__(self, context: SourceContext):
        self._settings: StackExchangeSettings = context.settings
        self._source = context.name
        self._client = make_client(self._settings.timeout)
        self._search_url = self._settings.base_url.rstrip("/") + "/search/excerpts"
        domain = SITE_DOMAINS.get(self._settings.site, f"{self._settings.site}.stackexchange.com")
        self._site_url = (self._settings.site_url or f"https://{domain}").rstrip("/")

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        since = int((cursor or {}).get("since", 0)) or None
        items_by_id: dict[str, dict[str, Any]] = {}
        for term in search_terms(brand):
            for item in self._search(term, since):
                if isinstance(item, dict) and _item_id(item) is not None:
                    items_by_id.setdefault(_item_id(item), item)
        fresh, next_cursor = split_at_since(items_by_id, _created, cursor)
        mentions = parse_each(fresh, self._mention, log, self._source, _item_id)
        return FetchResult(mentions, next_cursor)

    def check(self, brand: BrandConfig) -> str:
        term = search_terms(brand)[0]
        reply = self._get({"q": term, "pagesize": 1, "filter": "total"})
        quota = f"; {reply.get('quota_remaining')} of {reply.get('quota_max')} requests left today" if "quota_max" in reply else ""
        return f"{self._settings.site} search reachable; {reply.get('total', 0)} results for {term!r}{quota}"

    def _search(self, term: str, since: int | None) -> list[Any]:
        params: dict[str, Any] = {"q": term, "sort": "creation", "order": "desc", "pagesize": self._settings.page_size}
        if since is not None:
            params["fromdate"] = since
        items: list[Any] = []
        for page in range(1, self._settings.max_pages + 1):
            reply = self._get({**params, "page": page})
            page_items = reply.get("items")
            if not isinstance(page_items, list):
                log.warning("%s: search for %r page %d has no items list; skipped", self._source, term, page)
                break
            items.extend(page_items)
            if not reply.get("has_more"):
                break
            if reply.get("backoff") or reply.get("quota_remaining") == 0:
                log.info("%s: the API asked to back off (backoff %s, quota left %s); older results for %r are read next poll",
                         self._source, reply.get("backoff"), reply.get("quota_remaining"), term)
                break
        else:
            log.warning("%s: more than %d pages of results for %r; older ones skipped (poll more often or raise max_pages)",
                        self._source, self._settings.max_pages, term)
        return items

    def _get(self, params: dict[str, Any]) -> dict[str, Any]:
        """One API request. The API reports errors as JSON with an `error_name`; being throttled
        comes back as HTTP 400, which must be waited out rather than treated as a bad query."""
        query = {**params, "site": self._settings.site}
        if self._settings.key is not None:
            key = self._settings.key.resolve()
            if key is None:
                raise SourceMisconfigured(f"{self._source}: key refers to ${{{self._settings.key.variable}}}, which is not set")
            query["key"] = key
        try:
            response = self._client.get(self._search_url, params=query)
        except httpx.TimeoutException as error:
            raise SourceUnavailable(f"{self._source}: {self._search_url}: timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise SourceUnavailable(f"{self._source}: {self._search_url}: network error: {error}") from error
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if isinstance(reply, dict) and reply.get("error_name") in THROTTLED:
            message = str(reply.get("error_message") or "")
            wait = _SECONDS.search(message)
            raise SourceUnavailable(f"{self._source}: Stack Exchange: {reply['error_name']}: {message[:200]}",
                                    retry_after=float(wait.group(1)) if wait else None)
        if response.status_code == 400 and isinstance(reply, dict) and reply.get("error_name"):
            raise SourceMisconfigured(f"{self._source}: Stack Exchange rejected the search: {reply['error_name']}: "
                                      f"{str(reply.get('error_message'))[:200]}")
        raise_for_status(response, self._source)
        if not isinstance(reply, dict):
            raise SourceUnavailable(f"{self._source}: {self._search_url}: malformed JSON in HTTP {response.status_code} reply")
        return reply

    def _mention(self, item: dict[str, Any]) -> Mention | None:
        created = _created(item)
        if created is None:
            raise ValueError("no creation_date")
        kind = item.get("item_type")
        if kind not in ("question", "answer"):
            raise ValueError(f"item_type {kind!r} is neither question nor answer")
        # Titles come HTML-escaped but are plain text: `&lt;dialog&gt;` is the word <dialog>.
        title = plain_text(html.unescape(str(item.get("title") or "")))
        body = strip_html(item.get("body") or item.get("excerpt"))
        text = "\n".join(part for part in (title if kind == "question" else "", body) if part)
        if not text:
            return None
        owner = item.get("owner") if isinstance(item.get("owner"), dict) else {}
        if kind == "question":
            url, replies = f"{self._site_url}/q/{item['question_id']}", int(item.get("answer_count") or 0)
        else:
            url, replies = f"{self._site_url}/a/{item['answer_id']}", 0
        return Mention(
            source=self._source,
            external_id=_item_id(item) or "",
            text=text,
            created_at=parse_timestamp(created),
            author=html.unescape(owner["display_name"]) if owner.get("display_name") else None,
            url=url,
            likes=max(int(item.get("score") or 0), 0),
            replies=replies,
        )


def _item_id(item: Any) -> str | None:
    """`q123` or `a456`: question and answer ids are separate sequences."""
    if not isinstance(item, dict):
        return None
    if item.get("item_type") == "answer" and item.get("answer_id") is not None:
        return f"a{item['answer_id']}"
    if item.get("question_id") is not None:
        return f"q{item['question_id']}"
    return None


def _created(item: dict[str, Any]) -> int | None:
    value = item.get("creation_date")
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def build(context: SourceContext) -> Collector:
    return StackExchangeCollector(context)


PLUGIN = CollectorType(name="stackexchange", settings_model=StackExchangeSettings, build=build)
