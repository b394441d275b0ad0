"""Language of each mention: the platform's tag wins, lingua detects the rest, stored on scoring."""

from __future__ import annotations

from datetime import timedelta

import pytest

from classifiers import SentimentClassifier, load_classifier
from listener.config import ConfigError, ModelConfig
from listener.core.language import LanguageDetector, build_detector, check_language_codes, detect_missing_languages, normalise_language_tag
from listener.core.records import Mention
from listener.app.pipeline import Pipeline, ProcessReport
from listener.core.records import MentionToScore
from listener.storage.repository import Store
from tests.conftest import utc

T0 = utc(2026, 11, 2, 10, 0)

CLEAR_SAMPLES = {
    "en": "The service has been down all morning and nobody answers the phone",
    "es": "El servicio lleva toda la mañana caído y nadie contesta el teléfono",
    "fr": "Le service est en panne depuis ce matin et personne ne répond au téléphone",
    "de": "Der Dienst ist seit heute Morgen ausgefallen und niemand geht ans Telefon",
    "pt": "O serviço está fora do ar desde manhã e ninguém atende o telefone",
    "ar": "الخدمة معطلة منذ الصباح ولا أحد يرد على الهاتف",
    "hi": "सेवा सुबह से बंद है और कोई फोन नहीं उठा रहा है",
}


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    detector = build_detector(ModelConfig().detect_languages)
    assert detector is not None
    return detector


@pytest.fixture(scope="module")
def classifier() -> SentimentClassifier:
    return load_classifier(ModelConfig())


def test_clear_samples_are_detected(detector: LanguageDetector) -> None:
    assert detector.detect(list(CLEAR_SAMPLES.values())) == list(CLEAR_SAMPLES)


def test_handles_links_and_hashtags_do_not_decide(detector: LanguageDetector) -> None:
    text = "@the_best_company_ever #greatcustomerservice https://example.com/the/english/path el servicio es malísimo hoy"
    assert detector.detect([text]) == ["es"]


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "🔥", "12345 !!!", "@someone https://x.invalid", "ok"])
def test_texts_without_enough_letters_stay_unknown(detector: LanguageDetector, text: str) -> None:
    assert detector.detect([text]) == [None]


def test_platform_tag_wins_over_the_detector(detector: LanguageDetector) -> None:
    mentions = [
        MentionToScore(1, CLEAR_SAMPLES["es"], "ca"),  # the platform says Catalan: believe it
        MentionToScore(2, CLEAR_SAMPLES["fr"], None),
        MentionToScore(3, "😀", None),
    ]
    assert detect_missing_languages(detector, mentions) == {2: "fr"}


def test_no_languages_configured_turns_detection_off() -> None:
    assert build_detector(()) is None
    assert detect_missing_languages(None, [MentionToScore(1, CLEAR_SAMPLES["en"], None)]) == {}


def test_a_single_configured_language_is_given_to_every_text_with_letters() -> None:
    assert LanguageDetector(["de"]).detect([CLEAR_SAMPLES["en"], "🔥"]) == ["de", None]


def test_language_codes_are_normalised_and_unknown_ones_rejected() -> None:
    assert check_language_codes(["EN", " fr", "en"]) == ("en", "fr")
    with pytest.raises(ValueError, match="unknown language code\\(s\\) 'xx', 'english'"):
        check_language_codes(["en", "xx", "english"])


def test_config_names_the_bad_language_code(make_config) -> None:
    with pytest.raises(ConfigError, match="model.detect_languages.*'klingon'"):
        make_config(model={"detect_languages": ["en", "klingon"]})


def mention(external_id: str, text: str, language: str | None, minutes: int = 0) -> Mention:
    return Mention("demo", external_id, text, T0 + timedelta(minutes=minutes), language=language)


def test_scoring_stores_detected_language_only_where_the_platform_gave_none(
    make_config, store: Store, classifier: SentimentClassifier
) -> None:
    store.store_batch(
        "demo",
        "Acme",
        [
            mention("1", "acme " + CLEAR_SAMPLES["fr"], None),
            mention("2", "acme " + CLEAR_SAMPLES["de"], "en", 1),
            mention("3", "acme 😀", None, 2),
        ],
        {},
    )
    pipeline = Pipeline(make_config(), classifier=classifier, notifiers={}, store=store)
    report = ProcessReport()
    pipeline._score_pending(report)
    assert report.scored == 3
    stored = {mention.external_id: mention for mention in store.mentions_by_id([1, 2, 3])}
    assert {key: value.language for key, value in stored.items()} == {"1": "fr", "2": "en", "3": None}
    assert all(value.sentiment is not None and value.model == classifier.version for value in stored.values())


@pytest.mark.parametrize(
    "tag, expected",
    [("en_US", "en"), ("en-GB", "en"), ("EN", "en"), (" pt-br ", "pt"), ("in", "id"), ("iw", "he"), ("zh-Hant-TW", "zh"),
     ("und", None), ("zxx", None), ("qme", None), ("", None), (None, None), ("english", None), ("e1", None), (7, None)],
)
def test_platform_language_tags_become_bcp47_primary_subtags(tag: object, expected: str | None) -> None:
    assert normalise_language_tag(tag) == expected
