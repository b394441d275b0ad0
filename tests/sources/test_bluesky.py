"""Bluesky collector: the real atproto SDK (login, session, searchPosts) against a loopback fake."""

from __future__ import annotations

import base64
import copy
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from listener.core.clock import SystemClock
from listener.config import BrandConfig
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured, SourceUnavailable
from listener.storage.repository import Store
from tests.collector_checks import assert_fails_unavailable_then_recovers
from tests.servers import RecordedRequest, RoutedHTTPServer, ScriptedResponse, json_response, routed_http_server

POSTS = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "bluesky_posts.json").read_text(encoding="utf-8"))
ODD_POSTS = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "bluesky_odd_posts.json").read_text(encoding="utf-8"))
"""A post whose client wrote `createdAt` in year 0, and one by an author whose handle does not verify."""
ACME = BrandConfig(name="Acme", keywords=("acme",))
HANDLE, PASSWORD = "listener.bsky.social", "abcd-efgh-ijkl-mnop"


def fake_jwt(subject: str) -> str:
    """A token shaped like the PDS's (the SDK reads its expiry to decide when to refresh)."""
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return ".".join([part({"typ": "at+jwt", "alg": "ES256K"}), part({"sub": subject, "exp": 4102444800, "scope": "com.atproto.appPass"}), "c2ln"])


