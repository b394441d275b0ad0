"""A spike's negative mentions grouped into stories: deterministic groups, named by their own words."""

from __future__ import annotations

import numpy as np

from listener.core.records import Story
from listener.core.terms import brand_words, terms
from listener.core.themes import BY_EMBEDDINGS, BY_TERMS, cluster, describe, distinctive_terms, stories, tfidf_vectors

OUTAGE = [
    "acme is down, outage everywhere, 502 on every page",
    "acme outage again, the whole site is down",
    "another acme outage, everything returns 502",
    "acme down for an hour, outage still not fixed",
    "the acme outage broke our launch, site down",
    "acme outage: 502 errors all morning",
]
BILLING = [
    "acme charged twice for one invoice, want a refund",
    "charged twice by acme, refund please",
    "acme invoice charged twice again, refund it",
    "acme charged twice this month, refund now",
]
LOGIN = [
    "cannot login to the acme app, login loop",
    "acme app login broken after the update",
    "acme app login fails every time",
]
SPIKE = OUTAGE + BILLING + LOGIN
ACME = brand_words("Acme", ["acme"])


def test_three_stories_are_found_and_named_by_their_words() -> None:
    found = stories(SPIKE, tfidf_vectors(SPIKE, ACME), ACME)
    assert [story.mentions for story in found] == [6, 4, 3]
    assert "outage" in found[0].terms
    assert set(found[1].terms) <= {"refund", "charged", "twice", "invoice"} and found[1].terms
    assert "login" in found[2].terms
    assert all("acme" not in story.terms for story in found)  # the brand's own words explain nothing


def test_clustering_is_deterministic_on_a_fixed_set() -> None:
    vectors = np.random.default_rng(7).normal(size=(40, 16)) + np.repeat(np.eye(16)[:4] * 6, 10, axis=0)
    first = cluster(vectors)
    assert first == cluster(vectors.copy())
    groups = {tuple(np.flatnonzero(np.asarray(first) == label)) for label in set(first)}
    assert groups == {tuple(range(start, start + 10)) for start in (0, 10, 20, 30)}


def test_one_story_when_the_mentions_do_not_fall_into_groups() -> None:
    assert cluster(np.ones((12, 8))) == [0] * 12
    assert cluster(np.eye(3)) == [0, 0, 0]  # too few to split
    assert cluster(np.empty((0, 4))) == []


def test_a_lone_mention_is_no_story() -> None:
    texts = [*OUTAGE, "acme stole my lunch"]
    vectors = np.vstack([np.tile([1.0, 0.0], (len(OUTAGE), 1)), [[0.0, 1.0]]])
    found = stories(texts, vectors, ACME)
    assert [story.mentions for story in found] == [len(OUTAGE)]


def test_describe_reads_like_the_evidence_line() -> None:
    found = (Story("outage", 12), Story("double charge", 3), Story("app login", 2))
    assert describe(found) == "3 stories: outage 12, double charge 3, app login 2"
    assert describe(found, BY_EMBEDDINGS) == describe(found)
    assert describe(found[:1], BY_TERMS) == f"1 story: outage 12 (grouped by {BY_TERMS})"
    assert describe(()) == ""


def test_a_name_is_a_word_most_of_its_group_shares_not_a_rare_one() -> None:
    group = [terms(text, ACME) for text in BILLING]
    everyone = [terms(text, ACME) for text in SPIKE]
    named = distinctive_terms(group, everyone)
    assert named and all(sum(term in found for found in group) >= 2 for term in named)


def test_stories_refuse_vectors_that_do_not_match_the_texts() -> None:
    try:
        stories(SPIKE, np.zeros((2, 3)))
    except ValueError as error:
        assert "13 texts but 2 vectors" in str(error)
    else:
        raise AssertionError("expected a ValueError")


def test_mentions_that_share_no_word_tell_no_story() -> None:
    texts = ["acme lost my files", "the acme invoice is wrong"]
    assert stories(texts, tfidf_vectors(texts, ACME), ACME) == ()
