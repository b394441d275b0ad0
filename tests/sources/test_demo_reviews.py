"""The demo's recorded reviews (listener/demo_data/reviews.jsonl, the `app-reviews` source of
config/demo.toml): they fill the ratings panel and leave the alerting demo as it was."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from listener.config import load_config
from listener.core.clock import ManualClock
from listener.sources import COLLECTORS, SourceContext
from listener.sources.matching import mentions_brand
from listener.storage.filters import MentionFilter
from listener.storage.ratings import RatingReads
from listener.storage.repository import Store
from tests.conftest import utc

REPO = Path(__file__).resolve().parents[2]
REVIEWS = REPO / "listener" / "demo_data" / "reviews.jsonl"
OUTAGE = (utc(2026, 11, 4, 8), utc(2026, 11, 4, 16))
"""Acme's outage and its resolution (`resolve_after = "2h"`): no review falls in it."""


def records() -> list[dict]:
    return [json.loads(line) for line in REVIEWS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_review_has_stars_names_one_demo_brand_and_keeps_out_of_the_outage() -> None:
    config = load_config(REPO / "config" / "demo.toml")
    rows = records()
    assert len(rows) >= 24 and len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        assert row["rating"] in range(1, 6), row["id"]
        brands = [brand.name for brand in config.brands if mentions_brand(brand, row["text"], row["language"])]
        assert len(brands) == 1, (row["id"], brands)
        moment = datetime.fromisoformat(row["created_at"])
        assert utc(2026, 11, 2) <= moment < utc(2026, 11, 5) and not OUTAGE[0] <= moment < OUTAGE[1], row["id"]
    per_brand = {name: [r for r in rows if name.lower() in r["text"].lower()] for name in ("Acme", "Globex")}
    assert all(len(found) >= 10 for found in per_brand.values())
    assert {r["rating"] for r in rows} == {1, 2, 3, 4, 5}


def test_the_demo_config_replays_them_with_their_stars(store: Store) -> None:
    config = load_config(REPO / "config" / "demo.toml")
    [source] = [source for source in config.sources if source.name == "app-reviews"]
    demo = COLLECTORS.get(source.type)
    collector = demo.build(
        SourceContext(source.name, demo.settings_model.model_validate(source.settings), ManualClock(utc(2026, 11, 5)))
    )
    acme = config.brand("Acme")
    result = collector.fetch(acme, None)
    store.store_batch(source.name, "Acme", result.mentions, result.cursor)
    summary = RatingReads(store).summary(MentionFilter(brand="Acme"), "day")
    expected = [r["rating"] for r in records() if "acme" in r["text"].lower()]
    assert summary.reviews == len(expected) and summary.average == round(sum(expected) / len(expected), 2)
