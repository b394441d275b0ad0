"""Topic tags in storage: replaced whole, counted per topic and touchpoint, and a filter on every query."""

from __future__ import annotations

from sqlalchemy import func, select

from listener.app.topic_tagging import TopicTagger
from listener.config import TopicConfig
from listener.core.sentiment import net_sentiment
from listener.storage.queries import Analytics, MentionFilter
from listener.storage.repository import Store
from listener.storage.schema import MentionTopicRow
from listener.storage.topics import topic_overview
from tests.conftest import utc
from tests.web_seed import MENTIONS, add_mentions

TOPICS = [
    TopicConfig(name="outage", query="#outage OR down OR outage OR langsam", touchpoint="retention"),
    TopicConfig(name="support", query="support", touchpoint="retention"),
    TopicConfig(name="pricing", query="pricing", touchpoint="consideration"),
    TopicConfig(name="events", query="webinar"),
]


def tag_everything(store: Store, topics: list[TopicConfig] = TOPICS) -> dict[int, list[str]]:
    pending = store.mentions_to_tag(utc(2000, 1, 1), None, None, 0, 1000)
    tags = TopicTagger(topics).tag(pending)
    store.tag_topics(tags)
    return tags


def test_tagging_replaces_a_mentions_topics_whole(store: Store) -> None:
    add_mentions(store, MENTIONS)
    tags = tag_everything(store)
    tagged = {mention_id for mention_id, topics in tags.items() if topics}
    assert store.topics_of(sorted(tags)) == {mention_id: tags[mention_id] for mention_id in tagged}
    down = next(mention_id for mention_id, topics in tags.items() if topics == ["outage"])
    store.tag_topics({down: ["support"]})
    store.tag_topics({down: ["support", "support"]})  # idempotent: the set is stored once
    assert store.topics_of([down]) == {down: ["support"]}
    store.tag_topics({down: []})
    assert store.topics_of([down]) == {}


def test_sentiment_per_topic_and_touchpoint_under_the_filters(store: Store) -> None:
    add_mentions(store, MENTIONS)
    tag_everything(store)
    overview = topic_overview(store.engine, MentionFilter(brand="Acme"), TOPICS)
    by_name = {row.name: row for row in overview.topics}
    # Acme's outage mentions: 1 "down again #outage", 3 "langsam #outage", 6 "outage again? #outage",
    # 8 "both down": all negative.
    assert (by_name["outage"].mentions, by_name["outage"].negative, by_name["outage"].net_sentiment) == (4, 4, -100.0)
    assert (by_name["support"].positive, by_name["support"].net_sentiment) == (1, 100.0)
    assert (by_name["pricing"].neutral, by_name["pricing"].net_sentiment) == (1, 0.0)
    assert (by_name["events"].mentions, by_name["events"].net_sentiment) == (0, None)
    assert [row.name for row in overview.topics] == ["outage", "support", "pricing", "events"]
    retention = {row.name: row for row in overview.touchpoints}["retention"]
    assert (retention.mentions, retention.negative, retention.positive) == (5, 4, 1)
    assert retention.net_sentiment == net_sentiment(1, 0, 4)
    assert [row.name for row in overview.touchpoints] == ["consideration", "retention"]

    german = topic_overview(store.engine, MentionFilter(brand="Acme", languages=("de",)), TOPICS)
    assert german.topics[0].mentions == 1
    later = topic_overview(store.engine, MentionFilter(brand="Globex", since=utc(2026, 11, 3)), TOPICS)
    assert later.topics[0].mentions == 1 and later.topics[1].mentions == 0
    ignored = topic_overview(
        store.engine, MentionFilter(brand="Acme", sentiments=("positive",), topics=("pricing",)), TOPICS
    )
    assert ignored == overview


def test_a_mention_of_two_topics_counts_once_for_their_touchpoint(store: Store) -> None:
    add_mentions(store, MENTIONS)
    both = [*TOPICS, TopicConfig(name="again", query="again", touchpoint="retention")]
    tag_everything(store, both)
    overview = topic_overview(store.engine, MentionFilter(brand="Acme"), both)
    assert {row.name: row.mentions for row in overview.topics}["again"] == 2  # both also "outage"
    assert {row.name: row.mentions for row in overview.touchpoints}["retention"] == 5


def test_topic_filter_narrows_series_mentions_and_terms(store: Store) -> None:
    add_mentions(store, MENTIONS)
    tag_everything(store)
    analytics = Analytics(store)
    outage = MentionFilter(brand="Acme", topics=("outage",))
    assert sum(row.mentions for row in analytics.series(outage, "day")) == 4
    assert sum(row.mentions for row in analytics.series(MentionFilter(brand="Acme"), "day")) == 7
    texts = [
        mention.text
        for mention in analytics.mentions(MentionFilter(brand="Acme", topics=("support", "pricing"))).mentions
    ]
    assert sorted(texts) == ["acme pricing page updated 100%", "acme support fixed it, thanks"]
    assert analytics.share_of_voice(outage, ["Acme", "Globex"]) == {"Acme": 4, "Globex": 1}
    assert analytics.compare_periods(outage).current.negative == 4


def test_deleting_a_mention_deletes_its_tags(store: Store) -> None:
    add_mentions(store, MENTIONS)
    tags = tag_everything(store)
    store.delete_mentions([mention_id for mention_id, topics in tags.items() if topics])
    with store._sessions() as session:
        assert session.scalar(select(func.count()).select_from(MentionTopicRow)) == 0
