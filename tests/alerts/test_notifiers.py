"""Notifiers against real loopback servers: what arrives on the wire, and how each failure is classified.

The outbox retries RetryableError and dead-letters PermanentError, so the classification is the
contract under test; nothing here mocks slack-sdk or smtplib.
"""

from __future__ import annotations

import json
import logging
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any, Callable, Iterator, Sequence

import pytest
from pydantic import ValidationError

from alerts.notify.notifiers import (
    NOTIFIERS,
    Notifier,
    NotifierContext,
    NotifierDisabled,
    PermanentError,
    RetryableError,
)
from listener.core.clock import SystemClock
from tests.servers import (
    FakeSlackAPI,
    RecordingHTTPServer,
    ResponseSpec,
    ScriptedResponse,
    fake_slack_api,
    recording_http_server,
    refused_port,
    smtp_server,
)
from tests.alerts.test_render import WINDOW_START, hostile_alert, make_alert, make_evidence, make_mention, parsed_tags

WEBHOOK_PATH = "/services/T000/B000/sekrit-webhook-token"
SMTP_PASSWORD = "correct horse battery staple"


def build_notifier(type_name: str, **settings: Any) -> Notifier:
    """Validate settings and build, exactly as the pipeline does."""
    notifier_type = NOTIFIERS.get(type_name)
    validated = notifier_type.settings_model.model_validate(settings)
    return notifier_type.build(NotifierContext(f"test-{type_name}", validated, SystemClock()))


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk routes through HTTP(S)_PROXY from the environment, which would swallow loopback requests."""
    for variable in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(variable, raising=False)


def test_builtin_notifier_types_are_registered() -> None:
    assert {"console", "slack", "email", "webhook"} <= set(NOTIFIERS.names())


# --- console ----------------------------------------------------------------------------------


def test_console_appends_one_json_line_per_alert_and_prints_the_block(tmp_path, capsys) -> None:
    path = tmp_path / "var" / "alerts.jsonl"
    notifier = build_notifier("console", path=str(path))
    alert = make_alert()
    notifier.send(alert)
    notifier.send(make_alert(brand="Globex"))

    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record["key"] == alert.key
    assert (record["brand"], record["severity"]) == ("Acme", "critical")
    assert (record["observed"], record["expected"]) == (42, 6.0)
    assert record["window_start"] == "2026-11-04T10:00:00+00:00"
    assert record["window_end"] == "2026-11-04T10:15:00+00:00"
    assert (record["negative_share"], record["score"]) == (0.64, 0.99999)
    assert [(m["id"], m["url"]) for m in record["top_mentions"]] == [
        (1, "https://social.example/status/1"),
        (2, "https://social.example/status/2"),
    ]
    out = capsys.readouterr().out
    assert "[CRITICAL] Negative spike for Acme" in out
    assert "[CRITICAL] Negative spike for Globex" in out


def test_console_json_line_carries_title_kind_text_and_evidence_readable_with_jq(tmp_path) -> None:
    """A JSON-lines alert log is read with `jq`, not joined against the database: everything the
    message says is in the line, mention text JSON-escaped and kept to one physical line."""
    path = tmp_path / "alerts.jsonl"
    hostile = make_mention(
        3, text='Acme "down"\u2028again\x85</script>{"key": 1}\nnext line', author="ev\u202eil", created_at=WINDOW_START
    )
    alert = make_alert(make_mention(1), hostile, evidence=make_evidence(), kind="escalation")
    build_notifier("console", path=str(path)).send(alert)

    raw = path.read_text(encoding="utf-8")
    assert raw.count("\n") == 1 and len(raw.splitlines()) == 1  # U+2028 / NEL would split it for Python readers
    record = json.loads(raw)
    assert record["title"] == "[CRITICAL] Escalated: negative spike for Acme: 42 negative mentions (7.0x expected)"
    assert (record["kind"], record["test"]) == ("escalation", False)
    assert record["text"].startswith(record["title"] + "\n") and "Top negative mentions:" in record["text"]
    assert record["evidence"]["driving_terms"] == [
        {"term": "outage", "spike_count": 30, "baseline_rate": 0.1},
        {"term": "#acmedown", "spike_count": 12, "baseline_rate": 0.0},
    ]
    assert record["evidence"]["observed_series"][-1] == 42.0
    assert record["evidence"]["sources"] == [["twitter", 30], ["mastodon", 12]]
    mention = record["top_mentions"][1]
    assert mention["text"] == 'Acme "down" again </script>{"key": 1} next line'
    assert (mention["author"], mention["created_at"]) == ("evil", "2026-11-04T10:00:00+00:00")


def test_console_marks_the_test_alert_in_its_json_line(tmp_path, capsys) -> None:
    from alerts.notify.test_message import build_test_alert

    path = tmp_path / "alerts.jsonl"
    notifier = build_notifier("console", path=str(path))
    notifier.send(build_test_alert("Acme", datetime(2026, 11, 2, 12, tzinfo=UTC)))
    notifier.send(make_alert())
    test_line, real_line = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    assert test_line["test"] is True and test_line["title"].startswith("[TEST] ")
    assert real_line["test"] is False


def test_console_can_print_to_stderr_only(capsys) -> None:
    build_notifier("console", stream="stderr").send(make_alert())
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Negative spike for Acme" in captured.err


def test_console_unwritable_path_is_permanent(tmp_path) -> None:
    with pytest.raises(PermanentError, match="fix the console notifier's path"):
        build_notifier("console", path=str(tmp_path)).send(make_alert())  # a directory


def test_console_rejects_unknown_settings() -> None:
    with pytest.raises(ValidationError):
        NOTIFIERS.get("console").settings_model.model_validate({"file": "alerts.jsonl"})


# --- slack ------------------------------------------------------------------------------------


@pytest.fixture
def slack_webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[RecordingHTTPServer, Notifier]]]:
    """`slack_webhook(responses, timeout=2)`: a scripted loopback server, SLACK_WEBHOOK_URL at it, the notifier."""
    with ExitStack() as servers:

        def start(responses: Sequence[ResponseSpec] = (), timeout: float = 2) -> tuple[RecordingHTTPServer, Notifier]:
            server = servers.enter_context(recording_http_server(responses))
            monkeypatch.setenv("SLACK_WEBHOOK_URL", server.url + WEBHOOK_PATH)
            return server, build_notifier("slack", webhook_url="${SLACK_WEBHOOK_URL}", timeout=timeout)

        yield start


def test_slack_posts_the_alert_as_json_with_hostile_text_escaped(slack_webhook) -> None:
    server, notifier = slack_webhook()
    notifier.send(hostile_alert())

    (request,) = server.requests
    assert (request.method, request.path) == ("POST", WEBHOOK_PATH)
    assert request.headers["Content-Type"].startswith("application/json")
    payload = request.json()
    assert payload["text"].startswith("[CRITICAL] Negative spike for Acme")
    raw = request.body.decode("utf-8")
    for forbidden in ("<!channel>", "<@U123>", "<https://evil.example|bank.com>"):
        assert forbidden not in raw
    blocks_text = json.dumps(payload["blocks"], ensure_ascii=False)
    assert "&lt;!channel&gt;" in blocks_text
    assert "&lt;https:⁄⁄evil․example|bank․com&gt;" in blocks_text  # shown, neither a link nor auto-linked


def test_slack_500_is_retryable(slack_webhook) -> None:
    _, notifier = slack_webhook([ScriptedResponse(500, body="internal_error")])
    with pytest.raises(RetryableError, match="HTTP 500: internal_error") as caught:
        notifier.send(make_alert())
    assert caught.value.retry_after is None


def test_slack_429_waits_retry_after(slack_webhook) -> None:
    _, notifier = slack_webhook([(429, {"Retry-After": "7"}, "rate_limited")])
    with pytest.raises(RetryableError) as caught:
        notifier.send(make_alert())
    assert caught.value.retry_after == 7


def test_slack_404_is_permanent(slack_webhook) -> None:
    _, notifier = slack_webhook([ScriptedResponse(404, body="no_service")])
    with pytest.raises(PermanentError, match="HTTP 404: no_service"):
        notifier.send(make_alert())


def test_slack_timeout_is_retryable(slack_webhook) -> None:
    _, notifier = slack_webhook([ScriptedResponse(200, delay=2)], timeout=0.3)
    with pytest.raises(RetryableError, match="unreachable"):
        notifier.send(make_alert())


def test_slack_connection_refused_is_retryable(monkeypatch) -> None:
    with refused_port() as port:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
        notifier = build_notifier("slack", webhook_url="${SLACK_WEBHOOK_URL}")
        with pytest.raises(RetryableError, match="unreachable"):
            notifier.send(make_alert())


def shown_chain(error: BaseException) -> list[BaseException]:
    """The exceptions a logged traceback would print: the error and its shown causes and contexts."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def test_slack_errors_and_logs_never_show_the_webhook_url(slack_webhook, monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    failures: list[Exception] = []
    for response in ([ScriptedResponse(500)], [ScriptedResponse(429)], [ScriptedResponse(403, body=WEBHOOK_PATH)]):
        _, notifier = slack_webhook(response)
        with pytest.raises((RetryableError, PermanentError)) as caught:
            notifier.send(make_alert())
        failures.append(caught.value)
    with refused_port() as port:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"http://127.0.0.1:{port}{WEBHOOK_PATH}")
        with pytest.raises(RetryableError) as caught:
            build_notifier("slack", webhook_url="${SLACK_WEBHOOK_URL}").send(make_alert())
        failures.append(caught.value)
    for error in failures:
        for shown in shown_chain(error):
            assert "sekrit" not in str(shown) and "sekrit" not in repr(shown)
    assert "sekrit" not in caplog.text


