"""The dashboard's response-time panel in headless Chromium (skips like tests/web/test_browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from listener.core.records import Mention
from tests.conftest import utc
from tests.web.test_browser import CHROMIUM, HOSTILE, sync_api
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
        add_mentions(store, [HOSTILE])
        store.store_batch(
            "demo",
            "Acme",
            [
                Mention(
                    "demo", "r1", "Fixed now, thanks!", utc(2026, 11, 2, 9, 50), "acme_support", 48000, in_reply_to="1"
                ),
            ],
            {},
            collected_until=utc(2026, 11, 4),
        )
        brands = [
            {"name": "Acme", "keywords": ["acme", "acmecloud"], "own_accounts": {"demo": ["acme_support"]}},
            {"name": "Globex", "keywords": ["globex"]},
        ]
        with running_dashboard(make_config(web=web_settings(), brands=brands), store) as url:
            yield url


def test_response_time_panel_shows_figures_and_unanswered_mentions_as_text(dashboard: str) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page: Any = browser.new_context(base_url=dashboard).new_page()
        page.goto("/?brand=Acme")
        log_in(page)
        page.wait_for_selector("body[data-ready=true]")
        panel = page.locator("#responses")
        assert panel.is_visible()
        total = panel.locator("tr.total td").all_text_contents()
        assert total[:4] == ["all", "8", "1 (12.5%)", "45 min"]  # alice's 09:05 post, answered at 09:50
        first_unanswered = page.locator("#unanswered-negative tbody tr").first.locator("td").all_text_contents()
        assert first_unanswered[2] == "99,999" and XSS_TEXT[:60] in first_unanswered[4]
        assert page.evaluate("window.pwned") is None
        assert page.locator("#unanswered-negative a[href^=javascript], #unanswered-negative script").count() == 0
        browser.close()
