"""`[[topics]]`: validated with the query language, every problem named by file, field and problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.config import ConfigError, load_config
from listener.core.query import Or, Phrase, Term
from tests.config.test_config import VALID


def test_topics_load_with_their_query_and_touchpoint(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_text(
        VALID
        + '\n[[topics]]\nname = "billing"\nquery = \'invoice OR refund OR "charged twice"\'\ntouchpoint = "purchase"\n'
        + '\n[[topics]]\nname = "app"\nquery = "app"\n'
    )
    config = load_config(path)
    billing, app = config.topics
    assert (billing.name, billing.touchpoint, app.touchpoint) == ("billing", "purchase", None)
    assert billing.query_ast == Or((Term("invoice"), Term("refund"), Phrase("charged twice")))


def test_every_topic_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(
        VALID
        + '\n[[topics]]\nname = "billing"\nquery = "invoice OR ("\ntouchpoint = "checkout"\n'
        + '\n[[topics]]\nname = "billing"\nquery = "refund"\ncolour = "red"\n'
        + '\n[[topics]]\nname = "nothing"\n'
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    problems = raised.value.problems
    assert str(raised.value).startswith(f"{path}: ")
    expected = [
        "topics[0].query: the query ended where a term, phrase or '(' was expected at column 13: invoice OR (",
        "topics[0].touchpoint: Input should be 'awareness', 'consideration', 'purchase', 'retention' or 'advocacy'",
        "topics[1].colour: unknown field (check its spelling)",
        "topics[2].query: required field is missing",
        "topics[1].name: duplicate name 'billing'",
    ]
    assert sorted(problems) == sorted(expected), problems


def test_the_demo_config_has_topics_with_touchpoints() -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "config" / "demo.toml")
    assert {topic.name for topic in config.topics} >= {"billing", "outage", "support"}
    assert {topic.touchpoint for topic in config.topics} == {
        "awareness",
        "consideration",
        "purchase",
        "retention",
        "advocacy",
    }
