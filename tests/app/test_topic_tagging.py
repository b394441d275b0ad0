"""Topics in the app: the scoring pass tags what it scores, rescore re-tags the history, and the
pipeline hands the model's embeddings to the alert evidence."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from listener.app.daemon import run_once
from listener.app.pipeline import Pipeline
from listener.cli.main import main
from listener.core.clock import ManualClock
from listener.core.records import Sentiment
from listener.storage.database import open_database
from listener.storage.repository import Store
from tests.app.test_rescore import TEXTS, seed
from tests.cli_helpers import write_cli_config
from tests.conftest import utc

TOPICS = [
    {"name": "outage", "query": "down OR outage OR 502", "touchpoint": "retention"},
    {"name": "billing", "query": 'invoice OR refund OR "charged twice"', "touchpoint": "purchase"},
    {"name": "french", "query": "lang:fr"},
]


class KeywordClassifier:
    """Negative when the text says so: scoring without a model, and without embeddings."""

    version = "keywords-v1"

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        return [
            Sentiment("negative", -0.9, 0.9) if "down" in text or "twice" in text else Sentiment("neutral", 0.0, 0.9)
            for text in texts
        ]


class EmbeddingClassifier(KeywordClassifier):
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([[float(len(text)), 1.0] for text in texts])


def replay_file(path: Path) -> Path:
    records = [
        ("1", "2026-11-02T10:00:00Z", "en", "acme is down again, 502 everywhere"),
        ("2", "2026-11-02T10:01:00Z", "en", "acme charged twice, I want a refund. Also down."),
        ("3", "2026-11-02T10:02:00Z", "fr", "acme est génial"),
        ("4", "2026-11-02T10:03:00Z", "en", "acme meetup tonight"),
    ]
    lines = [
        json.dumps({"id": id_, "created_at": at, "language": lang, "text": text}) for id_, at, lang, text in records
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_scoring_pass_tags_every_mention_with_its_topics(make_config, tmp_path: Path) -> None:
    config = make_config(
        storage={"url": f"sqlite:///{tmp_path / 'listener.db'}"},
        sources=[{"name": "demo", "type": "demo", "data": str(replay_file(tmp_path / "replay.jsonl"))}],
        topics=TOPICS,
    )
    pipeline = Pipeline(config, clock=ManualClock(utc(2026, 11, 2, 11)), classifier=KeywordClassifier(), notifiers={})
    report = run_once(pipeline)
    assert report.processed.scored == 4
    store = pipeline.store
    by_text = {mention.text: mention.id for mention in store.mentions_by_id(list(range(1, 10)))}
    tags = store.topics_of(list(by_text.values()))
    assert tags == {
        by_text["acme is down again, 502 everywhere"]: ["outage"],
        by_text["acme charged twice, I want a refund. Also down."]: ["billing", "outage"],
        by_text["acme est génial"]: ["french"],
    }


def test_no_topics_configured_tags_nothing(make_config, tmp_path: Path) -> None:
    config = make_config(
        storage={"url": f"sqlite:///{tmp_path / 'listener.db'}"},
        sources=[{"name": "demo", "type": "demo", "data": str(replay_file(tmp_path / "replay.jsonl"))}],
    )
    pipeline = Pipeline(config, clock=ManualClock(utc(2026, 11, 2, 11)), classifier=KeywordClassifier(), notifiers={})
    assert run_once(pipeline).processed.scored == 4
    assert pipeline.store.topics_of(list(range(1, 10))) == {}


def test_pipeline_embeds_with_the_model_or_says_it_cannot(make_config) -> None:
    config = make_config()
    assert Pipeline(config, classifier=KeywordClassifier(), notifiers={}).embed(["a", "bb"]) is None
    vectors = Pipeline(config, classifier=EmbeddingClassifier(), notifiers={}).embed(["a", "bb"])
    assert vectors is not None and vectors.tolist() == [[1.0, 1.0], [2.0, 1.0]]


def test_rescore_retags_the_history_when_topics_change(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'listener.db'}"
    store = Store(open_database(database))
    ids = seed(store)
    store.tag_topics({ids[0]: ["stale"], ids[5]: ["events"]})
    topics = """
[[topics]]
name = "outage"
query = "down OR \\"lost my data\\""
touchpoint = "retention"

[[topics]]
name = "events"
query = "meetup OR webinar"
touchpoint = "awareness"
"""
    config = write_cli_config(tmp_path, database, topics)
    result = CliRunner().invoke(main, ["rescore", "--config", str(config), "--since", "2026-11-02"])
    assert result.exit_code == 0, result.output
    assert f"re-tagged {len(TEXTS)} mentions with the configured topics: outage 2, events 1" in result.output
    assert store.topics_of(ids) == {ids[0]: ["outage"], ids[4]: ["outage"], ids[5]: ["events"]}

    # Topics removed from the config: the next rescore drops their tags (no model change needed).
    config = write_cli_config(tmp_path, database)
    result = CliRunner().invoke(main, ["rescore", "--config", str(config), "--since", "2026-11-02", "--brand", "Acme"])
    assert result.exit_code == 0, result.output
    assert (
        "rescored 0 mentions" in result.output
        and f"re-tagged {len(TEXTS)} mentions with the configured topics\n" in result.output
    )
    assert store.topics_of(ids) == {}
