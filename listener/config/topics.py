"""`[[topics]]`: what mentions are about (billing, the app, support...), and where in the customer
journey that sits.

A topic is a query in the brand query language (`listener.core.query`), matched against every
mention the same way a brand is, so one syntax describes both and a topic can use every operator
a brand can (phrases, NEAR, lang:). The touchpoint is the stage of the journey the topic belongs
to; the dashboard and the API add the topics of one touchpoint up into its sentiment.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator

from listener.config.base import StrictModel
from listener.config.types import Name
from listener.core.query import Node, QuerySyntaxError, parse

TOUCHPOINTS = ("awareness", "consideration", "purchase", "retention", "advocacy")
"""The customer-journey stages a topic can belong to, in journey order."""
Touchpoint = Literal["awareness", "consideration", "purchase", "retention", "advocacy"]


class TopicConfig(StrictModel):
    """One topic: a name, the query its mentions match, and optionally its touchpoint."""

    name: Name = Field(max_length=100, description="Shown on the dashboard and stored with each tagged mention.")
    query: str = Field(description="A query in the query language (see README), matched against each mention's text.")
    touchpoint: Touchpoint | None = Field(None, description=f"One of {', '.join(TOUCHPOINTS)}.")

    @field_validator("query")
    @classmethod
    def _parses(cls, query: str) -> str:
        try:
            parse(query)
        except QuerySyntaxError as error:
            raise ValueError(error.detail) from None
        return query

    @property
    def query_ast(self) -> Node:
        return _topic_ast(self.query)


@lru_cache(maxsize=1024)
def _topic_ast(query: str) -> Node:
    return parse(query)
