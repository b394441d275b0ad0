"""The overview's survey panel in headless Chromium: shown with survey NPS beside net sentiment
where the brand has survey answers, hidden where it has none. Skips like tests/web/test_browser.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import utc
from tests.web.test_browser import artifacts_dir, page  # noqa: F401 (fixtures; `page` uses the `dashboard` below)
from tests.web.test_surveys_api import add
from tests.web_seed import log_in, running_dashboard, seeded_sqlite_store, web_settings


@pytest.fixture
def dashboard(tmp_path: Path, make_config) -> Iterator[str]:
    with seeded_sqlite_store(tmp_path / "browser.db") as store:
        add(
            store,
            "Acme",
            "nps",
            [(utc(2026, 11, 2, 9, 10), 10), (utc(2026, 11, 2, 9, 30), 9), (utc(2026, 11, 3, 12, 30), 2)],
        )
        with running_dashboard(make_config(web=web_settings()), store) as url:
            yield url


def test_survey_panel_beside_net_sentiment_and_hidden_without_answers(page: Any, artifacts_dir: Path) -> None:  # noqa: F811
    page.goto("/login")
    log_in(page)
    page.goto("/?brand=Acme")
    page.wait_for_selector("#surveys-panel[data-ready=true]")
    assert page.is_visible("#surveys-panel")
    page.wait_for_selector("#surveys-chart .main-svg")
    assert page.locator("#surveys-chart .scatterlayer .trace").count() == 2  # survey NPS and net sentiment
    assert page.text_content("#surveys-totals") == "NPS +33 (3 answers)"
    # two days with both answers and mentions: too few for a correlation, and the panel says so
    assert "n/a (fewer than 3 buckets" in page.text_content("#surveys-correlation")
    page.locator("#surveys-panel").screenshot(path=str(artifacts_dir / "dashboard-surveys.png"))

    page.goto("/?brand=Globex")
    page.wait_for_selector("#surveys-panel[data-ready=empty]", state="attached")
    assert not page.is_visible("#surveys-panel")
    assert not [problem for problem in page.problems if "Content Security Policy" in problem or "Error" in problem], (
        page.problems
    )
