"""`--log-format json`: one JSON object per log record, for log shippers (Loki, Elastic, journald
with a JSON parser), on the long-running commands (`run`, `scheduler`, `worker`).

The records are the same ones the text format shows, passed through the same redaction filter,
so a secret is no more visible in JSON than in text.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

import click

from listener.core import redaction


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def use_json_logs() -> None:
    """Replace the root logger's handlers (coloured on a terminal, plain text otherwise) by one
    writing JSON lines to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    redaction.install()


def _apply(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if value == "json":
        use_json_logs()
    return value


log_format_option = click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    expose_value=False,
    is_eager=True,
    callback=_apply,
    help="text: one readable line per record; json: one JSON object per record (for log shippers).",
)
