"""Stack Exchange collector: the real httpx code against a loopback fake of `/2.3/search/excerpts`.

stackexchange_excerpts.json is built in the documented shape of the API's `search_excerpt` type
(https://api.stackexchange.com/docs/types/search-excerpt): HTML-escaped titles and names, `body`
as HTML, creation dates in epoch seconds; one item lacks its date.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from listener.core.clock import SystemClock
from listener.config import BrandConfig
from listener.sources import COLLECTORS, SourceContext, SourceMisconfigured, SourceUnavailable
from listener.storage.repository import Store
from tests.conftest import utc
from tests.servers import RecordedRequest, RoutedHTTPServer, ScriptedResponse, json_response, routed_http_server

ITEMS = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "stackexchange_excerpts.json").read_text(encoding="utf-8"))
ACME = BrandConfig(name="Acme", keywords=("acme",))


class FakeStackExchange:
    """search/excerpts over a list of items: `fromdate` (inclusive), newest first, `pagesize` paging."""

    def __init__(self, items: list[dict[str, Any]], backoff: int | None = None):
        self.items = copy.deepcopy(items)
        self.backoff = backoff

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        assert url.path == "/2.3/search/excerpts", url.path
        params = dict(parse_qsl(url.query))
        items = [item for item in self.items if item.get("creation_date", 0) >= int(params.get("fromdate", 0))]
        items.sort(key=lambda item: -item.get("creation_date", 0))
        size, page = int(params.get("pagesize", 30)), int(params.get("page", 1))
        chunk = items[(page - 1) * size:page * size]
        reply = {"items": chunk, "has_more": len(items) > page * size, "quota_max": 300, "quota_remaining": 297, "total": len(items)}
        if self.backoff is not None:
            reply["backoff"] = self.backoff
        return json_response(reply)


def stackexchange(server: RoutedHTTPServer, **settings: Any):
    plugin = COLLECTORS.get("stackexchange")
    validated = plugin.settings_model.model_validate({"base_url": server.url + "/2.3", **settings})
    return plugin.build(SourceContext("se", validated, SystemClock()))


def test_questions_and_answers_become_mentions_with_titles_as_written(caplog) -> None:
    with routed_http_server(FakeStackExchange(ITEMS)) as server, caplog.at_level(logging.WARNING):
        result = stackexchange(server).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == ["a79100050", "q79100001", "q79100002"]
    question = by_id["q79100001"]
    assert question.text == (
        "Why does the <dialog> element in Acme UI not close?\n"
        "The Acme modal stopped closing after the upgrade & the console shows nothing.\nacme.open()"
    )
    assert (question.author, question.url, question.likes, question.replies) == ("René O'Neil", "https://stackoverflow.com/q/79100001", 12, 2)
    assert question.created_at == utc(2026, 11, 2, 10, 0)
    answer = by_id["a79100050"]
    assert answer.text == "Acme 3.2 changed the default; call dialog.close() yourself."
    assert answer.url == "https://stackoverflow.com/a/79100050"
    assert by_id["q79100002"].likes == 0 and by_id["q79100002"].author is None
    assert any("se: skipped malformed item q79100003: ValueError" in record.getMessage() for record in caplog.records)
    assert server.query(0)["site"] == "stackoverflow" and server.query(0)["sort"] == "creation"


def test_cursor_resumes_after_restart_without_duplicates_or_gaps(store: Store) -> None:
    fake = FakeStackExchange(ITEMS)
    with routed_http_server(fake) as server:
        first = stackexchange(server).fetch(ACME, None)
        assert store.store_batch("se", "Acme", first.mentions, first.cursor) == 3
        assert first.cursor == {"since": 1793614600, "seen": ["q79100002"]}
        fake.items.append({**ITEMS[2], "question_id": 79100010, "creation_date": 1793614600, "title": "Acme same second"})
        fake.items.append({**ITEMS[2], "question_id": 79100011, "creation_date": 1793614700, "title": "Acme later"})
        second = stackexchange(server).fetch(ACME, store.get_cursor("se", "Acme"))
        assert sorted(m.external_id for m in second.mentions) == ["q79100010", "q79100011"]
        assert server.query()["fromdate"] == "1793614600"
        assert store.store_batch("se", "Acme", second.mentions, second.cursor) == 2
        assert stackexchange(server).fetch(ACME, store.get_cursor("se", "Acme")).mentions == []


def test_other_sites_link_to_their_own_domain() -> None:
    with routed_http_server(FakeStackExchange(ITEMS)) as server:
        mentions = stackexchange(server, site="unix").fetch(ACME, None).mentions
    assert {m.url.split("/q/")[0].split("/a/")[0] for m in mentions} == {"https://unix.stackexchange.com"}
    assert server.query(0)["site"] == "unix"


def test_throttle_violation_is_waited_out_not_a_configuration_error() -> None:
    throttled = json_response(
        {"error_id": 502, "error_name": "throttle_violation", "error_message": "too many requests from this IP, more requests available in 8383 seconds"},
        status=400,
    )
    with routed_http_server(FakeStackExchange(ITEMS)) as server:
        collector = stackexchange(server)
        server.fail_next(throttled)
        with pytest.raises(SourceUnavailable, match="throttle_violation") as raised:
            collector.fetch(ACME, None)
        assert raised.value.retry_after == 8383.0
        assert len(collector.fetch(ACME, None).mentions) == 3


def test_a_rejected_parameter_is_a_configuration_error() -> None:
    rejected = json_response({"error_id": 400, "error_name": "bad_parameter", "error_message": "site is required"}, status=400)
    with routed_http_server(FakeStackExchange(ITEMS)) as server:
        server.fail_next(rejected)
        with pytest.raises(SourceMisconfigured, match="bad_parameter"):
            stackexchange(server).fetch(ACME, None)


@pytest.mark.parametrize(
    "failure",
    [ScriptedResponse(503, {}, "<html>down</html>"), ScriptedResponse(200, {"Content-Type": "application/json"}, '{"items": [')],
    ids=["503", "malformed"],
)
def test_server_errors_and_broken_replies_are_transient(failure: ScriptedResponse) -> None:
    with routed_http_server(FakeStackExchange(ITEMS)) as server:
        server.fail_next(failure)
        with pytest.raises(SourceUnavailable, match="^se: "):
            stackexchange(server).fetch(ACME, None)


def test_backoff_stops_paging_until_the_next_poll() -> None:
    with routed_http_server(FakeStackExchange(ITEMS, backoff=10)) as server:
        result = stackexchange(server, page_size=1).fetch(ACME, None)
    assert len(server.requests) == 1 and len(result.mentions) == 1


def test_app_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with routed_http_server(FakeStackExchange(ITEMS)) as server:
        collector = stackexchange(server, key="${SE_KEY}")
        with pytest.raises(SourceMisconfigured, match=r"\$\{SE_KEY\}, which is not set"):
            collector.fetch(ACME, None)
        monkeypatch.setenv("SE_KEY", "app-key-1")
        collector.fetch(ACME, None)
        assert server.query()["key"] == "app-key-1"


def test_check_reports_results_and_quota() -> None:
    with routed_http_server(FakeStackExchange(ITEMS)) as server:
        verdict = stackexchange(server).check(ACME)
    assert verdict == "stackoverflow search reachable; 4 results for 'acme'; 297 of 300 requests left today"
