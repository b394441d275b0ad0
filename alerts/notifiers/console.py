"""Console notifier: the alert block on stdout/stderr, and optionally one JSON line per alert in a file.

The file is for machines (a log shipper, `jq`, the demo); it is fsynced before send() returns
because the outbox marks the alert delivered as soon as we return. A crash between the write and
that mark repeats the line once; consumers dedupe on `key`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Literal

from alerts.notifiers.base import NotifierContext, NotifierSettings, NotifierType, PermanentError, RetryableError
from alerts.render import TEST_RULE, alert_text, alert_title, clean_text, truncate, web_url
from listener.models import Alert, AlertEvidence, StoredMention


class ConsoleSettings(NotifierSettings):
    path: str | None = None
    """Append one JSON object per alert to this file (parent folders are created); see alert_record."""
    stream: Literal["stdout", "stderr"] = "stdout"


def alert_record(alert: Alert) -> dict[str, Any]:
    """The alert as one JSON object that `jq` can read on its own: what the message says (title,
    text), the numbers, the evidence and the top mentions with their text.

    Mention text, authors and terms are attacker-controlled: they pass through `clean_text` (no
    control characters, no line or bidi separators) and are then escaped by the JSON encoder.
    `test` is true only for `listener alerts test`'s made-up alert, so a consumer can drop it.
    """
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
        "evidence": _evidence_record(alert.evidence),
        "top_mentions": [_mention_record(mention) for mention in alert.top_mentions],
        "text": alert_text(alert),
    }


def _mention_record(mention: StoredMention) -> dict[str, Any]:
    return {
        "id": mention.id,
        "source": clean_text(mention.source),
        "external_id": clean_text(mention.external_id),
        "url": web_url(mention.url),
        "author": clean_text(mention.author) if mention.author else None,
        "author_reach": mention.author_reach,
        "created_at": mention.created_at.isoformat(),
        "text": truncate(clean_text(mention.text)),
    }


def _evidence_record(evidence: AlertEvidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    return {
        "window_starts": [start.isoformat() for start in evidence.window_starts],
        "observed_series": list(evidence.observed_series),
        "expected_series": list(evidence.expected_series),
        "driving_terms": [
            {"term": clean_text(growth.term), "spike_count": growth.spike_count, "baseline_rate": growth.baseline_rate}
            for growth in evidence.driving_terms
        ],
        "sources": [[clean_text(name), count] for name, count in evidence.sources],
        "languages": [[clean_text(name), count] for name, count in evidence.languages],
        "counted_until": evidence.counted_until.isoformat() if evidence.counted_until else None,
    }


def json_line(record: dict[str, Any]) -> str:
    """One physical line: besides `\\n`, which the encoder escapes, Python's `splitlines` and some
    log shippers also break at NEL, U+2028 and U+2029, which `ensure_ascii=False` leaves raw."""
    text = json.dumps(record, ensure_ascii=False)
    return text.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


class ConsoleNotifier:
    def __init__(self, name: str, settings: ConsoleSettings):
        self.name = name
        self.settings = settings

    def send(self, alert: Alert, thread: str | None = None) -> None:
        """A console has no threads: each message names its incident instead."""
        if self.settings.path is not None:
            self._append(Path(self.settings.path), json_line(alert_record(alert)))
        # Looked up at send time, not build time, so a redirected sys.stdout (pytest, daemons) is honoured.
        stream = sys.stdout if self.settings.stream == "stdout" else sys.stderr
        print(alert_text(alert), file=stream, flush=True)

    def _append(self, path: Path, line: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as file:
                file.write(line)
                file.flush()
                os.fsync(file.fileno())
        except (PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError) as error:
            raise PermanentError(
                f"cannot write alerts to {path}: {error.strerror}; fix the console notifier's path or its permissions"
            ) from error
        except OSError as error:  # disk full, NFS hiccup: may pass
            raise RetryableError(f"cannot write alerts to {path}: {error.strerror or error}") from error


def build(context: NotifierContext) -> ConsoleNotifier:
    return ConsoleNotifier(context.name, context.settings)


PLUGIN = NotifierType(name="console", settings_model=ConsoleSettings, build=build)
