"""Collected text is made safe once, before matching and storage, without mangling real text."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from listener.core.clock import ManualClock
from listener.config import BrandConfig
from listener.core.records import Mention
from listener.app.pipeline import Pipeline
from listener.sources import FetchResult
from listener.core.text import MAX_TEXT_LENGTH, TRUNCATION_MARKER, clean_text
from tests.conftest import utc


def test_nul_and_lone_surrogates_are_removed() -> None:
    assert clean_text("ac\x00me \ud83d broken \udcff") == "acme  broken "


def test_decomposed_accents_are_composed() -> None:
    assert clean_text("Acme\u0301") == "Acmé" == unicodedata.normalize("NFC", "Acme\u0301")


def test_emoji_rtl_and_joiners_are_kept() -> None:
    text = "שלום acme \u200fمرحبا 👩\u200d💻 🇫🇷 😤"
    assert clean_text(text) == text


def test_huge_text_is_truncated_with_a_visible_marker() -> None:
    cleaned = clean_text("acme " * 5000)
    assert len(cleaned) <= MAX_TEXT_LENGTH
    assert cleaned.endswith(TRUNCATION_MARKER) and cleaned.startswith("acme acme")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.integers(20, 200))
def test_cleaned_text_is_always_storable(text: str, limit: int) -> None:
    cleaned = clean_text(text, limit)
    cleaned.encode("utf-8")  # no lone surrogates left
    assert "\x00" not in cleaned and len(cleaned) <= limit
    assert clean_text(cleaned, limit) == cleaned or cleaned.endswith(TRUNCATION_MARKER)


class HostileCollector:
    """A source returning what real platforms sometimes do."""

    def fetch(self, brand: BrandConfig, cursor):
        texts = ["acme\x00 with a NUL", "acme \ud800 half an emoji", "acme " + "x" * 50_000, "Acme\u0301 composed"]
        mentions = [
            Mention(source="hostile", external_id=str(number), text=text, created_at=utc(2026, 11, 23, 10), author="a\x00b")
            for number, text in enumerate(texts)
        ]
        return FetchResult(mentions, {"done": True})

    def check(self, brand: BrandConfig) -> str:
        return "ok"


def test_pipeline_stores_hostile_texts_cleaned_on_every_database(make_config, database_url: str) -> None:
    config = make_config(storage={"url": database_url}, brands=[{"name": "Acme", "keywords": ["acme"]}])
    pipeline = Pipeline(config, clock=ManualClock(utc(2026, 11, 23, 11)), notifiers={})
    pipeline.collectors["demo"] = HostileCollector()
    assert pipeline.collect("demo") == {"Acme": 4}
    texts = sorted(text for _, text in pipeline.store.unscored(10))
    assert texts[0] == "Acmé composed"
    assert "acme with a NUL" in texts and "acme  half an emoji" in texts
    assert any(text.endswith(TRUNCATION_MARKER) and len(text) == MAX_TEXT_LENGTH for text in texts)
