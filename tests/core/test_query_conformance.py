"""The query language's conformance table (tests/query_cases.toml), run as one test.

Every case is judged and every wrong verdict listed together, so a change to matching shows its
whole effect on the table at once instead of stopping at the first regression.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from listener.sources.matching import query_matcher
from listener.core.query import QuerySyntaxError, parse

CASES_PATH = Path(__file__).with_name("query_cases.toml")
REQUIRED_SCRIPTS = {"Latin", "Cyrillic", "Greek", "Arabic", "Hebrew", "Devanagari", "Thai", "Han", "Japanese", "Hangul"}


@dataclass(frozen=True)
class Case:
    number: int
    script: str
    query: str
    text: str
    language: str | None
    expected: bool
    why: str


def load_cases() -> list[Case]:
    table = tomllib.loads(CASES_PATH.read_text(encoding="utf-8"))
    return [
        Case(number, case["script"], case["query"], case["text"], case.get("lang"), case["expected"], case["why"])
        for number, case in enumerate(table["case"], start=1)
    ]


def wrong_verdicts(cases: list[Case]) -> list[str]:
    """One line per case the matcher gets wrong (a query that does not parse counts as wrong)."""
    failures = []
    for case in cases:
        try:
            verdict: bool | str = query_matcher(parse(case.query)).matches(case.text, case.language)
        except QuerySyntaxError as error:
            verdict = f"syntax error: {error.detail}"
        if verdict is not case.expected:
            failures.append(
                f"#{case.number} [{case.script}] {case.query!r} on {case.text!r} (lang {case.language}): "
                f"got {verdict}, expected {case.expected}: {case.why}"
            )
    return failures


def test_the_table_covers_twelve_scripts_with_reasons() -> None:
    cases = load_cases()
    scripts = Counter(case.script for case in cases)
    assert len(cases) >= 150
    assert REQUIRED_SCRIPTS <= set(scripts) and len(scripts) >= 12, scripts
    assert all(case.why.strip() for case in cases)
    assert len({(case.query, case.text, case.language) for case in cases}) == len(cases), "duplicate cases"


def test_every_conformance_case_gets_the_expected_verdict() -> None:
    cases = load_cases()
    failures = wrong_verdicts(cases)
    assert not failures, f"{len(failures)} of {len(cases)} wrong verdicts:\n" + "\n".join(failures)
