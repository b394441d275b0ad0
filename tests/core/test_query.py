"""The query language: parsing, errors with positions, rendering, search terms, X compilation."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from listener.config import ConfigError, load_config
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
    QuerySyntaxError,
    Term,
    from_terms,
    is_plain_word,
    normalise,
    parse,
    render,
    search_terms,
)
from listener.sources.matching import query_matcher
from listener.sources.x_query import QueryNotSupported, compile_for_x

A, B, C = Term("a"), Term("b"), Term("c")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("acme", Term("acme")),
        ("a b c", And((A, B, C))),
        ("a AND b", And((A, B))),
        ("a OR b c", Or((A, And((B, C))))),  # AND binds tighter than OR, as on X
        ("(a OR b) c", And((Or((A, B)), C))),
        ("a -b", And((A, Not(B)))),
        ("a NOT b", And((A, Not(B)))),
        ("-(a OR b) c", And((Not(Or((A, B))), C))),
        ('"acme cloud" OR acme', Or((Phrase("acme cloud"), Term("acme")))),
        (r'"say \"hi\" \\ bye"', Phrase('say "hi" \\ bye')),
        ("#AcmeDown @acme_support lang:EN", And((Hashtag("AcmeDown"), Handle("acme_support"), Lang("en")))),
        ("@kim@mastodon.social", Handle("kim@mastodon.social")),
        ("appl* -applebee", And((Term("appl", prefix=True), Not(Term("applebee"))))),
        ("or and not", And((Term("or"), Term("and"), Term("not")))),  # lower case: plain words
        ("t-shirt acme.com c++", And((Term("t-shirt"), Term("acme.com"), Term("c++")))),
        ("  acme\t\nOR\u3000ácme  ", Or((Term("acme"), Term("ácme")))),
        ("colo?r customi?e", And((Term("colo?r"), Term("customi?e")))),
        ('"acme outage"~5', Proximity("acme outage", 5)),
        ('"acme outage"~5 lang:en', And((Proximity("acme outage", 5), Lang("en")))),
        ("acme NEAR/3 outage", Near(Term("acme"), Term("outage"), 3)),
        ("acme NEAR/3f outage", Near(Term("acme"), Term("outage"), 3, ordered=True)),
        ("(a OR b) NEAR/2 (c OR \"d e\") x", And((Near(Or((A, B)), Or((C, Phrase("d e"))), 2), Term("x")))),
        ("-a NEAR/1 b", Not(Near(A, B, 1))),
        ("a NEAR/1 b OR c", Or((Near(A, B, 1), C))),
        ("near nearby NEARBY", And((Term("near"), Term("nearby"), Term("NEARBY")))),  # NEAR/n only in capitals
        ("acme lang:en_US", And((Term("acme"), Lang("en-us")))),
    ],
)
def test_parses(query: str, expected: Node) -> None:
    assert parse(query) == expected


@pytest.mark.parametrize(
    "query, problem, column",
    [
        ("(acme OR globex", "expected ')'", 16),
        ("acme OR globex) x", "unexpected ')'", 15),
        ("acme OR", "the query ended where a term, phrase or '(' was expected", 8),
        ("OR acme", "expected a term, phrase or '(' before 'OR'", 1),
        ("acme - globex", "'-' must be followed by a term", 6),
        ('acme "cloud', "unterminated phrase", 6),
        ('acme ""', "empty phrase", 6),
        ("acme #", "invalid hashtag '#'", 6),
        ("acme #a-b", "invalid hashtag '#a-b'", 6),
        ("acme lang:english1", "invalid language 'english1'", 6),
        ("acme a*b", "'*' is only allowed at the end of a term", 6),
        ("acme *", "term '*' has no searchable characters", 6),
        ("", "empty query", 1),
        ("   ", "empty query", 4),
        ("()", "expected a term, phrase or '(' before ')'", 2),
        ("acme NEAR outage", "'NEAR': NEAR needs a distance in words, as acme NEAR/3 outage", 6),
        ("acme NEAR/x outage", "'NEAR/x': NEAR needs a distance", 6),
        ("acme NEAR/3", "the query ended where a term, phrase or '(' was expected", 12),
        ("NEAR/3 acme", "expected a term, phrase or '(' before 'NEAR/3'", 1),
        ("acme NEAR/3 -outage", "expected a term, phrase or '(' before '-'", 13),
        ("lang:en NEAR/3 acme", "a side of NEAR must be a term, phrase, #hashtag or @handle", 1),
        ("acme NEAR/3 (outage down)", "a side of NEAR must be a term", 13),
        ("a NEAR/1 b NEAR/2 c", "one NEAR at a time", 12),
        ("acme outage~5", "'~' only follows a quoted phrase, as \"acme outage\"~5", 12),
        ("(acme outage)~5", "'~' only follows a quoted phrase", 14),
        ('"acme outage"~x', "'~' must be followed by a number of words", 14),
        ("acme ?cme", "'?' stands for one character after the start of a term", 6),
    ],
)
def test_syntax_errors_name_the_problem_and_its_column(query: str, problem: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse(query)
    assert raised.value.problem.startswith(problem)
    assert raised.value.column == column
    assert str(raised.value) == f"query: {raised.value.problem} at column {column}: {query}"


@pytest.mark.parametrize(
    "query, problem",
    [
        (
            "acme NEAR outage",
            (
                "'NEAR': NEAR needs a distance in words, as acme NEAR/3 outage (NEAR/3f keeps the order); "
                'write "near" in quotes to search for the word at column 6: acme NEAR outage'
            ),
        ),
        ("acme outage~5", "'~' only follows a quoted phrase, as \"acme outage\"~5 at column 12: acme outage~5"),
        ("acme ?cme", "'?' stands for one character after the start of a term, not at its start, in '?cme' at column 6: acme ?cme"),
    ],
)
def test_config_refuses_operators_it_cannot_run_naming_file_field_and_column(tmp_path: Path, query: str, problem: str) -> None:
    """On main these parsed as plain words that no mention could ever contain, so the brand
    silently matched nothing."""
    path = tmp_path / "listener.toml"
    path.write_text(f"[[brands]]\nname = \"Acme\"\nquery = '{query}'\n\n[[sources]]\nname = \"demo\"\ntype = \"demo\"\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}: brands[0].query: {problem}"


def test_config_accepts_brandwatch_operators(tmp_path: Path) -> None:
    path = tmp_path / "listener.toml"
    query = '(colo?r OR "acme outage"~5) OR acme NEAR/3f down lang:en_GB'
    path.write_text(f"[[brands]]\nname = \"Acme\"\nquery = '{query}'\n\n[[sources]]\nname = \"demo\"\ntype = \"demo\"\n")
    assert load_config(path).brands[0].query_ast == parse(query)


def test_nesting_too_deep_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(QuerySyntaxError, match="nested more than"):
        parse("(" * 500 + "a" + ")" * 500)
    with pytest.raises(QuerySyntaxError, match="nested more than"):
        parse("-" * 500 + "a")


def test_config_names_file_brand_and_column(tmp_path: Path) -> None:
    path = tmp_path / "listener.toml"
    path.write_text('[[brands]]\nname = "Acme"\nquery = "(acme OR globex"\n\n[[sources]]\nname = "demo"\ntype = "demo"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}: brands[0].query: expected ')' at column 16: (acme OR globex"


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"query": "-acme"}, "can match a text without any of its terms"),
        ({"query": "acme OR lang:en"}, "can match a text without any of its terms"),
        ({"query": "acme", "keywords": ["acme"]}, "give either a query or keywords/phrases, not both"),
        ({"keywords": ["\u200b"]}, "has an empty search term"),
    ],
)
def test_brands_that_cannot_be_searched_are_config_errors(tmp_path: Path, fields: dict, problem: str) -> None:
    lines = [f"{key} = {value!r}".replace("'", '"') for key, value in fields.items()]
    path = tmp_path / "listener.toml"
    path.write_text('[[brands]]\nname = "Acme"\n' + "\n".join(lines) + '\n\n[[sources]]\nname = "demo"\ntype = "demo"\n')
    with pytest.raises(ConfigError, match=problem):
        load_config(path)


def test_list_fields_compile_into_the_same_ast() -> None:
    assert from_terms(("acme", "acme cloud", "#x"), ("acme inc",), ("anvil",), ("EN", "fr")) == And(
        (
            Or((Term("acme"), Phrase("acme cloud"), Phrase("#x"), Phrase("acme inc"))),
            Not(Term("anvil")),
            Or((Lang("en"), Lang("fr"))),
        )
    )


@pytest.mark.parametrize(
    "query, terms",
    [
        ("acme", ["acme"]),
        ('acme OR "acme  cloud" OR #acmedown OR @acme', ["acme", "acme cloud", "#acmedown", "@acme"]),
        ("acme outage lang:en -anvil", ["acme"]),  # one term of an AND is enough to search for
        ("(acme OR globex) outage", ["acme", "globex"]),  # the first part of an AND with terms
        ("-anvil lang:en acme (down OR outage)", ["acme"]),
        ("appl* OR acme", ["appl", "acme"]),
        ("colo?r", ["colo"]),  # the letters before the wildcard, as for appl*
        ('"acme, outage"~5', ["acme"]),
        ("(acme OR globex) NEAR/3 outage", ["acme", "globex"]),
    ],
)
def test_search_terms(query: str, terms: list[str]) -> None:
    assert search_terms(parse(query)) == terms


@pytest.mark.parametrize(
    "query, x",
    [
        ("acme", "acme -is:retweet"),
        ('acme OR "acme cloud"', '(acme OR "acme cloud") -is:retweet'),
        ("acme -anvil lang:en", "acme -anvil lang:en -is:retweet"),
        ("acme -(anvil OR rocket)", "acme -(anvil OR rocket) -is:retweet"),
        ("acme -rock*", "acme -is:retweet"),  # X has no wildcard: the negation is dropped, matching locally removes them
        ("#acme OR @acmesupport", "(#acme OR @acmesupport) -is:retweet"),
        ("acme @kim@mastodon.social", "acme -is:retweet"),  # not an X handle: widened away
        ('"say \\"hi\\""', '"say hi" -is:retweet'),
        ("acme OR ac:me", '(acme OR "ac:me") -is:retweet'),  # would be read as an operator
        (r'acme -"\\"', "acme -is:retweet"),  # a phrase of only a backslash: nothing X can search
        ("acme NEAR/3 outage", "acme outage -is:retweet"),  # X has no proximity: both words, anywhere
        ('"acme, outage"~5', '"acme" "outage" -is:retweet'),
        ("acme -(acme NEAR/2 anvil)", "acme -(acme anvil) -is:retweet"),
        ("acme -colo?r", "acme -is:retweet"),  # X has no ? wildcard: the negation is dropped
    ],
)
def test_compiles_to_x_syntax_never_narrower(query: str, x: str) -> None:
    assert compile_for_x(parse(query), include_retweets=False) == x


@pytest.mark.parametrize("query", ["acme*", "acme* OR globex", "acme* lang:en", "colo?r"])
def test_x_cannot_express_a_positive_wildcard(query: str) -> None:
    with pytest.raises(QueryNotSupported, match="X has no '\\*' wildcard"):
        compile_for_x(parse(query))


def test_x_query_length_limit() -> None:
    with pytest.raises(QueryNotSupported, match="at most 512"):
        compile_for_x(Or(tuple(Term(f"term{i}") for i in range(100))))


# -- properties ----------------------------------------------------------------------------

WORD = st.text(st.characters(categories=("Ll", "Lu", "Lo", "Nd")), min_size=1, max_size=8).filter(
    lambda word: is_plain_word(word) and bool(normalise(word))
)
LEAVES = st.one_of(
    st.builds(Term, WORD, st.booleans()),
    st.builds(Phrase, st.text(min_size=1, max_size=20).filter(lambda text: bool(normalise(text)))),
    st.builds(Hashtag, st.from_regex(r"\w{1,10}", fullmatch=True)),
    st.builds(Handle, st.from_regex(r"\w(?:[\w.@-]{0,8}\w)?", fullmatch=True)),
    st.builds(Lang, st.from_regex(r"[a-z]{2,3}", fullmatch=True)),
)
QUERIES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.builds(Not, children),
        st.builds(And, st.lists(children, min_size=2, max_size=4).map(tuple)),
        st.builds(Or, st.lists(children, min_size=2, max_size=4).map(tuple)),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(QUERIES)
def test_render_then_parse_round_trips(query: Node) -> None:
    assert parse(render(query)) == query


NEAR_SIDES = st.recursive(
    st.one_of(
        st.builds(Term, WORD, st.booleans()),
        st.builds(Phrase, st.text(min_size=1, max_size=20).filter(lambda text: bool(normalise(text)))),
        st.builds(Hashtag, st.from_regex(r"\w{1,10}", fullmatch=True)),
    ),
    lambda children: st.builds(Or, st.lists(children, min_size=2, max_size=3).map(tuple)),
    max_leaves=4,
)
PROXIMITY_QUERIES = st.one_of(
    st.builds(Near, NEAR_SIDES, NEAR_SIDES, st.integers(0, 999), st.booleans()),
    st.builds(Proximity, st.text(min_size=1, max_size=20).filter(lambda text: bool(normalise(text))), st.integers(0, 999)),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(PROXIMITY_QUERIES, QUERIES), min_size=1, max_size=3))
def test_proximity_queries_round_trip(parts: list[Node]) -> None:
    query = parts[0] if len(parts) == 1 else And(tuple(parts))
    assert parse(render(query)) == query


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_normalising_twice_changes_nothing(text: str) -> None:
    """Queries are normalised once when compiled and texts once when matched: both must agree."""
    assert normalise(normalise(text)) == normalise(text)


def parses_or_is_a_syntax_error(text: str) -> None:
    try:
        query = parse(text)
    except QuerySyntaxError as error:
        assert 1 <= error.column <= len(text) + 1
        return
    assert parse(render(query)) == query


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_or_is_a_syntax_error(text: str) -> None:
    parses_or_is_a_syntax_error(text)


SYNTAXY = st.lists(st.sampled_from([*'ab()"-*#@: ORANDNOT\\\u200b?~5f/', "NEAR/", "NEAR/2"]), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(SYNTAXY)
def test_operator_soup_parses_or_is_a_syntax_error(text: str) -> None:
    parses_or_is_a_syntax_error(text)


@settings(max_examples=300, deadline=None)
@given(QUERIES, st.lists(st.sampled_from(["acme", "x", "#acme", "@acme", "acme cloud", "é", ".", "ab", "a"]), max_size=8))
def test_a_matching_text_contains_a_search_term(query: Node, words: list[str]) -> None:
    try:
        terms = search_terms(query)
    except ValueError:
        return
    text = " ".join(words)
    if query_matcher(query).matches(text):  # as platforms search: punctuation between words is a space
        assert any(searchable(term) in searchable(text) for term in terms)


def searchable(text: str) -> str:
    return " ".join(PUNCTUATION.sub(" ", normalise(text)).split())


PUNCTUATION = regex.compile(r"(?V1)[\p{P}--[#@]]")


@settings(max_examples=300, deadline=None)
@given(QUERIES, st.lists(st.sampled_from(["acme", "cloud", "#acme", "@acme", "anvil", "abc", "a"]), max_size=8), st.sampled_from([None, "en", "fr"]))
def test_x_compilation_never_narrows_the_query(query: Node, words: list[str], language: str | None) -> None:
    try:
        x = compile_for_x(query, include_retweets=True)
    except QueryNotSupported:
        return
    text = " ".join(words)
    if query_matcher(query).matches(text, language):
        assert query_matcher(parse(x)).matches(text, language)


VOCABULARY = ["acme", "cloud", "#acme", "a", "x", "down", "é"]
VOCABULARY_SIDES = st.sampled_from([Term("acme"), Term("cloud"), Term("a", prefix=True), Phrase("acme cloud"), Hashtag("acme")])
VOCABULARY_PROXIMITIES = st.one_of(
    st.builds(Near, VOCABULARY_SIDES, VOCABULARY_SIDES, st.integers(0, 4), st.booleans()),
    st.builds(Proximity, st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=3).map(" ".join), st.integers(0, 4)),
)


@settings(max_examples=300, deadline=None)
@given(VOCABULARY_PROXIMITIES, st.lists(st.sampled_from(VOCABULARY), max_size=8))
def test_x_compilation_never_narrows_a_proximity(query: Node, words: list[str]) -> None:
    """X has no proximity operator: both sides anywhere in the post is the nearest broader query."""
    try:
        x = compile_for_x(query, include_retweets=True)
    except QueryNotSupported:
        return
    text = " ".join(words)
    if query_matcher(query).matches(text):
        assert query_matcher(parse(x)).matches(text)
