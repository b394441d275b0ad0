"""Console notifier: the alert block on stdout/stderr, and optionally one JSON line per alert in a file.

The file is for machines (a log shipper, `jq`, the demo); it is fsynced before send() returns
because the outbox marks the alert delivered as soon as we return. A crash between the write and
that mark makes the outbox send it again after the restart: each line carries its `delivery_id`
(notifier and alert key), and a delivery already in the file is not written twice, so the file
holds every alert exactly once. The block on the console may be printed again.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Literal

from alerts.notify.notifiers.base import (
    NotifierContext,
    NotifierSettings,
    NotifierType,
    PermanentError,
    RetryableError,
)
from alerts.notify.payload import alert_fields, mention_fields, story_fields, term_fields, volume_fields
from alerts.notify.render import (
    alert_text,
    one_line,
)
from listener.config.types import ConfigPath
from listener.core.records import Alert, AlertEvidence


class ConsoleSettings(NotifierSettings):
    path: ConfigPath | None = None
    """Append one JSON object per alert to this file (relative to the config file; parent folders
    are created); see alert_record."""
    stream: Literal["stdout", "stderr"] = "stdout"


def alert_record(alert: Alert) -> dict[str, Any]:
    """The alert as one JSON object that `jq` can read on its own: what the message says (title,
    text), the numbers, the evidence and the top mentions with their text.

    The fields, mentions and terms are `alerts/notify/payload.py`'s, as in the webhook's body.
    """
    return {
        **alert_fields(alert),
        "evidence": _evidence_record(alert.evidence),
        "top_mentions": [mention_fields(mention) for mention in alert.top_mentions],
        "text": alert_text(alert),
    }

def _evidence_record(evidence: AlertEvidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    return {
        "window_starts": [start.isoformat() for start in evidence.window_starts],
        "observed_series": list(evidence.observed_series),
        "expected_series": list(evidence.expected_series),
        "driving_terms": [term_fields(growth) for growth in evidence.driving_terms],
        "stories": [story_fields(story) for story in evidence.stories],
        "stories_from": evidence.stories_from,
        "sources": [[one_line(name), count] for name, count in evidence.sources],
        "languages": [[one_line(name), count] for name, count in evidence.languages],
        "counted_until": evidence.counted_until.isoformat() if evidence.counted_until else None,
        "volume": volume_fields(evidence.volume),
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
        self._written: set[str] | None = None
        """Delivery ids already in the file: read from it on the first send, then kept up to date."""

    def send(self, alert: Alert, thread: str | None = None) -> None:
        """A console has no threads: each message names its incident instead."""
        if self.settings.path is not None:
            path = Path(self.settings.path)
            delivery_id = f"{self.name}/{alert.key}"
            if self._written is None:
                self._written = _delivery_ids(path)
            if delivery_id not in self._written:
                self._append(path, json_line({"delivery_id": delivery_id, **alert_record(alert)}))
                self._written.add(delivery_id)
        # Looked up at send time, not build time, so a redirected sys.stdout (pytest, daemons) is honoured.
        stream = sys.stdout if self.settings.stream == "stdout" else sys.stderr
        print(alert_text(alert), file=stream, flush=True)

    def _append(self, path: Path, line: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as file:
                if file.tell() > 0 and not _ends_with_newline(path):  # a line torn by a crash must not swallow this one
                    line = "\n" + line
                file.write(line.encode("utf-8"))
                file.flush()
                os.fsync(file.fileno())
        except (PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError) as error:
            raise PermanentError(
                f"cannot write alerts to {path}: {error.strerror}; fix the console notifier's path or its permissions"
            ) from error
        except OSError as error:  # disk full, NFS hiccup: may pass
            raise RetryableError(f"cannot write alerts to {path}: {error.strerror or error}") from error


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


def _delivery_ids(path: Path) -> set[str]:
    """The delivery ids in an existing alerts file; lines that do not parse (one torn by a crash,
    or written by hand) are skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return set()  # nothing written yet; an unusable path fails on write, with its own message
    ids = set()
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("delivery_id"), str):
            ids.add(record["delivery_id"])
    return ids


def build(context: NotifierContext) -> ConsoleNotifier:
    return ConsoleNotifier(context.name, context.settings)


PLUGIN = NotifierType(name="console", settings_model=ConsoleSettings, build=build)
