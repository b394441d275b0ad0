"""Secrets stay out of logs and error messages even when a receiver or a driver quotes them
(issue 18): a Slack token echoed URL-encoded, a webhook signing secret echoed back, a database
password in an unusable storage URL."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from alerts.notify.notifiers import PermanentError
from listener.core import redaction
from listener.cli.main import main
from tests.cli_helpers import write_cli_config
from tests.servers import ScriptedResponse, recording_http_server
from tests.alerts.test_notifiers import WEBHOOK_PATH, build_notifier, no_proxy  # noqa: F401 (autouse fixture)
from tests.alerts.test_render import make_alert

TOKEN = WEBHOOK_PATH.rsplit("/", 1)[1]


@pytest.mark.parametrize("echo", [WEBHOOK_PATH, quote(WEBHOOK_PATH, safe="")], ids=["plain", "url-encoded"])
def test_a_slack_error_page_echoing_the_path_never_shows_the_token(echo: str, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    redaction.install()
    with recording_http_server([ScriptedResponse(404, body=f"no such hook: {echo}")]) as server:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", server.url + WEBHOOK_PATH)
        with pytest.raises(PermanentError) as caught:
            build_notifier("slack", webhook_url="${SLACK_WEBHOOK_URL}").send(make_alert())
    logging.getLogger("alerts.notify.outbox").error("dead letter: %s (body %s)", caught.value, echo)
    assert TOKEN not in str(caught.value) and quote(TOKEN) not in str(caught.value)
    assert TOKEN not in caplog.text and "sekrit" not in caplog.text


def test_a_webhook_receiver_echoing_the_signing_secret_never_shows_it(monkeypatch, caplog) -> None:
    secret = "whsec-echoed-signing-key-42"
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET", secret)
    with recording_http_server([ScriptedResponse(401, body=f"signature mismatch: expected key {quote(secret)} or {secret}")]) as server:
        notifier = build_notifier("webhook", url=server.url + "/hook", secret="${ALERT_WEBHOOK_SECRET}")
        with pytest.raises(PermanentError) as caught:
            notifier.send(make_alert())
    assert "echoed-signing" not in str(caught.value)


def test_log_records_and_tracebacks_lose_every_registered_secret(caplog, monkeypatch) -> None:
    monkeypatch.setenv("SOME_API_TOKEN", "tok-en/with+odd chars")
    caplog.set_level(logging.INFO)
    redaction.install()
    from listener.config.types import SecretRef

    SecretRef("${SOME_API_TOKEN}").resolve()
    log = logging.getLogger("listener.test")
    log.info("token %s, encoded %s, plus %s", "tok-en/with+odd chars", quote("tok-en/with+odd chars", safe=""),
             "tok-en%2Fwith%2Bodd+chars")
    log.info("engine postgresql://listener:pa55word@db/x")
    try:
        raise RuntimeError("failed with tok-en/with+odd chars")
    except RuntimeError:
        log.exception("boom")
    assert "odd" not in caplog.text and "pa55word" not in caplog.text
    assert caplog.text.count(redaction.REDACTED) == 5  # three in the message, two in the traceback


@pytest.mark.parametrize(
    "command",
    [["run", "--once"], ["db", "upgrade"], ["alerts", "list"], ["serve"], ["history", "--brand", "Acme"]],
)
def test_an_unknown_storage_driver_never_prints_the_password(tmp_path: Path, command: list[str]) -> None:
    config = write_cli_config(tmp_path, "nosuchdb+driver://listener:s3cret-pw@127.0.0.1/listener")
    result = CliRunner().invoke(main, [*command, "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert "storage.url: unknown database 'nosuchdb+driver'" in result.output  # refused at load, by check-config too
    assert "s3cret" not in result.output


def test_the_command_line_logging_set_up_redacts(tmp_path: Path) -> None:
    """Through the real logging set-up, not pytest's: the handler `listener` installs redacts."""
    script = (
        "import logging; from listener.cli.common import setup_logging\n"
        "setup_logging(False)\n"
        "logging.getLogger('listener').warning('url was postgresql://u:s3cret-pw@h/db')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert "url was postgresql://u:***@h/db" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout
