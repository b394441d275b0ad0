"""The churn panel in headless Chromium: it loads from /api/v1/churn, charts the brand's churn
per bucket, and lists the top churn mentions, hostile text as text (never run).

Needs Debian's Chromium and the `playwright` package, like tests/web/test_browser.py; skips
cleanly when either is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_browser import CHROMIUM, sync_api
from tests.web.test_churn_api import CHURN, judge
from tests.web_seed import (
    XSS_TEXT,
    add_mentions,
    log_in,
    running_dashboard,
    seeded_sqlite_store,
    web_settings,
)


@pytest.fixture
def dashboard(tmp_path: Path, make_config) -> Iterator[str]:
    with seeded_sqlite_store(tmp_path / "browser.db") as store:
        add_mentions(store, CHURN)
        judge(store)
        with running_dashboard(make_config(web=web_settings()), store) as url:
            yield url


def test_churn_panel_charts_and_lists_churn_mentions_as_text(dashboard: str) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page: Any = browser.new_context(base_url=dashboard, viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("console", lambda message: message.type == "error" and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto("/?brand=Acme")
        log_in(page)
        page.wait_for_selector("#churn[data-loaded=true]")
        page.wait_for_selector("#churn-chart .main-svg")
        assert page.get_attribute("#churn-chart", "data-total") == "2"
        assert page.locator("#churn-summary").text_content().startswith("2 churn-intent mentions of 10")
        rows = page.locator("#churn-mentions tr.churn")
        assert rows.count() == 2
        assert rows.locator("td.pattern").all_text_contents() == ["en:cancel-subscription", "en:close-account"]
        assert any(text.startswith(XSS_TEXT) for text in rows.locator("td.text").all_text_contents())
        assert page.evaluate("window.pwned") is None
        assert page.locator("#churn-mentions img, #churn-mentions script").count() == 0
        browser.close()
    assert not [problem for problem in problems if "Content Security Policy" in problem or "Error" in problem], problems
