"""The words of a mention that say what it is about: the terms that drove an alert, and the
dashboard's top terms, are counted the same way.

Links, @handles, stop words of the major languages and social-media filler are dropped, and each
term counts once per mention.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable

STOP_LANGUAGES = (
    "english", "spanish", "portuguese", "french", "german", "italian", "dutch", "russian",
    "turkish", "indonesian", "arabic", "hindi", "polish", "swedish", "ukrainian",
)  # fmt: skip
SOCIAL_STOP_WORDS = frozenset({"rt", "amp", "via", "http", "https", "www", "com", "lol", "omg", "just", "like", "get"})

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@\w+")
_TOKEN = re.compile(r"#?[^\W\d_][\w'’-]*")
_POSSESSIVE = re.compile(r"['’]s$")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Stop words of the major languages mentions arrive in, plus social-media filler (rt, amp, via)."""
    from stop_words import get_stop_words

    words: set[str] = set(SOCIAL_STOP_WORDS)
    for language in STOP_LANGUAGES:
        words.update(_normalise(word) for word in get_stop_words(language))
    return frozenset(words)


def _normalise(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


def terms(text: str, excluded: frozenset[str] = frozenset()) -> set[str]:
    """The distinct terms and hashtags of one mention, without links, @handles, stop words or `excluded`.

    A set, not a list: a term counts once per mention, so one post repeating a word cannot make it
    look like a trend.
    """
    text = _HANDLE.sub(" ", _URL.sub(" ", _normalise(text)))
    found: set[str] = set()
    stop = stop_words()
    for match in _TOKEN.finditer(text):
        token = _POSSESSIVE.sub("", match.group().rstrip("'’-"))
        bare = token.lstrip("#")
        if len(bare) < 3 or bare in stop or bare in excluded:
            continue
        found.add(token)
    return found


def brand_words(brand: str, brand_terms: Iterable[str] = ()) -> frozenset[str]:
    """The brand's own words: they are in every mention by construction, so they explain nothing."""
    words: set[str] = set()
    for term in (brand, *brand_terms):
        normalised = _normalise(term)
        words.add(normalised.replace(" ", ""))
        words.update(_TOKEN.findall(normalised))
    return frozenset(word.lstrip("#") for word in words)
