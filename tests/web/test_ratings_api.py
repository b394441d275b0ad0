"""GET /api/v1/ratings, the ratings panel and the rating column of the exports, through real HTTP
requests to the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from listener.core.records import Mention
from listener.storage.repository import Store
from listener.web import create_app
from tests.conftest import utc
from tests.web_seed import API_TOKEN, login, seed, web_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def reviews(store: Store) -> None:
    """Three App Store reviews and one Google Play review of Acme (none of them naming it), one of Globex."""
    store.store_batch("appstore", "Acme", [
        Mention("appstore", "r1", "logs me out daily", utc(2026, 11, 2, 9, 30), language="en", rating=1),
        Mention("appstore", "r2", "works great", utc(2026, 11, 2, 11, 0), language="en", rating=5),
        Mention("appstore", "r3", "fine", utc(2026, 11, 3, 8, 0), language="en", rating=3),
    ], {})  # fmt: skip
    store.store_batch("googleplay", "Acme", [Mention("googleplay", "g1", "good", utc(2026, 11, 3, 9), rating=4)], {})
    store.store_batch("appstore", "Globex", [Mention("appstore", "x1", "meh", utc(2026, 11, 2, 9), rating=2)], {})


@pytest.fixture
def client(store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    seed(store)
    reviews(store)
    app = create_app(make_config(web=web_settings()), store)
    with TestClient(app, headers=AUTH) as test_client:
        yield test_client


def test_ratings_give_average_distribution_and_trend(client: TestClient) -> None:
    body = client.get("/api/v1/ratings", params={"brand": "Acme", "bucket": "day"}).json()
    assert (body["brand"], body["bucket"], body["reviews"], body["average"]) == ("Acme", "day", 4, 3.25)
    assert body["distribution"] == {"1": 1, "2": 0, "3": 1, "4": 1, "5": 1}
    assert body["trend"] == [
        {"bucket_start": "2026-11-02T00:00:00Z", "reviews": 2, "average": 3.0},
        {"bucket_start": "2026-11-03T00:00:00Z", "reviews": 2, "average": 3.5},
    ]


def test_ratings_follow_the_dashboard_filters(client: TestClient) -> None:
    only_play = client.get("/api/v1/ratings", params={"brand": "Acme", "source": "googleplay"}).json()
    assert (only_play["reviews"], only_play["average"]) == (1, 4.0)
    first_day = client.get(
        "/api/v1/ratings", params={"brand": "Acme", "since": "2026-11-02", "until": "2026-11-03"}
    ).json()
    assert (first_day["reviews"], first_day["average"]) == (2, 3.0)
    searched = client.get("/api/v1/ratings", params={"brand": "Acme", "q": "logs me out"}).json()
    assert searched["distribution"]["1"] == 1 and searched["reviews"] == 1
    all_brands = client.get("/api/v1/ratings").json()
    assert all_brands["reviews"] == 5 and all_brands["brand"] is None
    posts_only = client.get("/api/v1/ratings", params={"brand": "Acme", "source": "reddit"}).json()
    assert (posts_only["reviews"], posts_only["average"], posts_only["trend"]) == (0, None, [])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bucket": "year"}, "bucket"),
        ({"since": "2026-11-03", "until": "2026-11-02"}, "must be before"),
        ({"brand": "Initech"}, "Initech"),
    ],
)
def test_bad_parameters_are_422(client: TestClient, params: dict[str, str], message: str) -> None:
    response = client.get("/api/v1/ratings", params=params)
    assert response.status_code == 422 and message in response.json()["detail"]


def test_ratings_need_a_login_or_token(client: TestClient) -> None:
    assert client.get("/api/v1/ratings", headers={"Authorization": ""}).status_code == 401


def test_exports_and_mentions_carry_the_rating(client: TestClient) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/mentions.csv", params={"brand": "Acme"}).text)))
    ratings = {row["id"]: row["rating"] for row in rows}
    assert sorted(ratings.values()) == [""] * 7 + ["1", "3", "4", "5"]
    page = client.get("/api/v1/mentions", params={"brand": "Acme", "source": "appstore"}).json()
    assert sorted(mention["rating"] for mention in page["mentions"]) == [1, 3, 5]


def test_overview_carries_the_ratings_panel_hidden_until_its_script_finds_reviews(client: TestClient) -> None:
    login(client)
    html = client.get("/", params={"brand": "Acme"}, headers={"Authorization": ""}).text
    assert '<section id="ratings" data-testid="ratings-panel" hidden>' in html
    assert '<script src="/static/ratings.js" defer></script>' in html
    script = client.get("/static/ratings.js")
    assert script.status_code == 200 and "innerHTML" not in script.text
