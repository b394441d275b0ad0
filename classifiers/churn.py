"""Churn intent: does a mention say its author is leaving the brand?

Patterns per language (`classifiers.churn_patterns`), not a model: a flagged mention must say why
it was flagged (the pattern's name is stored with it), a retention team must be able to fix a
miss by adding a phrase, and the eight languages' labelled set (classifiers/data/churn_intent/)
is too small to train a head on without fitting it. Churn is judged per brand: "switched from
Globex to Acme" is churn for Globex and a win for Acme, so the brand judged for is written
`zbrandz` and every other configured brand `zrivalz` before matching, and competitor names come
from the brand list itself.

Runtime code: no training imports, no model. It is not gated on the sentiment model: customers
leave happily ("switched to Globex, best decision this year", "officially an ex-Acme customer
🎉"), and on the labelled set a "never when positive" gate cost a quarter of the recall and
bought no precision (`python bench/churn.py --sentiment`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import regex

from classifiers.churn_patterns import BRAND_TOKEN, PATTERNS, RIVAL_TOKEN
from listener.config import BrandConfig
from listener.core import scripts
from listener.core.query import normalise, search_terms, words_of
from listener.core.records import MentionToScore

CODE_MIXED_WITH = {"en": ("hi",), "hi": ("en",)}
"""Languages whose patterns also apply: Hinglish is written in Latin script, so language detection
calls it English, and Hindi posts borrow English verbs ("cancel kar diya")."""


@dataclass(frozen=True)
class ChurnVerdict:
    churn: bool
    pattern: str | None
    """`language:name` of the pattern that flagged it; for a mention not flagged, the veto that
    stopped a match (`language!name`), or None when nothing matched at all."""


@dataclass(frozen=True)
class _Compiled:
    language: str
    leaving: tuple[tuple[str, regex.Pattern[str], bool], ...]
    """(name, pattern, whether it names a competitor itself: `<R>` in its source)."""
    not_leaving: tuple[tuple[str, regex.Pattern[str]], ...]


def _compile(source: str) -> regex.Pattern[str]:
    tokens = source.replace("<B>", BRAND_TOKEN).replace("<R>", RIVAL_TOKEN)
    return regex.compile(normalise(tokens))


def _compiled_languages() -> dict[str, _Compiled]:
    return {
        language: _Compiled(
            language,
            tuple((name, _compile(source), "<R>" in source) for name, source in patterns.leaving.items()),
            tuple((name, _compile(source)) for name, source in patterns.not_leaving.items()),
        )
        for language, patterns in PATTERNS.items()
    }


_LANGUAGES = _compiled_languages()


def brand_terms(brand: BrandConfig) -> list[str]:
    """The words that name `brand` in a text: its name, and its query's plain terms and phrases
    (hashtags and handles as their word, prefixes as their stem)."""
    terms = [brand.name]
    for term in search_terms(brand.query_ast):
        terms.append(term.lstrip("#@").rstrip("*"))
    return [term for term in dict.fromkeys(normalise(term) for term in terms) if term.strip()]


def _terms_pattern(terms: Sequence[str]) -> regex.Pattern[str] | None:
    alternatives = []
    for term in sorted(terms, key=len, reverse=True):  # "acme cloud" before "acme"
        words = words_of(term)
        if not words:
            continue
        body = regex.escape(words[0])
        for before, after in pairwise(words):
            body += scripts.separator(before[-1], after[0]) + regex.escape(after)
        alternatives.append(scripts.start_guard(words[0][0]) + body + scripts.end_guard(words[-1][-1]))
    # Version 1 syntax: the scripts module's guards use set operations (`[\s\p{P}--[#@]]`).
    return regex.compile("|".join(alternatives), regex.V1) if alternatives else None


def _about_a_competitor(matched: str) -> bool:
    """A generic pattern ("cancelling my X subscription") whose match names another brand and not
    this one is that brand's churn: for Globex, "cancelling my Acme subscription" is not."""
    return RIVAL_TOKEN in matched and BRAND_TOKEN not in matched


class ChurnDetector:
    """Judges mentions for churn intent against the configured brands."""

    def __init__(self, brands: Sequence[BrandConfig]):
        self._terms = {brand.name: _terms_pattern(brand_terms(brand)) for brand in brands}

    @cached_property
    def _all_languages(self) -> tuple[_Compiled, ...]:
        return tuple(_LANGUAGES.values())

    def _languages_for(self, language: str | None) -> tuple[_Compiled, ...]:
        code = (language or "").split("-")[0].lower()
        if code not in _LANGUAGES:
            return self._all_languages
        return tuple(_LANGUAGES[name] for name in (code, *CODE_MIXED_WITH.get(code, ())))

    def tokenised(self, text: str, brand: str) -> str:
        """The normalised text with `brand` as `zbrandz` and the other brands as `zrivalz`."""
        folded = normalise(text)
        own = self._terms.get(brand)
        if own is not None:
            folded = own.sub(f" {BRAND_TOKEN} ", folded)
        for name, pattern in self._terms.items():
            if name != brand and pattern is not None:
                folded = pattern.sub(f" {RIVAL_TOKEN} ", folded)
        return " ".join(folded.split())

    def judge(self, text: str, brand: str, language: str | None = None) -> ChurnVerdict:
        """Whether `text` says its author is leaving `brand`, and which pattern says so."""
        tokenised = self.tokenised(text, brand)
        languages = self._languages_for(language)
        for patterns in languages:
            for name, pattern in patterns.not_leaving:
                if pattern.search(tokenised):
                    return ChurnVerdict(False, f"{patterns.language}!{name}")
        for patterns in languages:
            for name, pattern, names_competitor in patterns.leaving:
                found = pattern.search(tokenised)
                if found is None or (not names_competitor and _about_a_competitor(found.group())):
                    continue
                return ChurnVerdict(True, f"{patterns.language}:{name}")
        return ChurnVerdict(False, None)

    def judge_brands(self, text: str, brands: Sequence[str], language: str | None = None) -> dict[str, ChurnVerdict]:
        """One verdict per brand the mention was stored for."""
        return {brand: self.judge(text, brand, language) for brand in brands}


def judge_mentions(
    detector: ChurnDetector,
    mentions: Sequence[MentionToScore],
    brands_by_mention: Mapping[int, Sequence[str]],
    detected_languages: Mapping[int, str],
) -> dict[int, dict[str, tuple[bool, str | None]]]:
    """Per mention, per brand it is stored for: (churn intent, pattern), as `Store.save_scores`
    takes them. The platform's language tag wins; a detected one stands in where there is none."""
    return {
        mention.id: {
            brand: (verdict.churn, verdict.pattern if verdict.churn else None)
            for brand, verdict in detector.judge_brands(
                mention.text,
                brands_by_mention.get(mention.id, ()),
                mention.language or detected_languages.get(mention.id),
            ).items()
        }
        for mention in mentions
    }
