"""Local matching of mention texts against a brand's query: whole words, case, accents, invisibles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listener.config import BrandConfig
from listener.sources.matching import mentions_brand, query_matcher
from listener.core.query import Term, parse
from tests.test_query import QUERIES

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
