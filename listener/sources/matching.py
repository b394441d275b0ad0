"""Does a text really mention a brand? The brand's query, evaluated locally for every mention.

Platform search is fuzzy (stemming, matches in user names or link cards) and some platforms take
only keywords, so a mention is stored for a brand only when its own text satisfies the brand's
query (`listener.core.query`). Matching ignores case, accents, typography and zero-width characters
(`listener.core.query.normalise`), so `Acmé`, `ACME™` and `ac\u200bme` all count, and is whole-word
by each script's rules (`listener.core.scripts`), so `Acmeville` and `टाटानगर` do not, while `Sonyの`,
`وأرامكو` and `삼성은` do. Scripts written without spaces between words (Chinese, Japanese,
Thai...) have no word boundaries to check, so there a term matches inside a run of letters.
Proximity (`NEAR/n`, `"..."~n`) counts words as `listener.core.scripts.WORDS` splits them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Callable

import regex

from listener.config import BrandConfig
from listener.core import scripts
from listener.core.query import (
    And,
    Handle,
    Hashtag,
    Lang,
    Near,
    Node,
    Not,
    Or,
    Phrase,
    Proximity,
    Term,
    language_code,
    normalise,
    words_of,
)

Predicate = Callable[[str, "str | None"], bool]
"""(normalised text, language or None) -> does it match."""

Span = tuple[int, int]
"""The first and last word (by index in the text) that one match of a term covers."""


def _literal(word: str, wildcards: bool) -> str:
    """The word as a pattern; with `wildcards`, `?` is one letter with its marks (so `हि?दी`
    covers both हिन्दी and हिंदी: a consonant with its virama, or an anusvara)."""
    return "".join(r"\w\p{M}*" if wildcards and char == "?" else regex.escape(char) for char in word)


def _words_pattern(words: list[str], prefix: bool = False, wildcards: bool = False) -> str:
    """The words in order, whitespace or punctuation between them, guarded at both edges."""
    body = _literal(words[0], wildcards)
    for before, after in pairwise(words):
        body += scripts.separator(before[-1], after[0]) + _literal(after, wildcards)
    letters = "".join(words).replace("?", "") if wildcards else "".join(words)
    first, last = (letters[0], letters[-1]) if letters else ("?", "?")
    return scripts.start_guard(first) + body + (scripts.PREFIX_TAIL if prefix else scripts.end_guard(last))


@lru_cache(maxsize=4096)
def _leaf_pattern(node: Term | Phrase | Hashtag | Handle) -> regex.Pattern[str]:
    if isinstance(node, Term):
        pattern = _words_pattern(words_of(node.text, wildcards=True), node.prefix, wildcards=True)
    elif isinstance(node, Phrase):
        pattern = _words_pattern(words_of(node.text))
    elif isinstance(node, Hashtag):  # a tag runs over every word character, whatever the script
        pattern = r"(?<![\w#])#" + regex.escape(normalise(node.tag)) + r"(?!\w)"
    else:
        pattern = r"(?<![\w@])@" + regex.escape(normalise(node.handle)) + r"(?!\w)"
    return regex.compile("(?V1)" + pattern)


def _language_matches(code: str, language: str | None) -> bool:
    """A mention whose language the platform does not report passes every `lang:` filter;
    `en` accepts `en-US` and `en_US`, `en-us` only those."""
    if language is None:
        return True
    language = language_code(language)
    return language == code or language.startswith(code + "-")


# -- proximity -------------------------------------------------------------------------------

SpanFinder = Callable[[str, "_WordIndex"], list[Span]]


class _WordIndex:
    """Where the words of one text are, to turn a match's character offsets into word positions."""

    def __init__(self, text: str):
        words = list(scripts.WORDS.finditer(text))
        self.starts = [word.start() for word in words]
        self.ends = [word.end() for word in words]

    def span(self, start: int, end: int) -> Span:
        first = bisect_right(self.ends, start)
        return first, max(first, bisect_left(self.starts, end) - 1)


