"""Login sessions: one row per login, named by the access token, checked on every request
(`auth.tenant_from_token`). Ending a session deletes its row; the token is refused at once."""

from datetime import timedelta

from sqlalchemy import delete, func, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.config import Settings
from app.db import rowcount
from app.models import AuthSession
from app.services.access.auth import IssuedToken, issue_token


async def open_session(
    session: AsyncSession, settings: Settings, campaign_id: int, user_id: int
) -> IssuedToken:
    """A new session for the account, and its access token (both live `token_ttl_seconds`).
    The account's expired sessions are cleared on the way."""
    await session.execute(
        delete(AuthSession).where(
            col(AuthSession.campaign_id) == campaign_id,
            col(AuthSession.user_id) == user_id,
            col(AuthSession.expires_at) <= func.now(),
        )
    )
    ttl = settings.token_ttl_seconds
    session_id = (
        await session.execute(
            insert(AuthSession)
            .values(
                campaign_id=campaign_id,
                user_id=user_id,
                expires_at=func.now() + timedelta(seconds=ttl),
            )
            .returning(col(AuthSession.id))
        )
    ).scalar_one()
    claims = {"sub": str(user_id), "cid": campaign_id, "sid": session_id}
    return issue_token(settings, claims, ttl)


async def end_session(session: AsyncSession, campaign_id: int, session_id: int) -> None:
    """Log out: this one session ends."""
    await session.execute(
        delete(AuthSession).where(
            col(AuthSession.campaign_id) == campaign_id, col(AuthSession.id) == session_id
        )
    )


async def end_user_sessions(
    session: AsyncSession, campaign_id: int, user_id: int, keep: int | None = None
) -> int:
    """End every session of the account (but `keep`, the caller's own): how many ended."""
    stmt = delete(AuthSession).where(
        col(AuthSession.campaign_id) == campaign_id, col(AuthSession.user_id) == user_id
    )
    if keep is not None:
        stmt = stmt.where(col(AuthSession.id) != keep)
    return rowcount(await session.execute(stmt))
