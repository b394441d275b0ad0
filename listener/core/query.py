"""The brand query language: one syntax for every source, parsed once into a small AST.

    acme OR "acme cloud" -anvil (#acmedown OR @acmesupport) lang:en

A query is parsed here, compiled to a platform's own search syntax where the platform has one
(`listener.sources.x_query.compile_for_x`), reduced to plain search terms where it only takes keywords (`search_terms`),
and always evaluated locally by `listener.sources.matching`, because platform search is fuzzy. Compiled
queries are therefore allowed to be *broader* than the query, never narrower: whatever a platform
cannot express is widened, and local matching removes the extra results.

Grammar (NOT binds tighter than AND, AND tighter than OR, as on X):

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          juxtaposed terms are ANDed
    unary   := ("NOT" | "-") unary | near
    near    := primary ["NEAR/n" | "NEAR/nf" primary]   sides: terms, phrases, tags, handles, ORs of them
    primary := "(" or ")" | "phrase" | "phrase"~n | #hashtag | @handle | lang:xx | term | term* | te?m

Brandwatch-style operators: `?` is exactly one character (`colo?r`: colour, not color);
`"acme outage"~5` is the phrase's words in any order with at most 5 other words among them;
`acme NEAR/3 outage` is both within 3 words (at most 3 words between), `NEAR/3f` in that order.
"""

from __future__ import annotations

import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Union

import regex

KEYWORDS = frozenset({"OR", "AND", "NOT", "NEAR"})
MAX_NESTING = 64
"""Deepest nesting of parentheses and negations; deeper is a syntax error, not a RecursionError."""
"""X API v2 recent search accepts queries up to 512 characters (Basic and Pro access)."""

_HASHTAG = regex.compile(r"[\w\p{N}]+")  # `regex`: \w includes marks, so #टाटा and #ஆவின் are hashtags
_HANDLE = regex.compile(r"[\w\p{N}](?:[\w\p{N}.@-]*[\w\p{N}])?")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][a-z0-9]{1,8})*", re.IGNORECASE)
_PLAIN_WORD = re.compile(r"[^\s()\"\-#@*?~][^\s()\"*~]*")
_NEAR = re.compile(r"NEAR/(\d{1,3})(f?)")
_PROXIMITY = re.compile(r"~(\d{1,3})")
_EDGE_PUNCTUATION = regex.compile(r"(?V1)^[\p{P}--[#@]]+|[\p{P}--[#@]]+$")
_EDGE_PUNCTUATION_KEEPING_WILDCARDS = regex.compile(r"(?V1)^[\p{P}--[#@?]]+|[\p{P}--[#@?]]+$")
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"), None
)
_FOLDED = {
    **_INVISIBLE,
    **dict.fromkeys(range(0xFE00, 0xFE10), None),  # emoji variation selectors: ❤️ is ❤
    **dict.fromkeys(map(ord, "\u2122\u00ae\u2120"), None),  # ACME™, Acme®, Globex℠ are the brand
    ord("\u0640"): None,  # Arabic tatweel only stretches a word: أرامـــكو is أرامكو
    **dict.fromkeys(map(ord, "\u2019\u2018\u201b\u02bc\u2032\u00b4\uff07"), "'"),  # McDonald’s
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-"),  # t‑shirt
}
_FOLDABLE = re.compile("[" + "".join(map(re.escape, map(chr, _FOLDED))) + "]")
_FOLDED_MARKS = regex.compile(
    r"(?V1)([\p{sc=Latin}\p{sc=Greek}\p{sc=Arabic}\p{sc=Hebrew}])\p{Mn}+"
    r"|(\p{sc=Cyrillic})[\p{Mn}--\u0306]+"  # й is a letter of its own, not и with an accent
    r"|[\u093c\u09bc\u0a3c\u0abc\u0b3c]"  # the Indic nukta is often left out: ज़ोमैटो is also जोमैटो
)
"""Accents, Arabic short vowels and hamza, Hebrew points: left out when typing, so folded away.
Marks of other scripts spell different words (a Devanagari virama, a Thai tone mark, a kana
dakuten) and are kept."""


def normalise(text: str) -> str:
    """Case-fold, fold typography and accents, strip zero-width characters, collapse whitespace.

    Both the query's terms and the mention's text go through this, so `Acmé`, `ACME™`, `ＡＣＭＥ`
    and `ac\u200bme` are the same word, `McDonald’s` is `McDonald's` and `أرامـــكو` is `أرامكو`.
    """
    if text.isascii():  # most mentions are ASCII: nothing to fold or decompose
        return " ".join(text.casefold().split())
    if _FOLDABLE.search(text):
        text = text.translate(_FOLDED)
    text = _FOLDED_MARKS.sub(r"\1\2", unicodedata.normalize("NFKD", text))
    return " ".join(unicodedata.normalize("NFC", text.casefold()).split())


