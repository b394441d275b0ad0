"""GitHub collector: the real httpx code against a loopback fake of `GET /search/issues`.

There is no internet here, so github_search_issues.json is not a recording: it is built in the
documented shape of the search reply (https://docs.github.com/en/rest/search/search#search-issues-and-pull-requests):
`total_count`, `incomplete_results` and `items`, each an issue with `html_url`, `user`, ISO
`created_at`, a Markdown `body` (null allowed), `reactions` and, for a pull request, a
`pull_request` object. One item's `created_at` is not a date. DISCUSSIONS is a GraphQL `search`
reply for `type: DISCUSSION` in the schema's documented shape (`nodes`, `pageInfo`), inline since
it is short.
"""

from __future__ import annotations

import copy
import json
import logging
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from listener.app.pipeline import Pipeline
from listener.app.scheduler import Scheduler
from listener.config import BrandConfig
from listener.core.clock import ManualClock, SystemClock
from listener.sources import (
    COLLECTORS,
    SourceContext,
    SourceMisconfigured,
    SourceUnavailable,
)
from listener.storage.repository import Store
from tests.conftest import utc
from tests.servers import (
    RecordedRequest,
    RoutedHTTPServer,
    ScriptedResponse,
    json_response,
    routed_http_server,
)

REPLY = json.loads((Path(__file__).parent.parent / "fixtures" / "http" / "github_search_issues.json").read_text(encoding="utf-8"))
ITEMS: list[dict[str, Any]] = REPLY["items"]
ACME = BrandConfig(name="Acme", keywords=("acme",))
DISCUSSIONS: list[dict[str, Any]] = [
    {
        "__typename": "Discussion", "id": "D_kwDOAcme4M4AZ001", "title": "How do I theme Acme modals?",
        "bodyText": "I'd like the <dialog> darker.\nAny hints?", "url": "https://github.com/acme-corp/acme-ui/discussions/77",
        "createdAt": "2026-11-02T10:20:00Z", "author": {"login": "theme-fan"}, "reactions": {"totalCount": 4}, "comments": {"totalCount": 2},
    },
    {
        "__typename": "Discussion", "id": "D_kwDOAcme4M4AZ002", "title": "Acme roadmap?", "bodyText": "",
        "url": "https://github.com/acme-corp/acme-ui/discussions/78", "createdAt": "2026-11-02T09:00:00Z", "author": None,
        "reactions": {"totalCount": 0}, "comments": {"totalCount": 0},
    },
    {"__typename": "Discussion", "id": "D_kwDOAcme4M4AZ003", "title": "acme no date", "url": "https://github.com/x/y/discussions/1"},
]


