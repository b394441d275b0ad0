"""Churn intent: the detector's decisions that the labelled set's guidelines hinge on, its score on
the dev half, and the labelled set's shape.

The held-out half is scored by bench/churn.py only: a test that pinned its figures would invite
tuning the patterns against it, and it would stop being held out.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from classifiers.churn import ChurnDetector, judge_mentions
from classifiers.churn_patterns import PATTERNS
from listener.config import BrandConfig
from listener.core.records import MentionToScore

DATA = Path(__file__).resolve().parents[2] / "classifiers" / "data" / "churn_intent"
LANGUAGES = {"en", "es", "fr", "de", "it", "pt", "ar", "hi"}
BRANDS = [
    BrandConfig(name="Acme", keywords=("acme", "acmecloud"), phrases=("acme cloud",)),
    BrandConfig(name="Globex", keywords=("globex",)),
    BrandConfig(name="Initech", keywords=("initech",)),
]


def labelled(split: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def detector() -> ChurnDetector:
    return ChurnDetector(BRANDS)


def test_switching_between_two_brands_is_churn_for_the_one_left_only(detector: ChurnDetector) -> None:
    text = "Switched from Globex to Acme and honestly the dashboard alone was worth it"
    assert detector.judge(text, "Globex", "en").churn
    assert not detector.judge(text, "Acme", "en").churn


def test_competitor_names_come_from_the_brand_list() -> None:
    text = "so we're migrating to Umbrella. Already halfway done with acme"
    assert not ChurnDetector(BRANDS).judge(text, "Acme", "en").churn
    with_umbrella = ChurnDetector([*BRANDS, BrandConfig(name="Umbrella", keywords=("umbrella",))])
    assert with_umbrella.judge(text, "Acme", "en").pattern == "en:switch-to-competitor"


def test_a_generic_phrase_about_another_brand_is_not_this_brands_churn(detector: ChurnDetector) -> None:
    text = "cancelling my Acme Cloud subscription, Globex folks say hi"
    assert detector.judge(text, "Acme", "en").churn
    assert not detector.judge(text, "Globex", "en").churn


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("My flight got cancelled, fixing the Acme deploy from the airport", "en"),
        ("cancel culture has come for the Acme mascot", "en"),
        ("Switch to Acme today and get 3 months free!", "en"),
        ("I'd never switch from Acme", "en"),
        ("Acme cancelled my order without telling me", "en"),
        ("Jamás me cambiaría de Acme", "es"),
        ("Je ne quitterais jamais Acme", "fr"),
        ("Acme kabhi nahi chhodunga", "hi"),
    ],
)
def test_words_of_leaving_in_other_senses_are_not_churn(detector: ChurnDetector, text: str, language: str) -> None:
    assert not detector.judge(text, "Acme", language).churn


@pytest.mark.parametrize(
    ("text", "language", "pattern"),
    [
        ("Cancelling my Acme subscription today", "en", "en:cancel-subscription"),
        ("Me cambio a Globex, Acme ya no da una", "es", "es:me-cambio-a"),
        ("Je résilie mon abonnement Acme", "fr", "fr:resilier"),
        ("Hab gerade mein Acme-Abo gekündigt", "de", "de:kundigen"),
        ("Disdico Acme a fine mese", "it", "it:disdire"),
        ("Vou cancelar a Acme, o suporte não responde", "pt", "pt:cancelar"),
        ("كنسلت اشتراكي في Acme", "ar", "ar:الغاء-الاشتراك"),
        ("Acme chhod raha hoon, support jawab nahi deta", "hi", "hi:chhod"),
    ],
)
def test_a_flag_names_the_pattern_that_fired(detector: ChurnDetector, text: str, language: str, pattern: str) -> None:
    verdict = detector.judge(text, "Acme", language)
    assert verdict.churn and verdict.pattern == pattern


def test_an_untagged_mention_is_tried_in_every_language(detector: ChurnDetector) -> None:
    assert detector.judge("Je résilie mon abonnement Acme", "Acme", None).churn
    assert detector.judge("Je résilie mon abonnement Acme", "Acme", "pt-BR").churn is False  # tagged: its language only


def test_judge_mentions_gives_each_brand_its_own_verdict(detector: ChurnDetector) -> None:
    mentions = [MentionToScore(1, "Switched from Globex to Acme", None), MentionToScore(2, "acme is fine", "en")]
    verdicts = judge_mentions(detector, mentions, {1: ["Acme", "Globex"], 2: ["Acme"]}, {1: "en"})
    assert verdicts == {
        1: {"Acme": (False, None), "Globex": (True, "en:switch-from-brand")},
        2: {"Acme": (False, None)},
    }


def test_dev_half_precision_and_recall_per_language(detector: ChurnDetector) -> None:
    counts: dict[str, Counter[str]] = {language: Counter() for language in LANGUAGES}
    for record in labelled("dev"):
        predicted = detector.judge(record["text"], record["brand"], record["language"]).churn
        counts[record["language"]][("t" if predicted == record["label"] else "f") + ("p" if predicted else "n")] += 1
    for language, count in counts.items():
        assert count["tp"] / (count["tp"] + count["fp"]) >= 0.9, (language, count)
        assert count["tp"] / (count["tp"] + count["fn"]) >= 0.9, (language, count)


def test_labelled_set_covers_eight_languages_with_a_third_churn() -> None:
    records = labelled("dev") + labelled("heldout")
    assert len(records) >= 400
    assert {tuple(sorted(record)) for record in records} == {("brand", "id", "label", "language", "note", "text")}
    per_language = Counter(record["language"] for record in records)
    assert set(per_language) == LANGUAGES and min(per_language.values()) >= 50, per_language
    assert 0.3 <= sum(record["label"] for record in records) / len(records) <= 0.4
    assert len({record["id"] for record in records}) == len(records)
    dev_keys = {(record["brand"], record["text"]) for record in labelled("dev")}
    assert not dev_keys & {(record["brand"], record["text"]) for record in labelled("heldout")}


def test_patterns_survive_case_folding() -> None:
    """Patterns are normalised like the text (case-folded), which would turn `\\S` into `\\s`."""
    for patterns in PATTERNS.values():
        for source in [*patterns.leaving.values(), *patterns.not_leaving.values()]:
            assert not re.search(r"\\[A-Z]", source), source
