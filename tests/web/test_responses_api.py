"""`GET /api/v1/responses` and the dashboard's response-time panel, on the seeded history plus answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from listener.core.records import Mention
from listener.storage.repository import Store
from listener.web import create_app
from tests.conftest import utc
from tests.web_seed import API_TOKEN, XSS_TEXT, Seed, add_mentions, login, seed, web_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
ACME_WITH_SUPPORT = {
    "name": "Acme",
    "keywords": ["acme", "acmecloud"],
    "phrases": ["acme cloud"],
    "own_accounts": {"demo": ["acme_support"]},
    "business_hours": {"days": "mon-fri", "start": "09:00", "end": "18:00", "timezone": "UTC"},
}


@pytest.fixture
def client(store: Store, make_config, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("LISTENER_TEST_API_TOKEN", API_TOKEN)
    seed(store)
    # acme_support answers alice's outage post (09:05) at 09:35 and dave's (10:30) at 19:30.
    store.store_batch(
        "demo",
        "Acme",
        [
            Mention(
                "demo",
                "r1",
                "Fixed now, thanks for your patience!",
                utc(2026, 11, 2, 9, 35),
                "acme_support",
                48000,
                in_reply_to="1",
            ),
            Mention(
                "demo", "r2", "Thanks, glad it helps", utc(2026, 11, 2, 19, 30), "acme_support", 48000, in_reply_to="5"
            ),
        ],
        {},
        collected_until=utc(2026, 11, 4),
    )
    add_mentions(
        store, [Seed("x1", utc(2026, 11, 3, 14, 0), "demo", "<b>eve</b>", 7000, "en", XSS_TEXT, "negative", ("Acme",))]
    )
    config = make_config(web=web_settings(), brands=[ACME_WITH_SUPPORT, {"name": "Globex", "keywords": ["globex"]}])
    with TestClient(create_app(config, store), headers=AUTH) as test_client:
        yield test_client


def test_responses_per_brand_and_source(client: TestClient) -> None:
    response = client.get("/api/v1/responses", params={"brand": "Acme", "source": "demo"})
    assert response.status_code == 200, response.text
    [acme] = response.json()["brands"]
    [demo] = acme["by_source"]
    # demo customer mentions of Acme: 1, 2, 4, 5, 8, x1 (reddit's are another source)
    assert (demo["customer_mentions"], demo["answered"]) == (6, 2)
    assert acme["overall"]["customer_mentions"] == 6  # the source filter applies to the totals too
    assert demo["median_first_response_seconds"] == (30 * 60 + 9 * 3600) / 2
    assert demo["median_business_seconds"] == (30 * 60 + 7.5 * 3600) / 2  # 10:30-18:00 counts, 18:00-19:30 not
    assert acme["measured_at"].startswith("2026-11-04")
    unanswered = [(item["author"], item["waiting_seconds"]) for item in acme["unanswered_negative"]]
    assert unanswered == [("<b>eve</b>", 10 * 3600), ("gina", 11 * 3600)]
    assert acme["business_hours"] == "mon-fri 09:00-18:00 UTC"


def test_every_brand_without_a_filter_and_one_without_accounts(client: TestClient) -> None:
    brands = client.get("/api/v1/responses").json()["brands"]
    assert [brand["brand"] for brand in brands] == ["Acme", "Globex"]
    acme, globex = brands
    assert acme["overall"]["customer_mentions"] == 8 and acme["overall"]["answered"] == 2
    assert globex["own_accounts_configured"] is False and globex["overall"]["answered"] == 0


def test_bad_parameters_are_422(client: TestClient) -> None:
    assert client.get("/api/v1/responses", params={"brand": "Initech"}).status_code == 422
    assert client.get("/api/v1/responses", params={"limit": 0}).status_code == 422
    assert client.get("/api/v1/responses", params={"since": "2026-11-03", "until": "2026-11-02"}).status_code == 422


def test_dashboard_panel_shows_the_figures_escaped(client: TestClient) -> None:
    client.headers.pop("Authorization")
    login(client)
    page = client.get("/", params={"brand": "Acme"})
    assert page.status_code == 200
    panel = page.text[page.text.index('id="responses"') :]
    assert "Response time" in panel and "4 h 45 min" in panel  # the mean of 30 min and 9 h
    assert "&lt;b&gt;eve&lt;/b&gt;" in panel and "<b>eve</b>" not in panel
    assert "<script>window.pwned" not in page.text
