"""The stories of a spike in its evidence: grouped by the model's embeddings when the app passes
them in, by TF-IDF otherwise (and said so), stored with the alert and made inert in every message."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from alerts.dispatch.evidence import build_evidence
from alerts.notify.notifiers.console import alert_record
from alerts.notify.notifiers.webhook import webhook_payload
from alerts.notify.render import alert_html, alert_text, slack_payload
from listener.core.records import AlertEvidence, Story, VolumeContext
from listener.core.themes import BY_EMBEDDINGS, BY_TERMS
from listener.storage.repository import Store
from listener.storage.rows import evidence_from_json, evidence_json
from tests.alerts.test_evidence import SPIKE_START, WINDOW, spiking_store  # noqa: F401 - the fixture
from tests.alerts.test_render import make_alert, make_evidence, parsed_tags, strings_in


def by_spanish(texts: Sequence[str]) -> np.ndarray:
    """A stand-in for the model: Spanish complaints one way, the others another."""
    return np.array([[1.0, 0.0] if "caída" in text else [0.0, 1.0] for text in texts])


def test_evidence_groups_the_window_by_the_embeddings_passed_in(spiking_store: Store) -> None:  # noqa: F811
    embedded: list[int] = []

    def embed(texts: Sequence[str]) -> np.ndarray:
        embedded.append(len(texts))
        return by_spanish(texts)

    evidence = build_evidence(spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume", embed=embed)
    assert embedded == [18]  # the window's 18 negative mentions, once
    assert evidence.stories_from == BY_EMBEDDINGS
    assert [story.mentions for story in evidence.stories] == [15, 3]
    spanish = evidence.stories[1]
    assert set(spanish.terms) <= {"caída", "total", "funciona"} and spanish.terms
    assert all("acme" not in story.terms for story in evidence.stories)  # the brand explains nothing


def test_without_embeddings_the_evidence_groups_by_terms_and_says_so(spiking_store: Store) -> None:  # noqa: F811
    for embed in (None, lambda texts: None):
        evidence = build_evidence(
            spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume", embed=embed
        )
        assert evidence.stories_from == BY_TERMS
        assert sum(story.mentions for story in evidence.stories) <= 18 and evidence.stories


def test_a_model_that_fails_to_embed_costs_the_stories_grouping_not_the_alert(spiking_store: Store, caplog) -> None:  # noqa: F811
    def broken(texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("onnxruntime exploded")

    evidence = build_evidence(spiking_store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume", embed=broken)
    assert evidence.stories_from == BY_TERMS and evidence.stories
    assert "could not embed 18 mentions" in caplog.text


def test_no_negative_mentions_no_stories(store: Store) -> None:
    evidence = build_evidence(store, "Acme", SPIKE_START, SPIKE_START + WINDOW, "negative_volume", embed=by_spanish)
    assert (evidence.stories, evidence.stories_from) == ((), None)


def test_stories_survive_storage_as_json() -> None:
    evidence = make_evidence(
        stories=(Story("outage", 12, ("outage",)), Story("double charge", 3, ("double", "charge"))),
        stories_from=BY_TERMS,
        volume=VolumeContext(mentions=66, usual_mentions=30.5, usual_negative_share=0.2),
    )
    assert evidence_from_json(json.loads(json.dumps(evidence_json(evidence)))) == evidence
    assert evidence_from_json(json.loads(json.dumps(evidence_json(replace(evidence, volume=VolumeContext(0, 0.0, None)))))).volume == VolumeContext(0, 0.0, None)
    assert evidence_from_json({}) == AlertEvidence()  # alerts stored before stories existed


def test_every_message_lists_the_stories() -> None:
    stories = (
        Story("outage", 12, ("outage",)),
        Story("double charge", 3, ("double", "charge")),
        Story("app login", 2, ("app", "login")),
    )
    alert = make_alert(evidence=make_evidence(stories=stories, stories_from=BY_EMBEDDINGS))
    line = "3 stories: outage 12, double charge 3, app login 2"
    assert f"Stories:           {line}\n" in alert_text(alert)
    assert line in alert_html(alert)
    assert line in json.dumps(slack_payload(alert))
    assert webhook_payload(alert)["evidence"]["stories"][1] == {
        "name": "double charge",
        "mentions": 3,
        "terms": ["double", "charge"],
    }
    assert alert_record(alert)["evidence"]["stories_from"] == BY_EMBEDDINGS
    fallback = make_alert(evidence=make_evidence(stories=stories[:1], stories_from=BY_TERMS))
    assert f"1 story: outage 12 (grouped by {BY_TERMS})" in alert_text(fallback)


def test_hostile_story_names_are_inert_in_every_message() -> None:
    hostile = (Story("<script>alert(1)</script> <!channel>", 5, ("<script>alert(1)</script>",)), Story("a\x1b[2Jb", 2))
    alert = make_alert(evidence=make_evidence(stories=hostile, stories_from=BY_EMBEDDINGS))
    assert "\x1b" not in alert_text(alert)
    assert "script" not in {tag for tag, _ in parsed_tags(alert_html(alert))}
    assert "&lt;script&gt;" in alert_html(alert)
    slack = "\n".join(strings_in(slack_payload(alert)))
    assert "<!channel>" not in slack and "<script>" not in slack
    assert "\x1b" not in json.dumps(webhook_payload(alert)["evidence"]["stories"])