def words_of(text: str, wildcards: bool = False) -> list[str]:
    """The normalised words of a term or phrase, without punctuation at their edges.

    So `"acme, inc."` is `acme inc` and `inc.` is `inc`, matching `Acme Inc.` however the text
    punctuates it; punctuation inside a word (`acme.com`, `t-shirt`) is kept. With `wildcards`
    (terms), a trailing `?` is a wildcard, not punctuation. A text of nothing but punctuation
    keeps it, so such a term still matches itself.
    """
    words = normalise(text).split(" ")
    edges = _EDGE_PUNCTUATION_KEEPING_WILDCARDS if wildcards else _EDGE_PUNCTUATION
    stripped = [edges.sub("", word) for word in words]
    return [word for word in stripped if word] or [word for word in words if word]


# -- the AST ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A whole word; with `prefix`, any word starting with it (`acme*`)."""

    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    """Words in this order, separated only by whitespace."""

    text: str


@dataclass(frozen=True)
class Proximity:
    """`"acme outage"~5`: the phrase's words, in any order, with at most `distance` other words
    among them."""

    text: str
    distance: int


@dataclass(frozen=True)
class Near:
    """`acme NEAR/3 outage`: a match of each side with at most `distance` words between them;
    with `ordered` (`NEAR/3f`), the left side first. Each side is a term, phrase, hashtag or
    handle, or an OR of them."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False


@dataclass(frozen=True)
class Hashtag:
    tag: str


@dataclass(frozen=True)
class Handle:
    handle: str


@dataclass(frozen=True)
class Lang:
    """The mention's language (ISO 639-1 code, compared by its primary subtag)."""

    code: str


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Union[Term, Phrase, Proximity, Near, Hashtag, Handle, Lang, Not, And, Or]
Leaf = Union[Term, Phrase, Hashtag, Handle, Lang]


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `column` is 1-based, `detail` has no `query:` prefix."""

    def __init__(self, problem: str, column: int, query: str):
        self.problem = problem
        self.column = column
        self.query = query
        self.detail = f"{problem} at column {column}: {query}"
        super().__init__(f"query: {self.detail}")


# -- tokenising and parsing ------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "-", "OR", "AND", "NOT", "NEAR", "phrase", "word", "end"
    text: str
    column: int
    distance: int | None = None  # a phrase's `~n`, NEAR's `/n`
    ordered: bool = False  # NEAR/nf


def _tokenise(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(query):
        char = query[position]
        column = position + 1
        if char.isspace():
            position += 1
        elif char in "()":
            tokens.append(_Token(char, char, column))
            position += 1
        elif char == "-":
            following = query[position + 1 : position + 2]
            if not following or following.isspace() or following == ")":
                raise QuerySyntaxError("'-' must be followed by a term", column, query)
            tokens.append(_Token("-", char, column))
            position += 1
        elif char == '"':
            text, position = _read_phrase(query, position)
            distance = None
            if query.startswith("~", position):
                proximity = _PROXIMITY.match(query, position)
                if proximity is None:
                    raise QuerySyntaxError("'~' must be followed by a number of words, as \"acme outage\"~5", position + 1, query)
                distance, position = int(proximity.group(1)), proximity.end()
            tokens.append(_Token("phrase", text, column, distance))
        else:
            end = position
            while end < len(query) and not query[end].isspace() and query[end] not in '()"':
                end += 1
            word = query[position:end]
            tokens.append(_word_token(word, column, query))
            position = end
    tokens.append(_Token("end", "", len(query) + 1))
    return tokens


def _word_token(word: str, column: int, query: str) -> _Token:
    """A keyword, NEAR/n, or a plain word; operators that would silently match nothing are errors."""
    if word == "NEAR" or word.startswith("NEAR/"):
        near = _NEAR.fullmatch(word)
        if near is None:
            raise QuerySyntaxError(
                f"{word!r}: NEAR needs a distance in words, as acme NEAR/3 outage (NEAR/3f keeps the order); "
                'write "near" in quotes to search for the word',
                column,
                query,
            )
        return _Token("NEAR", word, column, int(near.group(1)), near.group(2) == "f")
    if "~" in word:
        raise QuerySyntaxError(
            "'~' only follows a quoted phrase, as \"acme outage\"~5", column + word.index("~"), query
        )
    return _Token(word if word in KEYWORDS else "word", word, column)


def _read_phrase(query: str, start: int) -> tuple[str, int]:
    """The text of the phrase opening at `start` (backslash escapes `"` and `\\`), and the end."""
    characters: list[str] = []
    position = start + 1
    while position < len(query):
        char = query[position]
        if char == "\\" and position + 1 < len(query):
            characters.append(query[position + 1])
            position += 2
        elif char == '"':
            return "".join(characters), position + 1
        else:
            characters.append(char)
            position += 1
    raise QuerySyntaxError("unterminated phrase (missing closing '\"')", start + 1, query)


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = _tokenise(query)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def error(self, problem: str, token: _Token | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(problem, (token or self.token).column, self.query)

    def advance(self) -> _Token:
        token = self.token
        self.index += 1
        return token

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise self.error("empty query")
        node = self.parse_or()
        if self.token.kind == ")":
            raise self.error("unexpected ')'")
        if self.token.kind != "end":
            raise self.error(f"unexpected {self.token.text!r}")
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.token.kind == "OR":
            self.advance()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_unary()]
        while True:
            if self.token.kind == "AND":
                self.advance()
                children.append(self.parse_unary())
            elif self.token.kind in ("(", "-", "NOT", "phrase", "word"):
                children.append(self.parse_unary())
            else:
                break
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        if self.token.kind in ("NOT", "-"):
            self.advance()
            with self.nested():
                return Not(self.parse_unary())
        return self.parse_near()

    def parse_near(self) -> Node:
        left_token = self.token
        left = self.parse_primary()
        if self.token.kind != "NEAR":
            return left
        near = self.advance()
        right_token = self.token
        right = self.parse_primary()
        for side, token in ((left, left_token), (right, right_token)):
            if not _is_near_side(side):
                raise self.error(
                    "a side of NEAR must be a term, phrase, #hashtag or @handle, or such terms joined by OR", token
                )
        if self.token.kind == "NEAR":
            raise self.error("one NEAR at a time: combine proximities with AND")
        assert near.distance is not None
        return Near(left, right, near.distance, near.ordered)

    @contextmanager
    def nested(self) -> Iterator[None]:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"nested more than {MAX_NESTING} levels deep")
        try:
            yield
        finally:
            self.depth -= 1

    def parse_primary(self) -> Node:
        token = self.token
        if token.kind == "(":
            self.advance()
            with self.nested():
                node = self.parse_or()
            if self.token.kind != ")":
                raise self.error("expected ')'")
            self.advance()
            return node
        if token.kind == "phrase":
            self.advance()
            if not normalise(token.text):
                raise self.error("empty phrase", token)
            return Phrase(token.text) if token.distance is None else Proximity(token.text, token.distance)
        if token.kind == "word":
            self.advance()
            return self.leaf(token)
        if token.kind == "end":
            raise self.error("the query ended where a term, phrase or '(' was expected")
        raise self.error(f"expected a term, phrase or '(' before {token.text!r}")

    def leaf(self, token: _Token) -> Leaf:
        word = token.text
        if word.startswith("#"):
            if not _HASHTAG.fullmatch(word[1:]):
                raise self.error(f"invalid hashtag {word!r}: use letters, digits and _ after '#'", token)
            return Hashtag(word[1:])
        if word.startswith("@"):
            if not _HANDLE.fullmatch(word[1:]):
                raise self.error(f"invalid handle {word!r}", token)
            return Handle(word[1:])
        if word.lower().startswith("lang:"):
            code = word[5:]
            if not _LANGUAGE.fullmatch(code):
                raise self.error(f"invalid language {code!r}: use an ISO 639-1 code such as lang:en", token)
            return Lang(language_code(code))
        stem = word[:-1] if word.endswith("*") else word
        if "*" in stem:
            raise self.error(f"'*' is only allowed at the end of a term, in {word!r}", token)
        if stem.startswith("?"):
            raise self.error(f"'?' stands for one character after the start of a term, not at its start, in {word!r}", token)
        if not normalise(stem):
            raise self.error(f"term {word!r} has no searchable characters", token)
        return Term(stem, prefix=word.endswith("*"))


def _is_near_side(node: Node) -> bool:
    if isinstance(node, (Term, Phrase, Hashtag, Handle)):
        return True
    return isinstance(node, Or) and all(map(_is_near_side, node.children))


def language_code(code: str) -> str:
    """A language code as compared: lower case, `-` between subtags (`en_US` is `en-us`)."""
    return code.lower().replace("_", "-")


def parse(query: str) -> Node:
    """Parse a query; raises QuerySyntaxError naming the problem and its column."""
    return _Parser(query).parse()


# -- rendering -------------------------------------------------------------------------------


def render(node: Node) -> str:
    """The query text for an AST, such that `parse(render(node)) == node`."""
    if isinstance(node, Term):
        return node.text + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return _quoted(node.text)
    if isinstance(node, Proximity):
        return f"{_quoted(node.text)}~{node.distance}"
    if isinstance(node, Near):
        sides = [f"({render(side)})" if isinstance(side, Or) else render(side) for side in (node.left, node.right)]
        return f"{sides[0]} NEAR/{node.distance}{'f' if node.ordered else ''} {sides[1]}"
    if isinstance(node, Hashtag):
        return "#" + node.tag
    if isinstance(node, Handle):
        return "@" + node.handle
    if isinstance(node, Lang):
        return "lang:" + node.code
    if isinstance(node, Not):
        inner = render(node.child)
        return "-" + (f"({inner})" if isinstance(node.child, (And, Or)) else inner)
    if isinstance(node, And):
        return " ".join(f"({render(child)})" if isinstance(child, (And, Or)) else render(child) for child in node.children)
    return " OR ".join(f"({render(child)})" if isinstance(child, Or) else render(child) for child in node.children)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def is_plain_word(text: str) -> bool:
    """Would `text` parse back as one plain term (not a keyword, operator or phrase)?"""
    return (
        bool(_PLAIN_WORD.fullmatch(text))
        and text not in KEYWORDS
        and not text.startswith("NEAR/")
        and not text.lower().startswith("lang:")
    )


def from_terms(
    keywords: tuple[str, ...] = (),
    phrases: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    query: Node | None = None,
) -> Node:
    """The AST of a brand written with the list fields: any keyword or phrase, none of the
    excluded terms, one of the languages. An explicit `query` takes the place of the terms."""
    included = [query] if query is not None else []
    included += [Term(word) if is_plain_word(word) else Phrase(word) for word in keywords]
    included += [Phrase(phrase) for phrase in phrases]
    parts: list[Node] = [_either(included)]
    if exclude:
        parts.append(Not(_either([Term(word) if is_plain_word(word) else Phrase(word) for word in exclude])))
    if languages:
        parts.append(_either([Lang(language_code(code)) for code in languages]))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _either(nodes: list[Node]) -> Node:
    if not nodes:
        raise ValueError("no terms to search for")
    return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))


# -- what keyword search APIs can be asked for -----------------------------------------------


def search_terms(node: Node) -> list[str]:
    """Plain terms and phrases, one of which every matching text contains.

    For platforms whose search takes keywords only (Hacker News, Bluesky, Discourse, Reddit): ask
    for each (or OR them together) and let local matching decide. Of an AND, the terms of its
    first part that has any are used (`acme (down OR outage)` asks for `acme`). Phrases are returned without
    quotes, hashtags and handles with their `#`/`@`, prefix terms as their stem. Raises
    ValueError when the query can match a text containing none of its terms (`-acme`,
    `lang:en`, `acme OR -anvil`), since nothing could be searched for.
    """
    cover = covering_terms(node)
    if cover is None:
        raise ValueError(f"query {render(node)!r} can match a text without any of its terms; add a term that is not negated")
    return list(dict.fromkeys(cover))


def covering_terms(node: Node) -> list[str] | None:
    """Terms one of which every text matching `node` contains; None when there are none."""
    if isinstance(node, Term):
        return [node.text.split("?")[0]]  # `colo?r` asks for `colo`, as `appl*` asks for `appl`
    if isinstance(node, Phrase):
        return [" ".join(node.text.split())]
    if isinstance(node, Proximity):
        return words_of(node.text)[:1]
    if isinstance(node, Near):
        return covering_terms(node.left)
    if isinstance(node, Hashtag):
        return ["#" + node.tag]
    if isinstance(node, Handle):
        return ["@" + node.handle]
    if isinstance(node, (Lang, Not)):
        return None
    if isinstance(node, And):  # any one part's terms would do; the first is the brand, as people write it
        return next((cover for cover in map(covering_terms, node.children) if cover is not None), None)
    terms: list[str] = []
    for child in node.children:
        cover = covering_terms(child)
        if cover is None:
            return None
        terms.extend(cover)
    return terms


__all__ = [
    "And",
    "Handle",
    "Hashtag",
    "Lang",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Proximity",
    "QuerySyntaxError",
    "Term",
    "from_terms",
    "covering_terms",
    "is_plain_word",
    "language_code",
    "normalise",
    "parse",
    "render",
    "search_terms",
    "words_of",
]
