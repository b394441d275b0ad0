"""Who may see the dashboard: password logins with a signed session cookie, or API bearer tokens.

Passwords are only ever stored as argon2 hashes. A login compares against a dummy hash when the
user is unknown, so the response time does not reveal which user names exist. Every
state-changing form (login, logout) carries a CSRF token bound to the session; the API has only
read endpoints, and a bearer token cannot be sent by another site's form.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
from collections import deque
from datetime import datetime, timedelta
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request, status

from listener.config import WebConfig
from listener.settings_types import SecretRef

log = logging.getLogger(__name__)

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
CSRF_FIELD = "csrf_token"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


class LoginRequired(Exception):
    """Raised by page routes without a login; answered with a redirect to the login form."""

    def __init__(self, next_path: str):
        self.next_path = next_path


class LoginThrottle:
    """At most `limit` failed logins per user name in `period`: guessing a password online takes
    years instead of hours. In memory, per process; a restart forgets, which costs little."""

    def __init__(self, limit: int = 10, period: timedelta = timedelta(minutes=15)):
        self.limit, self.period = limit, period
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def blocked_for(self, username: str, now: datetime) -> timedelta | None:
        """How long `username` must wait before trying again; None when it may try now."""
        with self._lock:
            failures = self._recent(username.casefold(), now)
            if len(failures) < self.limit:
                return None
            return failures[0] + self.period - now

    def failed(self, username: str, now: datetime) -> None:
        with self._lock:
            self._recent(username.casefold(), now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username.casefold(), None)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.period:
            failures.popleft()
        return failures


class Authenticator:
    def __init__(self, web: WebConfig):
        self.web = web
        self.throttle = LoginThrottle()

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
        stored = self.password_hash(username)
        try:
            return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

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
        user = request.session.get("user")
        return user if isinstance(user, str) and user in self.web.users else None


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
