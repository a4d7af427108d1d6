"""Staff sessions: a random id in an HttpOnly, SameSite=Strict cookie, kept in intake's database
with the principal and a CSRF token that every form posts back."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

import asyncpg

from services.shared.authority import Principal

COOKIE = "jinqiu_session"
LIFETIME = dt.timedelta(hours=8)


@dataclass(frozen=True)
class Session:
    session_id: str
    principal: Principal
    csrf: str

    def csrf_ok(self, posted: str | None) -> bool:
        return posted is not None and hmac.compare_digest(self.csrf, posted)


async def open_session(pool: asyncpg.Pool, principal: Principal) -> Session:
    session = Session(secrets.token_urlsafe(32), principal, secrets.token_urlsafe(24))
    await pool.execute("INSERT INTO console_sessions VALUES ($1, $2, $3, $4, now() + $5)",
                       session.session_id, principal.org, principal.user, session.csrf, LIFETIME)
    return session


async def find_session(pool: asyncpg.Pool, session_id: str | None, tokens: dict[str, Principal]) -> Session | None:
    """The live session of this cookie, with its principal as the token map knows it now (a
    principal removed from the map is signed out)."""
    if not session_id:
        return None
    row = await pool.fetchrow("SELECT * FROM console_sessions WHERE session_id = $1 AND expires_at > now()",
                              session_id)
    if row is None:
        return None
    principal = next((p for p in tokens.values() if (p.org, p.user) == (row["org_code"], row["user_name"])), None)
    return Session(row["session_id"], principal, row["csrf"]) if principal else None


async def close_session(pool: asyncpg.Pool, session_id: str) -> None:
    await pool.execute("DELETE FROM console_sessions WHERE session_id = $1", session_id)
