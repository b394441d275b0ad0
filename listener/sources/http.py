"""What every HTTP collector shares: one client set-up, one reading of failures, one HTML stripper.

Platforms fail in the same few ways (timeouts, 5xx, 429 with a reset header, a 401 after a token
was revoked, a body that is not JSON). Mapping them here, once, means every source tells the
scheduler the same thing: `SourceUnavailable` (wait, with the platform's own delay when it gives
one) or `SourceMisconfigured` (waiting will not help; fix the URL or the credentials).
"""

from __future__ import annotations

import email.utils
import hashlib
import html
import re
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Annotated, Any, Mapping

import httpx
from pydantic import Field

from listener import __version__
from listener.config import BrandConfig
from listener.core.query import search_terms as search_terms_of
from listener.sources.base import SourceMisconfigured, SourceUnavailable

USER_AGENT = f"social-listener/{__version__} (self-hosted social listening)"
DEFAULT_TIMEOUT = 20.0

RequestTimeout = Annotated[float, Field(gt=0, description="Seconds before a request counts as failed.")]
"""The `timeout` setting of the HTTP collectors (`timeout: RequestTimeout = DEFAULT_TIMEOUT`)."""


def make_client(timeout: float = DEFAULT_TIMEOUT, headers: Mapping[str, str] | None = None) -> httpx.Client:
    """An httpx client with a connect/read timeout and our user agent.

    Without a timeout one hung platform would hold its worker thread forever; the user agent lets
    a forum admin see who is polling them.
    """
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        follow_redirects=True,
    )


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """How long the platform asked us to wait, from whichever header it uses.

    `Retry-After` is seconds or an HTTP date; `X-RateLimit-Reset` / `RateLimit-Reset` are an epoch
    time (Mastodon sends an ISO date) or, when small, a number of seconds (IETF draft).
    """
    now = time.time() if now is None else now
    lowered = {name.lower(): value for name, value in headers.items()}
    retry_after = lowered.get("retry-after")
    if retry_after:
        retry_after = retry_after.strip()
        if re.fullmatch(r"\d+(\.\d+)?", retry_after):
            return float(retry_after)
        try:
            return max(email.utils.parsedate_to_datetime(retry_after).timestamp() - now, 0.0)
        except (TypeError, ValueError):
            pass
    for name in ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset"):
        value = lowered.get(name)
        if not value:
            continue
        value = value.strip()
        try:
            number = float(value)
        except ValueError:
            try:
                return max(parse_timestamp(value).timestamp() - now, 0.0)
            except ValueError:
                continue
        # An epoch time is ~1.7e9; anything under a year's worth of seconds is a delay.
        return max(number - now, 0.0) if number > 31_536_000 else number
    return None


def raise_for_status(response: httpx.Response, source: str) -> None:
    """Turn a failed response into the exception the scheduler understands."""
    status = response.status_code
    if status < 400:
        return
    where = f"{source}: {response.request.method} {_safe_url(response.request.url)}"
    if status == 429:
        wait = retry_after_seconds(response.headers)
        raise SourceUnavailable(f"{where}: rate limited (HTTP 429)", retry_after=wait)
    if status >= 500 or status == 408:
        raise SourceUnavailable(f"{where}: server error HTTP {status}", retry_after=retry_after_seconds(response.headers))
    if status in (401, 403):
        raise SourceMisconfigured(f"{where}: HTTP {status}: credentials missing or rejected")
    if status in (404, 410):
        raise SourceMisconfigured(f"{where}: HTTP {status}: not found; check the URL in the config")
    raise SourceMisconfigured(f"{where}: HTTP {status}: {response.text[:200]!r}")


def request(
    client: httpx.Client,
    source: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """GET `url`, mapping network failures and error statuses to source exceptions."""
    try:
        response = client.get(url, params=params, headers=headers)
    except httpx.TimeoutException as error:
        raise SourceUnavailable(f"{source}: {_safe_url(url)}: timed out ({type(error).__name__})") from error
    except httpx.TransportError as error:
        raise SourceUnavailable(f"{source}: {_safe_url(url)}: network error: {error}") from error
    raise_for_status(response, source)
    return response


def get_json(
    client: httpx.Client,
    source: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """GET and decode JSON; a body that is not JSON (a proxy's HTML error page, a cut-off reply)
    is a transient failure, so the cursor stays put and the next poll asks again."""
    response = request(client, source, url, params=params, headers=headers)
    try:
        return response.json()
    except ValueError as error:
        raise SourceUnavailable(
            f"{source}: {_safe_url(url)}: malformed JSON in HTTP {response.status_code} reply: {error}"
        ) from error


def item_id(item: Any) -> object:
    """How a platform names an item in our logs (for `parse_each`): its id, objectID or URI."""
    return item.get("id") or item.get("objectID") or item.get("uri") or item.get("link")


def query_terms(brand: BrandConfig) -> list[str]:
    """The brand's search terms as the query language gives them: words, phrases, `#tags`, `@handles`."""
    return search_terms_of(brand.query_ast)


def search_terms(brand: BrandConfig) -> list[str]:
    """The strings to ask a keyword search for, with `#`/`@` dropped. Over-fetching is fine: every
    mention is matched against the brand locally before it is stored."""
    return list(dict.fromkeys(term.lstrip("#@") for term in query_terms(brand) if term.lstrip("#@")))


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, with block elements and <br> as line breaks."""

    _BREAKS = frozenset({"br", "p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})
    _SKIP = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def strip_html(fragment: str | None) -> str:
    """Plain text of an HTML fragment, entities decoded, whitespace tidied.

    Mention text is shown to staff later (Slack, email, HTML) and escaped there; stripping here
    keeps markup out of sentiment scoring and brand matching.
    """
    if not fragment:
        return ""
    if "<" in fragment:
        extractor = _TextExtractor()  # decodes entities itself (convert_charrefs)
        extractor.feed(fragment)
        extractor.close()
        text = "".join(extractor.parts)
    else:
        text = html.unescape(fragment)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def plain_text(text: str | None) -> str:
    """A plain-text field (a Hacker News title, a feed's `type="text"` title) with its whitespace
    tidied like `strip_html`'s output, but nothing parsed: in plain text `<dialog>` is a word the
    author wrote, which the HTML stripper would take for a tag and drop."""
    if not text:
        return ""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def parse_timestamp(value: str | int | float) -> datetime:
    """An aware UTC datetime from ISO 8601 (with `Z`) or epoch seconds."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    return moment.astimezone(UTC)


def content_digest(*parts: str | None) -> str:
    """A short fingerprint of an item's content, kept in cursors to notice edits."""
    return hashlib.sha256("\x1f".join(part or "" for part in parts).encode("utf-8")).hexdigest()[:12]


def remember(seen: Mapping[str, str], fresh: Mapping[str, str], limit: int) -> dict[str, str]:
    """The newest `limit` entries of `seen` updated with `fresh`: a bounded memory of what was
    already emitted, so a cursor cannot grow without end."""
    merged = {key: value for key, value in seen.items() if key not in fresh}
    merged.update(fresh)
    keys = list(merged)[-limit:]
    return {key: merged[key] for key in keys}


def _safe_url(url: httpx.URL | str) -> str:
    """The URL without its query string: queries may carry API keys."""
    parsed = httpx.URL(str(url))
    return str(parsed.copy_with(query=None, fragment=None))
