"""The dashboard's login sessions, kept in the database.

A signed cookie alone cannot be revoked: a copy saved before logout keeps working until it
expires. The cookie therefore carries a random session id whose sha256 must still be in this
table; logout deletes the row, and a restart (or a second process) sees the same rows.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from listener.storage.schema import WebSessionRow


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class WebSessionStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def start(self, username: str, now: datetime, expires_at: datetime) -> str:
        """A new session for `username`; returns the id to put in the cookie. Expired rows are
        removed on the way, so the table holds only live logins."""
        session_id = secrets.token_urlsafe(32)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
            session.add(WebSessionRow(id_hash=_hash(session_id), username=username, created_at=now, expires_at=expires_at))
        return session_id

    def user(self, session_id: str, now: datetime) -> str | None:
        """Who the session belongs to, or None when it was ended, has expired or never existed."""
        with Session(self.engine) as session:
            row = session.scalars(
                select(WebSessionRow).where(WebSessionRow.id_hash == _hash(session_id), WebSessionRow.expires_at > now)
            ).first()
            return row.username if row else None

    def end(self, session_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == _hash(session_id)))
