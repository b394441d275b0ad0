"""Google Play reviews, through the `google-play-scraper` package (extra `reviews`).

Google has no public API for another developer's reviews (the Play Developer API answers only for
your own apps, with a service account). The Play Store web app reads them from its `batchexecute`
endpoint, whose request body and nested reply change whenever Google redesigns the store;
`google-play-scraper` keeps up with that. This source takes from it exactly that knowledge: the
request (`Formats.Reviews`), how to unwrap the reply (`Regex.REVIEWS`) and where each field of a
review sits (`ElementSpecs.Review`).

The HTTP itself is ours, through `listener.sources.http`, like every other source, because the
package's own `reviews()` would not do for a daemon: it sends without a timeout (a hung connection
holds the poll forever), swallows every failure into an empty result (an outage would look like a
quiet app), drops `Retry-After`, and its import turns off TLS certificate checks for the whole
process (`ssl._create_default_https_context`), which `_protocol()` puts back.

One request per app, language and country and poll asks for the newest `max_reviews`, newest
first. The cursor keeps, per app, language and country, the newest review time read and the ids
read at that time, so a restart keeps only what is newer; if more than `max_reviews` arrived since
the last poll, the older ones are skipped and that is logged. Each review is about the brand whose
app it is (`about_brand`), whether or not its text names it.
"""

from __future__ import annotations

import json
import logging
import ssl
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
from pydantic import Field, field_validator

from listener.config import BrandConfig
from listener.core.language import normalise_language_tag
from listener.core.limits import RATINGS
from listener.core.records import Mention
from listener.plugins import Extra
from listener.sources.base import (
    Collector,
    CollectorSettings,
    CollectorType,
    Cursor,
    FetchResult,
    SourceContext,
    SourceUnavailable,
    parse_each,
)
from listener.sources.http import DEFAULT_TIMEOUT, RequestTimeout, make_client, plain_text, raise_for_status

log = logging.getLogger(__name__)

PLAY_STORE = "https://play.google.com"
MAX_REVIEWS_PER_REQUEST = 4500
"""The most reviews one request may ask for (`google_play_scraper.features.reviews.MAX_COUNT_EACH_FETCH`)."""
THROTTLED = "com.google.play.gateway.proto.PlayGatewayError"
"""What Google answers, with HTTP 200, to a client asking too fast."""


def _protocol() -> SimpleNamespace:
    """The package's request format, reply pattern and review fields, imported on first use (config
    validation must not pay for it), with the process's TLS default restored after its import."""
    default_context = ssl._create_default_https_context
    try:
        from google_play_scraper.constants.element import ElementSpec, ElementSpecs
        from google_play_scraper.constants.google_play import Sort
        from google_play_scraper.constants.regex import Regex
        from google_play_scraper.constants.request import Formats
    finally:
        ssl._create_default_https_context = default_context
    return SimpleNamespace(
        reviews=Formats.Reviews,
        newest=Sort.NEWEST.value,
        reply=Regex.REVIEWS,
        fields=ElementSpecs.Review,
        posted_at=ElementSpec(None, [5, 0]),  # epoch seconds (the package's `at` is a local-time datetime)
    )


