"""Mastodon collector: the real Mastodon.py code against a loopback fake instance."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from listener.core.clock import SystemClock
from listener.config import BrandConfig
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured
from listener.storage.repository import Store
from tests.collector_checks import assert_fails_unavailable_then_recovers
from tests.servers import RecordedRequest, RoutedHTTPServer, ScriptedResponse, json_response, routed_http_server

STATUSES = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "mastodon_statuses.json").read_text(encoding="utf-8"))
ACME = BrandConfig(name="Acme", keywords=("acme",))
INSTANCE = {"domain": "social.example", "title": "Example", "version": "4.3.0", "api_versions": {"mastodon": 2}}


class FakeMastodon:
    """Hashtag timelines and status search over a list of statuses, with Mastodon's id paging."""

    def __init__(self, token: str | None = None):
        self.statuses = copy.deepcopy(STATUSES)
        self.token = token

    def add(self, status_id: int, content: str, **fields: Any) -> None:
        self.statuses.append({
            **STATUSES[0], "id": str(status_id), "content": content, "created_at": "2026-11-02T11:00:00.000Z",
            "tags": [{"name": "acme"}] if "#acme" in content else [], **fields,
        })

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        params = dict(parse_qsl(url.query))
        if url.path.startswith(("/api/v1/instance", "/api/v2/instance")):
            return json_response(INSTANCE)
        if url.path.startswith("/api/v1/timelines/tag/"):
            tag = unquote(url.path.rsplit("/", 1)[1]).lower()
            found = [s for s in self.statuses if any(t["name"] == tag for t in s.get("tags") or [])
                     or f"#{tag}" in s.get("content", "")]
            return json_response(self._page(found, params))
        if url.path == "/api/v2/search":
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return json_response({"error": "The access token is invalid"}, 401)
            found = [s for s in self.statuses if params["q"].lower() in s.get("content", "").lower()]
            return json_response({"accounts": [], "statuses": self._page(found, params), "hashtags": []})
        return json_response({"error": "Record not found"}, 404)

    @staticmethod
    def _page(statuses: list[dict[str, Any]], params: dict[str, str]) -> list[dict[str, Any]]:
        limit = int(params.get("limit", 20))
        ordered = sorted(statuses, key=lambda s: int(s["id"]))
        if "min_id" in params:
            return list(reversed([s for s in ordered if int(s["id"]) > int(params["min_id"])][:limit]))
        return list(reversed(ordered[-limit:]))


def mastodon(server: RoutedHTTPServer, **settings: Any):
    plugin = COLLECTORS.get("mastodon")
    validated = plugin.settings_model.model_validate({"instance": server.url, **settings})
    return plugin.build(SourceContext("masto", validated, SystemClock()))


def test_hashtag_timeline_statuses_become_mentions_without_reblogs(caplog) -> None:
    with routed_http_server(FakeMastodon()) as server, caplog.at_level(logging.WARNING):
        result = mastodon(server).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == ["113000000000000001", "113000000000000002"]
    first = by_id["113000000000000001"]
    assert first.text == "Is #acme down for anyone else? <script>\nSecond paragraph"
    assert first.created_at == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert (first.author, first.author_reach, first.language) == ("kim", 1264, "en")
    assert (first.likes, first.shares, first.replies) == (11, 5, 2)
    assert first.url == "https://social.example/@kim/113000000000000001"
    rtl = by_id["113000000000000002"]
    assert rtl.text.startswith("rant\n") and "\U0001f621" in rtl.text and rtl.language == "ar"
    assert any("masto: skipped malformed item 113000000000000004: ValueError" in record.getMessage() for record in caplog.records)
    assert any(request.path.startswith("/api/v1/timelines/tag/acme") for request in server.requests)
    assert result.cursor == {"since_id": {"tag:acme": "113000000000000004"}}


def test_cursor_resumes_after_restart_reading_every_page(store: Store) -> None:
    fake = FakeMastodon()
    with routed_http_server(fake) as server:
        first = mastodon(server).fetch(ACME, None)
        assert store.store_batch("masto", "Acme", first.mentions, first.cursor) == 2
        for number in range(45):  # more than one page of 40
            fake.add(113000000000000100 + number, f"<p>#acme post {number}</p>")
        second = mastodon(server).fetch(ACME, store.get_cursor("masto", "Acme"))
        assert len(second.mentions) == 45
        assert store.store_batch("masto", "Acme", second.mentions, second.cursor) == 45
        assert mastodon(server).fetch(ACME, store.get_cursor("masto", "Acme")).mentions == []
    min_ids = [dict(parse_qsl(urlsplit(r.path).query)).get("min_id") for r in server.requests if "/timelines/" in r.path]
    assert min_ids[:3] == [None, "113000000000000004", "113000000000000139"]


