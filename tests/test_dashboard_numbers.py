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

from listener.storage.repository import Store
from listener.web import create_app
from listener.web.plotly_asset import PLOTLY_JS
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
