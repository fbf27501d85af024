"""List codes (MiniVAN style): an organizer hands a volunteer without an account a short code;
the code buys a token that can read that one walk list and sync results for it, nothing else,
until the code expires or is revoked (the token is checked against the code on every request).

Codes are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), read aloud or off
a whiteboard: 31^8, about 8.5e11 codes, and failed tries are throttled per client address.
"""

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.config import Settings
from app.db import rowcount
from app.errors import NotFound, Unauthorized
from app.models import WalkList, WalkListCode
from app.schemas.list_codes import ListCodeOut, ListCodeTokenOut
from app.services.access.auth import issue_token
from app.services.access.tenancy import Tenant, get_owned, tenant_select
from app.services.access.throttle import FailureThrottle

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def normalise(code: str) -> str:
    """What people type: any case, with spaces or dashes ('abcd-efgh')."""
    return "".join(code.split()).replace("-", "").upper()


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def _out(row: WalkListCode) -> ListCodeOut:
    return ListCodeOut(code=row.code, walk_list_id=row.walk_list_id, expires_at=row.expires_at)


async def create(
    session: AsyncSession, tenant: Tenant, list_id: int, expires_in_hours: int
) -> ListCodeOut:
    """A new code for the list, live for `expires_in_hours`."""
    await get_owned(session, tenant, WalkList, list_id)
    expires_at = datetime.now(UTC) + timedelta(hours=expires_in_hours)
    while True:  # a collision is a one-in-a-billion event; draw again when it happens
        row = (
            await session.execute(
                insert(WalkListCode)
                .values(
                    campaign_id=tenant.campaign_id,
                    walk_list_id=list_id,
                    code=_new_code(),
                    expires_at=expires_at,
                    created_by=tenant.user_id,
                )
                .on_conflict_do_nothing(index_elements=["code"])
                .returning(WalkListCode)
            )
        ).scalar_one_or_none()
        if row is not None:
            return _out(row)


async def live_codes(session: AsyncSession, tenant: Tenant, list_id: int) -> list[ListCodeOut]:
    """The list's codes that still work, newest first."""
    await get_owned(session, tenant, WalkList, list_id)
    rows = await session.execute(
        tenant_select(tenant, WalkListCode)
        .where(
            col(WalkListCode.walk_list_id) == list_id,
            WalkListCode.live(),
        )
        .order_by(col(WalkListCode.id).desc())
    )
    return [_out(r) for r in rows.scalars()]


async def revoke(session: AsyncSession, tenant: Tenant, list_id: int, code: str) -> None:
    """Revoke at once: tokens bought with the code stop working on their next request."""
    await get_owned(session, tenant, WalkList, list_id)
    result = await session.execute(
        update(WalkListCode)
        .where(
            col(WalkListCode.campaign_id) == tenant.campaign_id,
            col(WalkListCode.walk_list_id) == list_id,
            col(WalkListCode.code) == normalise(code),
            col(WalkListCode.revoked_at).is_(None),
        )
        .values(revoked_at=func.now())
    )
    if rowcount(result) == 0:
        raise NotFound(f"no live code {code!r} on walk list {list_id}")


async def exchange(
    session: AsyncSession,
    settings: Settings,
    throttle: FailureThrottle,
    client_address: str,
    code: str,
    name: str,
) -> ListCodeTokenOut:
    """A token for the code's list, living no longer than the code. Unknown, expired and
    revoked codes are one answer (401), and each counts as a failed try for the address."""
    throttle.check(client_address)
    row = (
        await session.execute(
            select(WalkListCode).where(
                col(WalkListCode.code) == normalise(code),
                WalkListCode.live(),
            )
        )
    ).scalar_one_or_none()
    if row is None:
        throttle.failed(client_address)
        raise Unauthorized("Unknown, expired or revoked list code")
    left = int((row.expires_at - datetime.now(UTC)).total_seconds())
    claims = {"sub": f"code:{row.id}", "cid": row.campaign_id, "wl": row.walk_list_id, "name": name}
    issued = issue_token(settings, claims, ttl=max(1, min(settings.token_ttl_seconds, left)))
    return ListCodeTokenOut(
        access_token=issued.access_token,
        walk_list_id=row.walk_list_id,
        expires_in=issued.expires_in,
    )
