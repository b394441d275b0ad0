"""GET /api/v1/churn and the dashboard's churn panel, through real HTTP requests to the app, on
SQLite and PostgreSQL: the overview's buckets, counts per brand, the top mentions with the pattern
that flagged them, hostile text returned as data and never as markup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from listener.storage.repository import Store
from listener.web import create_app
from tests.conftest import utc
from tests.web_seed import API_TOKEN, XSS_TEXT, Seed, add_mentions, login, seed, web_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
CHURN = [
    Seed(
        "c1",
        utc(2026, 11, 2, 9, 30),
        "demo",
        "hana",
        700,
        "en",
        "cancelling my acme subscription today",
        "negative",
        ("Acme",),
    ),
    Seed(
        "c2",
        utc(2026, 11, 3, 12, 30),
        "demo",
        "ivan",
        90,
        "en",
        "switched from globex to acme, bye globex",
        "positive",
        ("Acme", "Globex"),
    ),
    Seed(
        "c3",
        utc(2026, 11, 3, 12, 40),
        "demo",
        "judy",
        5,
        "en",
        XSS_TEXT + " closing my acme account",
        "negative",
        ("Acme",),
    ),
]
VERDICTS = {
    "c1": {"Acme": (True, "en:cancel-subscription")},
    "c2": {"Acme": (False, None), "Globex": (True, "en:switch-from-brand")},
    "c3": {"Acme": (True, "en:close-account")},
}


def judge(store: Store) -> None:
    """Store the churn verdicts (as the processing pass would) for the CHURN seed mentions."""
    with store.engine.connect() as connection:
        ids = dict(connection.exec_driver_sql("SELECT external_id, id FROM mentions").all())
    store.save_scores([], "test", churn={ids[external_id]: verdict for external_id, verdict in VERDICTS.items()})


@pytest.fixture
def client(store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    seed(store)
    add_mentions(store, CHURN)
    judge(store)
    with TestClient(create_app(make_config(web=web_settings()), store), headers=AUTH) as test_client:
        yield test_client


def test_churn_per_day_beside_all_mentions(client: TestClient) -> None:
    body = client.get("/api/v1/churn", params={"brand": "Acme", "bucket": "day"}).json()
    assert body["churn_intent"] == 2
    assert [(p["bucket_start"], p["mentions"], p["churn_intent"]) for p in body["series"]] == [
        ("2026-11-02T00:00:00Z", 6, 1),
        ("2026-11-03T00:00:00Z", 4, 1),
    ]
    series = client.get("/api/v1/series", params={"brand": "Acme", "bucket": "day"}).json()["series"]
    assert [p["mentions"] for p in series] == [p["mentions"] for p in body["series"]]


def test_churn_is_per_brand_and_top_mentions_say_why(client: TestClient) -> None:
    acme = client.get("/api/v1/churn", params={"brand": "Acme", "bucket": "hour"}).json()
    assert [(m["author"], m["pattern"]) for m in acme["top_mentions"]] == [
        ("hana", "en:cancel-subscription"),
        ("judy", "en:close-account"),
    ]
    assert acme["top_mentions"][1]["text"].startswith(XSS_TEXT)  # data, verbatim, for the page to show as text
    globex = client.get("/api/v1/churn", params={"brand": "Globex"}).json()
    assert globex["churn_intent"] == 1 and globex["top_mentions"][0]["pattern"] == "en:switch-from-brand"
    every_brand = client.get("/api/v1/churn", params={"top": 1}).json()
    assert every_brand["churn_intent"] == 3 and [m["author"] for m in every_brand["top_mentions"]] == ["hana"]


def test_churn_range_and_bad_parameters(client: TestClient) -> None:
    window = client.get("/api/v1/churn", params={"brand": "Acme", "since": "2026-11-03", "until": "2026-11-04"}).json()
    assert window["churn_intent"] == 1 and len(window["series"]) == 1
    assert client.get("/api/v1/churn", params={"brand": "Initech"}).status_code == 422
    assert client.get("/api/v1/churn", params={"top": 0}).status_code == 422
    assert client.get("/api/v1/churn", params={"since": "2026-11-04", "until": "2026-11-03"}).status_code == 422
    assert client.get("/api/v1/churn", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_overview_includes_the_churn_panel_and_its_script(client: TestClient) -> None:
    login(client)
    html = client.get("/?brand=Acme").text
    assert 'id="churn-chart"' in html and '<script src="/static/churn.js" defer></script>' in html
    script = client.get("/static/churn.js").text
    assert "innerHTML" not in script and "textContent" in script