def _span_finder(node: Node) -> SpanFinder:
    if isinstance(node, Or):
        finders = [_span_finder(child) for child in node.children]
        return lambda text, index: [span for finder in finders for span in finder(text, index)]
    assert isinstance(node, (Term, Phrase, Hashtag, Handle))
    finditer = _leaf_pattern(node).finditer
    return lambda text, index: [index.span(*match.span()) for match in finditer(text, overlapped=True)]


def _near(left: list[Span], right: list[Span], distance: int, ordered: bool) -> bool:
    """Is some left span within `distance` words of some right span (and before it, if ordered)?"""
    right = sorted(right)
    firsts = [first for first, _ in right]
    if ordered:
        return any(
            bisect_right(firsts, last + distance + 1) > bisect_right(firsts, last) for _, last in left
        )
    furthest, reach = [], -1  # reach: the furthest last word of the right spans so far
    for _, last in right:
        reach = max(reach, last)
        furthest.append(reach)
    for first, last in left:
        candidates = bisect_right(firsts, last + distance + 1)
        if candidates and furthest[candidates - 1] >= first - distance - 1:
            return True
    return False


def _within_window(spans_by_word: list[list[Span]], distance: int) -> bool:
    """Is there a window holding a span of every word with at most `distance` other words?

    Sweeping the spans in text order, the tightest window ending at each span takes every other
    word's latest span so far, so only that choice needs checking.
    """
    events = sorted((span, word) for word, spans in enumerate(spans_by_word) for span in spans)
    latest: dict[int, Span] = {}
    for span, word in events:
        latest[word] = span
        if len(latest) == len(spans_by_word):
            chosen = latest.values()
            width = max(last for _, last in chosen) - min(first for first, _ in chosen) + 1
            if width - sum(last - first + 1 for first, last in chosen) <= distance:
                return True
    return False


def _proximity_predicate(node: Near | Proximity) -> Predicate:
    """Words are counted only in a text that has every side somewhere: most have not."""
    sides = (node.left, node.right) if isinstance(node, Near) else tuple(map(Phrase, dict.fromkeys(words_of(node.text))))
    present = [compile_predicate(side) for side in sides]
    finders = [_span_finder(side) for side in sides]

    def near(text: str, language: str | None) -> bool:
        if not all(side(text, language) for side in present):
            return False
        index = _WordIndex(text)
        spans = [finder(text, index) for finder in finders]
        if isinstance(node, Near):
            return _near(spans[0], spans[1], node.distance, node.ordered)
        return _within_window(spans, node.distance)

    return near


def compile_predicate(node: Node) -> Predicate:
    """A function evaluating `node` against an already normalised text."""
    if isinstance(node, Lang):
        code = node.code
        return lambda text, language: _language_matches(code, language)
    if isinstance(node, (Term, Phrase, Hashtag, Handle)):
        search = _leaf_pattern(node).search
        return lambda text, language: search(text) is not None
    if isinstance(node, (Near, Proximity)):
        return _proximity_predicate(node)
    if isinstance(node, Not):
        inner = compile_predicate(node.child)
        return lambda text, language: not inner(text, language)
    children = [compile_predicate(child) for child in node.children]
    if isinstance(node, And):
        return lambda text, language: all(child(text, language) for child in children)
    assert isinstance(node, Or)
    return lambda text, language: any(child(text, language) for child in children)


@dataclass(frozen=True)
class QueryMatcher:
    """A compiled query; `matches` normalises the text once and evaluates the whole tree."""

    query: Node
    predicate: Predicate

    def matches(self, text: str, language: str | None = None) -> bool:
        return self.predicate(normalise(text), language)


@lru_cache(maxsize=1024)
def query_matcher(query: Node) -> QueryMatcher:
    return QueryMatcher(query, compile_predicate(query))


def matcher_for(brand: BrandConfig) -> QueryMatcher:
    return query_matcher(brand.query_ast)


def mentions_brand(brand: BrandConfig, text: str, language: str | None = None) -> bool:
    return matcher_for(brand).matches(text, language)
