"""Alert evidence read from real storage (SQLite, and PostgreSQL when configured): series, terms, facets."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.dispatch.evidence import build_evidence, driving_terms, volume_context
from listener.core.terms import brand_words, terms
from listener.core.records import Mention, Sentiment, VolumeContext, WindowCount
from listener.storage.repository import Store
from tests.conftest import utc

WINDOW = timedelta(minutes=15)
SPIKE_START = utc(2026, 11, 4, 10, 0)
BASELINE_TEXTS = (
    "acme support is slow again",
    "acme billing page is confusing",
    "meh, acme pricing went up",
    "acme app keeps logging me out",
)
SPIKE_TEXTS = (
    "Acme cloud outage, everything returns 502 #acmedown",
    "is Acme down? total outage here #AcmeDown",
    "acme's outage is killing our launch, want a refund",
    "third hour of the acme outage. refund please #acmedown https://status.example/acme",
    "@acmehelp outage again?? this is the worst",
)


def add(store: Store, mentions: list[tuple[str, str, str, str | None]], label: str = "negative") -> None:
    """Store (external id, text, source, language) mentions of Acme at their ids' times and score them."""
    by_source: dict[str, list[Mention]] = {}
    for external_id, text, source, language in mentions:
        minute = int(external_id.partition("-")[2])
        created = SPIKE_START + timedelta(minutes=minute)
        by_source.setdefault(source, []).append(Mention(source, external_id, text, created, language=language))
    for source, batch in by_source.items():
        store.store_batch(source, "Acme", batch, {})
    scored = [(mention_id, Sentiment(label, -0.8 if label == "negative" else 0.8, 0.9)) for mention_id, _ in store.unscored(10_000)]
    store.save_scores(scored, "test-model")


