"""What every response gets, whatever produced it: security headers, a trusted Host, and
redirects that never name another site.

It is plain ASGI and the outermost layer, so it also covers responses that never reach a route:
the 400 for an untrusted Host, and the 500 for an unhandled error (which Starlette would
otherwise answer from outside every user middleware, without the headers).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from listener.web.errors import error_response

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    # Scripts only from this server (no inline script, no CDN); plotly sets inline styles.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def allowed_hosts(host: str, extra: list[str]) -> list[str]:
    """localhost, the address the dashboard listens on (unless it is a wildcard) and `extra`."""
    hosts = [*LOCAL_HOSTS, *([] if host in WILDCARD_HOSTS else [host]), *extra]
    if host in WILDCARD_HOSTS and not extra:
        log.warning(
            "dashboard: listening on every address (%s) but only localhost may be used as its Host: "
            "set [web] allowed_hosts to the names people use to reach it", host or "*",
        )
    return list(dict.fromkeys(hosts))


class HardeningMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        started = False

        async def send_hardened(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _hardened(list(message.get("headers", [])), path)
            await send(message)

        try:
            await self.app(scope, receive, send_hardened)
        except Exception:
            log.exception("dashboard: unhandled error on %s %s", scope.get("method"), path)
            if started:
                raise
            await error_response(500, ["internal server error: see the server's log"])(scope, receive, send_hardened)


def _hardened(headers: list[tuple[bytes, bytes]], path: str) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    for name, value in SECURITY_HEADERS.items():
        if name.lower().encode() not in present:
            headers.append((name.lower().encode(), value.encode()))
    if b"cache-control" not in present and not path.startswith("/static/"):
        headers.append((b"cache-control", b"no-store"))
    return [(name, _relative(value) if name.lower() == b"location" else value) for name, value in headers]


def _relative(location: bytes) -> bytes:
    """`http://<whatever Host said>/api/v1/x` -> `/api/v1/x`: our own redirects only ever go to
    this site, so the scheme and host (taken from the request, which an attacker writes) are
    dropped; `//evil.example` style paths are made single-slash too."""
    parts = urlsplit(location.decode("latin-1"))
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment)).encode("latin-1")
