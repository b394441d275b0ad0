"""Does a text really mention a brand? Evaluated locally for every collected mention.

Platform search is fuzzy (stemming, matches in user names or link cards), so a mention is stored
for a brand only when its own text contains a keyword as a whole word or a phrase, and none of the
brand's excluded terms. Matching ignores case, accents and zero-width characters, so `Acmé`,
`ACME` and `ac\u200bme` all count, while `Acmeville` does not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from listener.config import BrandConfig

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def normalise(text: str) -> str:
    """Case-fold, strip accents and invisible characters, collapse whitespace."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_INVISIBLE))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def _term_pattern(term: str) -> str:
    words = normalise(term).split(" ")
    return r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)"


@dataclass(frozen=True)
class BrandMatcher:
    include: re.Pattern[str]
    exclude: re.Pattern[str] | None
    languages: frozenset[str]

    def matches(self, text: str, language: str | None = None) -> bool:
        if self.languages and language is not None and language.split("-")[0].lower() not in self.languages:
            return False
        normalised = normalise(text)
        if not self.include.search(normalised):
            return False
        return self.exclude is None or not self.exclude.search(normalised)


@lru_cache(maxsize=256)
def matcher_for(brand: BrandConfig) -> BrandMatcher:
    include = "|".join(_term_pattern(term) for term in (*brand.keywords, *brand.phrases))
    exclude = "|".join(_term_pattern(term) for term in brand.exclude)
    return BrandMatcher(
        include=re.compile(include),
        exclude=re.compile(exclude) if exclude else None,
        languages=frozenset(code.lower() for code in brand.languages),
    )


def mentions_brand(brand: BrandConfig, text: str, language: str | None = None) -> bool:
    return matcher_for(brand).matches(text, language)
