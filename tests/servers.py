"""Loopback servers for tests that exercise real network code: an HTTP server and an SMTP server.

Notifier tests (and the end-to-end pipeline test) drive the real slack-sdk and smtplib code
against these instead of mocking them, so that wire-level behaviour (JSON bodies, headers,
status codes, SMTP replies, MIME parsing) is what gets tested. Everything binds to 127.0.0.1 on
a port the OS picks, so tests run in parallel and never touch the internet.

    with recording_http_server([ScriptedResponse(429, {"Retry-After": "7"})]) as server:
        post_to(server.url + "/hook")
        assert server.requests[0].json() == {...}

    with smtp_server() as smtp:
        send_to(smtp.host, smtp.port)
        assert smtp.messages[0]["Subject"] == "..."
"""

from __future__ import annotations

import json
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import parse_qsl, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOOPBACK = "127.0.0.1"


# --- HTTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptedResponse:
    """One canned reply. `delay` (seconds) holds the reply back, to make a client time out."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str = b"ok"
    delay: float = 0.0


ResponseSpec = ScriptedResponse | tuple[int, Mapping[str, str], bytes | str]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RecordingHTTPServer:
    """A running loopback server: `url` to point clients at, `requests` in the order they arrived."""

    host: str
    port: int
    requests: list[RecordedRequest]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _scripted(reply: ResponseSpec) -> ScriptedResponse:
    return reply if isinstance(reply, ScriptedResponse) else ScriptedResponse(*reply)


class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


def _read_request(handler: BaseHTTPRequestHandler) -> RecordedRequest:
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    return RecordedRequest(handler.command, handler.path, dict(handler.headers.items()), body)


def _send_reply(handler: BaseHTTPRequestHandler, reply: ScriptedResponse) -> None:
    if reply.delay:
        time.sleep(reply.delay)
    payload = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
    try:
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
        pass


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], name: str) -> Iterator[int]:
    """Serve `handler` on a free loopback port in a daemon thread; yields the port."""
    server = ThreadingHTTPServer((LOOPBACK, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def recording_http_server(responses: Sequence[ResponseSpec] = ()) -> Iterator[RecordingHTTPServer]:
    """Serve HTTP on 127.0.0.1 in a thread, answering with `responses` in order, then 200 "ok".

    Each response is a ScriptedResponse or a `(status, headers, body)` tuple. Every request, of
    any method and path, is recorded with its body whatever the reply.
    """
    script = [_scripted(reply) for reply in responses]
    requests: list[RecordedRequest] = []
    lock = threading.Lock()

    class Handler(_QuietHandler):
        def _handle(self) -> None:
            recorded = _read_request(self)
            with lock:
                requests.append(recorded)
                reply = script.pop(0) if script else ScriptedResponse()
            _send_reply(self, reply)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    with _serving(Handler, "recording-http-server") as port:
        yield RecordingHTTPServer(LOOPBACK, port, requests)


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port where connections are refused at once.

    The socket stays bound but never listens, so no other test can take the port meanwhile.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((LOOPBACK, 0))
        yield sock.getsockname()[1]
    finally:
        sock.close()


@dataclass
class RoutedHTTPServer(RecordingHTTPServer):
    """A loopback fake of a platform API: `route` answers each request from the fake's state;
    `fail_next(...)` queues replies (429, 503, a slow one, a broken body) served before routing."""

    pending_failures: list[ScriptedResponse] = field(default_factory=list)

    def fail_next(self, *replies: ResponseSpec) -> None:
        self.pending_failures.extend(_scripted(reply) for reply in replies)

    def query(self, index: int = -1) -> dict[str, str]:
        """The query parameters of a recorded request (the last one by default)."""
        return dict(parse_qsl(urlsplit(self.requests[index].path).query, keep_blank_values=True))


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> ScriptedResponse:
    return ScriptedResponse(status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(payload))


@contextmanager
def routed_http_server(route: Callable[[RecordedRequest], ResponseSpec]) -> Iterator[RoutedHTTPServer]:
    """Serve HTTP on 127.0.0.1, answering each request with `route(request)` (unless a failure is
    queued). Collector tests point real SDK and httpx code at it instead of mocking them."""
    requests: list[RecordedRequest] = []
    lock = threading.Lock()
    holder: list[RoutedHTTPServer] = []

    class Handler(_QuietHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            recorded = _read_request(self)
            with lock:
                requests.append(recorded)
                failures = holder[0].pending_failures
                queued = failures.pop(0) if failures else None
            try:
                reply = queued or route(recorded)
            except Exception as error:  # a broken fake must show up in the test, not hang it
                reply = ScriptedResponse(599, {}, f"fake server error: {error!r}")
            _send_reply(self, _scripted(reply))

        do_GET = do_POST = _handle

    with _serving(Handler, "routed-http-server") as port:
        holder.append(RoutedHTTPServer(LOOPBACK, port, requests))
        yield holder[0]


@dataclass
class FakeSlackAPI:
    """The Slack Web API's chat.postMessage as the bot-token notifier sees it: `server.url` is the
    api_url, `messages` the posted JSON bodies with the `ts` each was given."""

    server: RoutedHTTPServer
    messages: list[dict[str, Any]]

    @property
    def url(self) -> str:
        return self.server.url + "/api/"


@contextmanager
def fake_slack_api(token: str) -> Iterator[FakeSlackAPI]:
    """A loopback Slack Web API: checks the bearer token, answers chat.postMessage with a fresh ts.

    A reply in a thread must name a ts the fake handed out, as Slack requires. `server.fail_next`
    scripts HTTP failures (429 with Retry-After, 503) before the fake answers.
    """
    messages: list[dict[str, Any]] = []

    def route(request: RecordedRequest) -> ResponseSpec:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return json_response({"ok": False, "error": "invalid_auth"})
        if urlsplit(request.path).path != "/api/chat.postMessage":
            return json_response({"ok": False, "error": "unknown_method"}, status=404)
        body = request.json()
        issued = {message["ts"] for message in messages}
        if "thread_ts" in body and body["thread_ts"] not in issued:
            return json_response({"ok": False, "error": "thread_not_found"})
        if body.get("channel") == "C-ARCHIVED":
            return json_response({"ok": False, "error": "is_archived"})
        ts = f"1762250400.{len(messages) + 1:06d}"
        messages.append({**body, "ts": ts})
        return json_response({"ok": True, "channel": body.get("channel"), "ts": ts, "message": {"text": body.get("text")}})

    with routed_http_server(route) as server:
        yield FakeSlackAPI(server, messages)


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message: the SMTP envelope and the message parsed back with policy.default."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SMTPTestServer:
    host: str
    port: int
    received: list[ReceivedMail]

    @property
    def messages(self) -> list[EmailMessage]:
        return [mail.message for mail in self.received]


class _CollectingHandler:
    """aiosmtpd handler: refuses scripted recipients, keeps every message it accepts."""

    def __init__(self, received: list[ReceivedMail], refuse_recipients: Mapping[str, str]):
        self.received = received
        self.refuse_recipients = {address.lower(): reply for address, reply in refuse_recipients.items()}

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.refuse_recipients.get(address.lower())
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else content.encode("utf-8")
        message = message_from_bytes(raw, policy=policy.default)
        self.received.append(ReceivedMail(envelope.mail_from or "", list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class _LoopbackController(Controller):
    """aiosmtpd's Controller on port 0: it learns the port the OS picked before its readiness probe."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _authenticator(username: str, password: str):
    def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            username.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


@contextmanager
def smtp_server(
    *,
    credentials: tuple[str, str] | None = None,
    refuse_recipients: Mapping[str, str] | None = None,
) -> Iterator[SMTPTestServer]:
    """An aiosmtpd server on 127.0.0.1 that collects the messages it accepts.

    It speaks plain SMTP and never offers STARTTLS. With `credentials=(user, password)` it
    advertises AUTH PLAIN/LOGIN over plain text and requires that login (aiosmtpd warns about
    that from its thread: mark such tests
    `@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")`). `refuse_recipients` maps
    an address to the reply its RCPT TO gets, e.g. {"gone@example.com": "550 5.1.1 no such user"}.
    """
    received: list[ReceivedMail] = []
    handler = _CollectingHandler(received, refuse_recipients or {})
    auth: dict[str, Any] = {}
    if credentials is not None:
        auth = {
            "authenticator": _authenticator(*credentials),
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = _LoopbackController(handler, hostname=LOOPBACK, port=0, **auth)
    controller.start()
    try:
        yield SMTPTestServer(LOOPBACK, controller.port, received)
    finally:
        controller.stop()
