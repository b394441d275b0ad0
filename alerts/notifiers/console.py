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

    def send(self, alert: Alert, thread: str | None = None) -> None:
        """A console has no threads: each message names its incident instead."""
        if self.settings.path is not None:
            self._append(Path(self.settings.path), json.dumps(alert_record(alert), ensure_ascii=False) + "\n")
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
