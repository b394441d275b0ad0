"""Who may see the dashboard: password logins with a session (a signed cookie naming a row in the
database, so logout revokes it), or API bearer tokens.

Passwords are only ever stored as argon2 hashes. A login compares against a dummy hash when the
user is unknown, so the response time does not reveal which user names exist. Every
state-changing form (login, logout) carries a CSRF token bound to the session; the API has only
read endpoints, and a bearer token cannot be sent by another site's form.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import threading
from collections import deque
from datetime import datetime, timedelta
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request, status

from listener.config import WebConfig
from listener.config.types import SecretRef
from listener.core.clock import Clock, SystemClock
from listener.storage.web_sessions import WebSessionStore

log = logging.getLogger(__name__)

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
CSRF_FIELD = "csrf_token"
SESSION_FIELD = "sid"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


class LoginRequired(Exception):
    """Raised by page routes without a login; answered with a redirect to the login form."""

    def __init__(self, next_path: str):
        self.next_path = next_path


class LoginThrottle:
    """At most `limit` failed logins per (client, user name) and `client_limit` per client across
    all names, in `period`: guessing a password online takes years instead of hours, yet someone
    else's wrong guesses never lock the real user out (they come from another address). In
    memory, per process; a restart forgets, which costs little."""

    def __init__(self, limit: int = 10, period: timedelta = timedelta(minutes=15), client_limit: int = 50):
        self.limit, self.period, self.client_limit = limit, period, client_limit
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def blocked_for(self, client: str, username: str, now: datetime) -> timedelta | None:
        """How long `client` must wait before trying `username` again; None when it may try now."""
        with self._lock:
            waits = [
                failures[-limit] + self.period - now
                for key, limit in (((client, username.casefold()), self.limit), ((client, ""), self.client_limit))
                if len(failures := self._recent(key, now)) >= limit
            ]
            return max(waits) if waits else None

    def failed(self, client: str, username: str, now: datetime) -> None:
        with self._lock:
            for key in ((client, username.casefold()), (client, "")):
                self._recent(key, now)
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, client: str, username: str) -> None:
        with self._lock:
            self._failures.pop((client, username.casefold()), None)

    def _recent(self, key: tuple[str, str], now: datetime) -> deque[datetime]:
        """The failures of `key` within the period; a key left with none is forgotten, so the
        table does not grow with every address ever seen."""
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.period:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures


class LoginBusy(Exception):
    """Every password check slot is taken: answered with 503 at once instead of queueing."""


class Authenticator:
    """Logins, sessions and tokens.

    argon2 is deliberately slow (tens of ms of CPU); `hash_slots` bounds how many run at once, so
    a flood of parallel wrong logins costs the server a fixed share of its cores and the API
    stays responsive, while the excess logins are refused within a quarter second (LoginBusy).
    By default half the cores check passwords."""

    def __init__(self, web: WebConfig, sessions: WebSessionStore, hash_slots: int | None = None, clock: Clock | None = None):
        self.web = web
        self.clock: Clock = clock or SystemClock()
        self.sessions = sessions
        self.throttle = LoginThrottle()
        self._hash_slots = threading.BoundedSemaphore(hash_slots or max(1, (os.cpu_count() or 2) // 2))

    def password_hash(self, username: str) -> str | None:
        stored = self.web.users.get(username)
        if stored is None:
            return None
        if stored.startswith("${"):
            stored = SecretRef(stored).resolve() or ""
            if not stored.startswith("$argon2"):
                log.warning("user %s cannot log in: the environment variable holds no argon2 hash", username)
                return None
        return stored

    def verify_login(self, username: str, password: str) -> bool:
        """Whether the password is right; raises LoginBusy when every hash slot is taken."""
        stored = self.password_hash(username)
        if not self._hash_slots.acquire(timeout=0.25):
            raise LoginBusy()
        try:
            return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False
        finally:
            self._hash_slots.release()

    def log_in(self, request: Request, username: str) -> None:
        """A fresh session (and CSRF token) per login, so no session fixation."""
        now = self.clock.now()
        request.session.clear()
        request.session[SESSION_FIELD] = self.sessions.start(username, now, now + self.web.session_max_age)

    def log_out(self, request: Request) -> None:
        """Ends the session server-side: a copy of the cookie saved earlier no longer logs in."""
        session_id = request.session.get(SESSION_FIELD)
        if isinstance(session_id, str):
            self.sessions.end(session_id)
        request.session.clear()

    def valid_token(self, token: str) -> bool:
        tokens = [value for ref in self.web.api_tokens if (value := ref.resolve())]
        # compare_digest against every token: no early exit that times which one matched
        return any([hmac.compare_digest(token.encode(), value.encode()) for value in tokens])

    def current_user(self, request: Request) -> str | None:
        """The logged-in user, or "api-token" for a valid bearer token; None when neither."""
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() == "bearer" and token and self.valid_token(token.strip()):
                return "api-token"
            return None
        session_id = request.session.get(SESSION_FIELD)
        if not isinstance(session_id, str):
            return None
        user = self.sessions.user(session_id, self.clock.now())
        return user if user is not None and user in self.web.users else None


def client_address(request: Request) -> str:
    """The peer address the throttle counts by (behind a proxy, the proxy's unless uvicorn is
    told to trust its X-Forwarded-For with --forwarded-allow-ips)."""
    return request.client.host if request.client else "unknown"


def authenticator(request: Request) -> Authenticator:
    return request.app.state.auth


def require_api_user(request: Request) -> str:
    user = authenticator(request).current_user(request)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "authentication required: log in, or send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def require_page_user(request: Request) -> str:
    user = authenticator(request).current_user(request)
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return user


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get(CSRF_FIELD)
    if not (isinstance(expected, str) and submitted and hmac.compare_digest(expected, submitted)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid or missing CSRF token: reload the page and try again")


def safe_next(path: str | None) -> str:
    """Only same-site paths: `next=https://evil.example` must not turn the login into a redirector."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def login_url(next_path: str) -> str:
    return "/login" if next_path == "/" else f"/login?next={quote(next_path, safe='/')}"
