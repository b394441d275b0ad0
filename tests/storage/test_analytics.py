"""The read queries behind the dashboard, API and `listener history`, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from listener.storage.queries import Analytics, MentionFilter, QueryError, decode_cursor
from listener.core.buckets import bucket_ceil, bucket_floor
from listener.storage.repository import Store
from tests.conftest import utc
from tests.web_seed import seed


@pytest.fixture
def analytics(store: Store) -> Analytics:
    seed(store)
    return Analytics(store)


def test_hourly_series_is_zero_filled_between_first_and_last_mention(analytics: Analytics) -> None:
    rows = analytics.series(MentionFilter(brand="Acme"), "hour")
    assert rows[0].bucket_start == utc(2026, 11, 2, 9) and rows[-1].bucket_start == utc(2026, 11, 3, 13)
    assert len(rows) == 29
    assert [(r.mentions, r.negative, r.neutral, r.positive) for r in rows[:3]] == [(3, 2, 0, 1), (2, 0, 1, 1), (0, 0, 0, 0)]
    # Net sentiment is 100 * (positive - negative) / scored: one positive, two negative of three.
    assert rows[0].net_sentiment == -33.3 and rows[2].net_sentiment is None


def test_day_week_and_month_buckets(analytics: Analytics) -> None:
    days = analytics.series(MentionFilter(brand="Acme"), "day")
    assert [(r.bucket_start, r.mentions, r.net_sentiment) for r in days] == [
        (utc(2026, 11, 2), 5, 0.0),
        (utc(2026, 11, 3), 2, -100.0),
    ]
    # 2026-11-02 is a Monday; weeks start on Monday
    weeks = analytics.series(MentionFilter(brand="Acme", since=utc(2026, 10, 30)), "week")
    assert [(r.bucket_start, r.mentions) for r in weeks] == [(utc(2026, 10, 26), 0), (utc(2026, 11, 2), 7)]
    months = analytics.series(MentionFilter(), "month")
    assert [(r.bucket_start, r.mentions) for r in months] == [(utc(2026, 11, 1), 8)]


def test_series_widen_to_whole_buckets(analytics: Analytics) -> None:
    rows = analytics.series(MentionFilter(brand="Acme", since=utc(2026, 11, 2, 9, 30), until=utc(2026, 11, 2, 10, 1)), "hour")
    assert [(r.bucket_start, r.mentions) for r in rows] == [(utc(2026, 11, 2, 9), 3), (utc(2026, 11, 2, 10), 2)]


def test_filters_combine(analytics: Analytics) -> None:
    def count(**fields: object) -> int:
        return sum(r.mentions for r in analytics.series(MentionFilter(brand="Acme", **fields), "day"))  # type: ignore[arg-type]

    assert count(sources=("reddit",)) == 2
    assert count(sources=("reddit",), languages=("en",)) == 1
    assert count(sentiments=("negative",)) == 4
    assert count(sentiments=("negative",), sources=("demo",)) == 2
    assert count(search="OUTAGE") == 3  # case-insensitive substring, hashtags included
    assert count(search="down", sentiments=("negative",), since=utc(2026, 11, 3)) == 1


def test_search_wildcards_are_literal(analytics: Analytics) -> None:
    assert [m.text for m in analytics.mentions(MentionFilter(search="100%")).mentions] == ["acme pricing page updated 100%"]
    assert analytics.mentions(MentionFilter(search="%")).mentions[0].text.endswith("100%")
    assert analytics.mentions(MentionFilter(search="a_m")).mentions == []


def test_mentions_pages_walk_everything_once_newest_first(analytics: Analytics) -> None:
    seen, cursor = [], None
    while True:
        page = analytics.mentions(MentionFilter(brand="Acme"), limit=3, cursor=cursor)
        seen.extend(page.mentions)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == 7 and len({m.id for m in seen}) == 7
    assert [m.created_at for m in seen] == sorted((m.created_at for m in seen), reverse=True)
    shared = next(m for m in seen if m.text.startswith("globex and acme"))
    assert shared.brands == ("Acme", "Globex") and shared.sentiment == "negative" and shared.score == -0.8


def test_bad_cursor_and_limits_are_query_errors(analytics: Analytics) -> None:
    with pytest.raises(QueryError, match="invalid cursor"):
        analytics.mentions(MentionFilter(), cursor="not-a-cursor")
    with pytest.raises(QueryError, match="limit"):
        analytics.mentions(MentionFilter(), limit=0)
    with pytest.raises(QueryError, match="must be before"):
        MentionFilter(since=utc(2026, 11, 3), until=utc(2026, 11, 2))
    with pytest.raises(QueryError, match="unknown sentiment"):
        MentionFilter(sentiments=("angry",))


def test_top_authors_by_reach_and_by_negative_volume(analytics: Analytics) -> None:
    by_reach = analytics.top_authors(MentionFilter(brand="Acme"), "reach", 3)
    assert [(a.author, a.reach, a.mentions) for a in by_reach] == [("carol", 5000, 1), ("alice", 1000, 2), ("erin", 200, 1)]
    by_negative = analytics.top_authors(MentionFilter(brand="Acme", sources=("demo",)), "negative")
    assert [(a.author, a.negative) for a in by_negative] == [("alice", 1), ("gina", 1)]


def test_top_terms_and_hashtags_per_sentiment(analytics: Analytics) -> None:
    terms = analytics.top_terms(MentionFilter(brand="Acme"), excluded=frozenset({"acme"}))
    assert terms["negative"]["hashtags"][0].term == "#outage" and terms["negative"]["hashtags"][0].count == 3
    assert "acme" not in {t.term for t in terms["negative"]["terms"]}
    assert {t.term for t in terms["positive"]["hashtags"]} == {"#love"}


def test_period_comparison_ends_with_the_latest_day(analytics: Analytics) -> None:
    comparison = analytics.compare_periods(MentionFilter(brand="Acme"))
    assert comparison.current.until == utc(2026, 11, 4) and comparison.current.mentions == 7
    assert comparison.previous.mentions == 0 and comparison.mentions_change is None
    recent = analytics.compare_periods(MentionFilter(brand="Acme", until=utc(2026, 11, 3, 12, 30)), length=utc(2026, 11, 3) - utc(2026, 11, 2))
    assert (recent.current.mentions, recent.previous.mentions) == (1, 5)
    assert recent.mentions_change == pytest.approx(-0.8)


def test_share_of_voice_counts_each_brand_under_the_same_filters(analytics: Analytics) -> None:
    assert analytics.share_of_voice(MentionFilter(brand="Acme"), ["Acme", "Globex"]) == {"Acme": 7, "Globex": 2}
    assert analytics.share_of_voice(MentionFilter(sources=("reddit",)), ["Acme", "Globex"]) == {"Acme": 2, "Globex": 0}
    assert analytics.share_of_voice(MentionFilter(sentiments=("positive",)), ["Acme", "Globex"]) == {"Acme": 7, "Globex": 2}


def test_alerts_overlapping_the_range(analytics: Analytics) -> None:
    assert [a.observed for a in analytics.alerts(MentionFilter(brand="Acme"))] == [2]
    assert analytics.alerts(MentionFilter(brand="Globex")) == []
    assert analytics.alerts(MentionFilter(since=utc(2026, 11, 2, 9, 15))) == []
    assert len(analytics.alerts(MentionFilter(since=utc(2026, 11, 2, 9, 14)))) == 1


def test_known_values_for_filter_menus(analytics: Analytics) -> None:
    assert analytics.known_values() == {"sources": ["demo", "reddit"], "languages": ["de", "en"]}


def test_empty_store_gives_empty_answers(store: Store) -> None:
    analytics = Analytics(store)
    assert analytics.series(MentionFilter(brand="Acme"), "day") == []
    assert analytics.mentions(MentionFilter()).mentions == []
    assert analytics.span(MentionFilter()) is None


def test_bucket_edges() -> None:
    assert bucket_floor(utc(2026, 12, 31, 23, 59), "month") == utc(2026, 12, 1)
    assert bucket_ceil(utc(2026, 12, 15), "month") == utc(2027, 1, 1)
    assert bucket_ceil(utc(2026, 11, 2), "day") == utc(2026, 11, 2)
    assert bucket_floor(utc(2026, 11, 8, 23), "week") == utc(2026, 11, 2)
    assert decode_cursor("MjAyNi0xMS0wMlQxMDozMDowMCswMDowMHw0") == (utc(2026, 11, 2, 10, 30), 4)
