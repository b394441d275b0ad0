"""Brands, the queries that identify their mentions, and the sources that collect them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from listener.config.base import StrictModel
from listener.config.responses import BusinessHours, OwnAccounts
from listener.config.types import Duration, Name
from listener.core.query import (
    Node,
    QuerySyntaxError,
    from_terms,
    normalise,
    parse,
    search_terms,
)


class BrandConfig(StrictModel):
    """A brand and what identifies a mention of it: a `query`, or the simpler list fields.

    Both forms compile to the same query AST (`query_ast`), which every mention is matched against
    locally and which collectors compile to their platform's search syntax.
    """

    name: Name
    query: str | None = Field(None, description="A query in the query language (see README); replaces keywords/phrases.")
    keywords: tuple[str, ...] = Field(default=(), description="Whole words, case-insensitive.")
    phrases: tuple[str, ...] = Field(default=(), description="Exact phrases, case-insensitive.")
    exclude: tuple[str, ...] = Field(default=(), description="A mention containing any of these is dropped.")
    languages: tuple[str, ...] = Field(default=(), description="ISO 639-1 codes; empty means any.")
    own_accounts: OwnAccounts = Field(default_factory=OwnAccounts, description="The brand's own accounts per platform.")
    business_hours: BusinessHours | None = Field(None, description="When the brand answers; None: count every hour.")

    @field_validator("query")
    @classmethod
    def _parses(cls, query: str | None) -> str | None:
        if query is None:
            return None
        try:
            search_terms(parse(query))
        except QuerySyntaxError as error:
            raise ValueError(error.detail) from None
        return query

    @model_validator(mode="after")
    def _has_terms(self) -> BrandConfig:
        if self.query is not None and (self.keywords or self.phrases):
            raise ValueError(f"brand {self.name!r}: give either a query or keywords/phrases, not both")
        if self.query is None and not self.keywords and not self.phrases:
            raise ValueError(f"brand {self.name!r} needs at least one keyword or phrase, or a query")
        blank = [term for term in (*self.keywords, *self.phrases, *self.exclude) if not normalise(term)]
        if blank:
            raise ValueError(f"brand {self.name!r} has an empty search term")
        return self

    def own_authors_by_source(self, sources: Sequence[SourceConfig]) -> dict[str, frozenset[str]]:
        """The brand's own account names (normalised) per configured source name, for
        `listener.core.response_time`: mentions are stored under the source's name, accounts are
        configured per platform."""
        return {source.name: self.own_accounts.for_source_type(source.type) for source in sources}

    @property
    def query_ast(self) -> Node:
        """The whole brand as one query: the query (or any keyword or phrase), none of the
        excluded terms, one of the languages."""
        return _brand_ast(self)


@lru_cache(maxsize=1024)
def _brand_ast(brand: BrandConfig) -> Node:
    return from_terms(
        brand.keywords,
        brand.phrases,
        brand.exclude,
        brand.languages,
        query=parse(brand.query) if brand.query is not None else None,
    )


class SourceConfig(BaseModel):
    """A collector instance. Keys beyond these are the collector type's own settings."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: Name
    type: str = Field(min_length=1)
    interval: Duration = Field(default=timedelta(minutes=5), description="How often the source is polled.")
    enabled: bool = True
    brands: list[str] | None = Field(None, description="Brands this source searches; default all.")

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.model_extra or {})