def test_slack_disabled_until_the_env_var_is_set(monkeypatch) -> None:
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    with pytest.raises(NotifierDisabled, match="set SLACK_WEBHOOK_URL to enable"):
        build_notifier("slack", webhook_url="${SLACK_WEBHOOK_URL}")


def test_slack_disabled_when_the_env_var_is_not_a_url_and_the_value_stays_secret(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "sekrit-not-a-url")
    with pytest.raises(NotifierDisabled) as caught:
        build_notifier("slack", webhook_url="${SLACK_WEBHOOK_URL}")
    assert "SLACK_WEBHOOK_URL is set but is not an https:// URL" in str(caught.value)
    assert "sekrit" not in str(caught.value)


def test_slack_webhook_url_must_be_a_reference_not_a_literal() -> None:
    with pytest.raises(ValidationError, match="environment variable reference"):
        NOTIFIERS.get("slack").settings_model.model_validate({"webhook_url": "https://hooks.slack.com/services/x"})


# --- slack: bot token ------------------------------------------------------------------------

BOT_TOKEN = "xoxb-sekrit-bot-token"
INCIDENT = "Acme:negative_spike:2026-11-04T10:00:00+00:00"


@pytest.fixture
def slack_bot(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeSlackAPI, Notifier]]:
    """A loopback Slack Web API and a bot-token notifier pointed at it through `api_url`."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with fake_slack_api(BOT_TOKEN) as api:
        notifier = build_notifier(
            "slack", token="${SLACK_BOT_TOKEN}", channel="C0ALERTS", api_url=api.url, timeout=2
        )
        yield api, notifier


def test_slack_bot_posts_block_kit_to_the_channel_and_returns_the_ts(slack_bot) -> None:
    api, notifier = slack_bot
    ts = notifier.send(make_alert(evidence=make_evidence(), incident_key=INCIDENT))

    (message,) = api.messages
    assert ts == message["ts"]
    assert message["channel"] == "C0ALERTS"
    assert message["text"].startswith("[CRITICAL] Negative spike for Acme")
    assert (message["unfurl_links"], message["unfurl_media"]) == (False, False)
    assert "thread_ts" not in message
    blocks = json.dumps(message["blocks"], ensure_ascii=False)
    assert "42 observed vs 6.0 expected" in blocks
    assert "outage (30 vs 0.1 usual)" in blocks and "twitter 30, mastodon 12" in blocks
    assert "<https://social.example/status/1|open>" in blocks
    assert api.server.requests[0].headers["Authorization"] == f"Bearer {BOT_TOKEN}"


def test_slack_bot_threads_repeat_and_resolved_under_the_first_message(slack_bot) -> None:
    api, notifier = slack_bot
    first = notifier.send(make_alert(incident_key=INCIDENT))
    notifier.send(make_alert(kind="repeat", incident_key=INCIDENT), thread=first)
    notifier.send(make_alert(kind="resolved", incident_key=INCIDENT), thread=first)

    firing, repeat, resolved = api.messages
    assert "thread_ts" not in firing
    assert (repeat["thread_ts"], repeat["reply_broadcast"]) == (first, False)
    assert (resolved["thread_ts"], resolved["reply_broadcast"]) == (first, True)
    assert resolved["text"].startswith("[RESOLVED]")


def test_slack_bot_follow_up_whose_thread_is_gone_is_posted_on_its_own(slack_bot) -> None:
    api, notifier = slack_bot
    ts = notifier.send(make_alert(kind="repeat", incident_key=INCIDENT), thread="1111111111.000001")
    (message,) = api.messages
    assert ts == message["ts"] and "thread_ts" not in message
    assert f"Update on incident {INCIDENT}" in json.dumps(message["blocks"])


def test_slack_bot_escapes_hostile_text(slack_bot) -> None:
    api, notifier = slack_bot
    notifier.send(hostile_alert())
    raw = api.server.requests[0].body.decode("utf-8")
    for forbidden in ("<!channel>", "<@U123>", "<@U999>", "<https://evil.example|bank.com>", "javascript:"):
        assert forbidden not in raw


def test_slack_bot_429_waits_retry_after(slack_bot) -> None:
    api, notifier = slack_bot
    api.server.fail_next((429, {"Retry-After": "30", "Content-Type": "application/json"}, '{"ok": false, "error": "ratelimited"}'))
    with pytest.raises(RetryableError) as caught:
        notifier.send(make_alert())
    assert caught.value.retry_after == 30
    assert api.messages == []


def test_slack_bot_5xx_is_retryable(slack_bot) -> None:
    api, notifier = slack_bot
    api.server.fail_next((503, {"Content-Type": "application/json"}, '{"ok": false, "error": "service_unavailable"}'))
    with pytest.raises(RetryableError, match="HTTP 503"):
        notifier.send(make_alert())


def test_slack_bot_archived_channel_is_permanent_with_a_hint(monkeypatch, slack_bot) -> None:
    api, _ = slack_bot
    notifier = build_notifier("slack", token="${SLACK_BOT_TOKEN}", channel="C-ARCHIVED", api_url=api.url)
    with pytest.raises(PermanentError, match="is_archived; check channel 'C-ARCHIVED' exists and invite the bot"):
        notifier.send(make_alert())


def test_slack_bot_wrong_token_is_permanent_and_never_shown(monkeypatch, caplog, slack_bot) -> None:
    caplog.set_level(logging.DEBUG)
    api, _ = slack_bot
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-sekrit-but-wrong")
    notifier = build_notifier("slack", token="${SLACK_BOT_TOKEN}", channel="C0ALERTS", api_url=api.url)
    with pytest.raises(PermanentError, match="invalid_auth; check the bot token") as caught:
        notifier.send(make_alert())
    for shown in shown_chain(caught.value):
        assert "sekrit" not in str(shown) and "sekrit" not in repr(shown)
    assert "sekrit" not in caplog.text


def test_slack_bot_unreachable_api_is_retryable(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with refused_port() as port:
        notifier = build_notifier(
            "slack", token="${SLACK_BOT_TOKEN}", channel="C0ALERTS", api_url=f"http://127.0.0.1:{port}/api/"
        )
        with pytest.raises(RetryableError, match="Slack API unreachable") as caught:
            notifier.send(make_alert())
    assert "sekrit" not in str(caught.value)


def test_slack_bot_disabled_until_the_token_is_set(monkeypatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with pytest.raises(NotifierDisabled, match="set SLACK_BOT_TOKEN to enable it"):
        build_notifier("slack", token="${SLACK_BOT_TOKEN}", channel="C0ALERTS")


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({}, "give either webhook_url"),
        ({"webhook_url": "${SLACK_WEBHOOK_URL}", "token": "${SLACK_BOT_TOKEN}", "channel": "C1"}, "not both"),
        ({"token": "${SLACK_BOT_TOKEN}"}, "channel is required with a bot token"),
        ({"webhook_url": "${SLACK_WEBHOOK_URL}", "channel": "C1"}, "channel only applies to a bot token"),
        ({"token": "xoxb-literal", "channel": "C1"}, "environment variable reference"),
        ({"token": "${SLACK_BOT_TOKEN}", "channel": "C1", "api_url": "slack.com/api"}, "is not an http"),
    ],
)
def test_slack_settings_need_exactly_one_way_to_post(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        NOTIFIERS.get("slack").settings_model.model_validate(settings)


# --- email ------------------------------------------------------------------------------------


def email_settings(smtp_port: int, **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": smtp_port,
        "security": "none",
        "sender": "Social Listener <alerts@listener.example>",
        "recipients": ["oncall@acme.example", "pr@acme.example"],
        "timeout": 5,
    }
    settings.update(overrides)
    return settings


def test_email_delivers_multipart_text_and_html() -> None:
    alert = make_alert()
    with smtp_server() as smtp:
        build_notifier("email", **email_settings(smtp.port)).send(alert)

    (mail,) = smtp.received
    assert mail.mail_from == "alerts@listener.example"
    assert mail.rcpt_tos == ["oncall@acme.example", "pr@acme.example"]
    message = mail.message
    # A subject that fits a line of its own is folded after "Subject:"; mail clients drop that space.
    assert message["Subject"].strip() == "[CRITICAL] Negative spike for Acme: 42 negative mentions (7.0x expected)"
    assert message["From"] == "Social Listener <alerts@listener.example>"
    assert message["To"] == "oncall@acme.example, pr@acme.example"
    assert message["Date"] is not None
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "42 observed vs 6.0 expected (7.0x expected)" in text
    assert "Acme cloud has been down for an hour, mention 1" in text
    assert '<a href="https://social.example/status/1">open</a>' in html


def test_email_message_id_is_the_same_for_a_resent_alert() -> None:
    with smtp_server() as smtp:
        notifier = build_notifier("email", **email_settings(smtp.port))
        notifier.send(make_alert())
        notifier.send(make_alert())  # the outbox re-sends after a crash
        notifier.send(make_alert(brand="Globex"))

    first, resent, other = (message["Message-ID"] for message in smtp.messages)
    assert first == resent
    assert first != other
    assert first.startswith("<alert.") and first.endswith("@listener.example>")


def test_email_html_part_escapes_hostile_mentions() -> None:
    with smtp_server() as smtp:
        build_notifier("email", **email_settings(smtp.port)).send(hostile_alert())

    html = smtp.messages[0].get_body(("html",)).get_content()
    assert "<script>" not in html and "onerror=alert(1)>" not in html and "javascript:" not in html
    images = [attrs["src"] for tag, attrs in parsed_tags(html) if tag == "img"]
    assert len(images) == 1 and images[0].startswith("cid:")  # only the chart
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_email_starttls_not_offered_is_permanent() -> None:
    """A server without STARTTLS cannot become one by retrying; sending in the clear instead would leak the
    password. So it is permanent: dead-letter now, with a message that says which setting to change."""
    with smtp_server() as smtp:
        notifier = build_notifier("email", **email_settings(smtp.port, security="starttls"))
        with pytest.raises(PermanentError, match="STARTTLS extension not supported") as caught:
            notifier.send(make_alert())
    assert 'security = "ssl"' in str(caught.value)
    assert smtp.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a loopback test server
def test_email_logs_in_with_credentials_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SMTP_USER", "listener")
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    with smtp_server(credentials=("listener", SMTP_PASSWORD)) as smtp:
        settings = email_settings(smtp.port, username="${SMTP_USER}", password="${SMTP_PASSWORD}")
        build_notifier("email", **settings).send(make_alert())
    assert len(smtp.received) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_wrong_password_is_permanent_and_never_shown(monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SMTP_USER", "listener")
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    with smtp_server(credentials=("listener", "another password")) as smtp:
        settings = email_settings(smtp.port, username="${SMTP_USER}", password="${SMTP_PASSWORD}")
        notifier = build_notifier("email", **settings)
        with pytest.raises(PermanentError, match="535") as caught:
            notifier.send(make_alert())
    assert "check the SMTP username and password" in str(caught.value)
    assert SMTP_PASSWORD not in str(caught.value) and SMTP_PASSWORD not in repr(notifier)
    assert SMTP_PASSWORD not in caplog.text


def test_email_every_recipient_refused_with_5xx_is_permanent() -> None:
    refusals = {"oncall@acme.example": "550 5.1.1 no such user", "pr@acme.example": "550 5.1.1 no such user"}
    with smtp_server(refuse_recipients=refusals) as smtp:
        with pytest.raises(PermanentError, match="refused every recipient"):
            build_notifier("email", **email_settings(smtp.port)).send(make_alert())


def test_email_recipients_refused_with_4xx_is_retryable() -> None:
    refusals = {"oncall@acme.example": "450 4.2.1 mailbox busy", "pr@acme.example": "550 5.1.1 no such user"}
    with smtp_server(refuse_recipients=refusals) as smtp:
        with pytest.raises(RetryableError, match="450"):
            build_notifier("email", **email_settings(smtp.port)).send(make_alert())


def test_email_one_refused_recipient_still_delivers_to_the_others(caplog) -> None:
    with smtp_server(refuse_recipients={"pr@acme.example": "550 5.1.1 no such user"}) as smtp:
        build_notifier("email", **email_settings(smtp.port)).send(make_alert())
    assert smtp.received[0].rcpt_tos == ["oncall@acme.example"]
    assert "pr@acme.example (550 5.1.1 no such user)" in caplog.text


def test_email_connection_refused_is_retryable() -> None:
    with refused_port() as port:
        with pytest.raises(RetryableError, match="unreachable: ConnectionRefusedError"):
            build_notifier("email", **email_settings(port)).send(make_alert())


def test_email_disabled_until_the_host_variable_is_set(monkeypatch) -> None:
    monkeypatch.delenv("SMTP_HOST", raising=False)
    with pytest.raises(NotifierDisabled, match="set SMTP_HOST"):
        build_notifier("email", **email_settings(25, host="${SMTP_HOST}"))
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    assert build_notifier("email", **email_settings(25, host="${SMTP_HOST}")).name == "test-email"


def test_email_disabled_with_half_the_credentials(monkeypatch) -> None:
    monkeypatch.setenv("SMTP_USER", "listener")
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    with pytest.raises(NotifierDisabled, match="set SMTP_PASSWORD"):
        build_notifier("email", **email_settings(25, username="${SMTP_USER}", password="${SMTP_PASSWORD}"))


def test_email_sends_without_login_when_no_credentials_are_set(monkeypatch) -> None:
    monkeypatch.delenv("SMTP_USER", raising=False)
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    with smtp_server() as smtp:
        settings = email_settings(smtp.port, username="${SMTP_USER}", password="${SMTP_PASSWORD}")
        build_notifier("email", **settings).send(make_alert())
    assert len(smtp.received) == 1


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("recipients", [], "at least 1 item"),
        ("recipients", ["not an address"], "is not an email address"),
        ("sender", "nobody", "is not an email address"),
        ("host", "${smtp host}", "environment variable reference"),
        ("security", "tls", "'starttls', 'ssl' or 'none'"),
        ("port", 0, "greater than or equal to 1"),
    ],
)
def test_email_settings_reject_bad_values(field: str, value: Any, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        NOTIFIERS.get("email").settings_model.model_validate(email_settings(25, **{field: value}))


def test_email_mentions_render_in_both_parts() -> None:
    mention = make_mention(7, text="Support queue says 3 hours & counting", author="angry_customer")
    with smtp_server() as smtp:
        build_notifier("email", **email_settings(smtp.port)).send(make_alert(mention))
    message = smtp.messages[0]
    assert "Support queue says 3 hours & counting" in message.get_body(("plain",)).get_content()
    assert "Support queue says 3 hours &amp; counting" in message.get_body(("html",)).get_content()


def test_email_follow_ups_reply_to_the_incidents_first_message() -> None:
    with smtp_server() as smtp:
        notifier = build_notifier("email", **email_settings(smtp.port))
        first = notifier.send(make_alert(incident_key=INCIDENT))
        notifier.send(make_alert(kind="repeat", incident_key=INCIDENT), thread=first)
        notifier.send(make_alert(kind="resolved", incident_key=INCIDENT), thread=first)

    firing, repeat, resolved = smtp.messages
    assert firing["Message-ID"] == first and firing["In-Reply-To"] is None
    assert len({firing["Message-ID"], repeat["Message-ID"], resolved["Message-ID"]}) == 3
    for follow_up in (repeat, resolved):
        assert (follow_up["In-Reply-To"], follow_up["References"]) == (first, first)
    assert resolved["Subject"].strip().startswith("[RESOLVED] Negative spike for Acme is over")


def test_email_html_shows_the_chart_inline() -> None:
    with smtp_server() as smtp:
        build_notifier("email", **email_settings(smtp.port)).send(make_alert(evidence=make_evidence()))

    message = smtp.messages[0]
    assert message.get_content_type() == "multipart/alternative"
    related = message.get_payload()[1]
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert image.get_content_type() == "image/png"
    assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    content_id = image["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in html_part.get_content()
    assert "outage (30 vs 0.1 usual)" in message.get_body(("plain",)).get_content()


def test_email_without_evidence_has_no_chart() -> None:
    with smtp_server() as smtp:
        build_notifier("email", **email_settings(smtp.port)).send(make_alert())
    assert [part.get_content_type() for part in smtp.messages[0].iter_parts()] == ["text/plain", "text/html"]


# --- listener alerts test ---------------------------------------------------------------------

ALERTS_TEST_CONFIG = """
[storage]
url = "sqlite:///{db}"