@pytest.fixture
def spiking_store(store: Store) -> Store:
    """A day of calm (one negative mention every 30 minutes, one positive every hour), then a spike at 10:00."""
    calm = [
        (f"calm-{minute}", BASELINE_TEXTS[(minute // 30) % len(BASELINE_TEXTS)], "twitter", "en")
        for minute in range(-24 * 60, 0, 30)
    ]
    add(store, calm)
    add(store, [(f"happy-{minute}", "love acme cloud", "reddit", "en") for minute in range(-24 * 60, 0, 60)], "positive")
    spike = [
        (f"spike-{minute}", SPIKE_TEXTS[minute % len(SPIKE_TEXTS)], "twitter" if minute % 3 else "mastodon", "en" if minute % 4 else "es")
        for minute in range(0, 15)
    ]
    spike += [(f"es-{minute}", "acme no funciona, caída total #acmedown", "mastodon", "es") for minute in (1, 5, 9)]
    add(store, spike)
    return store


def test_series_ends_at_the_alert_window_with_its_observed_count(spiking_store: Store) -> None:
    evidence = build_evidence(spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume")
    assert len(evidence.window_starts) == 32
    assert evidence.window_starts[-1] == SPIKE_START
    assert [b - a for a, b in zip(evidence.window_starts, evidence.window_starts[1:])] == [WINDOW] * 31
    assert evidence.observed_series[-1] == 18
    assert set(evidence.observed_series[:-1]) == {0.0, 1.0}  # one negative mention per 30 minutes
    assert len(evidence.expected_series) == 32
    assert evidence.expected_series[-1] == pytest.approx(0.5)


def test_negative_share_metric_is_a_fraction_per_window(spiking_store: Store) -> None:
    evidence = build_evidence(spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_share")
    assert evidence.observed_series[-1] == 1.0
    assert all(0.0 <= value <= 1.0 for value in evidence.observed_series)


def test_net_sentiment_metric_is_charted_in_points_from_minus_100_to_100(spiking_store: Store) -> None:
    evidence = build_evidence(spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "net_sentiment")
    assert evidence.observed_series[-1] == -100.0
    # On the hour one negative and one positive mention (0), at half past one negative (-100), else none (0).
    assert set(evidence.observed_series[:-1]) == {0.0, -100.0}


def test_unknown_metric_is_a_clear_error(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown metric 'sentiment'.*negative_volume"):
        build_evidence(store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "sentiment")


def test_driving_terms_are_what_grew_not_the_brand_or_stop_words(spiking_store: Store) -> None:
    evidence = build_evidence(
        spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume", brand_terms=["acme cloud", "acmecloud"]
    )
    named = [growth.term for growth in evidence.driving_terms]
    assert named[:2] == ["outage", "#acmedown"]
    assert "refund" in named
    assert not {"acme", "cloud", "the", "is", "support", "https", "acmehelp", "status.example"} & set(named)
    outage = evidence.driving_terms[0]
    assert (outage.spike_count, outage.baseline_rate) == (15, 0.0)
    assert evidence.driving_terms[1].spike_count == 12  # 9 English posts and 3 Spanish ones


def test_a_term_common_in_the_baseline_does_not_drive_the_spike() -> None:
    baseline = ["slow support"] * 192  # two per window over a day of 15-minute windows
    spike = ["slow support"] * 4 + ["outage now"] * 4  # twice as many: less than the smoothed lift needed
    (outage,) = driving_terms(spike, baseline, windows_in_baseline=96)
    assert (outage.term, outage.spike_count, outage.baseline_rate) == ("outage", 4, 0.0)


def test_terms_below_the_minimum_count_are_not_named() -> None:
    assert driving_terms(["outage", "outage", "refund"], [], windows_in_baseline=96) == ()


def test_sources_and_languages_of_the_window_largest_first(spiking_store: Store) -> None:
    evidence = build_evidence(spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume")
    assert evidence.sources == (("twitter", 10), ("mastodon", 8))
    assert evidence.languages == (("en", 11), ("es", 7))


def test_brand_without_history_gets_just_its_window(store: Store) -> None:
    add(store, [(f"spike-{minute}", "acme outage", "twitter", None) for minute in range(5)])
    evidence = build_evidence(store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume")
    assert evidence.window_starts == (SPIKE_START,)
    assert evidence.observed_series == (5.0,) and evidence.expected_series == (0.0,)
    assert evidence.languages == (("unknown", 5),)
    assert [growth.term for growth in evidence.driving_terms] == ["outage"]


def test_tokeniser_keeps_hashtags_and_drops_links_handles_and_possessives() -> None:
    found = terms("@acmehelp Acme's OUTAGE!! see https://x.example/a #AcmeDown l'été", brand_words("Acme"))
    assert found == {"outage", "#acmedown", "l'été"}  # "see" is an English stop word
    assert terms("#acme rocks", brand_words("Acme")) == {"rocks"}


def test_volume_puts_all_mentions_beside_the_usual_at_that_time_of_day(spiking_store: Store) -> None:
    """Yesterday at 10:00 brought one negative and one positive mention; the spike window 18
    negatives. The usual share pools the day: 48 negatives of 72 mentions."""
    evidence = build_evidence(spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume")
    assert evidence.volume == VolumeContext(mentions=18, usual_mentions=2.0, usual_negative_share=pytest.approx(48 / 72))


def test_a_volume_alert_has_no_volume_context(spiking_store: Store) -> None:
    """Its headline is already all mentions against the usual."""
    assert build_evidence(spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "volume").volume is None


def counts_of(totals: list[int], negatives: list[int]) -> list[WindowCount]:
    return [
        WindowCount(SPIKE_START - (len(totals) - 1 - index) * WINDOW, total, negative, total - negative, 0)
        for index, (total, negative) in enumerate(zip(totals, negatives))
    ]


def test_the_usual_volume_is_the_same_time_of_day_on_earlier_days() -> None:
    """Three days of a busy 10:00 (40 mentions) in a quiet day (4 a window): a 10:00 of 60 is 1.5x
    its usual, not 15x the day's median; the baseline's share pools every window."""
    day = [4] * 96
    totals = day * 3 + [60]
    for back in (96, 192, 288):
        totals[len(totals) - 1 - back] = 40
    negatives = [total // 4 for total in totals]
    volume = volume_context(counts_of(totals, negatives), WINDOW, timedelta(days=7))
    assert volume.mentions == 60 and volume.usual_mentions == 40.0
    assert volume.usual_negative_share == pytest.approx(sum(negatives[:-1]) / sum(totals[:-1]))
    without_a_day = volume_context(counts_of([4, 6, 8, 30], [1, 1, 2, 10]), WINDOW, timedelta(days=7))
    assert without_a_day.usual_mentions == 6.0
    silent = volume_context(counts_of([0, 0, 5], [0, 0, 5]), WINDOW, timedelta(days=7))
    assert silent.usual_mentions == 0.0 and silent.usual_negative_share is None


def test_a_split_rules_volume_is_the_splits_own(spiking_store: Store) -> None:
    """A split rule's negative share is its split's, so the usual it is compared with must be too."""
    def volume(source: str) -> VolumeContext | None:
        return build_evidence(
            spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume", split=(("source", source),)
        ).volume

    assert volume("twitter") == VolumeContext(mentions=10, usual_mentions=1.0, usual_negative_share=1.0)
    assert volume("mastodon") == VolumeContext(mentions=8, usual_mentions=0.0, usual_negative_share=None)
    assert volume("bluesky") == VolumeContext(mentions=0, usual_mentions=0.0, usual_negative_share=None)
