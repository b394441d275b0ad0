"""Response-time on conversation threads as each platform shapes them, through real storage.

Each platform names posts and threads its own way (X snowflakes and conversation ids, Reddit
fullnames, Mastodon ids, Bluesky at:// URIs, Discourse post ids and topics); the threads below
use those shapes, are stored with the real upsert, read back by `ResponseStore` and measured by
`listener.core.response_time`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from listener.app.pipeline import Pipeline
from listener.config import BrandConfig, SourceConfig
from listener.core.clock import ManualClock
from listener.core.records import Mention, Sentiment
from listener.sources.base import FetchResult
from listener.storage.database import create_db_engine, upgrade
from listener.storage.repository import Store
from listener.storage.responses import ResponseStore
from tests.conftest import utc

T0 = utc(2026, 11, 2, 9, 0)
END = T0 + timedelta(days=1)
NOW = T0 + timedelta(days=2)


@dataclass(frozen=True)
class Platform:
    source_type: str
    own: str
    ids: tuple[str, str, str, str]
    """A customer's post, the brand's reply, a second customer post, the brand's own post."""
    conversation: str | None


PLATFORMS = {
    "x": Platform(
        "twitter",
        "acme_support",
        ("1860000000000000001", "1860000000000000002", "1860000000000000003", "1860000000000000004"),
        "1860000000000000001",
    ),
    "reddit": Platform("reddit", "acme_official", ("t3_1abc", "t1_k0a", "t1_k0b", "t3_1own"), "t3_1abc"),
    "mastodon": Platform(
        "mastodon",
        "acme@mastodon.social",
        ("113000000000000001", "113000000000000002", "113000000000000003", "113000000000000004"),
        None,
    ),
    "bluesky": Platform(
        "bluesky",
        "acme.bsky.social",
        tuple(
            f"at://did:plc:{who}/app.bsky.feed.post/3l{n}"
            for who, n in (("kim", "a"), ("acme", "b"), ("lee", "c"), ("acme", "d"))
        ),  # type: ignore[arg-type]
        "at://did:plc:kim/app.bsky.feed.post/3la",
    ),
    "discourse": Platform("discourse", "acme_team", ("9001", "9002", "9003", "9004"), "412"),
}


def brand_for(name: str) -> BrandConfig:
    platform = PLATFORMS[name]
    key = "x" if name == "x" else name
    return BrandConfig(name="Acme", keywords=("acme",), own_accounts={key: [platform.own]})


def mention(
    name: str, external_id: str, author: str, minutes: float, in_reply_to: str | None = None, text: str = "acme"
) -> Mention:
    return Mention(
        source=name,
        external_id=external_id,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        author=author,
        author_reach=100,
        in_reply_to=in_reply_to,
        conversation_id=PLATFORMS[name].conversation,
    )


def report(store: Store, name: str):
    sources = [SourceConfig(name=name, type=PLATFORMS[name].source_type)]
    return ResponseStore(store.engine).report(brand_for(name), sources, T0, END, NOW)


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_the_brands_reply_answers_its_customer(store: Store, name: str) -> None:
    p = PLATFORMS[name]
    customer, reply, other, _ = p.ids
    store.store_batch(
        name,
        "Acme",
        [
            mention(name, customer, "kim", 0),
            mention(name, reply, p.own, 42, customer, text="on it, DM us"),
            mention(name, other, "lee", 5),
        ],
        {},
    )
    result = report(store, name)
    assert (result.overall.customer_mentions, result.overall.answered) == (2, 1)
    assert result.overall.median_seconds == 42 * 60
    [stats] = result.by_source
    assert stats.source == name and stats.answered_share == 0.5


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_the_brand_answering_itself_is_not_a_response(store: Store, name: str) -> None:
    p = PLATFORMS[name]
    customer, reply, _, own_post = p.ids
    store.store_batch(
        name,
        "Acme",
        [
            mention(name, own_post, p.own, 0, text="acme status update"),
            mention(name, reply, p.own, 10, own_post, text="more on that"),
            mention(name, customer, "kim", 20, own_post),
        ],
        {},
    )
    result = report(store, name)
    assert (result.overall.customer_mentions, result.overall.answered) == (1, 0)


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_deleted_parents_neither_fail_nor_count(store: Store, name: str) -> None:
    """A customer reply whose parent was deleted is still a customer mention; the brand's reply
    to a deleted post answers nobody stored (unless the conversation's root is the mention)."""
    p = PLATFORMS[name]
    customer, reply, _, _ = p.ids
    store.store_batch(
        name,
        "Acme",
        [
            Mention(name, customer, "acme is down", T0, author="kim", in_reply_to="gone-1"),
            Mention(name, reply, "sorry", T0 + timedelta(minutes=5), author=p.own, in_reply_to="gone-2"),
        ],
        {},
    )
    result = report(store, name)
    assert (result.overall.customer_mentions, result.overall.answered) == (1, 0)


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_a_reply_collected_after_a_restart_answers_the_earlier_mention(database_url: str, name: str) -> None:
    p = PLATFORMS[name]
    customer, reply, _, _ = p.ids
    engine = create_db_engine(database_url)
    upgrade(engine)
    Store(engine).store_batch(name, "Acme", [mention(name, customer, "kim", 0)], {"poll": 1})
    engine.dispose()

    engine = create_db_engine(database_url)  # the daemon restarted
    store = Store(engine)
    store.store_batch(name, "Acme", [mention(name, reply, p.own, 180, customer, text="fixed now")], {"poll": 2})
    result = report(store, name)
    assert result.overall.answered == 1 and result.overall.median_seconds == 3 * 3600
    engine.dispose()


def test_unanswered_negatives_come_from_scored_mentions(store: Store) -> None:
    store.store_batch(
        "x",
        "Acme",
        [
            Mention("x", "1", "acme broke prod", T0, author="kim", author_reach=50),
            Mention("x", "2", "acme down again", T0, author="lee", author_reach=9000),
        ],
        {},
    )
    ids = {row[1]: row[0] for row in store.unscored(10)}
    store.save_scores([(ids[text], Sentiment("negative", -0.9, 0.9)) for text in ids], "m")
    result = report(store, "x")
    assert [item.post.author for item in result.unanswered_negative] == ["lee", "kim"]


def test_pipeline_stores_own_answers_that_do_not_name_the_brand(make_config, database_url: str) -> None:
    config = make_config(
        storage={"url": database_url},
        brands=[{"name": "Acme", "keywords": ["acme"], "own_accounts": {"x": ["acme_support"]}}],
        sources=[{"name": "x", "type": "twitter"}],
    )
    pipeline = Pipeline(config, clock=ManualClock(NOW), notifiers={})

    class Replying:
        def fetch(self, brand, cursor):
            return FetchResult(
                [
                    Mention("x", "1", "acme ate my invoice", T0, author="kim"),
                    Mention(
                        "x",
                        "2",
                        "Sorry Kim, DM us your account id",
                        T0 + timedelta(hours=1),
                        author="acme_support",
                        in_reply_to="1",
                    ),
                    Mention("x", "3", "unrelated chatter", T0, author="lee"),
                ]
            )

    pipeline.collectors["x"] = Replying()  # type: ignore[assignment]
    assert pipeline.collect("x") == {"Acme": 2}
    result = ResponseStore(pipeline.store.engine).report(config.brands[0], config.sources, T0, END, NOW)
    assert (result.overall.customer_mentions, result.overall.answered, result.overall.median_seconds) == (1, 1, 3600)
