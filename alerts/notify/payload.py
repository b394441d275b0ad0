"""The alert as data, for the notifiers whose readers are programs (the console's JSON lines, the
webhook's body): one definition of the alert's fields, its top mentions and its driving terms.

Mention text, authors, sources and terms are attacker-controlled: they pass through `one_line`
(no control characters, no line or bidi separators), and links through `web_url`, before the JSON
encoder escapes them.
"""

from __future__ import annotations

from typing import Any

from alerts.notify.render import TEST_RULE, alert_title, one_line, truncate, web_url
from listener.core.records import Alert, StoredMention, Story, TermGrowth, VolumeContext


def alert_fields(alert: Alert) -> dict[str, Any]:
    """What identifies the alert and its numbers. `test` is true only for `listener alerts
    test`'s made-up alert, so a consumer can drop it."""
    return {
        "key": alert.key,
        "kind": alert.kind,
        "test": alert.rule == TEST_RULE,
        "title": alert_title(alert),
        "incident_key": alert.incident_key or alert.key,
        "brand": alert.brand,
        "rule": alert.rule,
        "metric": alert.metric,
        "severity": alert.severity,
        "window_start": alert.window_start.isoformat(),
        "window_end": alert.window_end.isoformat(),
        "observed": alert.observed,
        "expected": alert.expected,
        "negative_share": alert.negative_share,
        "score": alert.score,
    }


def mention_fields(mention: StoredMention) -> dict[str, Any]:
    return {
        "id": mention.id,
        "source": one_line(mention.source),
        "external_id": one_line(mention.external_id),
        "url": web_url(mention.url),
        "author": one_line(mention.author) if mention.author else None,
        "author_reach": mention.author_reach,
        "language": one_line(mention.language) if mention.language else None,
        "created_at": mention.created_at.isoformat(),
        "text": truncate(one_line(mention.text)),
    }


def term_fields(growth: TermGrowth) -> dict[str, Any]:
    return {"term": one_line(growth.term), "spike_count": growth.spike_count, "baseline_rate": growth.baseline_rate}


def story_fields(story: Story) -> dict[str, Any]:
    """A story of the spike; its name and terms are words of mentions, cleaned like the terms."""
    return {"name": one_line(story.name), "mentions": story.mentions, "terms": [one_line(term) for term in story.terms]}


def volume_fields(volume: VolumeContext | None) -> dict[str, Any] | None:
    """All mentions beside the usual, and the usual negative share (numbers only: nothing to clean)."""
    if volume is None:
        return None
    return {"mentions": volume.mentions, "usual_mentions": volume.usual_mentions, "usual_negative_share": volume.usual_negative_share}
