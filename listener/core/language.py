"""Which language a mention is written in, for mentions whose platform did not say.

The platform's own tag wins when present (it knows the user's settings and sees more than the
text); otherwise lingua decides among the configured languages. Restricting lingua to a set of
languages and to its low-accuracy (trigram) models is deliberate: with all 75 languages and full
accuracy its models take about 1 GB, with 14 languages in low-accuracy mode about 30 MB, and
telling apart the languages a brand is actually discussed in is what matters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from lingua import LanguageDetector as LinguaDetector

# Handles, links and hashtags say nothing about the language and skew the trigram counts
# (an English handle in a Spanish tweet); emoji and digits carry no letters at all.
_NOISE = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+", re.UNICODE)
MIN_LETTERS = 8
"""Fewer letters than this (after handles, links and hashtags are removed) are left unknown: on
a word or two, trigram statistics guess ("acme" came out Turkish)."""


LEGACY_LANGUAGE_CODES = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro", "sh": "sr"}
"""ISO 639 codes withdrawn in 1989-2008 that platforms still send (X tags Indonesian `in`)."""
NO_LANGUAGE = frozenset({"und", "zxx", "mul", "mis", "qme", "qst", "qht", "qam", "art"})
"""Tags that name no natural language: undetermined, no linguistic content, several, and X's
`q..` codes for tweets of only media, hashtags, cashtags or mentions."""
_PRIMARY_SUBTAG = re.compile(r"[a-z]{2,3}")


def normalise_language_tag(tag: object) -> str | None:
    """A platform's language tag as its BCP 47 primary subtag (`en_US`, `en-GB` and `EN` -> `en`),
    or None when it names no language or is not a language tag at all.

    Every source stores languages through this one function, because `lang:en` in a brand query
    and the per-language counts compare them as plain strings: a feed's `en_US` or X's legacy
    `in` for Indonesian would otherwise be a language of its own that no query asks for.
    """
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    primary = LEGACY_LANGUAGE_CODES.get(primary, primary)
    if not _PRIMARY_SUBTAG.fullmatch(primary) or primary in NO_LANGUAGE:
        return None
    return primary


def check_language_codes(codes: Sequence[str]) -> tuple[str, ...]:
    """Lower-cased, de-duplicated ISO 639-1 codes; an unknown code is a ValueError listing the known."""
    from lingua import Language

    known = {language.iso_code_639_1.name.lower() for language in Language.all()}
    normalised = tuple(dict.fromkeys(code.strip().lower() for code in codes))
    unknown = [code for code in normalised if code not in known]
    if unknown:
        raise ValueError(
            f"unknown language code(s) {', '.join(map(repr, unknown))}: use ISO 639-1 codes lingua knows, "
            f"e.g. en, es, fr ({len(known)} known: {', '.join(sorted(known))})"
        )
    return normalised


def strip_noise(text: str) -> str:
    return _NOISE.sub(" ", text)


class LanguageDetector:
    """Detects among `codes`; built once, since loading the language models takes a moment."""

    def __init__(self, codes: Sequence[str]):
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        self.codes = check_language_codes(codes)
        languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in self.codes]
        if len(languages) == 1:
            self._detector: LinguaDetector | None = None  # lingua needs two to choose between
        else:
            self._detector = LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()

    def detect(self, texts: Sequence[str]) -> list[str | None]:
        """An ISO 639-1 code per text, or None where the text has too few letters to tell."""
        cleaned = [strip_noise(text) for text in texts]
        candidates = [index for index, text in enumerate(cleaned) if sum(char.isalpha() for char in text) >= MIN_LETTERS]
        detected: list[str | None] = [None] * len(texts)
        if self._detector is None:
            for index in candidates:
                detected[index] = self.codes[0] if self.codes else None
            return detected
        results = self._detector.detect_languages_in_parallel_of([cleaned[index] for index in candidates])
        for index, language in zip(candidates, results):
            detected[index] = language.iso_code_639_1.name.lower() if language is not None else None
        return detected


class _Scorable(Protocol):
    id: int
    text: str
    language: str | None


def build_detector(codes: Sequence[str]) -> LanguageDetector | None:
    """The detector for the configured languages, or None when detection is turned off (no codes)."""
    return LanguageDetector(codes) if codes else None


def detect_missing_languages(detector: LanguageDetector | None, mentions: Sequence[_Scorable]) -> dict[int, str]:
    """Mention id -> detected language, for the mentions whose platform gave no language tag.

    A tagged mention is left alone: the platform's tag wins. A text too short to tell is left
    out, so its language stays unknown rather than guessed.
    """
    untagged = [mention for mention in mentions if not mention.language]
    if detector is None or not untagged:
        return {}
    detected = detector.detect([mention.text for mention in untagged])
    return {mention.id: language for mention, language in zip(untagged, detected) if language is not None}
