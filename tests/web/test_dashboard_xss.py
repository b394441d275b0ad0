"""Mention text, author names, links and filter values are attacker-controlled: the dashboard
shows them as text. (tests/web/test_browser.py checks the same in a real browser, drill-down included.)"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from listener.storage.repository import Store
from listener.web import create_app
from tests.conftest import utc
from tests.web_seed import XSS_AUTHOR, XSS_TEXT, Seed, add_mentions, login, seed, web_settings

HOSTILE = Seed(
    "xss", utc(2026, 11, 2, 9, 50), "demo", XSS_AUTHOR, 99_999, "en", XSS_TEXT + " #<svg/onload=alert(1)>", "negative",
    ("Acme",), "javascript:alert(document.cookie)",
)


@pytest.fixture
def client(store: Store, make_config) -> Iterator[TestClient]:
    seed(store)
    add_mentions(store, [HOSTILE])
    with TestClient(create_app(make_config(web=web_settings()), store)) as test_client:
        login(test_client)
        yield test_client


def test_overview_escapes_author_names_and_terms(client: TestClient) -> None:
    html = client.get("/?brand=Acme").text
    assert "<b onmouseover" not in html and "<script>window.pwned" not in html and "<svg" not in html
    assert "&lt;b onmouseover=alert(1)&gt;mallory&lt;/b&gt;" in html  # top authors by reach: shown, as text
    assert "javascript:" not in html


def test_filter_values_are_escaped_when_echoed(client: TestClient) -> None:
    hostile = '"><script>alert(1)</script>'
    html = client.get("/", params={"brand": "Acme", "q": hostile}).text
    assert "<script>alert(1)</script>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_page_data_island_cannot_close_its_script_tag(client: TestClient) -> None:
    html = client.get("/", params={"brand": "Acme", "q": "</script><script>alert(1)</script>"}).text
    island = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', html, re.DOTALL)
    assert island is not None
    data = json.loads(island.group(1))  # the whole island survived up to its own closing tag
    assert data["filter"]["q"] == "</script><script>alert(1)</script>"
    assert "</script><script>" not in island.group(1)


def test_api_returns_hostile_text_verbatim_as_json(client: TestClient) -> None:
    response = client.get("/api/v1/mentions", params={"brand": "Acme", "q": "pwned"})
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    [mention] = response.json()["mentions"]
    assert mention["text"].startswith(XSS_TEXT) and mention["author"] == XSS_AUTHOR


def test_login_error_page_does_not_echo_the_user_name(store: Store, make_config) -> None:
    with TestClient(create_app(make_config(web=web_settings()), store)) as client:
        response = login(client, username="<img src=x onerror=alert(1)>", password="x")
    assert response.status_code == 401 and "<img src=x" not in response.text
    assert "onerror" not in unescape(response.text)
