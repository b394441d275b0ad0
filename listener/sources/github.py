"""Issues and pull requests on GitHub that mention the brand, through the REST issue search
(`GET /search/issues`).

Each term is searched newest first (`sort=created`) from the cursor's second
(`created:>=DATE`, inclusive), skipping the ids already seen at that second, as the Stack
Exchange and Hacker News sources do. A hit is stored as its title and Markdown body, kept as the
author wrote it: in Markdown `<dialog>` is usually a word, not a tag. `in:title,body,comments`
also finds an issue whose comments name the brand; the issue itself is what is stored (its text
may then not match the brand, and the pipeline's local match drops it). Comments made later on
an issue created before the cursor are not seen: the search is by creation date, and reading
every issue's comments would spend a request each. GitHub gives no language tag on issues.

A token is optional: anonymous search allows 10 requests a minute per IP, a token 30. GitHub
says "slow down" in two ways that are not configuration errors even though one is a 403: the
primary limit (403 or 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` in epoch
seconds) and the secondary limit (403 or 429 with `retry-after`, or a message naming it). Both
become SourceUnavailable with GitHub's own wait; any other 401/403 is a rejected token.

Discussions (`discussions = true`) are only searchable through the GraphQL API, which needs a
token for every request, so that setting refuses to load without one. The same terms and the
same cursor are used (`type: DISCUSSION`, `sort:created-desc`); a discussion is stored as its
title and body text. GraphQL reports its rate limit as an error of type `RATE_LIMITED` in a 200
reply (or a 403 like REST), also waited out.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from pydantic import Field, model_validator

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
    retry_after_seconds,
    search_terms,
)

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
SEARCH_RESULT_CAP = 1000
"""GitHub returns at most the first 1,000 results of a search, whatever the paging."""


class GitHubSettings(CollectorSettings):
    token: Secret | None = Field(
        None, description="${ENV} reference to a GitHub token (30 searches a minute instead of 10); no scopes needed."
    )
    repos: tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")], ...] = Field(
        (), description="Only these repositories (`owner/name`), as `repo:` qualifiers; empty searches all of GitHub."
    )
    include_pull_requests: bool = Field(True, description="Also collect pull requests, not only issues.")
    discussions: bool = Field(False, description="Also collect GitHub Discussions (GraphQL search; needs `token`).")
    base_url: str = Field("https://api.github.com", pattern=r"^https?://", description="The REST API root (GitHub Enterprise: https://HOST/api/v3).")
    per_page: int = Field(100, ge=1, le=100)
    max_pages: int = Field(3, ge=1, le=10, description="Pages read per search term and poll; each is one search request.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT

    @model_validator(mode="after")
    def _discussions_need_a_token(self) -> GitHubSettings:
        if self.discussions and self.token is None:
            raise ValueError("discussions = true needs token = \"${GITHUB_TOKEN}\": GitHub's GraphQL API refuses anonymous requests")
        return self

    @property
    def graphql_url(self) -> str:
        """api.github.com/graphql; on GitHub Enterprise the REST root is /api/v3 and GraphQL /api/graphql."""
        root = self.base_url.rstrip("/")
        return root.removesuffix("/v3") + "/graphql" if root.endswith("/api/v3") else root + "/graphql"


DISCUSSION_SEARCH = """
query($q: String!, $first: Int!, $after: String) {
  search(query: $q, type: DISCUSSION, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      __typename
      ... on Discussion {
        id title bodyText url createdAt
        author { login }
        reactions { totalCount }
        comments { totalCount }
      }
    }
  }
}
"""


class GitHubCollector:
    def __init__(self, context: SourceContext):
        self._settings: GitHubSettings = context.settings
        self._source = context.name
        self._client = make_client(
            self._settings.timeout, headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        )
        self._search_url = self._settings.base_url.rstrip("/") + "/search/issues"

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        since = int((cursor or {}).get("since", 0)) or None
        items_by_id: dict[str, dict[str, Any]] = {}
        for term in search_terms(brand):
            for item in self._search(term, since):
                if (item_id := _item_id(item)) is not None:
                    items_by_id.setdefault(item_id, item)
            if self._settings.discussions:
                for node in self._search_discussions(term, since):
                    if (item_id := _item_id(node)) is not None:
                        items_by_id.setdefault(item_id, node)
        fresh, next_cursor = split_at_since(items_by_id, _created, cursor)
        mentions = parse_each(fresh, self._mention, log, self._source, _item_id)
        return FetchResult(mentions, next_cursor)

    def check(self, brand: BrandConfig) -> str:
        term = search_terms(brand)[0]
        reply, response = self._get(self._query(term, None), page=1, per_page=1)
        remaining = response.headers.get("x-ratelimit-remaining")
        limit = response.headers.get("x-ratelimit-limit")
        quota = f"; {remaining} of {limit} searches left this minute" if remaining and limit else ""
        who = "with token" if self._settings.token is not None else "anonymous"
        return f"GitHub issue search reachable ({who}); {reply.get('total_count', 0)} results for {term!r}{quota}"

    def _query(self, term: str, since: int | None, discussions: bool = False) -> str:
        """The `q` parameter: the term (quoted: phrases stay phrases, and a term cannot add
        qualifiers of its own) and the qualifiers from the settings and the cursor."""
        words = term.replace('"', " ").split()
        parts = [f'"{" ".join(words)}"', "sort:created-desc" if discussions else "in:title,body,comments"]
        if not self._settings.include_pull_requests and not discussions:
            parts.append("is:issue")
        parts.extend(f"repo:{repo}" for repo in self._settings.repos)
        if since is not None:
            parts.append(f"created:>={datetime.fromtimestamp(since, UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")
        return " ".join(parts)

    def _search(self, term: str, since: int | None) -> list[Any]:
        query = self._query(term, since)
        per_page = self._settings.per_page
        items: list[Any] = []
        for page in range(1, self._settings.max_pages + 1):
            reply, response = self._get(query, page=page, per_page=per_page)
            page_items = reply.get("items")
            if not isinstance(page_items, list):
                log.warning("%s: search for %r page %d has no items list; skipped", self._source, term, page)
                break
            if reply.get("incomplete_results"):
                log.info("%s: GitHub timed out part of the search for %r; some results may come next poll", self._source, term)
            items.extend(page_items)
            total = reply.get("total_count")
            if len(page_items) < per_page or (isinstance(total, int) and page * per_page >= min(total, SEARCH_RESULT_CAP)):
                break
            if response.headers.get("x-ratelimit-remaining") == "0":
                log.info("%s: search quota used up for now; older results for %r are read next poll", self._source, term)
                break
        else:
            log.warning("%s: more than %d pages of results for %r; older ones skipped (poll more often or raise max_pages)",
                        self._source, self._settings.max_pages, term)
        return items

    def _search_discussions(self, term: str, since: int | None) -> list[Any]:
        variables: dict[str, Any] = {"q": self._query(term, since, discussions=True), "first": self._settings.per_page, "after": None}
        nodes: list[Any] = []
        for _ in range(self._settings.max_pages):
            search = self._graphql(variables).get("search")
            if not isinstance(search, dict) or not isinstance(search.get("nodes"), list):
                log.warning("%s: discussion search for %r has no nodes list; skipped", self._source, term)
                break
            nodes.extend(node for node in search["nodes"] if isinstance(node, dict) and node.get("__typename") == "Discussion")
            page_info = search.get("pageInfo") if isinstance(search.get("pageInfo"), dict) else {}
            if not page_info.get("hasNextPage") or not isinstance(page_info.get("endCursor"), str):
                break
            variables = {**variables, "after": page_info["endCursor"]}
        else:
            log.warning("%s: more than %d pages of discussions for %r; older ones skipped", self._source, self._settings.max_pages, term)
        return nodes

    def _graphql(self, variables: dict[str, Any]) -> dict[str, Any]:
        """One GraphQL request. Errors come back in a 200 reply's `errors`: a rate limit is waited
        out, anything else (a bad query, a token without access) is a configuration problem."""
        url = self._settings.graphql_url
        try:
            response = self._client.post(url, json={"query": DISCUSSION_SEARCH, "variables": variables}, headers=self._headers())
        except httpx.TimeoutException as error:
            raise SourceUnavailable(f"{self._source}: {url}: timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise SourceUnavailable(f"{self._source}: {url}: network error: {error}") from error
        if response.status_code in (403, 429) and _rate_limited(response):
            raise SourceUnavailable(f"{self._source}: GitHub GraphQL rate limit reached (HTTP {response.status_code})",
                                    retry_after=retry_after_seconds(response.headers))
        raise_for_status(response, self._source)
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise SourceUnavailable(f"{self._source}: {url}: malformed JSON in HTTP {response.status_code} reply")
        errors = reply.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            message = f"{first.get('type', 'error')}: {str(first.get('message'))[:200]}"
            if any(isinstance(error, dict) and error.get("type") == "RATE_LIMITED" for error in errors):
                raise SourceUnavailable(f"{self._source}: GitHub GraphQL: {message}", retry_after=retry_after_seconds(response.headers))
            raise SourceMisconfigured(f"{self._source}: GitHub GraphQL refused the discussion search: {message}")
        data = reply.get("data")
        if not isinstance(data, dict):
            raise SourceUnavailable(f"{self._source}: {url}: GraphQL reply without data")
        return data

    def _headers(self) -> dict[str, str]:
        if self._settings.token is None:
            return {}
        token = self._settings.token.resolve()
        if token is None:
            raise SourceMisconfigured(f"{self._source}: token refers to ${{{self._settings.token.variable}}}, which is not set")
        return {"Authorization": f"Bearer {token}"}

    def _get(self, query: str, *, page: int, per_page: int) -> tuple[dict[str, Any], httpx.Response]:
        params = {"q": query, "sort": "created", "order": "desc", "per_page": per_page, "page": page}
        headers = self._headers()
        try:
            response = self._client.get(self._search_url, params=params, headers=headers)
        except httpx.TimeoutException as error:
            raise SourceUnavailable(f"{self._source}: {self._search_url}: timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise SourceUnavailable(f"{self._source}: {self._search_url}: network error: {error}") from error
        if response.status_code in (403, 429) and _rate_limited(response):
            raise SourceUnavailable(
                f"{self._source}: GitHub search rate limit reached (HTTP {response.status_code})",
                retry_after=retry_after_seconds(response.headers),
            )
        raise_for_status(response, self._source)
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            raise SourceUnavailable(f"{self._source}: {self._search_url}: malformed JSON in HTTP {response.status_code} reply")
        return reply, response

    def _mention(self, item: dict[str, Any]) -> Mention | None:
        if item.get("__typename") == "Discussion":
            return self._discussion(item)
        if "pull_request" in item and not self._settings.include_pull_requests:
            return None
        created = item["created_at"]
        if not isinstance(created, str):
            raise TypeError(f"created_at {created!r} is not a timestamp")
        url = item["html_url"]
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ValueError(f"html_url {url!r} is not a web address")
        title = plain_text(str(item.get("title") or ""))
        body = plain_text(item.get("body") if isinstance(item.get("body"), str) else None)
        text = "\n".join(part for part in (title, body) if part)
        if not text:
            return None
        user = item.get("user") if isinstance(item.get("user"), dict) else {}
        reactions = item.get("reactions") if isinstance(item.get("reactions"), dict) else {}
        return Mention(
            source=self._source,
            external_id=_item_id(item) or "",
            text=text,
            created_at=parse_timestamp(created),
            author=str(user["login"]) if user.get("login") else None,
            url=url,
            likes=max(int(reactions.get("total_count") or 0), 0),
            replies=max(int(item.get("comments") or 0), 0),
        )


    def _discussion(self, node: dict[str, Any]) -> Mention | None:
        url = node["url"]
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ValueError(f"url {url!r} is not a web address")
        text = "\n".join(part for part in (plain_text(str(node.get("title") or "")), plain_text(node.get("bodyText") if isinstance(node.get("bodyText"), str) else None)) if part)
        if not text:
            return None
        author = node.get("author") if isinstance(node.get("author"), dict) else {}
        return Mention(
            source=self._source,
            external_id=_item_id(node) or "",
            text=text,
            created_at=parse_timestamp(str(node["createdAt"])),
            author=str(author["login"]) if author.get("login") else None,
            url=url,
            likes=max(int(_total(node.get("reactions"))), 0),
            replies=max(int(_total(node.get("comments"))), 0),
        )


def _total(connection: Any) -> int:
    return int(connection.get("totalCount") or 0) if isinstance(connection, dict) else 0


def _rate_limited(response: httpx.Response) -> bool:
    """A 403/429 that means "wait", not "your token is wrong" (GitHub's primary and secondary limits)."""
    headers = response.headers
    if headers.get("x-ratelimit-remaining") == "0" or "retry-after" in headers:
        return True
    return response.status_code == 429 or "rate limit" in response.text[:500].lower()


def _item_id(item: Any) -> str | None:
    """GitHub's id of the issue or pull request: unique across repositories, unlike its number.
    A discussion has only a GraphQL node id (`D_kwDO...`), which cannot collide with a number."""
    if not isinstance(item, dict):
        return None
    if item.get("__typename") == "Discussion":
        return str(item["id"]) if isinstance(item.get("id"), str) and item["id"] else None
    value = item.get("id")
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _created(item: dict[str, Any]) -> int | None:
    value = item.get("createdAt") if item.get("__typename") == "Discussion" else item.get("created_at")
    if not isinstance(value, str):
        return None
    try:
        return int(parse_timestamp(value).timestamp())
    except ValueError:
        return None


def build(context: SourceContext) -> Collector:
    return GitHubCollector(context)


PLUGIN = CollectorType(name="github", settings_model=GitHubSettings, build=build)
