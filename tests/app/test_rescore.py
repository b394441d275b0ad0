"""`listener rescore`: stored mentions scored again by a new model, resumably, labels kept in step."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from classifiers import SentimentClassifier, load_classifier
from listener.app.model_change import detector_reach, warn_of_model_change
from listener.app.pipeline import Pipeline
from listener.app.rescore import rescore
from listener.cli.main import main
from listener.config import ModelConfig
from listener.core.clock import ManualClock
from listener.core.records import Mention, Sentiment
from listener.storage.database import open_database
from listener.storage.repository import Store
from listener.storage.schema import MentionBrandRow, MentionRow
from tests.cli_helpers import write_cli_config
from tests.conftest import CountingClassifier, utc

T0 = utc(2026, 11, 2, 10, 0)
TEXTS = [
    "acme is down again, worst service ever",
    "acme support fixed it in five minutes, thank you!",
    "acme cloud pricing page updated",
    "I love acme so much",
    "acme lost my data. furious.",
    "acme meetup tonight at 7",
    "acme cloud est vraiment génial",
    "acme 😀",
]


@pytest.fixture(scope="module")
def classifier() -> SentimentClassifier:
    return load_classifier(ModelConfig(cache_size=0))


def seed(store: Store, old_model: str = "old-model") -> list[int]:
    """TEXTS stored an hour apart for Acme (the last two for Globex too), all scored 'neutral' by `old_model`."""
    mentions = [Mention("demo", str(index), text, T0 + timedelta(hours=index)) for index, text in enumerate(TEXTS)]
    store.store_batch("demo", "Acme", mentions, {})
    store.store_batch("demo", "Globex", mentions[-2:], {})
    ids = [mention.id for mention in store.mentions_to_score(100)]
    store.save_scores([(mention_id, Sentiment("neutral", 0.0, 0.4)) for mention_id in ids], old_model)
    return ids


def labels_in_step(store: Store) -> None:
    """mention_brands.label must equal the mention's own label, for every brand link."""
    with store._sessions() as session:
        rows = session.execute(
            select(MentionRow.sentiment_label, MentionBrandRow.sentiment_label).join(
                MentionBrandRow, MentionBrandRow.mention_id == MentionRow.id
            )
        ).all()
    assert rows and all(mention_label == brand_label for mention_label, brand_label in rows)


def test_rescore_scores_every_mention_in_range_with_the_new_model(
    store: Store, classifier: SentimentClassifier
) -> None:
    ids = seed(store)
    report = rescore(store, classifier, since=T0)
    assert (report.to_score, report.already_scored, report.scored) == (len(TEXTS), 0, len(TEXTS))
    stored = store.mentions_by_id(ids)
    assert {mention.model for mention in stored} == {classifier.version}
    expected = classifier.classify(TEXTS)
    assert [mention.sentiment.label for mention in stored] == [verdict.label for verdict in expected]
    assert report.changed == sum(verdict.label != "neutral" for verdict in expected)
    assert stored[0].sentiment.label == "negative" and stored[1].sentiment.label == "positive"
    labels_in_step(store)


def test_interrupted_rescore_continues_where_it_stopped(store: Store, classifier: SentimentClassifier) -> None:
    seed(store)
    first = CountingClassifier(classifier)
    batches: list[int] = []
    report = rescore(
        store, first, since=T0, batch_size=3, on_batch=batches.append, should_stop=lambda: len(batches) >= 2
    )
    assert report.scored == 6 and first.seen == TEXTS[:6]

    again = CountingClassifier(classifier)
    report = rescore(store, again, since=T0, batch_size=3)
    assert (report.to_score, report.already_scored, report.scored) == (2, 6, 2)
    assert again.seen == TEXTS[6:]
    assert rescore(store, again, since=T0).scored == 0
    labels_in_step(store)


