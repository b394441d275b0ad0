"""Response-time numbers (`listener.core.response_time`) on hand-built threads."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from listener.core.response_time import (
    ThreadPost,
    WorkingHours,
    business_seconds,
    first_responses,
    format_duration,
    response_report,
)
from tests.conftest import utc

T0 = utc(2026, 11, 2, 8, 0)  # a Monday
OWN = {"x": frozenset({"acme_support"})}
PARIS_OFFICE = WorkingHours(frozenset(range(5)), time(9), time(18), "Europe/Paris")


def post(external_id: str, author: str, minutes: float, in_reply_to: str | None = None, **fields: object) -> ThreadPost:
    return ThreadPost(
        id=hash(external_id) % 10_000,
        source="x",
        external_id=external_id,
        author=author,
        created_at=T0 + timedelta(minutes=minutes),
        in_reply_to=in_reply_to,
        **fields,  # type: ignore[arg-type]
    )


def test_a_direct_reply_answers_the_mention_and_times_it() -> None:
    posts = [post("1", "kim", 0), post("2", "acme_support", 45, "1"), post("3", "Acme_Support", 90, "1")]
    report = response_report(posts, OWN, T0, T0 + timedelta(days=1), T0 + timedelta(days=2))
    assert report.overall.customer_mentions == 1 and report.overall.answered == 1
    assert report.overall.median_seconds == 45 * 60  # the first answer, not the second


def test_an_answer_further_down_the_thread_answers_the_first_mention() -> None:
    posts = [post("1", "kim", 0), post("2", "kim", 10, "1"), post("3", "@ACME_SUPPORT", 30, "2")]
    answers = first_responses(posts, OWN)
    assert answers[("x", "1")].external_id == "3" and answers[("x", "2")].external_id == "3"


def test_the_brand_answering_itself_is_not_a_response() -> None:
    posts = [
        post("a", "acme_support", 0),  # an announcement
        post("b", "acme_support", 5, "a"),  # the brand's own follow-up
        post("c", "kim", 20, "a"),  # a customer asks under it
        post("d", "acme_support", 30, "a"),  # answers the announcement again, not kim
    ]
    report = response_report(posts, OWN, T0, T0 + timedelta(days=1), T0 + timedelta(days=1))
    assert report.overall.customer_mentions == 1 and report.overall.answered == 0


def test_a_reply_whose_parent_is_gone_answers_the_conversation_root_only() -> None:
    posts = [
        post("root", "kim", 0, conversation_id="root"),
        post("r", "acme_support", 60, "deleted-follow-up", conversation_id="root"),
        post("orphan", "lee", 5, "deleted-too"),  # a customer reply to a deleted post still counts
    ]
    report = response_report(posts, OWN, T0, T0 + timedelta(days=1), T0 + timedelta(days=1))
    assert report.overall.customer_mentions == 2 and report.overall.answered == 1
    assert report.overall.median_seconds == 3600


def test_an_answer_before_the_mention_does_not_count_and_cycles_end() -> None:
    posts = [post("1", "kim", 30, "2"), post("2", "acme_support", 0, "1")]
    assert first_responses(posts, OWN) == {}


def test_unanswered_negatives_widest_reach_first() -> None:
    posts = [
        post("1", "kim", 0, sentiment_label="negative", author_reach=10),
        post("2", "lee", 1, sentiment_label="negative", author_reach=5000),
        post("3", "ann", 2, sentiment_label="negative", author_reach=900),
        post("4", "acme_support", 20, "3"),
        post("5", "bob", 3, sentiment_label="positive", author_reach=99999),
    ]
    now = T0 + timedelta(hours=2)
    report = response_report(posts, OWN, T0, T0 + timedelta(days=1), now)
    assert [item.post.external_id for item in report.unanswered_negative] == ["2", "1"]
    assert report.unanswered_negative[0].waiting_seconds == pytest.approx(119 * 60)


def test_period_counts_mentions_made_in_it_with_answers_after_it() -> None:
    posts = [post("1", "kim", 0), post("2", "acme_support", 60 * 30, "1"), post("3", "lee", 60 * 25)]
    report = response_report(posts, OWN, T0, T0 + timedelta(days=1), T0 + timedelta(days=3))
    assert report.overall.customer_mentions == 1 and report.overall.answered == 1


def test_per_source_and_overall() -> None:
    own = {"x": frozenset({"acme_support"}), "reddit": frozenset({"acme_official"})}
    posts = [
        post("1", "kim", 0),
        post("2", "acme_support", 10, "1"),
        ThreadPost(9, "reddit", "t3_a", "lee", T0),
        ThreadPost(10, "reddit", "t1_b", "acme_official", T0 + timedelta(minutes=30), "t3_a"),
        ThreadPost(11, "reddit", "t3_c", "ann", T0),
    ]
    report = response_report(posts, own, T0, T0 + timedelta(days=1), T0 + timedelta(days=1))
    assert [(s.source, s.customer_mentions, s.answered) for s in report.by_source] == [("reddit", 2, 1), ("x", 1, 1)]
    assert report.overall.answered_share == pytest.approx(2 / 3)
    assert report.overall.mean_seconds == pytest.approx(20 * 60)


def test_business_hours_count_only_office_time_across_a_weekend() -> None:
    friday_5pm_paris = utc(2026, 11, 6, 16, 0)
    monday_10am_paris = utc(2026, 11, 9, 9, 0)
    assert business_seconds(friday_5pm_paris, monday_10am_paris, PARIS_OFFICE) == 2 * 3600


def test_business_hours_follow_the_local_clock_over_a_dst_change() -> None:
    # Paris leaves summer time on Sunday 2026-10-25: office hours are 07-16 UTC before, 08-17 after.
    assert business_seconds(utc(2026, 10, 23, 6, 0), utc(2026, 10, 23, 8, 0), PARIS_OFFICE) == 3600
    assert business_seconds(utc(2026, 10, 26, 7, 0), utc(2026, 10, 26, 9, 0), PARIS_OFFICE) == 3600


def test_report_gives_business_hour_times_when_configured() -> None:
    posts = [post("1", "kim", 0), post("2", "acme_support", 120, "1")]  # 08:00-10:00 UTC = 09:00-11:00 Paris
    report = response_report(posts, OWN, T0, T0 + timedelta(days=1), T0 + timedelta(days=1), PARIS_OFFICE)
    assert report.overall.median_seconds == 7200 and report.overall.median_business_seconds == 7200
    evening = [post("1", "kim", 600), post("2", "acme_support", 600 + 14 * 60, "1")]  # 18:00 -> 08:00 UTC
    report = response_report(evening, OWN, T0, T0 + timedelta(days=1), T0 + timedelta(days=2), PARIS_OFFICE)
    assert report.overall.median_seconds == 14 * 3600 and report.overall.median_business_seconds == 0


@pytest.mark.parametrize(
    "seconds, text",
    [(None, "—"), (30, "30 s"), (45 * 60, "45 min"), (12 * 3600 + 600, "12 h 10 min"), (3 * 86400, "3 d")],
)
def test_durations_read_as_people_say_them(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text
