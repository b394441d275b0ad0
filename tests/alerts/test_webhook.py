"""The generic webhook notifier against a real loopback HTTP server: body, signature, failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

import pytest
from pydantic import ValidationError

from alerts.notify.notifiers import NOTIFIERS, NotifierDisabled, PermanentError, RetryableError
from listener.core.records import VolumeContext
from tests.servers import RecordedRequest, ScriptedResponse, recording_http_server, refused_port
from tests.alerts.test_notifiers import build_notifier, no_proxy  # noqa: F401 (autouse fixture)
from tests.alerts.test_render import HOSTILE_TEXTS, hostile_alert, make_alert, make_evidence

SECRET = "whsec-sekrit-signing-key"


@pytest.fixture(autouse=True)
def signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET", SECRET)


def webhook(url: str, **settings: Any):
    return build_notifier("webhook", url=url, secret="${ALERT_WEBHOOK_SECRET}", **settings)


def receiver_accepts(request: RecordedRequest, secret: str = SECRET, body: bytes | None = None, now: float | None = None) -> bool:
    """A receiver's check, written from the README alone with the standard library: recompute the
    HMAC over `timestamp.body`, compare in constant time, refuse timestamps over 5 minutes off."""
    timestamp = request.headers["X-Listener-Timestamp"]
    body = request.body if body is None else body
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs((time.time() if now is None else now) - int(timestamp)) < 300
    return fresh and hmac.compare_digest(expected, request.headers["X-Listener-Signature"])


def test_posts_the_alert_as_versioned_json() -> None:
    with recording_http_server() as server:
        evidence = make_evidence(volume=VolumeContext(mentions=66, usual_mentions=30.0, usual_negative_share=0.2))
        result = webhook(server.url + "/alerts").send(make_alert(evidence=evidence, incident_key="inc-1"))

    assert result is None
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/alerts")
    assert request.headers["Content-Type"] == "application/json"
    body = request.json()
    assert body["version"] == 1 and body["test"] is False
    assert (body["kind"], body["incident_key"], body["brand"], body["severity"]) == ("firing", "inc-1", "Acme", "critical")
    assert (body["observed"], body["expected"], body["ratio"]) == (42, 6.0, 7.0)
    assert body["window_start"] == "2026-11-04T10:00:00+00:00"
    assert body["title"] == "[CRITICAL] Negative spike for Acme: 42 negative mentions (7.0x expected)"
    assert body["evidence"]["driving_terms"][0] == {"term": "outage", "spike_count": 30, "baseline_rate": 0.1}
    assert body["evidence"]["series"][-1] == {"window_start": "2026-11-04T10:00:00+00:00", "observed": 42.0, "expected": 6.0}
    assert body["evidence"]["sources"] == [{"name": "twitter", "count": 30}, {"name": "mastodon", "count": 12}]
    assert body["evidence"]["volume"] == {"mentions": 66, "usual_mentions": 30.0, "usual_negative_share": 0.2}
    assert [mention["url"] for mention in body["top_mentions"]] == [
        "https://social.example/status/1",
        "https://social.example/status/2",
    ]


def test_a_receiver_can_verify_the_signature() -> None:
    with recording_http_server() as server:
        webhook(server.url).send(make_alert())
    (request,) = server.requests
    assert receiver_accepts(request)


def test_a_tampered_body_a_wrong_secret_or_a_replay_fails_verification() -> None:
    with recording_http_server() as server:
        webhook(server.url).send(make_alert())
    (request,) = server.requests
    timestamp = request.headers["X-Listener-Timestamp"]
    tampered = request.body.replace(b'"observed":42', b'"observed":1')
    assert tampered != request.body
    assert not receiver_accepts(request, body=tampered)
    assert not receiver_accepts(request, secret="another-secret")
    assert not receiver_accepts(request, now=int(timestamp) + 3600)


def test_a_resent_alert_carries_the_same_idempotency_key() -> None:
    with recording_http_server() as server:
        notifier = webhook(server.url)
        notifier.send(make_alert())
        notifier.send(make_alert())
        notifier.send(make_alert(kind="resolved"))
    first, resent, resolved = (request.headers["Idempotency-Key"] for request in server.requests)
    assert first == resent != resolved


def test_hostile_mention_text_is_inert_json() -> None:
    with recording_http_server() as server:
        webhook(server.url).send(hostile_alert())
    (request,) = server.requests
    assert not {ord("<"), ord(">"), ord("&")} & set(request.body)  # escaped as \u003c etc.
    body = request.json()
    texts = [mention["text"] for mention in body["top_mentions"]]
    assert texts == list(HOSTILE_TEXTS)  # the same data once decoded
    assert [mention["url"] for mention in body["top_mentions"]] == ["https://social.example/a?x=1&y=<2>|z", None]
    assert body["evidence"]["driving_terms"][0]["term"] == "<!channel>"


def test_control_characters_are_stripped_from_mention_text() -> None:
    from tests.alerts.test_render import make_mention

    with recording_http_server() as server:
        webhook(server.url).send(make_alert(make_mention(1, text="a\x1b[2J\u202eb\r\nc")))
    assert server.requests[0].json()["top_mentions"][0]["text"] == "a [2Jb c"


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_server_errors_are_retryable(status: int) -> None:
    with recording_http_server([ScriptedResponse(status, body="busy")]) as server:
        with pytest.raises(RetryableError, match=f"HTTP {status}: busy"):
            webhook(server.url).send(make_alert())


def test_429_waits_retry_after() -> None:
    with recording_http_server([(429, {"Retry-After": "12"}, "slow down")]) as server:
        with pytest.raises(RetryableError) as caught:
            webhook(server.url).send(make_alert())
    assert caught.value.retry_after == 12


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_permanent(status: int) -> None:
    with recording_http_server([ScriptedResponse(status, body="nope")]) as server:
        with pytest.raises(PermanentError, match=f"HTTP {status}: nope; check the URL"):
            webhook(server.url).send(make_alert())


def test_a_redirect_is_not_followed_and_is_permanent() -> None:
    with recording_http_server([(301, {"Location": "http://127.0.0.1:1/elsewhere"}, "")]) as server:
        with pytest.raises(PermanentError, match="redirects are not followed"):
            webhook(server.url).send(make_alert())
    assert len(server.requests) == 1


def test_timeout_and_refused_connection_are_retryable() -> None:
    with recording_http_server([ScriptedResponse(200, delay=2)]) as server:
        with pytest.raises(RetryableError, match="webhook unreachable"):
            webhook(server.url, timeout=0.3).send(make_alert())
    with refused_port() as port:
        with pytest.raises(RetryableError, match="webhook unreachable"):
            webhook(f"http://127.0.0.1:{port}/hook").send(make_alert())


def test_a_url_from_the_environment_never_shows_in_errors_or_logs(monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with recording_http_server([ScriptedResponse(404, body="/hooks/sekrit-path not found")]) as server:
        monkeypatch.setenv("ALERT_WEBHOOK_URL", f"{server.url}/hooks/sekrit-path")
        with pytest.raises(PermanentError) as caught:
            webhook("${ALERT_WEBHOOK_URL}").send(make_alert())
    assert "sekrit" not in str(caught.value) and "<webhook path>" in str(caught.value)
    assert "sekrit" not in caplog.text


def test_disabled_until_the_secret_and_url_are_set(monkeypatch) -> None:
    monkeypatch.delenv("ALERT_WEBHOOK_SECRET")
    with pytest.raises(NotifierDisabled, match="set ALERT_WEBHOOK_SECRET to the signing secret"):
        webhook("https://bridge.example/alerts")
    monkeypatch.setenv("ALERT_WEBHOOK_SECRET", SECRET)
    monkeypatch.delenv("ALERT_WEBHOOK_URL", raising=False)
    with pytest.raises(NotifierDisabled, match="set ALERT_WEBHOOK_URL to the webhook URL"):
        webhook("${ALERT_WEBHOOK_URL}")
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "sekrit-not-a-url")
    with pytest.raises(NotifierDisabled, match="is set but is not an http") as caught:
        webhook("${ALERT_WEBHOOK_URL}")
    assert "sekrit" not in str(caught.value)


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"url": "https://bridge.example", "secret": "literal"}, "environment variable reference"),
        ({"url": "ftp://bridge.example", "secret": "${S}"}, "is not an http"),
        ({"url": "${not a name}", "secret": "${S}"}, "environment variable reference"),
        ({"url": "https://bridge.example"}, "secret"),
    ],
)
def test_settings_reject_bad_values(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        NOTIFIERS.get("webhook").settings_model.model_validate(settings)


def test_body_is_compact_json_for_any_alert_kind() -> None:
    with recording_http_server() as server:
        for kind in ("firing", "repeat", "resolved"):
            webhook(server.url).send(make_alert(kind=kind))
    assert [json.loads(request.body)["kind"] for request in server.requests] == ["firing", "repeat", "resolved"]
