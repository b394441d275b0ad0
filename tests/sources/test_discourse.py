"""Discourse collector: real httpx code against a loopback fake of `/search.json`."""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from listener.core.clock import SystemClock
from listener.config import BrandConfig
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured, SourceUnavailable
from listener.storage.repository import Store
from tests.servers import RecordedRequest, RoutedHTTPServer, ScriptedResponse, json_response, routed_http_server

SEARCH = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "discourse_search.json").read_text(encoding="utf-8"))
ACME = BrandConfig(name="Acme", keywords=("acme",))


class FakeDiscourse:
    """search.json over a list of posts: `after:DATE` filter, newest first, `page_size` per page;
    and `/posts/{id}.json`, each post whole (its `cooked` HTML: `full_text` where a test sets it,
    otherwise the search excerpt in a paragraph), in the documented shape of Discourse's API."""

    def __init__(self, page_size: int = 50, api_key: str | None = None):
        self.posts = copy.deepcopy(SEARCH["posts"])
        self.topics = copy.deepcopy(SEARCH["topics"])
        self.page_size = page_size
        self.api_key = api_key
        self.full_text: dict[int, str] = {}
        self.rate_limited: set[int] = set()
        self.deleted_since_search: set[int] = set()

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        if self.api_key is not None and request.headers.get("Api-Key") != self.api_key:
            return json_response({"errors": ["You are not permitted to view the requested resource."]}, 403)
        if match := re.fullmatch(r"/posts/(\d+)\.json", url.path):
            return self.whole_post(int(match.group(1)))
        assert url.path == "/search.json", url.path
        params = dict(parse_qsl(url.query))
        posts = sorted(self.posts, key=lambda post: post["created_at"], reverse=True)
        if match := re.search(r"after:(\d{4}-\d{2}-\d{2})", params["q"]):
            posts = [post for post in posts if post["created_at"][:10] >= match.group(1)]
        page = int(params.get("page", 1))
        chunk = posts[(page - 1) * self.page_size:page * self.page_size]
        more = len(posts) > page * self.page_size
        return json_response({
            **SEARCH,
            "posts": chunk,
            "topics": self.topics,
            "grouped_search_result": {**SEARCH["grouped_search_result"], "more_full_page_results": more or None},
        })


    def whole_post(self, post_id: int) -> ScriptedResponse:
        if post_id in self.rate_limited:
            return ScriptedResponse(429, {"Retry-After": "10"}, '{"errors": ["slow down"], "error_type": "rate_limit"}')
        post = next((post for post in self.posts if post["id"] == post_id), None)
        if post is None or post_id in self.deleted_since_search:
            return json_response({"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"}, 404)
        cooked = self.full_text.get(post_id, f"<p>{post['blurb']}</p>")
        return json_response({
            "id": post_id, "username": post["username"], "created_at": post["created_at"], "cooked": cooked,
            "post_number": post.get("post_number"), "topic_id": post.get("topic_id"), "topic_slug": "acme-sync-broken",
        })


def searches(server: RoutedHTTPServer) -> list[dict[str, str]]:
    """The query parameters of each search request, in order (post reads left out)."""
    return [dict(parse_qsl(urlsplit(r.path).query)) for r in server.requests if r.path.startswith("/search.json")]


def discourse(server: RoutedHTTPServer, **settings: Any):
    plugin = COLLECTORS.get("discourse")
    validated = plugin.settings_model.model_validate({"url": server.url + "/", **settings})
    return plugin.build(SourceContext("forum", validated, SystemClock()))


def test_posts_become_mentions_with_topic_urls(caplog) -> None:
    with routed_http_server(FakeDiscourse()) as server, caplog.at_level(logging.WARNING):
        result = discourse(server).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == ["5001", "5002"]
    first = by_id["5001"]
    assert first.text == 'Acme sync broken?\nSince this morning acme sync keeps failing with "quota exceeded" <3 nothing else changed'
    assert first.url == f"{server.url}/t/acme-sync-broken/700/1"
    assert (first.author, first.likes, first.replies) == ("sam", 4, 5)
    assert first.created_at == datetime(2026, 11, 2, 10, 15, tzinfo=UTC)
    assert by_id["5002"].text == "Same here, acme support says they are on it"
    assert by_id["5002"].url.endswith("/t/acme-sync-broken/700/3")
    assert any("forum: skipped malformed item 5003: KeyError" in record.getMessage() for record in caplog.records)
    assert server.query(0)["q"] == "acme order:latest"
    assert sorted(request.path for request in server.requests[1:]) == ["/posts/5001.json", "/posts/5002.json"]