class GooglePlaySettings(CollectorSettings):
    apps: dict[str, tuple[str, ...]] = Field(
        min_length=1, description="Brand name -> its Google Play package names (the id= of the app's Play Store link)."
    )
    languages: tuple[str, ...] = Field(("en",), min_length=1, description="Review languages to read (hl), e.g. en, de.")
    countries: tuple[str, ...] = Field(
        ("us",), min_length=1, description="Storefronts to read (gl), as ISO 3166 codes."
    )
    max_reviews: int = Field(200, ge=1, le=MAX_REVIEWS_PER_REQUEST, description="Newest reviews asked for per request.")
    base_url: str = Field(PLAY_STORE, pattern=r"^https?://", description="Where the Play Store is served.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT

    @field_validator("apps")
    @classmethod
    def _package_names(cls, apps: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for brand, packages in apps.items():
            for package in packages:
                parts = package.split(".")
                if len(parts) < 2 or not all(part and (part[0].isalpha() or part[0] == "_") for part in parts):
                    raise ValueError(f"{brand}: {package!r} is not a package name such as com.acme.cloud")
                if not all(char.isalnum() or char in "._" for char in package):
                    raise ValueError(f"{brand}: {package!r} is not a package name such as com.acme.cloud")
        return apps

    @field_validator("languages", "countries")
    @classmethod
    def _codes(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        for code in codes:
            if not (2 <= len(code) <= 3 and code.isalpha()):
                raise ValueError(f"{code!r} is not a two- or three-letter code such as en or us")
        return tuple(code.lower() for code in codes)


class GooglePlayCollector:
    def __init__(self, context: SourceContext):
        self._settings: GooglePlaySettings = context.settings
        self._source = context.name
        self._client = make_client(self._settings.timeout)
        self._protocol = _protocol()

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        """Every app of `brand` in every language and country; one request failing fails the poll
        and the cursor stays put. A review read in two storefronts is one mention."""
        previous: dict[str, Any] = (cursor or {}).get("feeds", {})
        positions: dict[str, Any] = {}
        mentions_by_id: dict[str, Mention] = {}
        for package in self._settings.apps.get(brand.name, ()):
            for language in self._settings.languages:
                for country in self._settings.countries:
                    key = f"{package}/{language}/{country}"
                    found, position = self._read(package, language, country, previous.get(key, {}))
                    for mention in found:
                        mentions_by_id.setdefault(mention.external_id, mention)
                    if position:
                        positions[key] = position
        return FetchResult(list(mentions_by_id.values()), {"feeds": positions})

    def check(self, brand: BrandConfig) -> str:
        packages = self._settings.apps.get(brand.name, ())
        if not packages:
            return f"no apps configured for {brand.name} (known: {', '.join(self._settings.apps)}); nothing to read"
        language, country = self._settings.languages[0], self._settings.countries[0]
        reviews = self._request(packages[0], language, country, 10)
        return f"Play Store reachable; {len(reviews)} recent {language} reviews of {packages[0]} in {country.upper()}"

    def _read(
        self, package: str, language: str, country: str, position: dict[str, Any]
    ) -> tuple[list[Mention], dict[str, Any]]:
        since = int(position.get("since", 0)) or None
        seen = set(position.get("seen", []))
        reviews = self._request(package, language, country, self._settings.max_reviews)
        fresh = [review for review in reviews if self._is_new(review, since, seen)]
        if since is not None and len(fresh) == len(reviews) == self._settings.max_reviews:
            log.warning(
                "%s: more than %d new reviews of %s (%s, %s) since the last poll; older ones skipped "
                "(poll more often or raise max_reviews)",
                self._source, self._settings.max_reviews, package, language, country,
            )  # fmt: skip
        mentions = parse_each(
            fresh, lambda review: self._mention(review, package, language), log, self._source, self._review_id
        )
        stamps = [int(m.created_at.timestamp()) for m in mentions]
        newest = max([*stamps, since or 0])
        if not newest:
            return mentions, position
        at_newest = {m.external_id for m, stamp in zip(mentions, stamps) if stamp == newest}
        return mentions, {"since": newest, "seen": sorted(at_newest | (seen if newest == since else set()))}

    def _request(self, package: str, language: str, country: str, count: int) -> list[Any]:
        """The newest `count` reviews, as the raw arrays the reply holds."""
        url = self._protocol.reviews.build(lang=language, country=country).replace(
            PLAY_STORE, self._settings.base_url.rstrip("/"), 1
        )
        body = self._protocol.reviews.build_body(package, self._protocol.newest, count, "null", "null", None)
        where = f"{self._source}: {self._settings.base_url.rstrip('/')}/_/PlayStoreUi/data/batchexecute"
        try:
            response = self._client.post(
                url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
            )
        except httpx.TimeoutException as error:
            raise SourceUnavailable(f"{where}: timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise SourceUnavailable(f"{where}: network error: {error}") from error
        raise_for_status(response, self._source)
        if THROTTLED in response.text:
            raise SourceUnavailable(f"{where}: Google Play asks to slow down ({THROTTLED})")
        try:
            framed = self._protocol.reply.findall(response.text)
            if not framed:
                raise ValueError("no )]}' framed reply")
            payload = json.loads(framed[0])[0][2]
            reviews = json.loads(payload)[0] if payload is not None else []
        except (ValueError, IndexError, KeyError, TypeError) as error:
            raise SourceUnavailable(
                f"{where}: malformed reply for {package}: {type(error).__name__}: {error}"
            ) from error
        if not isinstance(reviews, list):
            return []  # an app without reviews (yet)
        return reviews

    def _is_new(self, review: Any, since: int | None, seen: set[str]) -> bool:
        posted = self._posted(review)
        if since is None or posted is None:
            return True
        return posted > since or (posted == since and self._review_id(review) not in seen)

    def _posted(self, review: Any) -> int | None:
        seconds = self._protocol.posted_at.extract_content(review)
        return int(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else None

    def _review_id(self, review: Any) -> str | None:
        review_id = self._protocol.fields["reviewId"].extract_content(review)
        return review_id if isinstance(review_id, str) and review_id else None

    def _mention(self, review: Any, package: str, language: str) -> Mention | None:
        fields = {name: spec.extract_content(review) for name, spec in self._protocol.fields.items()}
        review_id = self._review_id(review)
        if review_id is None:
            raise ValueError("no review id")
        posted = self._posted(review)
        if posted is None:
            raise ValueError("no review time")
        stars = fields["score"]
        if not isinstance(stars, int) or isinstance(stars, bool) or stars not in RATINGS:
            raise ValueError(f"rating {stars!r} is not 1 to 5 stars")
        if not isinstance(fields["content"], str):
            raise TypeError("no review text")
        text = plain_text(fields["content"])
        if not text:
            return None
        thumbs = fields["thumbsUpCount"]
        return Mention(
            source=self._source,
            external_id=review_id,
            text=text,
            created_at=datetime.fromtimestamp(posted, UTC),
            author=fields["userName"] if isinstance(fields["userName"], str) and fields["userName"] else None,
            url=str(httpx.URL(f"{PLAY_STORE}/store/apps/details", params={"id": package, "reviewId": review_id})),
            language=normalise_language_tag(language),
            likes=thumbs if isinstance(thumbs, int) and thumbs > 0 else 0,
            rating=stars,
            about_brand=True,
        )


def build(context: SourceContext) -> Collector:
    return GooglePlayCollector(context)


PLUGIN = CollectorType(
    name="googleplay",
    settings_model=GooglePlaySettings,
    build=build,
    extra=Extra("reviews", ("google_play_scraper",)),
)
