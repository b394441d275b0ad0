"""Churn intent in storage: written per brand link with the scores, counted per window and bucket,
cleared by an edit, judged by the processing pass and by `listener rescore` (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from classifiers.churn import ChurnDetector
from listener.app.pipeline import Pipeline
from listener.app.rescore import rescore
from listener.core.clock import ManualClock
from listener.core.records import Mention, Sentiment
from listener.storage.repository import Store
from tests.conftest import utc

T0 = utc(2026, 11, 2, 10)


class NeutralClassifier:
    version = "neutral-test"

    def classify(self, texts: list[str]) -> list[Sentiment]:
        return [Sentiment("neutral", 0.0, 1.0) for _ in texts]


def stored(
    store: Store, texts: list[str], brands: tuple[str, ...] = ("Acme",), step: timedelta = timedelta(hours=1)
) -> list[int]:
    mentions = [
        Mention("demo", str(index), text, T0 + index * step, author_reach=index, language="en")
        for index, text in enumerate(texts)
    ]
    for brand in brands:
        store.store_batch("demo", brand, mentions, {})
    return [mention.id for mention in store.mentions_to_score(100)]


def test_churn_is_written_per_brand_link_with_the_scores(store: Store) -> None:
    (mention_id,) = stored(store, ["Switched from Globex to Acme"], ("Acme", "Globex"))
    store.save_scores(
        [(mention_id, Sentiment("positive", 0.8, 0.9))],
        "m",
        churn={mention_id: {"Acme": (False, None), "Globex": (True, "en:switch-from-brand")}},
    )
    end = utc(2026, 11, 3)  # one whole day
    assert [point.churn for point in store.churn_series("Globex", T0, end, "day")] == [1]
    assert [point.churn for point in store.churn_series("Acme", T0, end, "day")] == [0]
    (top,) = store.top_churn_mentions("Globex", T0, end, 5)
    assert top.mention.id == mention_id and top.pattern == "en:switch-from-brand"
    assert store.top_churn_mentions("Acme", T0, end, 5) == []


def test_window_counts_carry_churn_for_the_rule_metric(store: Store) -> None:
    ids = stored(
        store,
        ["cancelling my acme subscription", "acme is fine", "done with acme, bye acme"],
        step=timedelta(minutes=5),
    )
    store.save_scores(
        [(mention_id, Sentiment("negative", -0.5, 0.9)) for mention_id in ids],
        "m",
        churn={ids[0]: {"Acme": (True, "a")}, ids[1]: {"Acme": (False, None)}, ids[2]: {"Acme": (True, "b")}},
    )
    (window,) = store.window_counts("Acme", T0, T0 + timedelta(minutes=15), timedelta(minutes=15))
    assert (window.total, window.negative, window.churn_intent) == (3, 3, 2)


def test_churn_series_buckets_and_zero_fills(store: Store) -> None:
    ids = stored(store, ["cancelling my acme subscription"] * 3, step=timedelta(hours=1))
    store.save_scores(
        [(mention_id, Sentiment("negative", -0.5, 0.9)) for mention_id in ids],
        "m",
        churn={mention_id: {"Acme": (True, "p")} for mention_id in ids},
    )
    hourly = store.churn_series("Acme", T0 - timedelta(hours=1), T0 + timedelta(hours=4), "hour")
    assert [point.churn for point in hourly] == [0, 1, 1, 1, 0]
    assert hourly[0].bucket_start == T0 - timedelta(hours=1)


def test_an_edited_text_is_judged_again(store: Store) -> None:
    (mention_id,) = stored(store, ["cancelling my acme subscription"])
    store.save_scores([(mention_id, Sentiment("negative", -0.5, 0.9))], "m", churn={mention_id: {"Acme": (True, "p")}})
    store.store_batch("demo", "Acme", [Mention("demo", "0", "acme is fine after all", T0)], {})
    assert store.churn_series("Acme", T0, T0 + timedelta(hours=1), "hour")[0].churn == 0
    assert [mention.id for mention in store.mentions_to_score(10)] == [mention_id]


def test_the_processing_pass_judges_churn_with_the_scores(make_config, tmp_path: Path) -> None:
    config = make_config(storage={"url": f"sqlite:///{tmp_path / 'pass.db'}"})
    pipeline = Pipeline(config, clock=ManualClock(T0), classifier=NeutralClassifier(), notifiers={})
    stored(pipeline.store, ["Acme raised prices so we're migrating to Globex", "acme status page is green"], ("Acme",))
    report = pipeline.process()
    assert report.scored == 2 and report.churn_intent == 1
    (top,) = pipeline.store.top_churn_mentions("Acme", T0, T0 + timedelta(days=1), 5)
    assert top.pattern == "en:switch-to-competitor"


def test_rescore_judges_history_stored_before_churn_intent_existed(store: Store, make_config) -> None:
    ids = stored(store, ["Not renewing our Acme contract in January", "acme meetup tonight"])
    store.save_scores([(mention_id, Sentiment("neutral", 0.0, 0.9)) for mention_id in ids], NeutralClassifier.version)
    assert rescore(store, NeutralClassifier(), since=T0).scored == 0  # without a detector: nothing to do
    detector = ChurnDetector(make_config().brands)
    report = rescore(store, NeutralClassifier(), since=T0, churn=detector)
    assert (report.to_score, report.scored, report.churn_intent) == (2, 2, 1)
    assert [point.churn for point in store.churn_series("Acme", T0, T0 + timedelta(hours=2), "hour")] == [1, 0]
    again = rescore(store, NeutralClassifier(), since=T0, churn=detector)
    assert (again.to_score, again.already_scored, again.scored) == (0, 2, 0)
