"""X (Twitter) API v2 search syntax for a brand query: only the X source needs it.

X has no wildcards, proximity or `lang:` ORs of every kind the query language allows, so a part X
cannot express is widened (never narrowed) and local matching decides; a query X cannot search at
all is refused with QueryNotSupported, naming what to change.
"""

from __future__ import annotations

import re
from typing import Union

from listener.core.query import (
    KEYWORDS,
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
    covering_terms,
    render,
    words_of,
)

X_MAX_QUERY_LENGTH = 512


class QueryNotSupported(ValueError):
    """A valid query that a platform's search cannot express (e.g. a prefix wildcard on X)."""


_X_HANDLE = re.compile(r"\w{1,15}", re.ASCII)
_X_PLAIN_TERM = re.compile(r"[\w'.&+-]+")
_TRUE = "always"
_FALSE = "never"
_Widened = Union[Node, str]


def compile_for_x(node: Node, *, include_retweets: bool = True) -> str:
    """The query in X API v2 search syntax, widened where X cannot express a part of it.

    Prefix wildcards have no X equivalent: a positive one would need the whole query widened to
    "everything", so that raises QueryNotSupported; a negated one is simply left out (X then
    returns more, and local matching drops the extra).
    """
    widened = _widen_for_x(node, positive=True)
    if isinstance(widened, str) or covering_terms(widened) is None:
        raise QueryNotSupported(
            f"X search cannot express {render(node)!r}: it needs at least one whole word, phrase, "
            "#hashtag or @handle that is not negated (X has no '*' wildcard)"
        )
    text = _render_x(widened)
    if not include_retweets:
        text = f"({text}) -is:retweet" if isinstance(widened, Or) else f"{text} -is:retweet"
    if len(text) > X_MAX_QUERY_LENGTH:
        raise QueryNotSupported(f"the X query is {len(text)} characters; X accepts at most {X_MAX_QUERY_LENGTH}")
    return text


def _widen_for_x(node: Node, positive: bool) -> _Widened:
    """`node` rewritten to what X supports; `_TRUE`/`_FALSE` where a part had to be widened."""
    if isinstance(node, Term) and (node.prefix or "?" in node.text):
        return _TRUE if positive else _FALSE  # X has no wildcards
    if isinstance(node, Near):  # X has no proximity: both sides, anywhere
        return _widen_for_x(And((node.left, node.right)), positive)
    if isinstance(node, Proximity):
        words = [Phrase(word) for word in words_of(node.text)]
        return _widen_for_x(words[0] if len(words) == 1 else And(tuple(words)), positive)
    if isinstance(node, Handle) and not _X_HANDLE.fullmatch(node.handle):
        return _TRUE if positive else _FALSE  # a Mastodon-style user@host handle means nothing on X
    if isinstance(node, (Term, Phrase)) and not _x_words(node.text):
        return _TRUE if positive else _FALSE  # nothing but quotes and backslashes: nothing X can search
    if isinstance(node, (Term, Phrase, Hashtag, Handle, Lang)):
        return node
    if isinstance(node, Not):
        child = _widen_for_x(node.child, not positive)
        if isinstance(child, str):
            return _FALSE if child == _TRUE else _TRUE
        return Not(child)
    children = [_widen_for_x(child, positive) for child in node.children]
    absorbing, neutral = (_FALSE, _TRUE) if isinstance(node, And) else (_TRUE, _FALSE)
    if absorbing in children:
        return absorbing
    kept = [child for child in children if child != neutral]
    if not kept:
        return neutral
    if len(kept) == 1:
        return kept[0]
    return type(node)(tuple(kept))  # type: ignore[arg-type]


def _render_x(node: Node) -> str:
    if isinstance(node, Term):
        return node.text if _X_PLAIN_TERM.fullmatch(node.text) and node.text not in KEYWORDS else _x_phrase(node.text)
    if isinstance(node, Phrase):
        return _x_phrase(node.text)
    if isinstance(node, (Hashtag, Handle, Lang)):
        return render(node)
    if isinstance(node, Not):
        inner = _render_x(node.child)
        return "-" + (f"({inner})" if isinstance(node.child, (And, Or)) else inner)
    if isinstance(node, And):
        return " ".join(f"({_render_x(child)})" if isinstance(child, (And, Or)) else _render_x(child) for child in node.children)
    return " OR ".join(f"({_render_x(child)})" if isinstance(child, (And, Or)) else _render_x(child) for child in node.children)


def _x_words(text: str) -> str:
    """X has no escapes inside quotes: quotes and backslashes become spaces (X ignores punctuation)."""
    return " ".join(text.replace('"', " ").replace("\\", " ").split())


def _x_phrase(text: str) -> str:
    return '"' + _x_words(text) + '"'


def with_own_replies(query: str, accounts: tuple[str, ...]) -> str:
    """`query`, or also the replies of the brand's own `accounts`:
    `(query) OR ((from:a OR from:b) is:reply)`. Their answers rarely name the brand, and
    response-time metrics need them; local matching lets them through as the brand's own."""
    if not accounts:
        return query
    handles = [account.strip().lstrip("@") for account in accounts]
    bad = [handle for handle in handles if not _X_HANDLE.fullmatch(handle)]
    if bad:
        raise QueryNotSupported(f"own_accounts.x: {bad[0]!r} is not an X username (1-15 letters, digits or _)")
    authors = " OR ".join(f"from:{handle}" for handle in handles)
    text = f"({query}) OR (({authors}) is:reply)" if len(handles) > 1 else f"({query}) OR (from:{handles[0]} is:reply)"
    if len(text) > X_MAX_QUERY_LENGTH:
        raise QueryNotSupported(
            f"the X query with own_accounts.x replies is {len(text)} characters; X accepts at most {X_MAX_QUERY_LENGTH}"
        )
    return text