def test_access_token_adds_status_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTODON_TOKEN", "t0ken")
    fake = FakeMastodon(token="t0ken")
    fake.add(113000000000000200, "<p>plain acme mention without a hashtag</p>")
    with routed_http_server(fake) as server:
        result = mastodon(server, access_token="${MASTODON_TOKEN}", hashtags=["#acmecloud"]).fetch(ACME, None)
    assert "113000000000000200" in {m.external_id for m in result.mentions}
    assert set(result.cursor["since_id"]) == {"search:acme"}  # #acmecloud is empty: nothing to resume from


def test_unset_token_and_unknown_instance_are_misconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASTODON_TOKEN", raising=False)
    with routed_http_server(FakeMastodon(token="t0ken")) as server:
        with pytest.raises(SourceMisconfigured, match="MASTODON_TOKEN"):
            mastodon(server, access_token="${MASTODON_TOKEN}").fetch(ACME, None)
        monkeypatch.setenv("MASTODON_TOKEN", "wrong")
        with pytest.raises(SourceMisconfigured, match="401"):
            mastodon(server, access_token="${MASTODON_TOKEN}").fetch(ACME, None)
        collector = mastodon(server)
        collector.check(ACME)  # the SDK's instance lookup is cached from here on
        server.fail_next(json_response({"error": "Record not found"}, 404))
        with pytest.raises(SourceMisconfigured, match="404"):
            collector.check(ACME)


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [
        (ScriptedResponse(429, {"X-RateLimit-Reset": "2099-01-01T00:00:00.000Z", "X-RateLimit-Remaining": "0"}, "{}"), "future"),
        (ScriptedResponse(503, {}, "<html>down</html>"), None),
        (ScriptedResponse(200, {"Content-Type": "application/json"}, '[{"id": "1", "content"'), None),
        (ScriptedResponse(200, {}, b"[]", delay=1.5), None),
    ],
    ids=["429", "503", "malformed", "timeout"],
)
def test_failures_raise_source_unavailable_then_recover(failure, retry_after) -> None:
    with routed_http_server(FakeMastodon()) as server:
        collector = mastodon(server, timeout=0.5)
        assert "reachable" in collector.check(ACME)  # the SDK's instance lookup is cached from here on
        assert_fails_unavailable_then_recovers(server, collector, ACME, failure, retry_after, "masto", mentions=2)


def test_brand_without_hashtags_needs_a_token_or_a_hashtag_list() -> None:
    with routed_http_server(FakeMastodon()) as server:
        with pytest.raises(SourceMisconfigured, match="set `hashtags`, or an `access_token`"):
            mastodon(server).fetch(BrandConfig(name="Acme", phrases=("acme cloud",)), None)


# -- reply relationships (response time) -------------------------------------------------------


class FakeMastodonWithBrandAccount(FakeMastodon):
    """Also serves the brand account `acme`: its lookup and its public statuses."""

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        if url.path == "/api/v1/accounts/lookup":
            acct = dict(parse_qsl(url.query)).get("acct")
            return json_response({**STATUSES[0]["account"], "id": "7", "acct": acct}) if acct == "acme" else json_response({"error": "Record not found"}, 404)
        if url.path == "/api/v1/accounts/7/statuses":
            own = [s for s in self.statuses if s["account"]["acct"] == "acme"]
            return json_response(self._page(own, dict(parse_qsl(url.query))))
        return super().__call__(request)


def test_replies_keep_their_parent_and_the_brands_answers_are_read_from_its_account() -> None:
    fake = FakeMastodonWithBrandAccount()
    account = {**STATUSES[0]["account"], "id": "7", "acct": "acme", "username": "acme"}
    fake.add(113000000000000010, "<p>@kim sorry, fixed now!</p>", in_reply_to_id="113000000000000001", account=account)
    fake.add(113000000000000011, "<p>Our spring sale starts today</p>", account=account)  # not an answer
    fake.add(113000000000000012, "<p>#acme still down here</p>", in_reply_to_id="113000000000000001")
    brand = BrandConfig(name="Acme", keywords=("acme",), own_accounts={"mastodon": ["acme"]})
    with routed_http_server(fake) as server:
        result = mastodon(server).fetch(brand, None)
        lookups = [request for request in server.requests if request.path.startswith("/api/v1/accounts/lookup")]
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert by_id["113000000000000010"].in_reply_to == "113000000000000001"
    assert by_id["113000000000000010"].author == "acme"
    assert by_id["113000000000000012"].in_reply_to == "113000000000000001"
    assert by_id["113000000000000001"].in_reply_to is None
    assert "113000000000000011" not in by_id
    assert len(lookups) == 1
    assert "own:acme" in result.cursor["since_id"]
