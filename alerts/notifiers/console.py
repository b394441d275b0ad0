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

from alerts.notifiers.base import NotifierContext, NotifierSettings, NotifierType, PermanentError, RetryableError
from alerts.render import alert_text
from listener.models import Alert


class ConsoleSettings(NotifierSettings):
    path: str | None = None
    """Append one JSON object per alert to this file (parent folders are created)."""
    stream: Literal["stdout", "stderr"] = "stdout"


def alert_record(alert: Alert) -> dict[str, Any]:
    """The machine-readable alert: identifiers and numbers, never mention text (read it in storage)."""
    return {
        "key": alert.key,
        "kind": alert.kind,
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
        "top_mentions": [
            {"id": mention.id, "source": mention.source, "external_id": mention.external_id, "url": mention.url}
            for mention in alert.top_mentions
        ],
    }


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
                record = {"delivery_id": delivery_id, **alert_record(alert)}
                self._append(path, json.dumps(record, ensure_ascii=False) + "\n")
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
