"""Where a word starts and ends, per script, for matching brand queries in any language.

Unicode's default word boundaries (UAX #29, the `regex` module's WORD flag) are not usable as
they stand for brand matching: they keep `acme's`, `acme.com` and `Samsung은` as single words, and
a Latin brand glued to Cyrillic or Hangul letters has no boundary at all. So a term's edges are
judged by Unicode's Script property instead (through the `regex` module, not hand-written
ranges): a term ends where the next character is not a letter, mark or digit of the *same*
script, so `Sonyの`, `苹果iPhone` and `Samsungа` split where the script changes, while a
Devanagari vowel sign or virama glued to `टाटा` continues the word (`टाटानगर` is a city). Scripts
written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar) have no boundary a
regular expression can find without a dictionary, so there a term matches inside a run of letters.

Some languages write small words joined to the brand; those are allowed explicitly rather than
guessed: Arabic and Hebrew proclitics before it (`وأرامكو`, `בטבע`) and Korean particles after it
(`삼성은`, `삼성의`). Hashtags and handles end where the platform ends them, at any word character.
"""

from __future__ import annotations

from functools import lru_cache

import regex

UNSPACED = r"\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}"
"""Scripts written without spaces between words."""

SPACED_SCRIPTS = (
    "Latin", "Greek", "Cyrillic", "Armenian", "Georgian", "Hebrew", "Arabic", "Syriac", "Thaana",
    "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada",
    "Malayalam", "Sinhala", "Tibetan", "Ethiopic", "Hangul", "Mongolian", "Cherokee",
)  # fmt: skip
"""Scripts whose words are separated by spaces, given their own edge test; any other word
character (a digit, or a script not listed) ends a term at any spaced-script letter."""

_UNSPACED_CHAR = regex.compile(f"[{UNSPACED}]")
_WORD_CHAR = regex.compile(r"\w")
_SCRIPT_OF = [(name, regex.compile(rf"\p{{sc={name}}}")) for name in SPACED_SCRIPTS]

ARABIC_PROCLITICS = "(?:[وف]?(?:ال|لل|[بك]ال|[بكل])?)"
"""و/ف (and, so), then ب/ك/ل (with, like, for) and the article ال, as written joined to a noun."""
HEBREW_PROCLITICS = "(?:ו?ש?[בכלמ]?ה?)"
"""ו (and), ש (that), ב/כ/ל/מ (in, like, to, from) and the article ה, as written joined to a noun."""
KOREAN_PARTICLES = (
    "에서", "에게", "께서", "한테", "으로", "까지", "부터", "보다", "처럼", "이랑", "하고", "이나", "조차", "마저",
    "은", "는", "이", "가", "을", "를", "의", "에", "께", "와", "과", "도", "로", "만", "랑", "나", "요",
)  # fmt: skip
"""Korean case and topic particles, written joined to the noun before them (at most two);
the longer first, so that 에서 is tried before 에."""
_PARTICLES = "(?:" + "|".join(KOREAN_PARTICLES) + "){0,2}"

WORD_SEPARATOR = r"[\s\p{P}--[#@]]"
"""Between a phrase's words: whitespace or punctuation, so `"acme inc"` matches `Acme, Inc.`."""


@lru_cache(maxsize=512)
def script_of(char: str) -> str | None:
    """The spaced script a word character belongs to; "unspaced"; or None (not a word character)."""
    if not _WORD_CHAR.match(char):
        return None
    if _UNSPACED_CHAR.match(char):
        return "unspaced"
    return next((name for name, pattern in _SCRIPT_OF if pattern.match(char)), "other")


def _continues(script: str) -> str:
    """A character class of what would continue a word of `script` (so the term would not end)."""
    if script == "other":
        return rf"[\w--[{UNSPACED}]]"
    return rf"[\p{{sc={script}}}\p{{M}}\p{{Nd}}_]"


def start_guard(first: str) -> str:
    """What must hold before a term whose first character is `first` (plus allowed proclitics)."""
    script = script_of(first)
    if script in (None, "unspaced"):
        return ""
    guard = f"(?<!{_continues(script)})"
    if script == "Arabic":
        return guard + ARABIC_PROCLITICS
    if script == "Hebrew":
        return guard + HEBREW_PROCLITICS
    return guard


def end_guard(last: str) -> str:
    """What must hold after a term whose last character is `last` (Korean particles allowed)."""
    script = script_of(last)
    if script in (None, "unspaced"):
        return ""
    guard = f"(?!{_continues(script)})"
    return _PARTICLES + guard if script == "Hangul" else guard


def separator(before: str, after: str) -> str:
    """The pattern between two words of a phrase: optional where both sides are unspaced script."""
    if script_of(before) == "unspaced" and script_of(after) == "unspaced":
        return WORD_SEPARATOR + "*"
    return WORD_SEPARATOR + "+"


PREFIX_TAIL = rf"[\w--[{UNSPACED}]]*"
"""What `acme*` may add: more letters, but not a following run of Chinese or Japanese."""

WORDS = regex.compile(rf"(?V1)[\w--[{UNSPACED}]]+|[{UNSPACED}]")
"""The words NEAR and `~` count: runs of spaced-script word characters, and each character of an
unspaced script on its own (the nearest thing to a word there without a dictionary)."""