class FakeBluesky:
    """createSession and searchPosts (q, since, sort=latest, cursor paging) over a list of posts."""

    def __init__(self, page_size: int = 100):
        self.posts = copy.deepcopy(POSTS)
        self.page_size = page_size
        self.access_jwt = fake_jwt("did:plc:listener")
        self.logins = 0

    def add(self, number: int, text: str, created: str) -> None:
        self.posts.append({**POSTS[0], "uri": f"at://did:plc:abc123/app.bsky.feed.post/3new{number:04d}",
                           "record": {**POSTS[0]["record"], "text": text, "createdAt": created}, "indexedAt": created})

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        if url.path == "/xrpc/com.atproto.server.createSession":
            body = request.json()
            if (body["identifier"], body["password"]) != (HANDLE, PASSWORD):
                return json_response({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, 401)
            self.logins += 1
            return json_response({"accessJwt": self.access_jwt, "refreshJwt": fake_jwt("refresh"), "handle": HANDLE,
                                  "did": "did:plc:listener", "active": True})
        if url.path == "/xrpc/app.bsky.feed.searchPosts":
            if request.headers.get("Authorization") != f"Bearer {self.access_jwt}":
                return json_response({"error": "AuthMissing", "message": "Authentication Required"}, 401)
            params = dict(parse_qsl(url.query))
            found = [p for p in self.posts if params["q"].lower() in p["record"]["text"].lower()
                     and p["record"]["createdAt"] >= params.get("since", "")]
            found.sort(key=lambda p: p["record"]["createdAt"], reverse=True)
            offset = int(params.get("cursor", 0))
            page = found[offset:offset + min(int(params.get("limit", 25)), self.page_size)]
            more = offset + len(page) < len(found)
            return json_response({"posts": page, **({"cursor": str(offset + len(page))} if more else {})})
        return json_response({"error": "MethodNotImplemented"}, 501)


def bluesky(server: RoutedHTTPServer, monkeypatch: pytest.MonkeyPatch, **settings: Any):
    monkeypatch.setenv("BSKY_HANDLE", HANDLE)
    monkeypatch.setenv("BSKY_APP_PASSWORD", PASSWORD)
    plugin = COLLECTORS.get("bluesky")
    validated = plugin.settings_model.model_validate(
        {"handle": "${BSKY_HANDLE}", "app_password": "${BSKY_APP_PASSWORD}", "service": server.url, **settings}
    )
    return plugin.build(SourceContext("bsky", validated, SystemClock()))


def test_posts_become_mentions_with_bsky_app_urls(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    with routed_http_server(FakeBluesky()) as server, caplog.at_level(logging.WARNING):
        result = bluesky(server, monkeypatch).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == ["at://did:plc:abc123/app.bsky.feed.post/3lbxyz0001", "at://did:plc:def456/app.bsky.feed.post/3lbxyz0002"]
    kim = by_id["at://did:plc:abc123/app.bsky.feed.post/3lbxyz0001"]
    assert kim.url == "https://bsky.app/profile/kim.bsky.social/post/3lbxyz0001"
    assert kim.text == "acme cloud is down again \U0001f624 third time this week"
    assert kim.created_at == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert (kim.author, kim.language, kim.likes, kim.shares, kim.replies) == ("kim.bsky.social", "en", 9, 3, 3)
    assert by_id["at://did:plc:def456/app.bsky.feed.post/3lbxyz0002"].language == "he"
    assert any("3lbxyz0003: ValueError: cid: Field required; indexedAt: Field required" in r.getMessage() for r in caplog.records)
    assert dict(parse_qsl(urlsplit(server.requests[-1].path).query))["sort"] == "latest"


def test_cursor_resumes_after_restart_including_late_indexed_posts(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeBluesky(page_size=1)
    with routed_http_server(fake) as server:
        first = bluesky(server, monkeypatch).fetch(ACME, None)
        assert store.store_batch("bsky", "Acme", first.mentions, first.cursor) == 2
        fake.add(1, "acme is back", "2026-11-02T11:00:00.000Z")
        fake.add(2, "acme posted late, indexed after the newer one", "2026-11-02T10:58:00.000Z")
        restarted = bluesky(server, monkeypatch)
        second = restarted.fetch(ACME, store.get_cursor("bsky", "Acme"))
        assert sorted(m.external_id.rsplit("/", 1)[1] for m in second.mentions) == ["3new0001", "3new0002"]
        assert store.store_batch("bsky", "Acme", second.mentions, second.cursor) == 2
        fake.add(3, "acme, indexed very late", "2026-11-02T10:55:00.000Z")
        third = restarted.fetch(ACME, store.get_cursor("bsky", "Acme"))
        assert [m.external_id.rsplit("/", 1)[1] for m in third.mentions] == ["3new0003"]
        assert restarted.fetch(ACME, third.cursor).mentions == []
        since = [dict(parse_qsl(urlsplit(r.path).query)).get("since") for r in server.requests if "searchPosts" in r.path]
    assert since[-1] == "2026-11-02T10:50:00.000Z"
    assert fake.logins == 2  # one per collector instance, not one per poll


def test_wrong_password_or_unset_variables_are_misconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    with routed_http_server(FakeBluesky()) as server:
        collector = bluesky(server, monkeypatch)
        monkeypatch.setenv("BSKY_APP_PASSWORD", "wrong")
        with pytest.raises(SourceMisconfigured, match="login refused.*Invalid identifier or password"):
            collector.fetch(ACME, None)
        monkeypatch.delenv("BSKY_HANDLE")
        with pytest.raises(SourceMisconfigured, match=r"set \$BSKY_HANDLE"):
            collector.check(ACME)


def test_rejected_session_logs_in_again_next_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeBluesky()
    with routed_http_server(fake) as server:
        collector = bluesky(server, monkeypatch)
        assert "search works" in collector.check(ACME)
        fake.access_jwt = fake_jwt("did:plc:listener-rotated")
        with pytest.raises(SourceUnavailable, match="session rejected"):
            collector.fetch(ACME, None)
        assert len(collector.fetch(ACME, None).mentions) == 2
    assert fake.logins == 2


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [
        (ScriptedResponse(429, {"RateLimit-Reset": "4102444800", "Content-Type": "application/json"},
                          '{"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}'), "future"),
        (ScriptedResponse(503, {}, "upstream unavailable"), None),
        (ScriptedResponse(200, {"Content-Type": "application/json"}, '{"posts": [{"uri": '), None),
        (ScriptedResponse(200, {}, b"{}", delay=1.5), None),
    ],
    ids=["429", "503", "malformed", "timeout"],
)
def test_failures_raise_source_unavailable_then_recover(failure, retry_after, monkeypatch: pytest.MonkeyPatch) -> None:
    with routed_http_server(FakeBluesky()) as server:
        collector = bluesky(server, monkeypatch, timeout=0.5)
        collector.check(ACME)
        assert_fails_unavailable_then_recovers(server, collector, ACME, failure, retry_after, "bsky", mentions=2)


def test_a_post_dated_year_zero_falls_back_to_its_indexed_time(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    """A post in the documented searchPosts shape (bluesky_odd_posts.json) whose client wrote
    `createdAt` in year 0, as one in the recorded replay did; when Bluesky indexed it is the best
    time it has."""
    fake = FakeBluesky()
    fake.posts += ODD_POSTS
    with routed_http_server(fake) as server, caplog.at_level(logging.WARNING):
        result = bluesky(server, monkeypatch).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert by_id["at://did:plc:abc123/app.bsky.feed.post/3new0001"].created_at == datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    assert "year 0" not in caplog.text


def test_an_author_whose_handle_does_not_verify_is_linked_by_did(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bluesky reports a handle whose DNS or well-known check fails as `handle.invalid`, a link
    that leads nowhere; the DID always resolves."""
    fake = FakeBluesky()
    fake.posts += ODD_POSTS
    with routed_http_server(fake) as server:
        result = bluesky(server, monkeypatch).fetch(ACME, None)
    post = {m.external_id: m for m in result.mentions}["at://did:plc:abc123/app.bsky.feed.post/3new0002"]
    assert post.url == "https://bsky.app/profile/did:plc:abc123/post/3new0002"
    assert post.author == "did:plc:abc123"


# -- reply relationships (response time) -------------------------------------------------------

KIM_POST = "at://did:plc:abc123/app.bsky.feed.post/3lbxyz0001"


class FakeBlueskyWithAuthors(FakeBluesky):
    """searchPosts also answers `from:<handle>`, as Bluesky's search does."""

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        params = dict(parse_qsl(url.query))
        if url.path == "/xrpc/app.bsky.feed.searchPosts" and params.get("q", "").startswith("from:"):
            handle = params["q"].removeprefix("from:")
            return json_response({"posts": [p for p in self.posts if p["author"]["handle"] == handle]})
        return super().__call__(request)


def test_replies_keep_parent_and_root_and_the_brands_answers_are_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeBlueskyWithAuthors()
    brand_author = {"did": "did:plc:acme", "handle": "acme.bsky.social", "labels": []}
    ref = {"uri": KIM_POST, "cid": POSTS[0]["cid"]}
    fake.posts.append({
        **POSTS[0], "uri": "at://did:plc:acme/app.bsky.feed.post/3reply01", "author": brand_author,
        "record": {"$type": "app.bsky.feed.post", "text": "So sorry Kim, fixed now!", "createdAt": "2026-11-02T10:30:00.000Z",
                   "reply": {"root": ref, "parent": ref}},
        "indexedAt": "2026-11-02T10:30:01.000Z",
    })
    fake.posts.append({  # the brand's post that answers nobody is not collected through its account
        **POSTS[0], "uri": "at://did:plc:acme/app.bsky.feed.post/3launch1", "author": brand_author,
        "record": {"$type": "app.bsky.feed.post", "text": "Spring sale!", "createdAt": "2026-11-02T10:31:00.000Z"},
    })
    brand = BrandConfig(name="Acme", keywords=("acme",), own_accounts={"bluesky": ["acme.bsky.social"]})
    with routed_http_server(fake) as server:
        result = bluesky(server, monkeypatch).fetch(brand, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    answer = by_id["at://did:plc:acme/app.bsky.feed.post/3reply01"]
    assert (answer.author, answer.in_reply_to, answer.conversation_id) == ("acme.bsky.social", KIM_POST, KIM_POST)
    assert (by_id[KIM_POST].in_reply_to, by_id[KIM_POST].conversation_id) == (None, KIM_POST)
    assert "at://did:plc:acme/app.bsky.feed.post/3launch1" not in by_id
