"""The demo's churn-intent mentions (listener/demo_data/churn_mentions.jsonl): replayed with the
bundled mentions, flagged as their `expected_churn` says, and kept away from the Acme outage so
the demo's one alert (and no Globex alert) stays exactly as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from itertools import pairwise
from pathlib import Path

from classifiers.churn import ChurnDetector
from listener.config import load_config
from listener.sources.demo import load_replay
from listener.sources.matching import mentions_brand

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo.toml"
OUTAGE_DAY_BUSY = (datetime(2026, 11, 4, 8, tzinfo=UTC), datetime(2026, 11, 4, 16, tzinfo=UTC))


def churn_records() -> list[dict]:
    text = (resources.files("listener") / "demo_data" / "churn_mentions.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def created(record: dict) -> datetime:
    return datetime.fromisoformat(record["created_at"])


def test_the_demo_replays_the_churn_mentions_with_the_others() -> None:
    replay = load_replay(None)
    ids = {mention.external_id for mention in replay.mentions}
    assert {record["id"] for record in churn_records()} <= ids and "demo-000001" in ids
    assert replay.malformed_lines == 0 and replay.times == sorted(replay.times)


def test_each_churn_mention_is_flagged_as_expected_for_each_brand_it_mentions() -> None:
    brands = load_config(DEMO_CONFIG).brands
    detector = ChurnDetector(brands)
    for record in churn_records():
        mentioned = {brand.name for brand in brands if mentions_brand(brand, record["text"], record["language"])}
        assert set(record["expected_churn"]) == mentioned, record
        for brand, expected in record["expected_churn"].items():
            assert detector.judge(record["text"], brand, record["language"]).churn is expected, (brand, record)


def test_churn_mentions_are_spread_over_the_days_away_from_the_outage() -> None:
    records = churn_records()
    assert sum(any(record["expected_churn"].values()) for record in records) >= 25
    times = sorted(created(record) for record in records)
    assert {moment.date().day for moment in times} == {2, 3, 4}
    assert not [moment for moment in times if OUTAGE_DAY_BUSY[0] <= moment < OUTAGE_DAY_BUSY[1]]
    assert min(later - earlier for earlier, later in pairwise(times)) >= timedelta(hours=1)
