"""Rendering an alert's evidence: what staff see, and that mention text cannot act on any surface."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

from alerts.metrics import top_mentions_heading
from alerts.notify.chart import sparkline
from alerts.notify.notifiers.console import alert_record
from alerts.notify.render import (
    MENTION_TEXT_LIMIT,
    alert_html,
    alert_text,
    alert_title,
    escape_mrkdwn,
    slack_payload,
)
from listener.core.records import Alert, AlertEvidence, StoredMention, TermGrowth, VolumeContext

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


def make_evidence(*terms: TermGrowth, **overrides: Any) -> AlertEvidence:
    """Eight calm windows and the spike: 42 negative mentions where about 6 were usual."""
    starts = tuple(WINDOW_START - timedelta(minutes=15) * back for back in range(8, -1, -1))
    fields: dict[str, Any] = dict(
        window_starts=starts,
        observed_series=(5.0, 6.0, 7.0, 5.0, 6.0, 6.0, 4.0, 8.0, 42.0),
        expected_series=(6.0,) * 9,
        driving_terms=terms or (TermGrowth("outage", 30, 0.1), TermGrowth("#acmedown", 12, 0.0)),
        sources=(("twitter", 30), ("mastodon", 12)),
        languages=(("en", 40), ("es", 2)),
    )
    fields.update(overrides)
    return AlertEvidence(**fields)


def hostile_alert(**overrides: Any) -> Alert:
    """Hostile mention text, authors, URLs, driving terms and language codes."""
    evidence = make_evidence(
        TermGrowth("<!channel>", 9, 0.0),
        TermGrowth("<script>alert(1)</script>", 5, 0.0),
        TermGrowth("<https://evil.example|bank.com>", 4, 0.0),
        languages=(("<b>xx</b>", 3),),
    )
    return make_alert(
        make_mention(1, text=HOSTILE_TEXTS[0], author="<@U999>", url="https://social.example/a?x=1&y=<2>|z"),
        make_mention(2, text=HOSTILE_TEXTS[1], author='"><b>me</b>', url="javascript:alert(1)"),
        evidence=evidence,
        **overrides,
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


def launch_like(negative_share: float, **overrides: Any) -> Alert:
    """42 negatives where 6 were usual, in 210 mentions where 30 were usual, at a usual share of 20%."""
    volume = VolumeContext(mentions=210, usual_mentions=30.0, usual_negative_share=0.2)
    return make_alert(evidence=make_evidence(volume=volume), negative_share=negative_share, **overrides)


def test_every_surface_says_when_the_negatives_rose_with_all_mentions() -> None:
    """A launch or a viral post brings more mentions of every kind: 7x the negatives at the usual
    share is more attention, not more complaints, and staff can see so before anyone is woken."""
    launch = launch_like(0.2)
    line = "210 in the window, 7.0x the usual 30; the negatives rose with all mentions at no more than the usual share"
    assert line in alert_text(launch)
    assert "20% of mentions negative (usual 20%)" in alert_text(launch)
    assert line in alert_html(launch)
    assert any(line in text for text in strings_in(slack_payload(launch)))
    complaints = alert_text(launch_like(0.64))
    assert "210 in the window, 7.0x the usual 30\n" in complaints and "rose with all mentions" not in complaints
    assert "64% of mentions negative (usual 20%)" in complaints
    assert "rose with all mentions" not in alert_text(launch_like(0.2, kind="resolved"))
    assert "All mentions" not in alert_text(make_alert(evidence=make_evidence()))  # alerts stored before it
    assert alert_record(launch)["evidence"]["volume"] == {"mentions": 210, "usual_mentions": 30.0, "usual_negative_share": 0.2}


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
    assert "&lt;!channel&gt;" in markup and "&lt;script&gt;alert(1)&lt;/script&gt;" in markup  # driving terms
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
    assert "&lt;https:⁄⁄evil․example|bank․com&gt;" in everything
    # The one real link: its own `|`, `<` and `>` cannot end the target early or add a label.
    assert "<https://social.example/a?x=1&amp;y=&lt;2&gt;%7Cz|open>" in everything


def test_slack_payload_stays_within_the_block_limit() -> None:
    alert = make_alert(*(make_mention(number) for number in range(1, 51)))
    blocks = slack_payload(alert)["blocks"]
    assert len(blocks) <= 50
    assert blocks[-1]["elements"][0]["text"] == "40 more mentions not shown"


# --- evidence, follow-ups, tests ---------------------------------------------------------------


def test_sparkline_scales_from_zero_so_flat_is_flat() -> None:
    assert sparkline([0, 1, 2, 8]) == "▁▂▃█"
    assert sparkline([10, 10, 10]) == "███"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([]) == ""
    assert sparkline([-1.0, 0.0, 1.0]) == "▁▅█"  # net sentiment goes below zero


def test_text_shows_trend_driving_terms_sources_and_languages() -> None:
    text = alert_text(make_alert(evidence=make_evidence()))
    assert "Trend:             ▂▂▂▂▂▂▂▂█ last 9 windows, baseline 6 per window" in text
    assert "Driving terms:     outage (30 vs 0.1 usual), #acmedown (12 vs 0.0 usual)" in text
    assert "Sources:           twitter 30, mastodon 12" in text
    assert "Languages:         en 40, es 2" in text


def test_titles_say_what_happened_to_the_incident() -> None:
    assert alert_title(make_alert(kind="repeat")) == (
        "[CRITICAL] Still going: negative spike for Acme: 42 negative mentions (7.0x expected)"
    )
    assert alert_title(make_alert(kind="resolved", observed=4)).startswith("[RESOLVED] Negative spike for Acme is over")
    assert alert_title(make_alert(rule="listener-alerts-test")).startswith("[TEST] [CRITICAL]")


def test_resolved_message_shows_numbers_not_the_old_complaints() -> None:
    alert = make_alert(kind="resolved", incident_key="Acme:negative_spike:2026-11-04T10:00")
    text = alert_text(alert)
    assert "Status:            resolved" in text
    assert "Top negative mentions" not in text
    assert "Top negative mentions" not in json.dumps(slack_payload(alert))


def test_unthreaded_follow_up_names_its_incident() -> None:
    alert = make_alert(kind="repeat", incident_key="Acme:negative_spike:2026-11-04T10:00")
    assert "Update on incident Acme:negative_spike:2026-11-04T10:00" in json.dumps(slack_payload(alert, threaded=False))
    assert "Incident Acme:negative_spike:2026-11-04T10:00" in alert_text(alert, threaded=True)


def test_hostile_driving_terms_are_inert_in_text_html_and_slack() -> None:
    alert = hostile_alert()
    assert "\x1b" not in alert_text(make_alert(evidence=make_evidence(TermGrowth("a\x1b[2Jb", 3, 0.0))))
    markup = alert_html(alert)
    assert not {"script", "b"} & {tag for tag, _ in parsed_tags(markup)}
    everything = "\n".join(strings_in(slack_payload(alert)))
    for forbidden in ("<!channel>", "<https://evil.example|bank.com>", "<script>", "<b>"):
        assert forbidden not in everything
    assert "&lt;!channel&gt; (9 vs 0.0 usual)" in everything


def test_html_shows_the_inline_chart_by_content_id() -> None:
    markup = alert_html(make_alert(evidence=make_evidence()), chart_cid="chart.1@listener.example")
    (image,) = [attrs for tag, attrs in parsed_tags(markup) if tag == "img"]
    assert image["src"] == "cid:chart.1@listener.example"


def test_the_top_mentions_heading_says_what_the_metric_shows() -> None:
    assert top_mentions_heading("negative_volume") == "Top negative mentions"
    assert top_mentions_heading("churn_intent") == "Top churn-intent mentions"
    assert top_mentions_heading("volume") == "Top mentions"
    assert top_mentions_heading("uninstalled_metric") == "Top negative mentions"  # alerts stored before
