"""App Store reviews, from Apple's public customer-reviews feed.

`https://itunes.apple.com/{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json`
needs no account or key. It serves an app's most recent reviews in one storefront (country), 50 a
page and at most 10 pages, newest first by the time each review was last updated: an edited
review comes back at the top, and is stored again under its id with its new text and stars.

Each brand names its own apps (`apps = { Acme = ["284882215"] }`). A review of the brand's app is
about the brand whether or not its text names it ("keeps logging me out"), so its mention is
marked `about_brand` and the pipeline skips the brand's query for it.

The cursor keeps, per app and country, the newest update time read and the review ids read at
that time, so a restart asks again only for what is newer; a page is read only while it still
reaches back to that time. The feed is loose about its shapes: a single review comes as an object
rather than a list, an old feed's first entry describes the app itself (it has no rating and is
passed over), and a review it cannot read (no id, no date, stars that are not 1 to 5) is logged
and skipped while the others are stored.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from listener.config import BrandConfig
from listener.core.limits import RATINGS
from listener.core.records import Mention
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
from listener.sources.http import (
    DEFAULT_TIMEOUT,
    RequestTimeout,
    get_json,
    make_client,
    parse_timestamp,
    plain_text,
)

log = logging.getLogger(__name__)

PAGES_SERVED = 10
"""Apple serves at most 10 pages of 50 reviews per app and country."""


class AppStoreSettings(CollectorSettings):
    apps: dict[str, tuple[str, ...]] = Field(
        min_length=1, description="Brand name -> its App Store app ids (the digits of apps.apple.com/.../id<digits>)."
    )
    countries: tuple[str, ...] = Field(("us",), min_length=1, description="Storefronts to read, as ISO 3166 codes.")
    max_pages: int = Field(
        PAGES_SERVED, ge=1, le=PAGES_SERVED, description="Pages of 50 read per app, country and poll."
    )
    base_url: str = Field("https://itunes.apple.com", pattern=r"^https?://", description="Where the feed is served.")
    timeout: RequestTimeout = DEFAULT_TIMEOUT

    @field_validator("apps")
    @classmethod
    def _numeric_ids(cls, apps: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for brand, ids in apps.items():
            for app_id in ids:
                if not app_id.isdigit():
                    raise ValueError(f"{brand}: app id {app_id!r} is not the number from the app's App Store link")
        return apps

    @field_validator("countries")
    @classmethod
    def _country_codes(cls, countries: tuple[str, ...]) -> tuple[str, ...]:
        for country in countries:
            if len(country) != 2 or not country.isalpha():
                raise ValueError(f"{country!r} is not a two-letter country code such as us, gb or de")
        return tuple(country.lower() for country in countries)


class AppStoreCollector:
    def __init__(self, context: SourceContext):
        self._settings: AppStoreSettings = context.settings
        self._source = context.name
        self._client = make_client(self._settings.timeout)

    def fetch(self, brand: BrandConfig, cursor: Cursor | None) -> FetchResult:
        """Every configured storefront of every app of `brand`; one that fails fails the poll,
        so the cursor stays where it was and the next poll asks again. Apps and countries taken
        out of the config are forgotten, so the cursor does not grow forever."""
        previous: dict[str, Any] = (cursor or {}).get("feeds", {})
        positions: dict[str, Any] = {}
        mentions: list[Mention] = []
        for app_id in self._settings.apps.get(brand.name, ()):
            for country in self._settings.countries:
                key = f"{app_id}/{country}"
                found, position = self._read(app_id, country, previous.get(key, {}))
                mentions.extend(found)
                if position:
                    positions[key] = position
        return FetchResult(mentions, {"feeds": positions})

    def check(self, brand: BrandConfig) -> str:
        apps = self._settings.apps.get(brand.name, ())
        if not apps:
            return f"no apps configured for {brand.name} (known: {', '.join(self._settings.apps)}); nothing to read"
        country = self._settings.countries[0]
        entries = _entries(self._page(apps[0], country, 1))
        return f"feed reachable; {len(entries)} recent reviews of app {apps[0]} in {country.upper()}"

    def _read(self, app_id: str, country: str, position: dict[str, Any]) -> tuple[list[Mention], dict[str, Any]]:
        since = parse_timestamp(position["since"]) if position.get("since") else None
        seen = set(position.get("seen", []))
        fresh: list[dict[str, Any]] = []
        for page in range(1, self._settings.max_pages + 1):
            entries = _entries(self._page(app_id, country, page))
            if not entries:
                break
            fresh.extend(entry for entry in entries if _is_new(entry, since, seen))
            oldest = min((stamp for entry in entries if (stamp := _updated(entry)) is not None), default=None)
            if since is not None and oldest is not None and oldest < since:
                break
        mentions = parse_each(fresh, lambda entry: self._mention(entry, app_id, country), log, self._source, _review_id)
        newest = max([*(m.created_at for m in mentions), *([since] if since else [])], default=None)
        if newest is None:
            return mentions, position
        at_newest = {m.external_id for m in mentions if m.created_at == newest}
        return mentions, {"since": newest.isoformat(), "seen": sorted(at_newest | (seen if newest == since else set()))}

    def _page(self, app_id: str, country: str, page: int) -> Any:
        url = (
            f"{self._settings.base_url.rstrip('/')}/{country}/rss/customerreviews"
            f"/page={page}/id={app_id}/sortby=mostrecent/json"
        )
        reply = get_json(self._client, self._source, url)
        if not isinstance(reply, dict) or not isinstance(reply.get("feed"), dict):
            raise SourceUnavailable(f"{self._source}: {url}: reply is not a customer-reviews feed (no `feed` object)")
        return reply

    def _mention(self, entry: Any, app_id: str, country: str) -> Mention | None:
        if not isinstance(entry, dict):
            raise TypeError(f"entry is a {type(entry).__name__}, not an object")
        if "im:rating" not in entry:
            return None  # the app's own entry, which old feeds put first
        review_id = _review_id(entry)
        if review_id is None:
            raise ValueError("no review id")
        created = _updated(entry)
        if created is None:
            raise ValueError("no update time")
        stars = int(_label(entry, "im:rating"))
        if stars not in RATINGS:
            raise ValueError(f"rating {stars} is not 1 to 5 stars")
        title, body = plain_text(_label(entry, "title")), plain_text(_label(entry, "content"))
        text = "\n".join(part for part in (title, body) if part)
        if not text:
            return None
        author = entry.get("author") if isinstance(entry.get("author"), dict) else {}
        return Mention(
            source=self._source,
            external_id=review_id,
            text=text,
            created_at=created,
            author=_label(author, "name") or None,
            url=f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews",
            likes=max(int(_label(entry, "im:voteSum") or 0), 0),
            rating=stars,
            about_brand=True,
        )


def _entries(reply: dict[str, Any]) -> list[Any]:
    """A feed's entries: none, one (an object) or many (a list)."""
    entries = reply["feed"].get("entry")
    if entries is None:
        return []
    return entries if isinstance(entries, list) else [entries]


def _label(item: Any, name: str) -> str:
    """`{"name": {"label": "..."}}`: how every value of the feed is wrapped."""
    value = item.get(name) if isinstance(item, dict) else None
    label = value.get("label") if isinstance(value, dict) else None
    return label if isinstance(label, str) else ""


def _review_id(entry: Any) -> str | None:
    review_id = _label(entry, "id")
    return review_id or None


def _updated(entry: Any) -> datetime | None:
    try:
        return parse_timestamp(_label(entry, "updated"))
    except ValueError:
        return None


def _is_new(entry: Any, since: datetime | None, seen: set[str]) -> bool:
    """Not read before: newer than the cursor, or at its time but not among the ids read then.
    An entry without a readable time passes, to be logged and skipped by the parser."""
    updated = _updated(entry)
    if since is None or updated is None:
        return True
    return updated > since or (updated == since and _review_id(entry) not in seen)


def build(context: SourceContext) -> Collector:
    return AppStoreCollector(context)


PLUGIN = CollectorType(name="appstore", settings_model=AppStoreSettings, build=build)
