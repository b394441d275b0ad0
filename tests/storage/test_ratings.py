"""Review star ratings: stored with the mention, refreshed when a reviewer changes them, and read
back as average, distribution and trend within the dashboard's filters (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from listener.core.records import Mention, Sentiment
from listener.storage.queries import Analytics, MentionFilter, QueryError
from listener.storage.ratings import RatingReads
from listener.storage.repository import Store
from tests.conftest import utc

T0 = utc(2026, 11, 2, 10, 0)


def review(
    external_id: str, stars: int | None, hours: float = 0, source: str = "appstore", text: str = "acme app"
) -> Mention:
    return Mention(
        source=source,
        external_id=external_id,
        text=text,
        created_at=T0 + timedelta(hours=hours),
        language="en",
        rating=stars,
    )


def ids_of(store: Store) -> list[int]:
    return [row_id for row_id, _ in store.unscored(100)]


def test_rating_is_stored_and_a_changed_rating_replaces_it(store: Store) -> None:
    store.store_batch("appstore", "Acme", [review("r1", 2), review("p1", None, source="demo")], {})
    by_id = {m.external_id: m for m in store.mentions_by_id(ids_of(store))}
    assert (by_id["r1"].rating, by_id["p1"].rating) == (2, None)
    store.store_batch("appstore", "Acme", [review("r1", 4)], {})
    assert store.mentions_by_id(ids_of(store))[0].rating == 4
    store.store_batch("appstore", "Acme", [review("r1", None)], {})  # a poll that could not read the stars
    assert store.mentions_by_id(ids_of(store))[0].rating == 4


def test_stars_outside_one_to_five_are_unknown_not_stored(store: Store) -> None:
    store.store_batch("appstore", "Acme", [review("r0", 0), review("r9", 9)], {})
    assert {m.rating for m in store.mentions_by_id(ids_of(store))} == {None}


def test_rating_reaches_the_mention_list(store: Store) -> None:
    store.store_batch("appstore", "Acme", [review("r1", 5)], {})
    [record] = Analytics(store).mentions(MentionFilter(brand="Acme")).mentions
    assert record.rating == 5 and record.as_json()["rating"] == 5


def test_average_distribution_and_trend_per_day(store: Store) -> None:
    store.store_batch("appstore", "Acme", [review("a", 5), review("b", 4, hours=1), review("c", 1, hours=25)], {})
    store.store_batch("gplay", "Acme", [review("d", 2, hours=49, source="gplay")], {})
    store.store_batch("demo", "Acme", [review("post", None, hours=2, source="demo")], {})
    store.store_batch("appstore", "Globex", [review("g", 1, text="globex app")], {})
    summary = RatingReads(store).summary(MentionFilter(brand="Acme"), "day")
    assert summary.reviews == 4
    assert summary.average == 3.0
    assert summary.distribution == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1}
    assert [(p.bucket_start, p.reviews, p.average) for p in summary.trend] == [
        (utc(2026, 11, 2), 2, 4.5),
        (utc(2026, 11, 3), 1, 1.0),
        (utc(2026, 11, 4), 1, 2.0),
    ]
    assert summary.as_json()["distribution"] == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1}


def test_filters_apply_as_on_every_panel(store: Store) -> None:
    store.store_batch("appstore", "Acme", [review("a", 5), review("b", 1, hours=30)], {})
    store.store_batch("gplay", "Acme", [review("c", 3, source="gplay")], {})
    reads = RatingReads(store)
    only_play = reads.summary(MentionFilter(brand="Acme", sources=("gplay",)), "day")
    assert (only_play.reviews, only_play.average) == (1, 3.0)
    first_day = reads.summary(MentionFilter(brand="Acme", since=T0, until=T0 + timedelta(hours=12)), "hour")
    assert (first_day.reviews, first_day.average, len(first_day.trend)) == (2, 4.0, 12)
    [(mention_id, _)] = [(m.id, m) for m in store.mentions_by_id(ids_of(store)) if m.external_id == "b"]
    store.save_scores([(mention_id, Sentiment("negative", -0.9, 0.9))], "m")
    negative = reads.summary(MentionFilter(brand="Acme", sentiments=("negative",)), "day")
    assert (negative.reviews, negative.distribution[1]) == (1, 1)


def test_no_rated_mentions_is_an_empty_summary_and_no_panel(store: Store) -> None:
    store.store_batch("demo", "Acme", [review("post", None, source="demo")], {})
    reads = RatingReads(store)
    summary = reads.summary(MentionFilter(brand="Acme"))
    assert (summary.reviews, summary.average, summary.trend) == (0, None, [])
    assert summary.distribution == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert not reads.has_ratings("Acme") and not reads.has_ratings()
    store.store_batch("appstore", "Globex", [review("g", 1)], {})
    assert reads.has_ratings() and reads.has_ratings("Globex") and not reads.has_ratings("Acme")


def test_a_range_of_too_many_buckets_is_refused(store: Store) -> None:
    store.store_batch("appstore", "Acme", [review("a", 5)], {})
    with pytest.raises(QueryError, match="choose a wider bucket"):
        RatingReads(store).summary(MentionFilter(brand="Acme", since=utc(2000, 1, 1), until=utc(2026, 1, 1)), "hour")