def _created(item: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(item["created_at"])
    except (KeyError, ValueError):
        return None


class FakeGitHub:
    """search/issues over a list of items, honouring the qualifiers the collector sends
    (`created:>=`, `repo:`, `is:issue`), newest first, `per_page`/`page` paging."""

    def __init__(self, items: list[dict[str, Any]], discussions: list[dict[str, Any]] = ()):
        self.items = copy.deepcopy(items)
        self.discussions = copy.deepcopy(list(discussions))

    def __call__(self, request: RecordedRequest) -> ScriptedResponse:
        url = urlsplit(request.path)
        if url.path == "/graphql":
            return self.graphql(request)
        assert url.path == "/search/issues", url.path
        params = dict(parse_qsl(url.query))
        assert (params["sort"], params["order"]) == ("created", "desc")
        qualifiers = params["q"].split()
        assert "in:title,body,comments" in qualifiers
        items = list(self.items)
        for qualifier in qualifiers:
            if qualifier.startswith("created:>="):
                since = datetime.fromisoformat(qualifier.removeprefix("created:>="))
                items = [item for item in items if (_created(item) or since) >= since]
            if qualifier == "is:issue":
                items = [item for item in items if "pull_request" not in item]
        repos = [q.removeprefix("repo:") for q in qualifiers if q.startswith("repo:")]
        if repos:
            items = [item for item in items if item["repository_url"].split("/repos/")[1] in repos]
        items.sort(key=lambda item: _created(item) or datetime.max.replace(tzinfo=UTC), reverse=True)
        size, page = int(params.get("per_page", 30)), int(params.get("page", 1))
        reply = {"total_count": len(items), "incomplete_results": False, "items": items[(page - 1) * size:page * size]}
        return json_response(reply, headers={"x-ratelimit-limit": "10", "x-ratelimit-remaining": "9"})


    def graphql(self, request: RecordedRequest) -> ScriptedResponse:
        """GraphQL search for discussions: two per page, the cursor an offset."""
        assert request.method == "POST" and request.headers["Authorization"].startswith("Bearer ")
        payload = request.json()
        assert "type: DISCUSSION" in payload["query"]
        variables = payload["variables"]
        assert "sort:created-desc" in variables["q"].split()
        start = int(variables["after"] or 0)
        chunk = self.discussions[start:start + 2]
        more = start + 2 < len(self.discussions)
        return json_response({"data": {"search": {"pageInfo": {"hasNextPage": more, "endCursor": str(start + 2) if more else None}, "nodes": chunk}}})


def github(server: RoutedHTTPServer, **settings: Any):
    plugin = COLLECTORS.get("github")
    validated = plugin.settings_model.model_validate({"base_url": server.url, **settings})
    return plugin.build(SourceContext("gh", validated, SystemClock()))


def test_issues_and_pull_requests_become_mentions_with_markdown_kept_as_written(caplog) -> None:
    with routed_http_server(FakeGitHub(ITEMS)) as server, caplog.at_level(logging.WARNING):
        result = github(server).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == ["2660000001", "2660000002", "2660000003"]
    issue = by_id["2660000001"]
    assert issue.text == (
        "Acme modal: <dialog> never closes after upgrade\n### Steps\n1. Open an Acme modal\n2. Press `Esc`\n"
        "The <dialog> stays open & **nothing** in the console.\n```js\nacme.open()\n```"
    )
    assert (issue.author, issue.url, issue.likes, issue.replies) == ("rene-oneil", "https://github.com/acme-corp/acme-ui/issues/412", 7, 3)
    assert issue.created_at == utc(2026, 11, 2, 10, 0)
    pull = by_id["2660000002"]
    assert (pull.text, pull.url, pull.author) == ("Fix Acme modal close on Esc\nCloses #412.", "https://github.com/acme-corp/acme-ui/pull/415", "mika")
    no_body = by_id["2660000003"]
    assert (no_body.text, no_body.author, no_body.likes) == ("acme CLI config not picked up", None, 0)
    assert any("gh: skipped malformed item 2660000004: ValueError" in record.getMessage() for record in caplog.records)
    assert server.query(0)["q"] == '"acme" in:title,body,comments'
    assert "Authorization" not in server.requests[0].headers


def test_cursor_resumes_after_restart_without_duplicates_or_gaps(store: Store) -> None:
    fake = FakeGitHub(ITEMS)
    newest = int(utc(2026, 11, 2, 10, 10).timestamp())
    with routed_http_server(fake) as server:
        first = github(server).fetch(ACME, None)
        assert store.store_batch("gh", "Acme", first.mentions, first.cursor) == 3
        assert first.cursor == {"since": newest, "seen": ["2660000003"]}
        same_second = {**ITEMS[1], "id": 2660000010, "title": "Acme same second", "created_at": "2026-11-02T10:10:00Z"}
        later = {**ITEMS[1], "id": 2660000011, "title": "Acme later", "created_at": "2026-11-02T10:11:00Z"}
        fake.items = [item for item in fake.items if item["id"] != 2660000004] + [same_second, later]
        second = github(server).fetch(ACME, store.get_cursor("gh", "Acme"))
        assert sorted(m.external_id for m in second.mentions) == ["2660000010", "2660000011"]
        assert server.query()["q"].endswith("created:>=2026-11-02T10:10:00Z")
        assert store.store_batch("gh", "Acme", second.mentions, second.cursor) == 2
        assert github(server).fetch(ACME, store.get_cursor("gh", "Acme")).mentions == []


def test_paging_reads_every_page_up_to_max_pages() -> None:
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        assert len(github(server, per_page=1, max_pages=5).fetch(ACME, None).mentions) == 3
        assert [server.query(i)["page"] for i in range(len(server.requests))] == ["1", "2", "3", "4"]
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        assert len(github(server, per_page=1, max_pages=2).fetch(ACME, None).mentions) == 1  # the newest is malformed


def test_repos_and_include_pull_requests_narrow_the_search() -> None:
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        mentions = github(server, repos=["acme-corp/acme-ui"], include_pull_requests=False).fetch(ACME, None).mentions
    assert [m.external_id for m in mentions] == ["2660000001"]
    assert server.query()["q"] == '"acme" in:title,body,comments is:issue repo:acme-corp/acme-ui'


def test_a_phrase_stays_one_quoted_term_and_cannot_add_qualifiers() -> None:
    brand = BrandConfig(name="Acme", phrases=('acme cloud" repo:evil/x',))
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        github(server).fetch(brand, None)
    assert server.query()["q"].startswith('"acme cloud repo:evil/x" in:title')


@pytest.mark.parametrize(
    "limited",
    [
        ScriptedResponse(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "4102444800"}, '{"message": "API rate limit exceeded"}'),
        ScriptedResponse(429, {"retry-after": "4102444800"}, '{"message": "too many"}'),
        ScriptedResponse(403, {"retry-after": "4102444800"}, '{"message": "You have exceeded a secondary rate limit."}'),
    ],
    ids=["primary-403", "429", "secondary-403"],
)
def test_rate_limits_are_waited_out_with_githubs_own_wait(limited: ScriptedResponse) -> None:
    """Resets far in the future (2100) make the expected wait independent of the clock."""
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        collector = github(server)
        server.fail_next(limited)
        with pytest.raises(SourceUnavailable, match="^gh: ") as raised:
            collector.fetch(ACME, None)
        assert raised.value.retry_after is not None and raised.value.retry_after > 2_000_000_000
        assert len(collector.fetch(ACME, None).mentions) == 3


