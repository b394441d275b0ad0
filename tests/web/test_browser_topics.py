"""The topics panel, the topic filter and an alert's stories in headless Chromium (skips like
tests/web/test_browser.py when Chromium or playwright is missing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from listener.app.topic_tagging import TopicTagger
from listener.config import TopicConfig
from listener.core.records import Alert, AlertEvidence, DetectorState, Story, VolumeContext
from listener.core.themes import BY_EMBEDDINGS
from tests.conftest import record_alert, utc
from tests.web.test_browser import artifacts_dir, chart_total, page  # noqa: F401 - fixtures
from tests.web_seed import log_in, running_dashboard, seeded_sqlite_store, web_settings

TOPICS = [
    {"name": "outage", "query": "#outage OR down OR outage OR langsam", "touchpoint": "retention"},
    {"name": "support", "query": "support", "touchpoint": "retention"},
    {"name": "<img src=x onerror=window.pwned=3>", "query": "dashboard"},
]
HOSTILE_STORY = "<img src=x onerror=window.pwned=4>"
WINDOW = (utc(2026, 11, 3, 12, 0), utc(2026, 11, 3, 12, 15))


@pytest.fixture
def dashboard(tmp_path: Path, make_config) -> Iterator[str]:
    with seeded_sqlite_store(tmp_path / "browser.db") as store:
        tagger = TopicTagger([TopicConfig.model_validate(topic) for topic in TOPICS])
        store.tag_topics(tagger.tag(store.mentions_to_tag(utc(2000, 1, 1), None, None, 0, 1000)))
        evidence = AlertEvidence(
            stories=(Story("outage again", 3), Story(HOSTILE_STORY, 2)), stories_from=BY_EMBEDDINGS,
            volume=VolumeContext(mentions=12, usual_mentions=4.0, usual_negative_share=0.3),
        )
        alert = Alert("Acme", "negative_volume", *WINDOW, observed=3, expected=0.4, negative_share=1.0,
                      severity="critical", score=0.99999, evidence=evidence)  # fmt: skip
        record_alert(store, "Acme", "negative_volume", DetectorState(WINDOW[1], WINDOW[1]), alert, [])
        with running_dashboard(make_config(web=web_settings(), topics=TOPICS), store) as url:
            yield url


def test_topics_panel_filter_and_alert_stories(page: Any, artifacts_dir: Path) -> None:  # noqa: F811
    page.goto("/?brand=Acme")
    log_in(page)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#volume-chart .main-svg")
    assert chart_total(page) == 7
    rows = page.locator("#topics-by-topic tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("td").all_text_contents()[:4] == ["outage", "retention", "4", "4"]
    assert rows.nth(2).locator("td").first.text_content() == TOPICS[2]["name"]  # a name, shown as text
    assert page.locator("#topics-by-touchpoint tbody tr").first.locator("td").first.text_content() == "retention"
    page.screenshot(path=str(artifacts_dir / "dashboard-topics.png"), full_page=True)

    with page.expect_navigation():
        page.select_option("select[name=topic]", "outage")
    page.wait_for_selector("body[data-ready=true]")
    assert "topic=outage" in page.url and chart_total(page) == 4

    # The alert's marker opens its drill-down, with the stories of its evidence above the mentions.
    page.goto("/?brand=Acme")
    page.wait_for_selector("#volume-chart .main-svg")
    # Where plotly drew each alert marker, from its own axes; the later alert has the stories.
    markers = page.evaluate(
        """() => {
          const chart = document.getElementById("volume-chart");
          const trace = chart.data.findIndex((t) => t.meta === "alert");
          const area = chart.querySelector(".nsewdrag").getBoundingClientRect();
          const { xaxis, yaxis } = chart._fullLayout;
          return chart.calcdata[trace].map((p) => [area.left + xaxis.l2p(p.x), area.top + yaxis.l2p(p.y)]);
        }"""
    )
    x, y = max(markers)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_selector("#drilldown-stories:not([hidden])")
    assert page.text_content("#drilldown-stories") == f"2 stories: outage again 3, {HOSTILE_STORY} 2"
    assert page.text_content("#drilldown-volume") == (
        "All mentions: 12 in the window, 3.0x the usual 4. Negative share: 100% of mentions negative (usual 30%)."
    )
    assert page.locator("#drilldown img, #topics-panel img").count() == 0
    assert page.evaluate("window.pwned") is None
    assert not [problem for problem in page.problems if "Error" in problem], page.problems
