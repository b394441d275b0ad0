"""The dashboard and API server."""

from __future__ import annotations

from datetime import timedelta

from pydantic import (
    Field,
    field_validator,
)

from listener.config.base import StrictModel
from listener.config.types import Duration, Secret, is_env_reference


class WebConfig(StrictModel):
    """The dashboard and JSON API (`listener serve`, and `listener run` unless disabled).

    Passwords are stored only as argon2 hashes (`listener web hash-password`), either in the file
    or in an environment variable named by `${NAME}`; API tokens and the session secret only ever
    come from the environment.
    """

    enabled: bool = Field(True, description="Whether `listener run` also serves the dashboard.")
    host: str = Field("127.0.0.1", min_length=1, description="Loopback by default: put a TLS proxy in front to expose it.")
    port: int = Field(8000, ge=1, le=65535)
    users: dict[str, str] = Field(
        default_factory=dict, description="Login name -> argon2 hash, or ${ENV} holding one."
    )
    api_tokens: list[Secret] = Field(default_factory=list, description="Bearer tokens for the API, from the environment.")
    session_secret: Secret | None = Field(
        None, description="Signs session cookies; unset means a random one per process (logins end on restart)."
    )
    session_max_age: Duration = Field(default=timedelta(hours=12), description="How long a login lasts.")
    secure_cookies: bool = Field(False, description="Send the session cookie over HTTPS only (behind a TLS proxy).")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names the dashboard answers besides localhost and `host` (e.g. the proxy's public "
        "name, or *.example.com); a request for any other Host gets 400.",
    )

    @field_validator("users")
    @classmethod
    def _hashed_passwords(cls, users: dict[str, str]) -> dict[str, str]:
        for name, stored in users.items():
            if not name.strip():
                raise ValueError("a user name is empty")
            if not (stored.startswith("$argon2") or is_env_reference(stored)):
                raise ValueError(
                    f"user {name!r}: give an argon2 hash from `listener web hash-password` or an environment "
                    "variable reference such as ${LISTENER_PASSWORD_HASH}; never a plain password"
                )
        return users


# -- scheduled digests (listener/app/digests/send.py) ---------------------------------------------------
