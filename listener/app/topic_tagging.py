"""Which `[[topics]]` a mention is about: every topic's query, matched like a brand's.

Tagging runs in the scoring pass, on the batch being scored, so a mention is tagged once, when it
arrives, at the cost of a few regular-expression searches; `listener rescore` runs it again over
the history when the topics change. The queries are the brand query language, matched by the
brands' own matcher (`listener.sources.matching`): one syntax, one set of matching rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from listener.config import TopicConfig
from listener.core.query import normalise
from listener.core.records import MentionToScore
from listener.sources.matching import QueryMatcher, query_matcher


class TopicTagger:
    """The configured topics, compiled once."""

    def __init__(self, topics: Sequence[TopicConfig]):
        self._matchers: list[tuple[str, QueryMatcher]] = [
            (topic.name, query_matcher(topic.query_ast)) for topic in topics
        ]

    def __bool__(self) -> bool:
        return bool(self._matchers)

    def topics_of(self, text: str, language: str | None = None) -> list[str]:
        """The names of the topics whose query `text` matches, in config order."""
        normalised = normalise(text)
        return [name for name, matcher in self._matchers if matcher.predicate(normalised, language)]

    def tag(
        self, mentions: Sequence[MentionToScore], detected: Mapping[int, str] | None = None
    ) -> dict[int, list[str]]:
        """Every mention's topics (an empty list: none), by mention id. `detected` holds the
        languages found for mentions the platform did not tag, so `lang:` in a topic works on them."""
        detected = detected or {}
        return {
            mention.id: self.topics_of(mention.text, mention.language or detected.get(mention.id))
            for mention in mentions
        }
