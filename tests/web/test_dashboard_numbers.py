"""The overview's numbers agree with each other under every filter, and its assets load fast.

Issue 17: the period comparison, the KPIs, share of voice and the charts' data, read from what the
page and its script receive (the page-data island and the API), not from pixels.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from listener.core.records import Mention
from listener.storage.repository import Store
from listener.web import create_app
from listener.web.plotly_asset import PLOTLY_JS
from tests.conftest import utc
from tests.web_seed import login, seed, web_settings


@pytest.fixture
def client(store: Store, make_config) -> Iterator[TestClient]:
    seed(store)
    with TestClient(create_app(make_config(web=web_settings()), store)) as test_client:
        login(test_client)
        yield test_client


def page_data(html: str) -> dict[str, Any]:
    island = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert island is not None
    return json.loads(island.group(1))


def plotly_src(html: str) -> str:
    found = re.search(r'<script src="(/static/plotly[^"]*\.js)"', html)
    assert found is not None
    return found.group(1)


def test_plotly_is_served_gzipped_and_cached_for_good(client: TestClient) -> None:
    src = plotly_src(client.get("/?brand=Acme").text)
    assert re.fullmatch(r"/static/plotly-[0-9a-f]{12}\.min\.js", src)  # versioned: the URL changes with the file
    response = client.get(src, headers={"Accept-Encoding": "gzip, deflate"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "max-age=31536000" in response.headers["cache-control"] and "immutable" in response.headers["cache-control"]
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) < 2_000_000
    assert response.content == PLOTLY_JS.read_bytes()  # httpx undid the gzip


def test_plotly_without_gzip_is_the_plain_file(client: TestClient) -> None:
    src = plotly_src(client.get("/?brand=Acme").text)
    response = client.get(src, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert int(response.headers["content-length"]) > 4_000_000
    refused = client.get(src, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers


def kpi(html: str, name: str) -> int:
    found = re.search(rf'id="kpi-{name}">([^<]*)<', html)
    assert found is not None, name
    return int(found.group(1).replace(",", ""))


def comparison(html: str) -> str:
    found = re.search(r'id="period-comparison">(.*?)</div>', html, re.DOTALL)
    assert found is not None
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-11-03"},
        {"since": "2026-11-02", "until": "2026-11-03"},
        {"since": "2026-11-03", "source": "reddit"},
        {"since": "2026-11-03", "sentiment": "negative", "language": "en", "q": "outage"},
    ],
)
def test_period_comparison_counts_the_filtered_mentions(client: TestClient, params: dict[str, str]) -> None:
    html = client.get("/", params={"brand": "Acme", **params}).text
    text = comparison(html)
    assert text.startswith("Selected day vs the day before "), text
    assert text.split("before ")[1].startswith(f"{kpi(html, 'mentions')} vs "), text


def test_period_comparison_in_the_summary_keeps_the_range_and_filters(client: TestClient) -> None:
    body = client.get("/api/v1/summary", params={"brand": "Acme", "since": "2026-11-03", "source": "reddit"}).json()
    assert (body["this_week"]["since"], body["this_week"]["until"]) == ("2026-11-03T00:00:00Z", "2026-11-04T00:00:00Z")
    assert (body["this_week"]["mentions"], body["last_week"]["mentions"]) == (1, 1)
    whole = client.get("/api/v1/summary", params={"brand": "Acme"}).json()
    assert (whole["this_week"]["mentions"], whole["this_week"]["since"]) == (7, "2026-10-28T00:00:00Z")


def test_kpis_add_up_while_scoring_lags(client: TestClient, store: Store) -> None:
    add_unscored(store, 3)
    html = client.get("/", params={"brand": "Acme"}).text
    counts = {name: kpi_text(html, name) for name in ("Mentions", "Negative", "Neutral", "Positive", "Unscored")}
    assert counts == {"Mentions": 10, "Negative": 4, "Neutral": 1, "Positive": 2, "Unscored": 3}
    summary = client.get("/api/v1/summary", params={"brand": "Acme"}).json()["this_week"]
    assert summary["mentions"] == 10 and summary["unscored"] == 3
    assert summary["negative"] + summary["neutral"] + summary["positive"] + summary["unscored"] == summary["mentions"]


def kpi_text(html: str, label: str) -> int:
    found = re.search(rf'<span class="label">{label}</span>\s*<span class="value"[^>]*>([^<]*)<', html)
    assert found is not None, label
    return int(found.group(1).replace(",", ""))


def add_unscored(store: Store, count: int) -> None:
    mentions = [Mention("demo", f"u{n}", f"acme still loading {n}", utc(2026, 11, 3, 14, n)) for n in range(count)]
    store.store_batch("demo", "Acme", mentions, {})


def test_share_of_voice_counts_every_sentiment_and_says_so(client: TestClient) -> None:
    plain = client.get("/", params={"brand": "Acme"}).text
    negative = client.get("/", params={"brand": "Acme", "sentiment": "negative"}).text
    assert page_data(negative)["share_of_voice"] == page_data(plain)["share_of_voice"] == {"Acme": 7, "Globex": 2}
    assert "all sentiments" in re.search(r'<h2 id="sov-title">(.*?)</h2>', negative).group(1)
    assert "all sentiments" not in re.search(r'<h2 id="sov-title">(.*?)</h2>', plain).group(1)
    summary = client.get("/api/v1/summary", params={"brand": "Acme", "sentiment": "negative"}).json()
    assert summary["share_of_voice"] == {"Acme": 7, "Globex": 2}
    by_source = client.get("/api/v1/summary", params={"brand": "Acme", "source": "reddit", "sentiment": "positive"}).json()
    assert by_source["share_of_voice"] == {"Acme": 2, "Globex": 0}  # the other filters still apply
