"""What authors write reaches Slack as typed: no bold, italics, strike-through, code or links that
Slack would make of it (issue 18)."""

from __future__ import annotations

import json
import re

import pytest

from alerts.notify.render import neutralise_mrkdwn, slack_payload
from listener.core.records import TermGrowth
from tests.alerts.test_render import make_alert, make_evidence, make_mention

FORMATTING = re.compile(r"[*_~`]")
BARE_LINKS = ("https://evil.example/login", "http://bank.example", "evil.example", "www.evil.example", "mallory@evil.example")


def _mention_blocks(payload: dict) -> list[str]:  # type: ignore[type-arg]
    return [block["text"]["text"] for block in payload["blocks"] if block["type"] == "section" and "text" in block][2:]


def test_formatting_characters_from_authors_are_shown_not_applied() -> None:
    mention = make_mention(1, author="*_~`boss`~_*", text="*FREE* _refund_ ~at~ `rm -rf` ```code```")
    alert = make_alert(mention, evidence=make_evidence(TermGrowth("*urgent*", 9, 0.0), TermGrowth("_x_", 3, 0.0)))
    payload = slack_payload(alert)
    (block,) = _mention_blocks(payload)
    byline, quote = block.split("\n", 1)
    byline = byline.split(" · <https://", 1)[0]  # the mention's own link follows
    assert byline.startswith("*") and byline.endswith("*")  # our own bold, around the byline
    assert not FORMATTING.search(byline[1:-1]) and not FORMATTING.search(quote)
    assert "∗FREE∗" in quote and "ˍrefundˍ" in quote and "∼at∼" in quote and "ˋrm -rfˋ" in quote
    context = next(block["text"]["text"] for block in payload["blocks"] if "Driving terms" in block.get("text", {}).get("text", ""))
    assert "∗urgent∗" in context and "*urgent*" not in context


@pytest.mark.parametrize("link", BARE_LINKS)
def test_urls_in_mention_text_and_author_names_do_not_link(link: str) -> None:
    alert = make_alert(make_mention(1, author=link, text=f"claim your refund at {link} now", url="https://social.example/1"))
    text = json.dumps(slack_payload(alert), ensure_ascii=False)
    assert link not in text
    assert "<https://social.example/1|open>" in text  # the mention's own, checked link stays


def test_neutralised_text_keeps_ordinary_words_and_numbers() -> None:
    assert neutralise_mrkdwn("acme is down again, 5.5x worse: see status page") == "acme is down again, 5.5x worse: see status page"
    assert neutralise_mrkdwn("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
