"""End to end in headless Chromium: log in, filter, see the chart change, drill down, download.

Needs Debian's Chromium (`apt-get install chromium`) and the `playwright` package (its own browser
download is not used); skips cleanly when either is missing. The overview's screenshot is saved
to $LISTENER_ARTIFACTS_DIR (default: `artifacts/` under pytest's temporary directory).
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from listener.core.records import Mention
from tests.conftest import utc
from tests.web_seed import (
    XSS_AUTHOR,
    XSS_TEXT,
    Seed,
    add_mentions,
    log_in,
    running_dashboard,
    seeded_sqlite_store,
    web_settings,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = os.environ.get("LISTENER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

GLOBEX_REVIEWS = [
    Mention("appstore", f"review-{stars}-{n}", f"globex app review {n}", utc(2026, 11, 2, 8 + n), rating=stars)
    for n, stars in enumerate([5, 4, 4, 2])
]
"""Review stars for Globex only: Acme's overview has no ratings panel, Globex's has one."""
HOSTILE = Seed(
    "xss",
    utc(2026, 11, 2, 9, 50),
    "demo",
    XSS_AUTHOR,
    99_999,
    "en",
    XSS_TEXT,
    "negative",
    ("Acme",),
    "javascript:alert(1)",
)


@pytest.fixture(scope="module")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(os.environ.get("LISTENER_ARTIFACTS_DIR") or tmp_path_factory.getbasetemp() / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def dashboard(tmp_path: Path, make_config) -> Iterator[str]:
    with seeded_sqlite_store(tmp_path / "browser.db") as store:
        add_mentions(store, [HOSTILE])
        store.store_batch("appstore", "Globex", GLOBEX_REVIEWS, {})
        with running_dashboard(make_config(web=web_settings()), store) as url:
            yield url


@pytest.fixture
def page(dashboard: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(
            base_url=dashboard, viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.problems = []  # type: ignore[attr-defined]
        page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))  # type: ignore[attr-defined]
        page.on("pageerror", lambda error: page.problems.append(str(error)))  # type: ignore[attr-defined]
        yield page
        browser.close()


def chart_total(page: Any) -> int:
    return int(page.get_attribute("#volume-chart", "data-total"))


def test_login_filter_drill_down_and_download(page: Any, artifacts_dir: Path, tmp_path: Path) -> None:
    page.goto("/?brand=Acme")
    assert "/login" in page.url
    log_in(page)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#volume-chart .main-svg")
    assert chart_total(page) == 8  # Acme's seven seeded mentions and the hostile one
    page.wait_for_selector("#ratings[data-reviews='0']", state="attached")
    assert page.locator("#ratings").is_hidden()  # Acme has no reviews
    assert page.locator("#volume-chart .shapelayer path").count() == 1  # the alert's window, on the timeline
    page.screenshot(path=str(artifacts_dir / "dashboard-overview.png"), full_page=True)

    # A filter: choosing a sentiment reloads the overview with the chart for negative mentions only.
    with page.expect_navigation():
        page.select_option("select[name=sentiment]", "negative")
    page.wait_for_selector("body[data-ready=true]")
    assert "sentiment=negative" in page.url and "since=" not in page.url  # blank fields left out
    assert chart_total(page) == 5

    # Drill down: click the tallest bar (09:00 on 2026-11-02: three negative mentions).
    bars = page.query_selector_all("#volume-chart .barlayer .trace:first-child .point path")
    boxes = [box for bar in bars if (box := bar.bounding_box()) and box["height"] > 0]
    tallest = max(boxes, key=lambda box: box["height"])
    page.mouse.move(tallest["x"] + tallest["width"] / 2, tallest["y"] + tallest["height"] / 2)
    page.mouse.click(tallest["x"] + tallest["width"] / 2, tallest["y"] + tallest["height"] / 2)
    page.wait_for_selector("#drilldown:not([hidden]) tr.mention")
    rows = page.locator("#drilldown-rows tr.mention")
    assert rows.count() == 3
    texts = rows.locator("td.text").all_text_contents()
    assert XSS_TEXT in texts  # shown as text...
    assert page.evaluate("window.pwned") is None  # ...and never run
    assert page.locator("#drilldown-rows img, #drilldown-rows script, #drilldown-rows b").count() == 0
    assert (
        XSS_AUTHOR in rows.locator("td.author").all_text_contents()[0]
        or "@" + XSS_AUTHOR in rows.locator("td.author").all_text_contents()
    )
    assert page.locator("#drilldown-rows a[href^=javascript]").count() == 0
    assert page.locator("#drilldown-rows a[href='https://example.com/1']").count() == 1

    with page.expect_download() as download_info:
        page.click("#drilldown-csv")
    target = tmp_path / "drilldown.csv"
    download_info.value.save_as(target)
    with target.open(encoding="utf-8") as stream:
        exported = list(csv.DictReader(stream))
    assert len(exported) == 3 and {row["sentiment"] for row in exported} == {"negative"}
    assert {row["created_at"][:13] for row in exported} == {"2026-11-02T09"}

    assert not [problem for problem in page.problems if "Content Security Policy" in problem or "Error" in problem], (
        page.problems
    )


def test_ratings_panel_shows_a_brands_review_stars(page: Any, artifacts_dir: Path) -> None:
    page.goto("/?brand=Globex")
    log_in(page)
    page.wait_for_selector("#ratings:not([hidden]) #ratings-distribution .main-svg")
    page.wait_for_selector("#ratings-trend .main-svg")
    assert page.text_content("#ratings-summary") == "3.75 ★ average from 4 reviews"
    assert page.text_content("#ratings-bucket") == "day"  # the page is per hour; stars are averaged per day
    assert page.locator("#ratings-distribution .barlayer .point").count() == 5
    page.locator("#ratings").screenshot(path=str(artifacts_dir / "dashboard-ratings.png"))
    assert not page.problems, page.problems