def test_the_scheduler_waits_until_githubs_reset_and_the_next_poll_loses_nothing(make_config, database_url: str) -> None:
    """A 403 from the rate limit must back the source off until the reset, not read as a bad token."""
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        config = make_config(
            storage={"url": database_url}, sources=[{"name": "gh", "type": "github", "base_url": server.url, "interval": "10m"}]
        )
        pipeline = Pipeline(config, clock=ManualClock(utc(2026, 11, 2, 12)), notifiers={})
        now = 500.0  # monotonic seconds, frozen
        scheduler = Scheduler(pipeline, rng=random.Random(1), monotonic=lambda: now)
        server.fail_next(ScriptedResponse(403, {"x-ratelimit-remaining": "0", "retry-after": "45"}, '{"message": "API rate limit exceeded"}'))
        scheduler.run_source("gh")
        assert (scheduler.health["gh"].failures, scheduler.health["gh"].resume_at) == (1, now + 45)
        assert pipeline.store.count_mentions() == 0
        scheduler.health["gh"].resume_at = 0.0
        scheduler.run_source("gh")
        scheduler.run_source("gh")
        assert scheduler.health["gh"].failures == 0
        assert pipeline.store.count_mentions() == 3
        pipeline.store.engine.dispose()


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token_is_a_configuration_error(status: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_revoked")
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        server.fail_next(json_response({"message": "Bad credentials"}, status=status))
        with pytest.raises(SourceMisconfigured, match="credentials"):
            github(server, token="${GITHUB_TOKEN}").fetch(ACME, None)


def test_a_validation_error_is_a_configuration_error() -> None:
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        server.fail_next(json_response({"message": "Validation Failed", "errors": [{"message": "repo not found"}]}, status=422))
        with pytest.raises(SourceMisconfigured, match="HTTP 422"):
            github(server, repos=["acme-corp/gone"]).fetch(ACME, None)


@pytest.mark.parametrize(
    "failure",
    [ScriptedResponse(503, {}, "<html>unicorn</html>"), ScriptedResponse(200, {"Content-Type": "application/json"}, '{"items": [')],
    ids=["503", "malformed"],
)
def test_server_errors_and_broken_replies_are_transient(failure: ScriptedResponse) -> None:
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        server.fail_next(failure)
        with pytest.raises(SourceUnavailable, match="^gh: "):
            github(server).fetch(ACME, None)


def test_token_comes_from_the_environment_and_a_missing_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        collector = github(server, token="${GITHUB_TOKEN}")
        with pytest.raises(SourceMisconfigured, match=r"token refers to \$\{GITHUB_TOKEN\}, which is not set"):
            collector.fetch(ACME, None)
        assert server.requests == []
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_example")
        collector.fetch(ACME, None)
        assert server.requests[-1].headers["Authorization"] == "Bearer ghp_example"
        assert server.requests[-1].headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_discussions_are_searched_with_the_token_and_stored_like_issues(monkeypatch: pytest.MonkeyPatch, caplog) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_example")
    with routed_http_server(FakeGitHub(ITEMS, DISCUSSIONS)) as server, caplog.at_level(logging.WARNING):
        result = github(server, token="${GITHUB_TOKEN}", discussions=True, repos=["acme-corp/acme-ui"]).fetch(ACME, None)
    by_id = {mention.external_id: mention for mention in result.mentions}
    assert sorted(by_id) == ["2660000001", "2660000002", "D_kwDOAcme4M4AZ001", "D_kwDOAcme4M4AZ002"]
    themed = by_id["D_kwDOAcme4M4AZ001"]
    assert (themed.text, themed.url, themed.author, themed.likes, themed.replies) == (
        "How do I theme Acme modals?\nI'd like the <dialog> darker.\nAny hints?",
        "https://github.com/acme-corp/acme-ui/discussions/77", "theme-fan", 4, 2,
    )
    assert themed.created_at == utc(2026, 11, 2, 10, 20)
    assert (by_id["D_kwDOAcme4M4AZ002"].text, by_id["D_kwDOAcme4M4AZ002"].author) == ("Acme roadmap?", None)
    assert result.cursor == {"since": int(utc(2026, 11, 2, 10, 20).timestamp()), "seen": ["D_kwDOAcme4M4AZ001"]}
    assert any("skipped malformed item D_kwDOAcme4M4AZ003" in record.getMessage() for record in caplog.records)
    graphql = [request.json()["variables"] for request in server.requests if request.path == "/graphql"]
    assert [v["after"] for v in graphql] == [None, "2"]
    assert graphql[0]["q"] == '"acme" sort:created-desc repo:acme-corp/acme-ui'


def test_discussions_resume_from_the_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_example")
    with routed_http_server(FakeGitHub([], DISCUSSIONS[:1])) as server:
        collector = github(server, token="${GITHUB_TOKEN}", discussions=True)
        first = collector.fetch(ACME, None)
        assert [m.external_id for m in first.mentions] == ["D_kwDOAcme4M4AZ001"]
        assert collector.fetch(ACME, first.cursor).mentions == []
        assert server.requests[-1].json()["variables"]["q"].endswith("created:>=2026-11-02T10:20:00Z")


def test_discussions_without_a_token_are_refused_when_the_config_loads() -> None:
    with pytest.raises(ValueError, match="discussions = true needs token"):
        COLLECTORS.get("github").settings_model.model_validate({"discussions": True})


@pytest.mark.parametrize(
    ("errors", "raised"),
    [
        ([{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}], SourceUnavailable),
        ([{"type": "FORBIDDEN", "message": "Resource not accessible by integration"}], SourceMisconfigured),
    ],
    ids=["rate-limited", "forbidden"],
)
def test_graphql_errors_in_a_200_reply_are_waited_out_or_reported(
    errors: list[dict[str, str]], raised: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_example")
    with routed_http_server(FakeGitHub([], DISCUSSIONS)) as server:
        collector = github(server, token="${GITHUB_TOKEN}", discussions=True)
        server.fail_next(json_response({"total_count": 0, "incomplete_results": False, "items": []}), json_response({"data": None, "errors": errors}))
        with pytest.raises(raised, match=errors[0]["type"]):
            collector.fetch(ACME, None)


def test_graphql_lives_beside_the_rest_root_on_github_enterprise() -> None:
    model = COLLECTORS.get("github").settings_model
    assert model.model_validate({}).graphql_url == "https://api.github.com/graphql"
    assert model.model_validate({"base_url": "https://git.example.com/api/v3/"}).graphql_url == "https://git.example.com/api/graphql"


def test_a_literal_token_in_the_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="environment variable reference"):
        COLLECTORS.get("github").settings_model.model_validate({"token": "ghp_literal"})


def test_check_reports_results_and_quota() -> None:
    with routed_http_server(FakeGitHub(ITEMS)) as server:
        verdict = github(server).check(ACME)
    assert verdict == "GitHub issue search reachable (anonymous); 4 results for 'acme'; 9 of 10 searches left this minute"
