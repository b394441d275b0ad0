"""How faithfully each source keeps what people wrote: posts in a recording against mentions stored.

Every recording in tests/fixtures (and the tweepy and praw cassettes in ../shared/fixtures, when
that folder is there) is replayed through the real collector, as the tests do: tweepy and praw
through a replaying `requests` adapter, the HTTP sources against their loopback fakes. The
mentions that match the recording's brand are stored in a fresh SQLite database, as the pipeline
stores them, and each stored mention is checked for the faults that lose or mangle mentions
quietly (issue 15):

    entities   HTML entities left in the text (`&amp;`, `&gt;`, `&#x200B;`)
    truncated  a retweet stored as X's cut-off `RT @...…` text
    link       a link that is not an absolute web address, or names `handle.invalid`
    lang       a language tag that is not a BCP 47 primary subtag (`en_us`, X's legacy `in`)
    words      words the author wrote that the stored text lost (`<dialog>`, a post's last sentence)
    undated    mentions timed only by the poll that the alert windows still count

A recording whose poll fails outright is shown as `failed`. "faithful" counts stored mentions with
none of the per-mention faults.

    python bench/source_fidelity.py [--shared ../shared/fixtures]

For a before/after comparison run the same script and fixtures against older code, e.g. from an
export of main with this file and tests/ copied in: the script reads the `listener` package that
sits beside it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from listener.core.clock import ManualClock, SystemClock  # noqa: E402
from listener.config import BrandConfig  # noqa: E402
from listener.sources.matching import mentions_brand  # noqa: E402
from listener.core.records import Mention  # noqa: E402
from listener.sources import COLLECTORS, SourceContext  # noqa: E402
from listener.storage.database import create_db_engine, upgrade  # noqa: E402
from listener.storage.repository import Store  # noqa: E402
from tests.recorded_http import Recording, load_cassette, replay_session  # noqa: E402
from tests.servers import ScriptedResponse, routed_http_server  # noqa: E402

OWN = ROOT / "tests" / "fixtures"
HTTP = OWN / "http"
ACME = BrandConfig(name="Acme", keywords=("acme",))
ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|nbsp|#\d+|#x[0-9a-fA-F]+);")
PRIMARY_SUBTAG = re.compile(r"[a-z]{2,3}")
LEGACY_CODES = frozenset({"in", "iw", "ji", "jw", "mo", "sh"})


@dataclass
class Scenario:
    """One recording replayed through one collector, and what its stored mentions must keep."""

    source: str
    recording: str
    records: int
    brand: BrandConfig
    fetch: Callable[[str], list[Mention]]
    keeps: dict[str, str] = field(default_factory=dict)
    """external id -> words the stored text must contain."""


@dataclass
class Outcome:
    collected: int | None = None
    stored: int = 0
    faithful: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    error: str = ""


# -- replaying recordings ----------------------------------------------------------------------


def body_json(recording: Recording) -> Any:
    raw = recording.body
    if raw.startswith(b"\x1f\x8b"):
        raw = gzip.decompress(raw)
    return json.loads(raw)


def build(type_name: str, name: str, clock: Any, **settings: Any) -> Any:
    plugin = COLLECTORS.get(type_name)
    return plugin.build(SourceContext(name, plugin.settings_model.model_validate(settings), clock))


def x_scenario(path: Path, brand: BrandConfig, now: datetime, match_query: bool, keeps: dict[str, str] | None = None,
               **settings: Any) -> Scenario:
    from listener.sources.twitter import TwitterCollector

    recordings = load_cassette(path)
    records = sum(len(body_json(r).get("data") or []) for r in recordings if r.status == 200 and "/tweets/search/" in r.uri)

    def fetch(name: str) -> list[Mention]:
        os.environ.setdefault("X_BEARER_TOKEN", "recorded")
        session, _ = replay_session(load_cassette(path), match_query=match_query)
        twitter = COLLECTORS.get("twitter")
        context = SourceContext(name, twitter.settings_model.model_validate(settings), ManualClock(now))
        return TwitterCollector(context, session=session).fetch(brand, None).mentions

    return Scenario("x", _label(path), records, brand, fetch, keeps or {})


def reddit_scenario(path: Path, brand: BrandConfig, now: datetime, as_search: str | None = None,
                    comments_only: bool = False, **settings: Any) -> Scenario:
    """`as_search`: a recorded `new` listing served for the search request of that subreddit;
    `comments_only`: a recorded comment listing served after an empty search."""
    from listener.sources.reddit import RedditCollector

    def recordings() -> list[Recording]:
        token, listing, *rest = load_cassette(path)
        if as_search is not None:
            listing.uri = f"https://oauth.reddit.com/r/{as_search}/search"
            return [token, listing]
        if comments_only:
            empty = Recording("GET", f"https://oauth.reddit.com/r/{settings['subreddits'][0]}/search", 200,
                              [("Content-Type", "application/json")], b'{"kind": "Listing", "data": {"children": []}}')
            return [token, empty, listing]
        return [token, listing, *rest]

    records = sum(len(body_json(r)["data"]["children"]) for r in recordings() if r.status == 200 and "access_token" not in r.uri)

    def fetch(name: str) -> list[Mention]:
        for variable in ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"):
            os.environ.setdefault(variable, "recorded")
        session, _ = replay_session(recordings(), match_query=False)
        reddit = COLLECTORS.get("reddit")
        context = SourceContext(name, reddit.settings_model.model_validate(settings), ManualClock(now))
        return RedditCollector(context, session=session).fetch(brand, None).mentions

    return Scenario("reddit", _label(path), records, brand, fetch)


def served_scenario(source: str, label: str, records: int, brand: BrandConfig, route: Callable[[], Any],
                    collector: Callable[[str, str], Any], keeps: dict[str, str] | None = None) -> Scenario:
    """A recording answered by a loopback fake; `collector(name, server_url)` builds the source."""

    def fetch(name: str) -> list[Mention]:
        with routed_http_server(route()) as server:
            return collector(name, server.url).fetch(brand, None).mentions

    return Scenario(source, label, records, brand, fetch, keeps or {})


def feed_scenario(file_name: str, keeps: dict[str, str] | None = None) -> Scenario:
    document = (HTTP / file_name).read_text(encoding="utf-8")
    records = len(re.findall(r"<(?:item|entry)[\s>]", document))

    def route() -> Callable[[Any], ScriptedResponse]:
        return lambda request: ScriptedResponse(200, {"Content-Type": "application/xml; charset=utf-8"}, document)

    def collector(name: str, url: str) -> Any:
        return build("rss", name, SystemClock(), urls=[f"{url}/feeds/{file_name}"])

    return served_scenario("rss", file_name, records, ACME, route, collector, keeps)


def http_scenarios() -> list[Scenario]:
    from tests.sources.test_bluesky import HANDLE, PASSWORD, FakeBluesky
    from tests.sources.test_discourse import FakeDiscourse
    from tests.sources.test_hackernews import FakeAlgolia
    from tests.sources.test_mastodon import FakeMastodon

    scenarios: list[Scenario] = []
    for file_name, brand, keeps in (
        ("hackernews_hits.json", ACME, {}),
        ("hackernews_plain_titles.json", ACME, {"39000100": "The <dialog> element"}),
    ):
        hits = json.loads((HTTP / file_name).read_text(encoding="utf-8"))
        scenarios.append(served_scenario(
            "hackernews", file_name, len(hits), brand, lambda hits=hits: FakeAlgolia(hits),
            lambda name, url: build("hackernews", name, SystemClock(), base_url=url), keeps,
        ))

    scenarios += [
        feed_scenario("feed_rss.xml"),
        feed_scenario("feed_atom.xml"),
        feed_scenario("feed_relative_links.atom", {"urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a": "The <dialog> element"}),
        feed_scenario("feed_guid_only.rss"),
        feed_scenario("feed_malformed_empty.rss"),
        feed_scenario("feed_undated.rss"),
    ]

    search = json.loads((HTTP / "discourse_search.json").read_text(encoding="utf-8"))
    whole = json.loads((HTTP / "discourse_posts.json").read_text(encoding="utf-8"))

    def discourse_fake() -> Any:
        fake = FakeDiscourse()
        if hasattr(fake, "full_text"):
            fake.full_text = {int(post_id): cooked for post_id, cooked in whole.items()}
        else:  # older fakes serve only search: answer /posts/{id}.json in the same documented shape
            fake.full_text = whole
        return _with_whole_posts(fake, whole)

    scenarios.append(served_scenario(
        "discourse", "discourse_search.json + discourse_posts.json", len(search["posts"]), ACME, discourse_fake,
        lambda name, url: build("discourse", name, SystemClock(), url=url), {"5001": "if support stays silent"},
    ))

    os.environ.setdefault("BENCH_BSKY_HANDLE", HANDLE)
    os.environ.setdefault("BENCH_BSKY_PASSWORD", PASSWORD)
    for file_name in ("bluesky_posts.json", "bluesky_odd_posts.json"):
        posts = json.loads((HTTP / file_name).read_text(encoding="utf-8"))

        def bluesky_fake(posts: list[Any] = posts) -> Any:
            fake = FakeBluesky()
            fake.posts = json.loads(json.dumps(posts))
            return fake

        scenarios.append(served_scenario(
            "bluesky", file_name, len(posts), ACME, bluesky_fake,
            lambda name, url: build("bluesky", name, SystemClock(), handle="${BENCH_BSKY_HANDLE}",
                                    app_password="${BENCH_BSKY_PASSWORD}", service=url),
        ))

    statuses = json.loads((HTTP / "mastodon_statuses.json").read_text(encoding="utf-8"))
    scenarios.append(served_scenario(
        "mastodon", "mastodon_statuses.json", len(statuses), ACME, FakeMastodon,
        lambda name, url: build("mastodon", name, SystemClock(), instance=url),
    ))
    return scenarios


def _with_whole_posts(fake: Any, whole: dict[str, str]) -> Callable[[Any], ScriptedResponse]:
    """The fake, answering `/posts/{id}.json` itself when the fake (an older copy) cannot."""
    from tests.servers import json_response

    def route(request: Any) -> ScriptedResponse:
        match = re.fullmatch(r"/posts/(\d+)\.json", request.path.split("?")[0])
        if match and not hasattr(fake, "whole_post"):
            post = next(p for p in fake.posts if str(p["id"]) == match.group(1))
            return json_response({**post, "cooked": whole.get(match.group(1), f"<p>{post['blurb']}</p>")})
        return fake(request)

    return route


def recorded_scenarios(shared: Path | None) -> list[Scenario]:
    zodiac_and_brands = BrandConfig(name="Ampersands", keywords=("libra & capricorn", "at&t", "h&m"))
    scenarios = [
        x_scenario(OWN / "twitter" / "search_two_pages.json", ACME, datetime(2026, 11, 23, 10, 30, tzinfo=UTC), True),
        x_scenario(OWN / "twitter" / "search_escaped_text_and_retweet.json", zodiac_and_brands,
                   datetime(2022, 1, 18, 12, tzinfo=UTC), True, {"1483437000000000000": "number transfer >:("},
                   include_retweets=True),
        reddit_scenario(OWN / "reddit" / "poll_first.json", ACME, datetime(2026, 11, 23, 10, 10, tzinfo=UTC),
                        subreddits=["acme", "technology"]),
        reddit_scenario(OWN / "reddit" / "entities.json", ACME, datetime(2026, 11, 23, 10, 10, tzinfo=UTC),
                        subreddits=["acme", "technology"]),
    ]
    if shared is not None and shared.is_dir():
        tweepy = BrandConfig(name="Tweepy", keywords=("tweepy",))
        for name in ("test_client_search_recent_tweets.yaml", "test_asyncclient_search_recent_tweets.yaml"):
            scenarios.append(x_scenario(shared / "twitter" / name, tweepy, datetime(2022, 10, 7, 23, tzinfo=UTC), False,
                                        include_retweets=True, max_pages=1))
        common = BrandConfig(name="Common words", keywords=("the", "i", "a", "to"))
        scenarios.append(reddit_scenario(shared / "reddit" / "TestSubredditListings.test_new.json", common,
                                         datetime(2016, 3, 1, 9, tzinfo=UTC), as_search="askreddit",
                                         subreddits=["askreddit"], include_comments=False, backfill="3650d", max_items=100))
        for name, subreddit in (("TestSubredditListings.test_comments.json", "askreddit"),
                                ("TestSubredditStreams.test_comments__with_pause.json", "kakapo")):
            path = shared / "reddit" / name
            latest = max(child["data"]["created_utc"] for child in body_json(load_cassette(path)[1])["data"]["children"])
            scenarios.append(reddit_scenario(path, common, datetime.fromtimestamp(latest + 60, UTC), comments_only=True,
                                             subreddits=[subreddit], backfill="3650d", max_items=100))
    return scenarios


def _label(path: Path) -> str:
    return path.name if path.is_relative_to(OWN) else f"shared: {path.name}"


# -- judging what was stored -------------------------------------------------------------------


def judge(scenario: Scenario, store: Store, index: int) -> Outcome:
    outcome = Outcome()
    name = f"{scenario.source}-{index}"
    try:
        collected = scenario.fetch(name)
    except Exception as error:  # the poll failed: that is the finding
        outcome.error = f"{type(error).__name__}: {str(error)[:80]}"
        return outcome
    outcome.collected = len(collected)
    matched = [m for m in collected if mentions_brand(scenario.brand, m.text, m.language)]
    brand = f"{scenario.brand.name} #{index}"
    store.store_batch(name, brand, matched, {})
    outcome.stored = len(matched)
    for mention in matched:
        faults = mention_faults(mention, scenario.keeps.get(mention.external_id))
        outcome.faults.update(faults)
        outcome.faithful += not faults
    for external_id, words in scenario.keeps.items():  # a mention that was lost lost its words too
        if external_id not in {m.external_id for m in matched}:
            outcome.faults["words"] += 1
    outcome.faults["undated"] += undated_counted(store, brand, matched)
    return outcome


def mention_faults(mention: Mention, keeps: str | None) -> list[str]:
    faults = []
    if ENTITY.search(mention.text):
        faults.append("entities")
    if mention.text.startswith("RT @") and mention.text.endswith("…"):
        faults.append("truncated")
    url = mention.url or ""
    if url and (not re.match(r"https?://[^/]", url) or "/profile/handle.invalid/" in url):
        faults.append("link")
    if mention.language is not None and (not PRIMARY_SUBTAG.fullmatch(mention.language) or mention.language in LEGACY_CODES):
        faults.append("lang")
    if keeps is not None and keeps not in mention.text:
        faults.append("words")
    return faults


def undated_counted(store: Store, brand: str, matched: list[Mention]) -> int:
    """Stored mentions without a platform time that the alert windows count anyway."""
    undated = [m for m in matched if getattr(m, "undated", False) or _looks_undated(m)]
    if not undated:
        return 0
    start = min(m.created_at for m in matched) - timedelta(days=1)
    end = max(m.created_at for m in matched) + timedelta(days=1)
    counted = sum(window.total for window in store.window_counts(brand, start, end, end - start))
    return max(counted - (len(matched) - len(undated)), 0)


def _looks_undated(mention: Mention) -> bool:
    """Older code has no `undated` flag: an entry of a recording without dates was given the poll
    time, within minutes of now."""
    return abs((datetime.now(UTC) - mention.created_at).total_seconds()) < 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "fixtures",
                        help="the shared cassettes (tweepy, praw); skipped when absent")
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    scenarios = recorded_scenarios(args.shared) + http_scenarios()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{folder}/fidelity.db")
        upgrade(engine)
        store = Store(engine)
        rows = [(scenario, judge(scenario, store, index)) for index, scenario in enumerate(scenarios)]
        engine.dispose()
    header = f"{'source':<11}{'recording':<58}{'posts':>6}{'collected':>10}{'stored':>7}{'faithful':>9}  faults"
    print(header)
    print("-" * len(header))
    totals: Counter[str] = Counter()
    for scenario, outcome in rows:
        collected = "failed" if outcome.collected is None else str(outcome.collected)
        faults = ", ".join(f"{kind} {count}" for kind, count in sorted(outcome.faults.items()) if count) or "-"
        if outcome.error:
            faults = outcome.error
        print(f"{scenario.source:<11}{scenario.recording[:57]:<58}{scenario.records:>6}{collected:>10}"
              f"{outcome.stored:>7}{outcome.faithful:>9}  {faults}")
        totals.update(posts=scenario.records, stored=outcome.stored, faithful=outcome.faithful,
                      failed=outcome.collected is None, faults=sum(outcome.faults.values()))
    print("-" * len(header))
    print(f"{len(rows)} recordings, {totals['posts']} posts: {totals['stored']} mentions stored, {totals['faithful']} faithful, "
          f"{totals['faults']} faults, {totals['failed']} failed polls")


if __name__ == "__main__":
    main()
