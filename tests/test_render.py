"""Rendering an alert's evidence: what staff see, and that mention text cannot act on any surface."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

from alerts.render import (
    MENTION_TEXT_LIMIT,
    alert_html,
    alert_text,
    alert_title,
    escape_mrkdwn,
    slack_payload,
)
from listener.models import Alert, StoredMention

WINDOW_START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
HOSTILE_TEXTS = (
    "<!channel> <!here> <@U123> refunds now <https://evil.example|bank.com>",
    "<script>alert(1)</script> <img src=x onerror=alert(1)> & friends",
)


def make_mention(number: int = 1, **overrides: Any) -> StoredMention:
    """A negative mention with plausible defaults; override any field."""
    fields: dict[str, Any] = dict(
        id=number,
        source="twitter",
        external_id=f"tw-{number}",
        text=f"Acme cloud has been down for an hour, mention {number}",
        created_at=WINDOW_START + timedelta(minutes=number),
        author=f"user{number}",
        author_reach=12_345,
        url=f"https://social.example/status/{number}",
        language="en",
        likes=3,
        shares=1,
        replies=0,
        brands=("Acme",),
    )
    fields.update(overrides)
    return StoredMention(**fields)


def make_alert(*mentions: StoredMention, **overrides: Any) -> Alert:
    """A critical Acme spike, 42 observed vs 6.0 expected, with the given (or two default) mentions."""
    fields: dict[str, Any] = dict(
        brand="Acme",
        rule="negative_spike",
        window_start=WINDOW_START,
        window_end=WINDOW_START + timedelta(minutes=15),
        observed=42,
        expected=6.0,
        negative_share=0.64,
        severity="critical",
        score=0.99999,
        top_mentions=mentions or (make_mention(1), make_mention(2)),
    )
    fields.update(overrides)
    return Alert(**fields)


def hostile_alert() -> Alert:
    return make_alert(
        make_mention(1, text=HOSTILE_TEXTS[0], author="<@U999>", url="https://social.example/a?x=1&y=<2>|z"),
        make_mention(2, text=HOSTILE_TEXTS[1], author='"><b>me</b>', url="javascript:alert(1)"),
    )


def strings_in(value: Any) -> list[str]:
    """Every string anywhere in a JSON-like value: Slack parses them all."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


class _Elements(HTMLParser):
    """Collects tags and attributes as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parsed_tags(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(markup)
    return parser.tags


def test_escape_mrkdwn_neutralises_control_sequences() -> None:
    assert escape_mrkdwn("<!channel> & <@U123> <https://evil|bank.com>") == (
        "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil|bank.com&gt;"
    )


def test_text_shows_the_evidence() -> None:
    text = alert_text(make_alert())
    assert text.startswith("[CRITICAL] Negative spike for Acme: 42 negative mentions (7.0x expected)\n")
    for expected in (
        "Severity:",
        "critical",
        "2026-11-04 10:00–10:15 UTC",
        "42 observed vs 6.0 expected (7.0x expected)",
        "64% of mentions negative",
        "1. @user1 · reach 12,345 · twitter",
        "Acme cloud has been down for an hour, mention 1",
        "https://social.example/status/2",
    ):
        assert expected in text


def test_window_is_shown_in_utc_whatever_the_input_zone() -> None:
    berlin = timezone(timedelta(hours=1))
    start = datetime(2026, 11, 4, 11, 0, tzinfo=berlin)
    alert = make_alert(window_start=start, window_end=start + timedelta(minutes=15))
    assert "2026-11-04 10:00–10:15 UTC" in alert_text(alert)


def test_naive_window_is_read_as_utc() -> None:
    alert = make_alert(window_start=datetime(2026, 11, 4, 10, 0), window_end=datetime(2026, 11, 4, 10, 15))
    assert "2026-11-04 10:00–10:15 UTC" in alert_text(alert)


def test_zero_expected_does_not_divide_by_zero() -> None:
    alert = make_alert(expected=0.0)
    assert "none expected" in alert_title(alert)
    assert "42 observed vs 0.0 expected (none expected)" in alert_text(alert)


def test_long_mention_is_truncated_with_an_ellipsis() -> None:
    alert = make_alert(make_mention(1, text="x" * 1000))
    (quoted,) = [line.strip() for line in alert_text(alert).splitlines() if line.strip().startswith("xxx")]
    assert len(quoted) == MENTION_TEXT_LIMIT
    assert quoted.endswith("…")


def test_text_strips_terminal_escapes_and_bidi_overrides() -> None:
    alert = make_alert(make_mention(1, text="fine\x1b[2J\x1b[31m red\r\nnext \u202eevil", author="bad\x07bell"))
    text = alert_text(alert)
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text and "\u202e" not in text
    assert "fine [2J [31m red next evil" in text


def test_mention_without_author_reach_or_url_still_renders() -> None:
    alert = make_alert(make_mention(1, author=None, author_reach=None, url=None))
    assert "1. unknown author · twitter" in alert_text(alert)
    assert "<a " not in alert_html(alert)


def test_html_escapes_mention_text_authors_and_urls() -> None:
    markup = alert_html(hostile_alert())
    assert "<script>" not in markup and "<img" not in markup and "<b>" not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup
    tags = {tag for tag, _ in parsed_tags(markup)}
    assert tags <= {"html", "head", "meta", "title", "body", "h2", "h3", "table", "tr", "th", "td", "ol", "li", "p",
                    "strong", "a", "blockquote"}


def test_html_links_only_http_urls() -> None:
    links = [attrs["href"] for tag, attrs in parsed_tags(alert_html(hostile_alert())) if tag == "a"]
    assert links == ["https://social.example/a?x=1&y=<2>|z"]  # unescaped by the parser: the attribute held


def test_slack_payload_is_json_with_fallback_text_and_blocks() -> None:
    payload = json.loads(json.dumps(slack_payload(make_alert())))
    assert payload["text"].startswith("[CRITICAL] Negative spike for Acme")
    assert payload["unfurl_links"] is False
    kinds = [block["type"] for block in payload["blocks"]]
    assert kinds[:2] == ["header", "section"]
    assert "<https://social.example/status/1|open>" in json.dumps(payload)


def test_slack_payload_cannot_ping_or_disguise_links() -> None:
    payload = slack_payload(hostile_alert())
    everything = "\n".join(strings_in(payload))
    for forbidden in ("<!channel>", "<!here>", "<@U123>", "<@U999>", "<https://evil.example|bank.com>", "javascript:"):
        assert forbidden not in everything
    assert "&lt;!channel&gt;" in everything
    assert "&lt;https://evil.example|bank.com&gt;" in everything
    # The one real link: its own `|`, `<` and `>` cannot end the target early or add a label.
    assert "<https://social.example/a?x=1&amp;y=&lt;2&gt;%7Cz|open>" in everything


def test_slack_payload_stays_within_the_block_limit() -> None:
    alert = make_alert(*(make_mention(number) for number in range(1, 51)))
    blocks = slack_payload(alert)["blocks"]
    assert len(blocks) <= 50
    assert blocks[-1]["elements"][0]["text"] == "40 more mentions not shown"