def test_phrases_are_quoted_and_pages_followed() -> None:
    brand = BrandConfig(name="Acme", phrases=("acme sync",))
    with routed_http_server(FakeDiscourse(page_size=1)) as server:
        result = discourse(server).fetch(brand, None)
    assert len(result.mentions) == 2
    assert [query["page"] for query in searches(server)] == ["1", "2", "3"]
    assert searches(server)[0]["q"] == '"acme sync" order:latest'


def test_cursor_resumes_after_restart_and_edits_are_sent_again(store: Store) -> None:
    fake = FakeDiscourse()
    with routed_http_server(fake) as server:
        first = discourse(server).fetch(ACME, None)
        assert store.store_batch("forum", "Acme", first.mentions, first.cursor) == 2

        fake.posts.append({**SEARCH["posts"][1], "id": 5004, "post_number": 4, "created_at": "2026-11-03T08:00:00.000Z",
                           "blurb": "acme is back for me"})
        fake.posts[1]["blurb"] = "Same here, acme support says they are on it (edit: fixed now)"
        second = discourse(server).fetch(ACME, store.get_cursor("forum", "Acme"))
        assert sorted(m.external_id for m in second.mentions) == ["5002", "5004"]
        assert store.store_batch("forum", "Acme", second.mentions, second.cursor) == 1
        assert "after:2026-11-01" in searches(server)[-1]["q"]
        third = discourse(server).fetch(ACME, store.get_cursor("forum", "Acme"))
        assert third.mentions == []
        assert "after:2026-11-02" in searches(server)[-1]["q"]


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [
        (ScriptedResponse(429, {"Retry-After": "30"}, '{"errors": ["slow down"]}'), 30.0),
        (ScriptedResponse(503, {}, "<html>Discourse is updating</html>"), None),
        (ScriptedResponse(200, {"Content-Type": "application/json"}, "<html>cut"), None),
        (ScriptedResponse(200, {}, b"{}", delay=1.5), None),
    ],
    ids=["429", "503", "malformed", "timeout"],
)
def test_failures_raise_source_unavailable_then_recover(failure, retry_after) -> None:
    with routed_http_server(FakeDiscourse()) as server:
        collector = discourse(server, timeout=0.5)
        server.fail_next(failure)
        with pytest.raises(SourceUnavailable, match="^forum: ") as raised:
            collector.fetch(ACME, None)
        assert raised.value.retry_after == retry_after
        assert len(collector.fetch(ACME, None).mentions) == 2


def test_private_forum_uses_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with routed_http_server(FakeDiscourse(api_key="k-123")) as server:
        collector = discourse(server, api_key="${FORUM_API_KEY}", api_username="listener")
        with pytest.raises(SourceMisconfigured, match=r"\$\{FORUM_API_KEY\}, which is not set"):
            collector.fetch(ACME, None)
        monkeypatch.setenv("FORUM_API_KEY", "wrong")
        with pytest.raises(SourceMisconfigured, match="403"):
            collector.check(ACME)
        monkeypatch.setenv("FORUM_API_KEY", "k-123")
        assert "3 recent posts" in collector.check(ACME)
        assert server.requests[-1].headers["Api-Username"] == "listener"


def test_api_key_must_be_an_environment_reference() -> None:
    with pytest.raises(ValueError, match="environment variable reference"):
        COLLECTORS.get("discourse").settings_model.model_validate({"url": "https://f.example", "api_key": "k-123"})


def test_deleted_posts_are_skipped() -> None:
    fake = FakeDiscourse()
    fake.posts[1]["deleted_at"] = "2026-11-02T10:30:00.000Z"
    with routed_http_server(fake) as server:
        result = discourse(server).fetch(ACME, None)
    assert [m.external_id for m in result.mentions] == ["5001"]


WHOLE_POSTS = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "discourse_posts.json").read_text(encoding="utf-8"))
"""`cooked` HTML of posts as `/posts/{id}.json` returns them, where longer than the search excerpt."""


def test_posts_are_stored_whole_not_as_the_search_excerpt() -> None:
    fake = FakeDiscourse()
    fake.full_text = {int(post_id): cooked for post_id, cooked in WHOLE_POSTS.items()}
    with routed_http_server(fake) as server:
        by_id = {m.external_id: m for m in discourse(server).fetch(ACME, None).mentions}
    assert by_id["5001"].text.startswith("Acme sync broken?\nSince this morning acme sync keeps failing")
    assert by_id["5001"].text.endswith("I am moving the team to Globex if support stays silent.")
    assert len(by_id["5001"].text) > 2 * len(SEARCH["posts"][0]["blurb"])


