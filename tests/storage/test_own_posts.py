"""A brand's own posts (its support account's answers) are stored for response times but never
counted as mentions of it: not in alert windows, evidence, series, lists, exports' counts or
rollups, on every database, whether flagged when stored or later when the accounts are configured."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from listener.app.own_posts import flag_own_posts
from listener.core.records import Mention, Sentiment
from listener.storage.queries import Analytics, MentionFilter
from listener.storage.repository import Store
from listener.storage.responses import ResponseStore
from listener.storage.rollups import rebuild_rollups, rollup_series
from tests.conftest import utc
from tests.storage.test_rollups import assert_rollups_match_raw, ids_by_external

T0 = utc(2026, 11, 2, 10, 0)
WINDOW = timedelta(minutes=15)
SUPPORT = frozenset({"acme_support"})


def post(external_id: str, author: str, text: str, minutes: int = 1, in_reply_to: str | None = None) -> Mention:
    return Mention(
        source="demo",
        external_id=external_id,
        text=text,
        created_at=T0 + timedelta(minutes=minutes),
        author=author,
        author_reach=100,
        url=f"https://example.invalid/{external_id}",
        language="en",
        in_reply_to=in_reply_to,
        conversation_id="c1",
    )


THREAD = [
    post("c1", "kim", "acme is down again, useless", 1),
    post("c2", "lee", "acme outage ruined my morning", 2),
    post("a1", "@Acme_Support", "So sorry for the outage, we are on it", 5, in_reply_to="c1"),
    post("a2", "acme_support", "Sorry about this, DM us please", 6, in_reply_to="c2"),
]


def posted_id(url: str | None) -> str:
    assert url is not None
    return url.rsplit("/", 1)[-1]


def store_thread(store: Store, own_accounts: frozenset[str] = SUPPORT) -> dict[str, int]:
    store.store_batch("demo", "Acme", THREAD, {}, own_accounts=own_accounts)
    ids = ids_by_external(store)
    store.save_scores([(ids[key], Sentiment("negative", -0.8, 0.9)) for key in ("c1", "c2", "a1", "a2")], "m")
    return ids


def counted_everywhere(store: Store) -> dict[str, object]:
    """What every reader of the store says of Acme's 10:00 window."""
    brand = MentionFilter(brand="Acme", since=T0, until=T0 + WINDOW)
    queries = Analytics(store)
    (window,) = store.window_counts("Acme", T0, T0 + WINDOW, WINDOW)
    (hour,) = rollup_series(store.engine, "Acme", T0, T0 + timedelta(hours=1), "hour")
    (raw_hour,) = queries.series(MentionFilter(brand="Acme", since=T0, until=T0 + timedelta(hours=1)), rollups=False)
    return {
        "window negatives": window.negative,
        "window volume": window.total,
        "evidence": sorted(text for _, text in store.mention_texts("Acme", T0, T0 + WINDOW, 10)),
        "top negatives": sorted(m.external_id for m in store.top_negative_mentions("Acme", T0, T0 + WINDOW, 10)),
        "rollup hour": (hour.mentions, hour.negative),
        "raw hour": (raw_hour.mentions, raw_hour.negative),
        "brand list": sorted(posted_id(m.url) for m in queries.mentions(brand).mentions),
        "all-brand list": sorted(posted_id(m.url) for m in queries.mentions(MentionFilter(since=T0)).mentions),
        "share of voice": queries.share_of_voice(MentionFilter(since=T0), ["Acme"])["Acme"],
    }


CUSTOMERS_ONLY = {
    "window negatives": 2,
    "window volume": 2,
    "evidence": ["acme is down again, useless", "acme outage ruined my morning"],
    "top negatives": ["c1", "c2"],
    "rollup hour": (2, 2),
    "raw hour": (2, 2),
    "brand list": ["c1", "c2"],
    "all-brand list": ["c1", "c2"],
    "share of voice": 2,
}


def test_the_brands_apologies_are_stored_but_never_counted_as_negative_mentions(store: Store) -> None:
    store_thread(store)
    assert counted_everywhere(store) == CUSTOMERS_ONLY
    assert_rollups_match_raw(store.engine)
    rebuild_rollups(store.engine)
    assert counted_everywhere(store) == CUSTOMERS_ONLY
    # Stored, and still the brand's answers for response times.
    answers = [p.external_id for p in ResponseStore(store.engine).thread_posts("Acme", T0) if "support" in (p.author or "").casefold()]
    assert sorted(answers) == ["a1", "a2"]


def test_accounts_configured_later_flag_what_was_stored_and_removing_them_unflags_it(store: Store) -> None:
    store_thread(store, own_accounts=frozenset())
    assert counted_everywhere(store)["window negatives"] == 4  # before the accounts were configured

    assert store.sync_own_posts("Acme", {"demo": SUPPORT}) == 2
    assert counted_everywhere(store) == CUSTOMERS_ONLY
    assert_rollups_match_raw(store.engine)
    assert store.sync_own_posts("Acme", {"demo": SUPPORT}) == 0  # idempotent: every start calls it

    assert store.sync_own_posts("Acme", {}) == 2
    assert counted_everywhere(store)["window negatives"] == 4
    assert_rollups_match_raw(store.engine)


def test_a_post_stored_again_takes_the_flag_the_current_config_gives(store: Store) -> None:
    store_thread(store, own_accounts=frozenset())
    store.store_batch("demo", "Acme", THREAD, {}, own_accounts=SUPPORT)  # the next poll, accounts now configured
    assert counted_everywhere(store) == CUSTOMERS_ONLY
    assert_rollups_match_raw(store.engine)


def test_a_node_starting_flags_the_posts_of_the_accounts_its_config_names(store: Store, make_config: Any) -> None:
    """`listener run` and the cluster's scheduler call `flag_own_posts` when they start."""
    store_thread(store, own_accounts=frozenset())  # stored before own_accounts was configured
    config = make_config(brands=[{"name": "Acme", "keywords": ["acme"], "own_accounts": {"demo": ["ACME_support"]}}])
    assert flag_own_posts(config, store) == 2
    assert counted_everywhere(store) == CUSTOMERS_ONLY