def test_rescore_keeps_to_the_time_range_and_brand(store: Store, classifier: SentimentClassifier) -> None:
    ids = seed(store)
    report = rescore(store, classifier, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert report.scored == 2
    models = [mention.model for mention in store.mentions_by_id(ids)]
    assert models == ["old-model", classifier.version, classifier.version] + ["old-model"] * 5

    report = rescore(store, classifier, since=T0, brand="Globex")
    assert report.scored == 2
    assert [mention.model for mention in store.mentions_by_id(ids)][-2:] == [classifier.version] * 2
    labels_in_step(store)


def test_rescore_command_reports_what_it_did_and_skips_on_rerun(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'listener.db'}"
    seed(Store(open_database(database)))
    config = write_cli_config(tmp_path, database)
    runner = CliRunner()
    result = runner.invoke(main, ["rescore", "--config", str(config), "--since", "2026-11-02", "--brand", "Acme"])
    assert result.exit_code == 0, result.output
    assert f"rescored {len(TEXTS)} mentions with e5-small-lora-v2" in result.output
    assert "0 already scored by it were skipped" in result.output

    result = runner.invoke(main, ["rescore", "--config", str(config), "--since", "2026-11-02", "--until", "2026-11-02 12:00"])
    assert result.exit_code == 0, result.output
    assert "rescored 0 mentions" in result.output and "2 already scored by it were skipped" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--brand", "Initech"], "brand 'Initech' is not in the config (brands: Acme, Globex)"),
        (["--until", "2026-11-01"], "--until (2026-11-01 00:00) must be after --since (2026-11-02 00:00)"),
        (["--model", "./no-such-model"], "model folder './no-such-model' does not exist"),
    ],
)
def test_rescore_command_rejects_bad_input_before_touching_anything(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    database = f"sqlite:///{tmp_path / 'listener.db'}"
    ids = seed(Store(open_database(database)))
    config = write_cli_config(tmp_path, database)
    result = CliRunner().invoke(main, ["rescore", "--config", str(config), "--since", "2026-11-02", *arguments])
    assert result.exit_code == 2
    assert message in result.output
    assert {mention.model for mention in Store(open_database(database)).mentions_by_id(ids)} == {"old-model"}


def test_store_moves_between_the_shipped_models(tmp_path: Path) -> None:
    """A store scored by the default (e5-small-lora-v2) moves to the English model and back with one
    rescore naming it: every stored mention then carries the named version."""
    database = f"sqlite:///{tmp_path / 'listener.db'}"
    store = Store(open_database(database))
    ids = seed(store)
    config = write_cli_config(tmp_path, database)
    runner = CliRunner()
    result = runner.invoke(main, ["rescore", "--config", str(config), "--since", "2026-11-02"])
    assert result.exit_code == 0, result.output
    assert {mention.model for mention in store.mentions_by_id(ids)} == {"e5-small-lora-v2"}

    result = runner.invoke(main, ["rescore", "--config", str(config), "--since", "2026-11-02", "--model", "minilm-l6-lora-v1"])
    assert result.exit_code == 0, result.output
    assert f"rescored {len(ids)} mentions with minilm-l6-lora-v1" in result.output
    assert {mention.model for mention in store.mentions_by_id(ids)} == {"minilm-l6-lora-v1"}
    labels_in_step(store)


def test_start_up_names_a_model_change_and_the_rescore_that_moves_the_detectors_history(
    store: Store, make_config, caplog: pytest.LogCaptureFixture
) -> None:
    """After an upgrade changed the default model, the first load says which model scored the
    history, and the command that rescores what the detector reads; once rescored, nothing."""
    config = make_config()
    now = T0 + timedelta(days=2)
    assert warn_of_model_change(store, config, "e5-small-lora-v2", now) is None  # nothing scored yet
    seed(store, old_model="minilm-l6-lora-v1")
    pipeline = Pipeline(config, store=store, clock=ManualClock(now))
    with caplog.at_level(logging.WARNING, logger="listener.app.model_change"):
        version = pipeline.classifier.version
    since = (now - detector_reach(config)).date().isoformat()
    assert detector_reach(config) >= timedelta(days=28)  # the alarm level reads four weeks of surprises
    expected = (
        "sentiment model changed: stored mentions up to 2026-11-02 17:00 UTC were scored by minilm-l6-lora-v1, "
        f"new ones by {version}; alerts compare the two until the history is rescored: "
        f"`listener rescore --since {since}` rescores what the detector reads"
    )
    assert [record.getMessage() for record in caplog.records] == [expected]
    rescore(store, pipeline.classifier, since=T0)
    assert warn_of_model_change(store, config, version, now) is None


def test_the_model_change_check_is_skipped_with_a_message_when_the_database_is_away(
    tmp_path: Path, make_config, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(open_database(f"sqlite:///{tmp_path / 'listener.db'}"))
    (tmp_path / "listener.db").unlink()  # SQLite opens an empty file in its place: no tables
    store.engine.dispose()
    with caplog.at_level(logging.INFO, logger="listener.app.model_change"):
        assert warn_of_model_change(store, make_config(), "e5-small-lora-v2", T0) is None
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "could not check which model scored the stored mentions"
    ]