def test_posts_beyond_the_per_poll_fetch_limit_are_read_on_the_next_poll(store: Store) -> None:
    with routed_http_server(FakeDiscourse()) as server:
        first = discourse(server, max_post_fetches=1).fetch(ACME, None)
        assert [m.external_id for m in first.mentions] == ["5002"]  # newest first
        assert store.store_batch("forum", "Acme", first.mentions, first.cursor) == 1
        second = discourse(server, max_post_fetches=1).fetch(ACME, store.get_cursor("forum", "Acme"))
        assert [m.external_id for m in second.mentions] == ["5001"]
        assert "after:2026-11-01" in searches(server)[-1]["q"]
        assert discourse(server, max_post_fetches=1).fetch(ACME, second.cursor).mentions == []


def test_a_rate_limit_while_reading_posts_keeps_what_was_read_and_defers_the_rest() -> None:
    fake = FakeDiscourse()
    fake.rate_limited.add(5001)
    with routed_http_server(fake) as server:
        collector = discourse(server)
        first = collector.fetch(ACME, None)
        assert [m.external_id for m in first.mentions] == ["5002"]
        fake.rate_limited.clear()
        assert [m.external_id for m in collector.fetch(ACME, first.cursor).mentions] == ["5001"]


def test_a_post_deleted_between_search_and_read_is_skipped() -> None:
    fake = FakeDiscourse()
    fake.deleted_since_search.add(5002)
    with routed_http_server(fake) as server:
        result = discourse(server).fetch(ACME, None)
    assert [m.external_id for m in result.mentions] == ["5001"]


# -- reply relationships (response time) -------------------------------------------------------


class FakeDiscourseWithReplies(FakeDiscourse):
    """Whole posts carry `reply_to_post_number`, and `/posts/by_number/{topic}/{number}.json` finds a post."""

    def __init__(self) -> None:
        super().__init__()
        self.reply_to: dict[int, int] = {}
        self.by_number: list[str] = []

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        if match := re.fullmatch(r"/posts/by_number/(\d+)/(\d+)\.json", url.path):
            self.by_number.append(url.path)
            topic, number = int(match.group(1)), int(match.group(2))
            post = next((p for p in self.posts if p.get("topic_id") == topic and p.get("post_number") == number), None)
            return self.whole_post(post["id"]) if post else json_response({"errors": ["not found"]}, 404)
        if match := re.fullmatch(r"/posts/(\d+)\.json", url.path):
            response = self.whole_post(int(match.group(1)))
            body = json.loads(response.body)
            return json_response({**body, "reply_to_post_number": self.reply_to.get(int(match.group(1)))}, response.status)
        return super().__call__(request)


def test_replies_keep_their_topic_and_parent_post_for_a_brand_with_own_accounts() -> None:
    fake = FakeDiscourseWithReplies()
    fake.posts.append({**fake.posts[1], "id": 5004, "username": "acme_team", "post_number": 4, "blurb": "Fixed now, sorry!",
                       "created_at": "2026-11-02T10:40:00.000Z"})
    fake.posts.append({**fake.posts[1], "id": 5005, "username": "acme_team", "post_number": 5, "blurb": "And a deleted one",
                       "created_at": "2026-11-02T10:41:00.000Z"})
    fake.reply_to.update({5004: 3, 5005: 2})  # 5004 answers Lee's post #3; #2 was deleted
    brand = BrandConfig(name="Acme", keywords=("acme",), own_accounts={"discourse": ["acme_team"]})
    with routed_http_server(fake) as server:
        result = discourse(server).fetch(brand, None)
        searched = [params["q"] for params in searches(server)]
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert (by_id["5004"].in_reply_to, by_id["5004"].conversation_id, by_id["5004"].author) == ("5002", "700", "acme_team")
    assert by_id["5002"].in_reply_to == "5001"  # no reply_to_post_number: it answers the topic
    assert by_id["5001"].in_reply_to is None and by_id["5001"].conversation_id == "700"
    assert by_id["5005"].in_reply_to is None  # its parent is gone
    assert any(query.startswith("@acme_team") for query in searched)
    assert len(fake.by_number) == len(set(fake.by_number))  # each parent looked up once


def test_without_own_accounts_no_parent_is_looked_up() -> None:
    fake = FakeDiscourseWithReplies()
    with routed_http_server(fake) as server:
        result = discourse(server).fetch(ACME, None)
    assert fake.by_number == [] and all(mention.in_reply_to is None for mention in result.mentions)
    assert {mention.conversation_id for mention in result.mentions} == {"700"}
