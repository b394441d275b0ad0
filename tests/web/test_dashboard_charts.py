"""What the overview's charts draw, read from the plotly traces dashboard.js builds from the page's
data (run under Node with a stub DOM and a stub Plotly; skipped without Node)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from listener.core.records import Sentiment
from listener.storage.repository import Store
from listener.web import create_app
from tests.conftest import utc
from tests.web.test_dashboard_numbers import page_data
from tests.web_seed import Seed, add_mentions, login, seed, web_settings

NODE = shutil.which("node")
DASHBOARD_JS = Path(__file__).parents[2] / "listener" / "web" / "static" / "dashboard.js"
HARNESS = Path(__file__).parent.parent / "dashboard_harness.js"

pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js to run dashboard.js")


@pytest.fixture
def client(store: Store, make_config) -> Iterator[TestClient]:
    seed(store)
    with TestClient(create_app(make_config(web=web_settings()), store)) as test_client:
        login(test_client)
        yield test_client


def drawn(data: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    data_file = tmp_path / "page-data.json"
    data_file.write_text(json.dumps(data))
    result = subprocess.run([NODE, str(HARNESS), str(DASHBOARD_JS), str(data_file)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def trace(plot: dict[str, Any], meta: str) -> dict[str, Any]:
    return next(item for item in plot["traces"] if item.get("meta") == meta)


def busy_hour(count: int) -> list[Seed]:
    """`count` Acme mentions on 2026-11-02 between 10:00 and 11:00, half positive and half negative."""
    return [
        Seed(f"busy{n}", utc(2026, 11, 2, 10, n), "demo", f"user{n}", 1, "en", f"acme busy {n}",
             "positive" if n % 2 else "negative", ("Acme",))
        for n in range(count)
    ]


def test_net_sentiment_line_skips_buckets_with_too_few_mentions(client: TestClient, store: Store, tmp_path: Path) -> None:
    add_mentions(store, busy_hour(12))
    data = page_data(client.get("/", params={"brand": "Acme", "bucket": "hour", "since": "2026-11-02T09:00", "until": "2026-11-02T11:00"}).text)
    assert data["min_net_mentions"] == 10
    nine, ten = data["series"]
    assert (nine["mentions"], nine["net_sentiment"], nine["net_sentiment_charted"]) == (3, -33.3, None)
    assert ten["mentions"] == 14 and ten["net_sentiment_charted"] == ten["net_sentiment"]
    volume = drawn(data, tmp_path)["volume-chart"]
    assert trace(volume, "net")["y"] == [None, ten["net_sentiment"]]  # a gap, not a swing to ±100
    few = trace(volume, "net-few")
    assert few["y"] == [-33.3, None] and few["marker"]["symbol"] == "circle-open"
    negative_bar = trace(volume, "negative")
    assert "3 mentions" in negative_bar["customdata"][0][0] and "too few" in negative_bar["customdata"][0][0]


def test_net_sentiment_is_hover_only_so_clicks_reach_the_bars(client: TestClient, tmp_path: Path) -> None:
    volume = drawn(page_data(client.get("/", params={"brand": "Acme"}).text), tmp_path)["volume-chart"]
    for meta in ("net", "net-few"):
        assert trace(volume, meta)["hoverinfo"] == "skip"
    assert "net %{customdata[0]}" in trace(volume, "positive")["hovertemplate"]


def test_a_one_day_range_draws_bars_as_wide_as_their_bucket(client: TestClient, tmp_path: Path) -> None:
    data = page_data(client.get("/", params={"brand": "Acme", "bucket": "day", "since": "2026-11-02", "until": "2026-11-03"}).text)
    assert len(data["series"]) == 1
    bars = trace(drawn(data, tmp_path)["volume-chart"], "negative")
    assert bars["width"] == [0.8 * 86_400_000]


def test_pie_charts_label_no_empty_slice(client: TestClient, tmp_path: Path) -> None:
    data = page_data(client.get("/", params={"brand": "Acme", "source": "reddit"}).text)  # reddit: negative only; no Globex
    plots = drawn(data, tmp_path)
    split = plots["split-chart"]["traces"][0]
    assert split["values"] == [2, 0, 0] and split["texttemplate"] == ["%{percent}", "", ""]
    voice = plots["sov-chart"]["traces"][0]
    assert voice["values"] == [2, 0] and voice["texttemplate"] == ["%{label}<br>%{percent}", ""]


def test_the_date_the_sentiment_model_changed_is_marked_on_the_chart(client: TestClient, store: Store, tmp_path: Path) -> None:
    """A store rescored with a new model from 2026-11-03 on (`listener rescore --since`): the
    chart says where the model changed, so a step there is not read as the brand's."""
    with store.engine.connect() as connection:
        later = connection.exec_driver_sql(
            "SELECT id, sentiment_label FROM mentions WHERE created_at >= '2026-11-03'"
        ).all()
    assert later
    store.save_scores([(row[0], Sentiment(row[1], 0.0, 0.9)) for row in later], "e5-small-lora-v1")
    data = page_data(client.get("/", params={"brand": "Acme", "bucket": "day"}).text)
    assert data["model_changes"] == [{"since": "2026-11-03T12:00:00Z", "model": "e5-small-lora-v1"}]
    layout = drawn(data, tmp_path)["volume-chart"]["layout"]
    (marker,) = [shape for shape in layout["shapes"] if shape["line"].get("dash") == "dot"]
    assert marker["x0"] == marker["x1"]
    assert [note["text"] for note in layout["annotations"]] == ["model: e5-small-lora-v1"]


def test_one_model_throughout_marks_nothing(client: TestClient, tmp_path: Path) -> None:
    data = page_data(client.get("/", params={"brand": "Acme", "bucket": "day"}).text)
    assert data["model_changes"] == []
    assert drawn(data, tmp_path)["volume-chart"]["layout"]["annotations"] == []
