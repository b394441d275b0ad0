"""Local matching of mention texts against a brand's query: whole words, case, accents, invisibles."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listener.config import BrandConfig
from listener.sources.matching import mentions_brand, query_matcher
from listener.core.query import Near, Proximity, Term, parse
from tests.core.test_query import QUERIES

LEGACY = BrandConfig(
    name="Acme", keywords=("acme", "acmecloud"), phrases=("acme cloud",), exclude=("acme anvil",), languages=("en", "de")
)


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("I love Acmé", "en", True),
        ("ACME!!!", None, True),
        ("ac\u200bme rocks", "en", True),
        ("Acme\u00adCloud is down", "en", True),
        ("#acme is trending", "en", True),
        ("thanks @acme", "en", True),
        ("Acmeville fair", "en", False),
        ("the acme anvil fell", "en", False),
        ("acme in French", "fr", False),
        ("acme in Swiss German", "de-CH", True),
        ("acme  \n cloud", "en", True),
    ],
)
def test_legacy_brand_fields_still_match_as_before(text: str, language: str | None, expected: bool) -> None:
    assert mentions_brand(LEGACY, text, language) is expected


@pytest.mark.parametrize(
    "query, text, language, expected",
    [
        ("apple", "I had lunch at Applebee's", None, False),
        ("apple*", "I had lunch at Applebee's", None, True),
        ("apple* -applebee*", "I had lunch at Applebee's", None, False),
        ('"acme cloud"', "acme's cloud", None, False),
        ("acme (down OR outage)", "Is ACME down?", None, True),
        ("acme (down OR outage)", "acme is fine", None, False),
        ("#acmedown", "#AcmeDown again", None, True),
        ("#acmedown", "acmedown again", None, False),
        ("#acme", "#acmecloud", None, False),
        ("@acme", "mail me at kim@acme", None, False),
        ("@acme", "cc @ACME please", None, True),
        ("acme lang:en", "acme", "EN-gb", True),
        ("acme lang:en", "acme", "pt", False),
        ("acme lang:en", "acme", None, True),  # unknown language passes language filters
        ("acme", "مشكلة في خدمة acme اليوم", None, True),
        ("ソニー", "今日はソニーの新製品", None, True),  # no spaces between Japanese words
        ("acme", "acme\U0001f525", None, True),
        ("c++", "learning c++ today", None, True),
        ("ünïcödé", "UNICODE everywhere", None, True),
    ],
)
def test_query_matching(query: str, text: str, language: str | None, expected: bool) -> None:
    assert query_matcher(parse(query)).matches(text, language) is expected


ASCII_WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=8)
FILLER = st.lists(st.sampled_from(["acme", "cloud", "#acme", "@acme", "anvil", "Café", "x", "😤", "שלום"]), max_size=6)
SEPARATORS = st.sampled_from([" ", ", ", "! ", "\n", " (", ") ", " - "])


@settings(max_examples=200, deadline=None)
@given(ASCII_WORD, FILLER, FILLER, SEPARATORS, SEPARATORS)
def test_a_text_built_around_a_term_matches_it(word: str, before: list[str], after: list[str], left: str, right: str) -> None:
    text = " ".join(before) + left + word + right + " ".join(after)
    assert query_matcher(Term(word)).matches(text)


@settings(max_examples=200, deadline=None)
@given(ASCII_WORD, ASCII_WORD, FILLER)
def test_a_word_glued_to_letters_does_not_match(word: str, glue: str, filler: list[str]) -> None:
    words = [w for w in filler if w.strip("#@").lower() != word]
    assert not query_matcher(Term(word)).matches(" ".join([*words, word + glue]))
    assert not query_matcher(Term(word)).matches(" ".join([*words, glue + word]))


@settings(max_examples=300, deadline=None)
@given(QUERIES, FILLER, st.data())
def test_case_and_zero_width_characters_do_not_change_the_verdict(query, words: list[str], data: st.DataObject) -> None:
    text = " ".join(words)
    matcher = query_matcher(query)
    expected = matcher.matches(text, "en")
    assert matcher.matches(text.upper(), "en") is expected
    assert matcher.matches(text.lower(), "en") is expected
    invisible = data.draw(st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]))
    position = data.draw(st.integers(0, len(text)))
    assert matcher.matches(text[:position] + invisible + text[position:], "en") is expected


# -- typography, scripts and Brandwatch operators (issue 15); tests/query_cases.toml has the full table


@pytest.mark.parametrize(
    "query, text",
    [
        ('"acme, inc."', "Acme Inc. announced layoffs"),
        ('"acme inc"', "acme, inc. announced layoffs"),
        ("mcdonald's", "McDonald\u2019s fries"),
        ("mcdonald\u2019s", "McDonald's fries"),
        ("acme", "ACME\u2122 cloud"),
        ("acme\u2122", "acme cloud"),
        ('"acme \u2764\ufe0f"', "acme \u2764 forever"),
        ('"acme \u2764"', "acme \u2764\ufe0f forever"),
        ("t-shirt", "t\u2011shirt"),
    ],
)
def test_typography_folds_to_the_plain_form(query: str, text: str) -> None:
    assert query_matcher(parse(query)).matches(text)


@pytest.mark.parametrize(
    "query, text, expected",
    [
        ("sony", "Sony\u306e\u65b0\u88fd\u54c1", True),  # Latin glued to Japanese
        ("iphone", "\u82f9\u679ciPhone\u53d1\u5e03\u4f1a", True),  # Latin glued to Chinese
        ("\uc0bc\uc131", "\uc0bc\uc131\uc740 \uc624\ub298", True),  # Korean topic particle
        ("\uc0bc\uc131", "\uc0bc\uc131\uc758 \uc0c8 \ud3f0", True),  # Korean possessive particle
        ("\uc0bc\uc131", "\uc0bc\uc131\uc804\uc790", False),  # a compound, not a particle
        ("\u0623\u0631\u0627\u0645\u0643\u0648", "\u0648\u0623\u0631\u0627\u0645\u0643\u0648", True),  # Arabic \u0648 clitic
        ("\u0623\u0631\u0627\u0645\u0643\u0648", "\u0623\u0631\u0627\u0645\u0640\u0640\u0640\u0643\u0648", True),  # tatweel
        ("\u091f\u093e\u091f\u093e", "\u091f\u093e\u091f\u093e\u0928\u0917\u0930", False),  # Tatanagar: vowel signs continue a word
        ("#\u30c8\u30e8\u30bf", "#\u30c8\u30e8\u30bf\u81ea\u52d5\u8eca", False),  # a longer hashtag
        ("\u30c9\u30b3\u30e2", "\u30c8\u30b3\u30e2", False),  # dakuten spells another letter
        ("\u0e0a\u0e49\u0e32\u0e07", "\u0e0a\u0e32\u0e07", False),  # a Thai tone mark spells another word
    ],
)
def test_word_edges_follow_each_script(query: str, text: str, expected: bool) -> None:
    assert query_matcher(parse(query)).matches(text) is expected


@pytest.mark.parametrize("language", ["en", "en-US", "en_US", "EN_gb"])
def test_lang_accepts_regional_codes_with_either_separator(language: str) -> None:
    assert query_matcher(parse("acme lang:en")).matches("acme", language)


def test_lang_is_a_whole_primary_subtag() -> None:
    assert not query_matcher(parse("acme lang:en")).matches("acme", "eng")


@pytest.mark.parametrize(
    "query, text, expected",
    [
        ("colo?r", "colour", True),
        ("colo?r", "color", False),  # ? is one character, never none
        ('"acme outage"~5', "acme had a really long outage", True),
        ('"acme outage"~3', "acme had a really long outage", False),
        ('"acme outage"~5', "outage at acme", True),
        ("acme NEAR/3 outage", "outage hits acme", True),
        ("acme NEAR/3f outage", "outage hits acme", False),
        ("acme NEAR/2 outage", "acme cloud suffered an outage", False),
    ],
)
def test_brandwatch_operators_match(query: str, text: str, expected: bool) -> None:
    assert query_matcher(parse(query)).matches(text) is expected


def test_proximity_over_a_huge_hostile_text_answers() -> None:
    """Mention text is attacker-controlled: thousands of occurrences must not go quadratic (this
    finishes in milliseconds; a pairwise comparison would take minutes)."""
    text = "acme " * 5000 + "outage " * 5000
    assert query_matcher(parse("acme NEAR/0 outage")).matches(text)
    assert not query_matcher(parse("acme NEAR/0f outage")).matches("outage " * 5000 + "acme " * 5000)
    assert not query_matcher(parse('"acme b outage"~2')).matches(text + " b")


SPACED_ALPHABETS = {
    "Cyrillic": "\u0430\u0431\u0432\u0433\u0434\u0435\u0436\u0437\u043a\u043b\u043c\u043d\u043e\u043f\u0440\u0441\u0442",
    "Greek": "\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03b9\u03ba\u03bb\u03bc\u03bd\u03be\u03bf\u03c0\u03c1",
    "Georgian": "\u10d0\u10d1\u10d2\u10d3\u10d4\u10d5\u10d6\u10d7\u10d8\u10d9\u10da\u10db\u10dc",
    "Devanagari": "\u0915\u0916\u0917\u0918\u091a\u091b\u091c\u091f\u0920\u0921\u0924\u0925\u0926\u0928\u092a\u092e\u093e\u093f\u0940\u0947",
    "Tamil": "\u0b95\u0b99\u0b9a\u0b9e\u0b9f\u0ba3\u0ba4\u0ba8\u0baa\u0bae\u0baf\u0bb0\u0bb2\u0bb5\u0bbe\u0bbf\u0bcd",
}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SPACED_ALPHABETS)), st.data())
def test_a_word_glued_to_its_own_script_does_not_match_but_another_script_ends_it(script: str, data: st.DataObject) -> None:
    alphabet = SPACED_ALPHABETS[script]
    word = data.draw(st.text(st.sampled_from(alphabet[:10]), min_size=2, max_size=6))  # starts with no mark
    glue = data.draw(st.text(st.sampled_from(alphabet), min_size=1, max_size=3))
    matcher = query_matcher(Term(word))
    assert matcher.matches(f"x {word} y")
    assert not matcher.matches(f"x {word}{glue} y")
    other = data.draw(st.sampled_from([s for s in SPACED_ALPHABETS if s != script]))
    assert matcher.matches(f"x {word}{SPACED_ALPHABETS[other][0]} y")


PROXIMITY_WORDS = ["acme", "cloud", "down", "is", "x"]


def positions(words: list[str], word: str) -> list[int]:
    return [index for index, each in enumerate(words) if each == word]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PROXIMITY_WORDS), max_size=12),
    st.lists(st.sampled_from(PROXIMITY_WORDS), min_size=2, max_size=2, unique=True),
    st.integers(0, 4),
    st.booleans(),
)
def test_near_agrees_with_counting_words_between(words: list[str], sides: list[str], distance: int, ordered: bool) -> None:
    left, right = sides
    expected = any(
        (j > i if ordered else True) and abs(j - i) - 1 <= distance
        for i in positions(words, left)
        for j in positions(words, right)
    )
    assert query_matcher(Near(Term(left), Term(right), distance, ordered)).matches(" ".join(words)) is expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PROXIMITY_WORDS), max_size=10),
    st.lists(st.sampled_from(PROXIMITY_WORDS), min_size=1, max_size=3, unique=True),
    st.integers(0, 4),
)
def test_proximity_agrees_with_the_narrowest_window(words: list[str], phrase: list[str], distance: int) -> None:
    expected = any(
        max(chosen) - min(chosen) + 1 - len(phrase) <= distance
        for chosen in product(*(positions(words, word) for word in phrase))
    )
    assert query_matcher(Proximity(" ".join(phrase), distance)).matches(" ".join(words)) is expected