[[brands]]
name = "Acme"
keywords = ["acme"]

[[sources]]
name = "demo"
type = "demo"

[[notifiers]]
name = "oncall-email"
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "alerts@listener.example"
recipients = ["oncall@acme.example"]
enabled = false

[[notifiers]]
name = "team-slack"
type = "slack"
token = "${{SLACK_BOT_TOKEN}}"
channel = "C0ALERTS"
api_url = "{slack_api}"

[[notifiers]]
name = "bridge"
type = "webhook"
url = "{webhook_url}"
secret = "${{ALERT_WEBHOOK_SECRET}}"
"""


def run_alerts_test(tmp_path, receiver: str, **servers: Any):
    from click.testing import CliRunner

    from listener.cli.main import main

    values = {"smtp_port": 1, "slack_api": "http://127.0.0.1:1/api/", "webhook_url": "http://127.0.0.1:1/hook"}
    values.update(servers)
    config = tmp_path / "listener.toml"
    config.write_text(ALERTS_TEST_CONFIG.format(db=tmp_path / "test.db", **values))
    return CliRunner().invoke(main, ["alerts", "test", "--config", str(config), "--receiver", receiver])


def test_alerts_test_sends_a_marked_test_alert_through_email_even_if_disabled(tmp_path) -> None:
    with smtp_server() as smtp:
        result = run_alerts_test(tmp_path, "oncall-email", smtp_port=smtp.port)
    assert result.exit_code == 0, result.output
    assert "OK: test alert delivered to oncall-email (email) (reference <alert." in result.output
    (message,) = smtp.messages
    assert message["Subject"].strip().startswith("[TEST] [CRITICAL] Negative spike for Acme")
    html = message.get_body(("html",)).get_content()
    assert "&lt;!channel&gt;" in html and "outage (28 vs 0.2 usual)" in html
    assert [part.get_content_type() for part in message.get_payload()[1].iter_parts()] == ["text/html", "image/png"]


def test_alerts_test_slack_bot_prints_the_ts(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    with fake_slack_api(BOT_TOKEN) as api:
        result = run_alerts_test(tmp_path, "team-slack", slack_api=api.url)
    assert result.exit_code == 0, result.output
    (message,) = api.messages
    assert f"(reference {message['ts']})" in result.output
    assert message["text"].startswith("[TEST]")


def test_alerts_test_failure_exits_1_with_the_reason(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET", "s")
    with recording_http_server([ScriptedResponse(404, body="no such hook")]) as server:
        result = run_alerts_test(tmp_path, "bridge", webhook_url=server.url + "/hook")
    assert result.exit_code == 1
    assert "FAILED: bridge (webhook): webhook answered HTTP 404: no such hook" in result.output
    assert server.requests[0].json()["test"] is True


def test_alerts_test_names_a_missing_secret_and_an_unknown_receiver(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    result = run_alerts_test(tmp_path, "team-slack")
    assert result.exit_code == 1
    assert "FAILED: team-slack (slack) cannot run: set SLACK_BOT_TOKEN to enable it" in result.output
    result = run_alerts_test(tmp_path, "pager")
    assert result.exit_code == 1
    assert "no notifier named 'pager' in the config (known: oncall-email, team-slack, bridge)" in result.output
