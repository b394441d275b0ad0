"""Hacker News collector: the real httpx code against a loopback fake of the Algolia API."""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from listener.core.clock import SystemClock
from listener.config import BrandConfig
from listener.sources import COLLECTORS, SourceContext, SourceUnavailable
from listener.storage.repository import Store
from tests.servers import RecordedRequest, RoutedHTTPServer, ScriptedResponse, json_response, routed_http_server

HITS = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "hackernews_hits.json").read_text(encoding="utf-8"))
ACME = BrandConfig(name="Acme", keywords=("acme",))


class FakeAlgolia:
    """search_by_date over a list of hits: numericFilters created_at_i>=N, newest first, paged."""

    def __init__(self, hits: list[dict[str, Any]]):
        self.hits = copy.deepcopy(hits)

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        from urllib.parse import parse_qsl, urlsplit

        url = urlsplit(request.path)
        assert url.path == "/search_by_date", url.path
        params = dict(parse_qsl(url.query))
        hits = list(self.hits)
        if match := re.fullmatch(r"created_at_i>=(\d+)", params.get("numericFilters", "")):
            hits = [hit for hit in hits if hit.get("created_at_i", 0) >= int(match.group(1))]
        hits.sort(key=lambda hit: -hit.get("created_at_i", 0))
        per_page, page = int(params.get("hitsPerPage", 20)), int(params.get("page", 0))
        pages = (len(hits) + per_page - 1) // per_page
        return json_response(
            {"hits": hits[page * per_page:(page + 1) * per_page], "nbHits": len(hits), "nbPages": pages, "page": page}
        )


def hackernews(server: RoutedHTTPServer, **settings: Any):
    plugin = COLLECTORS.get("hackernews")
    validated = plugin.settings_model.model_validate({"base_url": server.url, **settings})
    return plugin.build(SourceContext("hn", validated, SystemClock()))


def test_stories_and_comments_become_mentions_with_html_stripped(caplog) -> None:
    with routed_http_server(FakeAlgolia(HITS)) as server, caplog.at_level(logging.WARNING):
        result = hackernews(server).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == ["39000001", "39000002", "39000005"]  # deleted and time-less hits skipped
    story = by_id["39000001"]
    assert story.text == "Show HN: Leaving Acme Cloud\nWe moved off Acme Cloud after the outage & here's what we learned."
    assert story.url == "https://news.ycombinator.com/item?id=39000001"
    assert (story.author, story.likes, story.replies) == ("pg_fan", 87, 12)
    assert story.created_at == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert by_id["39000005"].text == "Acme support answered in minutes, link"
    assert "\u200facme" in by_id["39000002"].text and "\U0001f680" in by_id["39000002"].text
    assert any("hn: skipped malformed item 39000004: ValueError" in record.getMessage() for record in caplog.records)
    assert server.query(0)["tags"] == "(story,comment)"


def test_pages_are_followed_until_the_last() -> None:
    with routed_http_server(FakeAlgolia(HITS)) as server:
        result = hackernews(server, hits_per_page=2).fetch(ACME, None)
    assert len(result.mentions) == 3
    assert [server.query(i)["page"] for i in range(len(server.requests))] == ["0", "1", "2"]


def test_cursor_resumes_after_restart_without_duplicates_or_gaps(store: Store) -> None:
    fake = FakeAlgolia(HITS)
    with routed_http_server(fake) as server:
        first = hackernews(server).fetch(ACME, None)
        assert store.store_batch("hn", "Acme", first.mentions, first.cursor) == 3
        # The deleted comment is the newest hit: the cursor moves past it all the same.
        assert first.cursor == {"since": 1793613960, "seen": ["39000003"]}

        # New posts arrive, one of them in the very second the cursor stopped at.
        fake.hits.append({**HITS[4], "objectID": "39000006", "comment_text": "acme again, same second", "created_at_i": 1793613960})
        fake.hits.append({**HITS[4], "objectID": "39000007", "comment_text": "acme later", "created_at_i": 1793614000})
        restarted = hackernews(server)
        second = restarted.fetch(ACME, store.get_cursor("hn", "Acme"))
        assert sorted(m.external_id for m in second.mentions) == ["39000006", "39000007"]
        assert store.store_batch("hn", "Acme", second.mentions, second.cursor) == 2
        assert server.query()["numericFilters"] == "created_at_i>=1793613960"

        third = restarted.fetch(ACME, store.get_cursor("hn", "Acme"))
        assert third.mentions == [] and third.cursor == second.cursor


@pytest.mark.parametrize(
    ("failure", "retry_after"),
    [
        (ScriptedResponse(429, {"Retry-After": "7"}, "slow down"), 7.0),
        (ScriptedResponse(503, {}, "<html>maintenance</html>"), None),
        (ScriptedResponse(200, {"Content-Type": "application/json"}, '{"hits": [{"objectID": '), None),
        (ScriptedResponse(200, {}, b"{}", delay=1.5), None),
    ],
    ids=["429", "503", "malformed", "timeout"],
)
def test_failures_raise_source_unavailable_and_the_next_poll_loses_nothing(failure, retry_after) -> None:
    with routed_http_server(FakeAlgolia(HITS)) as server:
        collector = hackernews(server, timeout=0.5)
        server.fail_next(failure)
        with pytest.raises(SourceUnavailable, match="^hn: ") as raised:
            collector.fetch(ACME, None)
        assert raised.value.retry_after == retry_after
        recovered = collector.fetch(ACME, None)
    assert len(recovered.mentions) == 3


def test_check_reports_result_count() -> None:
    with routed_http_server(FakeAlgolia(HITS)) as server:
        assert "results for 'acme'" in hackernews(server).check(ACME)


def test_story_titles_are_plain_text_and_keep_words_in_angle_brackets() -> None:
    """A hit in Algolia's documented shape: `title` is the plain text HN shows (the recorded
    replay had "The <dialog> element…"), while `story_text` is HTML."""
    hits = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "hackernews_plain_titles.json").read_text(encoding="utf-8"))
    with routed_http_server(FakeAlgolia(hits)) as server:
        (story,) = hackernews(server).fetch(ACME, None).mentions
    assert story.text == "The <dialog> element & Acme's modal <3\nAcme & friends"
