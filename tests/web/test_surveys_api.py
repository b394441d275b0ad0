"""GET /api/v1/surveys: survey numbers per bucket beside social net sentiment, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy
import pytest
from fastapi.testclient import TestClient

from listener.core.records import Sentiment
from listener.core.survey_files import SurveyAnswer, response_keys
from listener.core.surveys import SurveyKind
from listener.storage.repository import Store
from listener.storage.surveys import SurveyStore
from listener.web import create_app
from tests.conftest import utc
from tests.web_seed import API_TOKEN, seed, web_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
# Acme's seeded mentions (tests/web_seed.py) by hour: 2026-11-02 09h net -33.3 (2 negative, 1 positive),
# 10h +50 (1 positive, 1 neutral); 2026-11-03 12h -100 and 13h -100.
NPS_ANSWERS = [
    (utc(2026, 11, 2, 9, 10), 0), (utc(2026, 11, 2, 9, 30), 10), (utc(2026, 11, 2, 9, 50), 3),  # NPS -33.3
    (utc(2026, 11, 2, 10, 5), 10), (utc(2026, 11, 2, 10, 45), 9),  # NPS 100
    (utc(2026, 11, 3, 12, 30), 1),  # NPS -100
]  # fmt: skip


def add(store: Store, brand: str, kind: SurveyKind, answers: list[tuple[datetime, int]]) -> None:
    rows = [SurveyAnswer(line, moment, score, None, None, None) for line, (moment, score) in enumerate(answers, 2)]
    SurveyStore(store.engine).add_answers(
        brand, kind, "plain", rows, response_keys(brand, kind, "plain", rows), utc(2026, 11, 30)
    )


@pytest.fixture
def client(store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    seed(store)
    add(store, "Acme", "nps", NPS_ANSWERS)
    add(store, "Acme", "csat", [(utc(2026, 11, 2, 9, 15), 5), (utc(2026, 11, 2, 9, 16), 2)])
    add(store, "Acme", "ces", [(utc(2026, 11, 3, 12, 1), 6), (utc(2026, 11, 3, 12, 2), 3)])
    app = create_app(make_config(web=web_settings()), store)
    with TestClient(app, headers=AUTH) as test_client:
        yield test_client


def test_survey_numbers_per_bucket_beside_net_sentiment(client: TestClient) -> None:
    body = client.get("/api/v1/surveys", params={"brand": "Acme", "bucket": "day"}).json()
    assert (body["since"], body["until"]) == ("2026-11-02T00:00:00Z", "2026-11-04T00:00:00Z")  # the answers' days
    first, second = body["buckets"]
    assert (first["nps"], first["nps_responses"], first["csat"], first["csat_responses"]) == (20.0, 5, 50.0, 2)
    assert (first["mentions"], first["net_sentiment"]) == (5, 0.0)
    assert (second["nps"], second["ces"], second["ces_responses"], second["net_sentiment"]) == (-100.0, 4.5, 2, -100.0)
    assert body["totals"]["nps"] == 0.0 and body["totals"]["nps_responses"] == 6
    # two paired days are not enough for a correlation
    assert body["correlation"] == {
        "survey": "nps", "value": None, "paired_buckets": 2,
        "reason": "fewer than 3 buckets have both survey answers and scored mentions (2)",
    }  # fmt: skip


def test_pearson_over_the_buckets_where_both_have_a_value(client: TestClient) -> None:
    params = {"brand": "Acme", "bucket": "hour", "since": "2026-11-02T00:00", "until": "2026-11-04T00:00"}
    body = client.get("/api/v1/surveys", params=params).json()
    assert len(body["buckets"]) == 48
    paired = [
        (row["nps"], row["net_sentiment"])
        for row in body["buckets"]
        if row["nps"] is not None and row["net_sentiment"] is not None
    ]
    assert paired == [(-33.3, -33.3), (100.0, 50.0), (-100.0, -100.0)]
    expected = round(float(numpy.corrcoef(*zip(*paired))[0, 1]), 3)
    assert body["correlation"] == {"survey": "nps", "value": expected, "paired_buckets": 3, "reason": None}
    # an hour with mentions but no answers is there, with no survey number
    assert next(row for row in body["buckets"] if row["bucket_start"] == "2026-11-03T13:00:00Z")["nps"] is None


def test_a_brand_without_answers_has_no_buckets_and_says_why(client: TestClient) -> None:
    body = client.get("/api/v1/surveys", params={"brand": "Globex"}).json()
    assert body["buckets"] == [] and body["since"] is None
    assert body["correlation"]["reason"] == "no survey answers"


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"brand": "Initech"}, "brand 'Initech' is not in the config"),
        ({"kind": "nss"}, "query parameter 'kind'"),
        ({"bucket": "minute"}, "query parameter 'bucket'"),
        ({"since": "2026-11-03", "until": "2026-11-02"}, "must be before until"),
        ({"since": "1970-01-01", "until": "2199-01-01", "bucket": "hour"}, "choose a wider bucket"),
    ],
)
def test_bad_parameters_are_a_422_naming_them(client: TestClient, params: dict[str, str], problem: str) -> None:
    response = client.get("/api/v1/surveys", params=params)
    assert response.status_code == 422
    assert problem in response.json()["detail"]


def test_the_overview_carries_the_survey_panel(client: TestClient) -> None:
    from tests.web_seed import login

    with TestClient(client.app) as browser:
        login(browser)
        page = browser.get("/", params={"brand": "Acme"}).text
    assert 'id="surveys-panel"' in page and "/static/surveys.js" in page


def test_survey_numbers_per_topic_of_the_answers_comments(
    store: Store, make_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Survey NPS by topic: the answers whose comment matched each configured topic when it was scored."""
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    surveys = SurveyStore(store.engine)
    comments = ["Checkout was down again", "Love it", "Down for an hour, invoice wrong too", "Invoice arrived twice"]
    rows = [
        SurveyAnswer(line, utc(2026, 11, 2, 9, line), score, comment, None, None)
        for line, (score, comment) in enumerate(zip([2, 10, 0, 9], comments), 2)
    ]
    surveys.add_answers("Acme", "nps", "plain", rows, response_keys("Acme", "nps", "plain", rows), utc(2026, 11, 30))
    ids = [comment.response_id for comment in surveys.unscored_comments(10)]
    topics = {ids[0]: ["outage"], ids[1]: [], ids[2]: ["outage", "billing"], ids[3]: ["billing"]}
    neutral = Sentiment("neutral", 0.0, 0.5)
    surveys.save_comment_scores([(answer_id, neutral) for answer_id in ids], "test", utc(2026, 11, 30), topics)
    topics_config = [
        {"name": "billing", "query": "invoice"},
        {"name": "outage", "query": "down"},
        {"name": "app", "query": "app"},
    ]
    app = create_app(make_config(web=web_settings(), topics=topics_config), store)
    with TestClient(app, headers=AUTH) as client:
        body = client.get("/api/v1/surveys", params={"brand": "Acme"}).json()

    by_topic = {row["topic"]: row for row in body["by_topic"]}
    assert list(by_topic) == ["billing", "outage"]  # config order; "app" has no answers
    assert by_topic["billing"]["nps"] == 0.0 and by_topic["billing"]["nps_responses"] == 2  # 1 promoter, 1 detractor
    assert by_topic["outage"]["nps"] == -100.0 and by_topic["outage"]["nps_responses"] == 2
    assert body["totals"]["nps_responses"] == 4
