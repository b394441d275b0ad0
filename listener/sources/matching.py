"""Does a text really mention a brand? The brand's query, evaluated locally for every mention.

Platform search is fuzzy (stemming, matches in user names or link cards) and some platforms take
only keywords, so a mention is stored for a brand only when its own text satisfies the brand's
query (`listener.core.query`). Matching ignores case, accents and zero-width characters, so `Acmé`,
`ACME` and `ac\u200bme` all count, and is whole-word, so `Acmeville` does not (unless the query
asks for `acme*`). Scripts written without spaces between words (Chinese, Japanese, Thai...) have
no word boundaries to check, so there a term matches inside a run of letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from listener.config import BrandConfig
from listener.core.query import And, Handle, Hashtag, Lang, Node, Not, Or, Phrase, Term, normalise

Predicate = Callable[[str, "str | None"], bool]
"""(normalised text, language or None) -> does it match."""

_UNSPACED_SCRIPTS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002fa1f]"
)


def _edge(char: str, guard: str) -> str:
    """A word-boundary guard for a term's first or last character, where one makes sense."""
    if re.match(r"\w", char) and not _UNSPACED_SCRIPTS.match(char):
        return guard
    return ""


def _words_pattern(text: str, prefix: bool = False, before: str = r"(?<!\w)") -> str | None:
    words = normalise(text).split(" ")
    if words == [""]:
        return None  # nothing searchable survives normalisation: the term can never match
    body = r"\s+".join(re.escape(word) for word in words)
    end = r"\w*" if prefix else _edge(words[-1][-1], r"(?!\w)")
    start = _edge(words[0][0], before) if before == r"(?<!\w)" else before
    return start + body + end


@lru_cache(maxsize=4096)
def _leaf_pattern(node: Term | Phrase | Hashtag | Handle) -> re.Pattern[str] | None:
    if isinstance(node, Term):
        pattern = _words_pattern(node.text, node.prefix)
    elif isinstance(node, Phrase):
        pattern = _words_pattern(node.text)
    elif isinstance(node, Hashtag):
        pattern = _words_pattern("#" + node.tag, before=r"(?<![\w#])")
    else:
        pattern = _words_pattern("@" + node.handle, before=r"(?<![\w@])")
    return re.compile(pattern) if pattern is not None else None


def _language_matches(code: str, language: str | None) -> bool:
    """A mention whose language the platform does not report passes every `lang:` filter."""
    if language is None:
        return True
    language = language.lower()
    return language == code or language.split("-")[0] == code


def compile_predicate(node: Node) -> Predicate:
    """A function evaluating `node` against an already normalised text."""
    if isinstance(node, Lang):
        code = node.code
        return lambda text, language: _language_matches(code, language)
    if isinstance(node, (Term, Phrase, Hashtag, Handle)):
        pattern = _leaf_pattern(node)
        if pattern is None:
            return lambda text, language: False
        search = pattern.search
        return lambda text, language: search(text) is not None
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
