"""List codes (MiniVAN style): an organizer hands a volunteer without an account a short code;
the code buys a token that can read that one walk list and sync results for it, nothing else,
until the code expires or is revoked (the token is checked against the code on every request).

Codes are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), read aloud or off
a whiteboard: 31^8, about 8.5e11 codes. They are stored as an HMAC under SECRET_KEY, never in
clear: the full code is in the answer that creates it, and afterwards only its last characters
(`hint`). A keyed hash suffices for so short a secret because of what each attacker holds:
- with a copy of the database but not the key, there is nothing to search (an unkeyed hash of
  8.5e11 codes would fall to one GPU in minutes);
- online, every guess goes through the throttle: LIST_CODE_FAILURES_PER_ADDRESS unknown codes
  per window per client address (30 per 10 minutes), so that with a thousand codes live at
  once one address needs some 370 years for an even chance of hitting any of them.

Only guesses count: an expired or revoked code is a real code (yesterday's sheet), answered
401 like an unknown one but not counted against the address.
"""

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.config import Settings
from app.db import rowcount
from app.errors import NotFound
from app.models import WalkList, WalkListCode
from app.schemas.list_codes import ListCodeOut, ListCodeTokenOut
from app.services.access import lookups, throttle
from app.services.access.auth import issue_token
from app.services.access.keys import keyed_hash, settings_of
from app.services.access.tenancy import Tenant, get_owned, tenant_select

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
HINT_LENGTH = 3
_UNKNOWN = "Unknown, expired or revoked list code"


def normalise(code: str) -> str:
    """What people type: any case, with spaces or dashes ('abcd-efgh')."""
    return "".join(code.split()).replace("-", "").upper()


def code_hash(settings: Settings, code: str) -> bytes:
    """The stored form of a code: HMAC-SHA256 of the normalised code under SECRET_KEY."""
    return keyed_hash(settings, "list_code", normalise(code))


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def _out(row: WalkListCode, code: str | None = None) -> ListCodeOut:
    if row.id is None or row.created_at is None:
        raise RuntimeError("list code not flushed")
    return ListCodeOut(
        id=row.id,
        code=code,
        hint=row.hint,
        walk_list_id=row.walk_list_id,
        expires_at=row.expires_at,
        created_at=row.created_at,
        created_by=row.created_by,
    )


async def create(
    session: AsyncSession, tenant: Tenant, list_id: int, expires_in_hours: int
) -> ListCodeOut:
    """A new code for the list, live for `expires_in_hours`: the only answer with the code."""
    settings = settings_of(session)
    await get_owned(session, tenant, WalkList, list_id)
    expires_at = datetime.now(UTC) + timedelta(hours=expires_in_hours)
    while True:  # a code whose hash exists in any campaign is drawn again (one in a billion)
        code = _new_code()
        digest = code_hash(settings, code)
        if await lookups.list_code_by_hash(session, digest) is None:
            break
    row = WalkListCode(
        campaign_id=tenant.campaign_id,
        walk_list_id=list_id,
        code_hash=digest,
        hint=code[-HINT_LENGTH:],
        expires_at=expires_at,
        created_by=tenant.user_id,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row, ["created_at"])
    return _out(row, code)


async def live_codes(session: AsyncSession, tenant: Tenant, list_id: int) -> list[ListCodeOut]:
    """The list's codes that still work, newest first (hints, not codes)."""
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
    """Revoke at once: tokens bought with the code stop working on their next request. `code`
    is the code as printed, or the code's `id` (as listed) when the code itself is gone."""
    await get_owned(session, tenant, WalkList, list_id)
    base = update(WalkListCode).where(
        col(WalkListCode.campaign_id) == tenant.campaign_id,
        col(WalkListCode.walk_list_id) == list_id,
        col(WalkListCode.revoked_at).is_(None),
    )
    digest = code_hash(settings_of(session), code)
    done = rowcount(
        await session.execute(
            base.where(col(WalkListCode.code_hash) == digest).values(revoked_at=func.now())
        )
    )
    if done == 0 and code.isdigit() and len(code) <= 18:
        done = rowcount(
            await session.execute(
                base.where(col(WalkListCode.id) == int(code)).values(revoked_at=func.now())
            )
        )
    if done == 0:
        raise NotFound(f"no live code {code!r} on walk list {list_id}")


async def exchange(
    session: AsyncSession, client_address: str, code: str, name: str
) -> ListCodeTokenOut:
    """A token for the code's list, living no longer than the code. Unknown, expired and
    revoked codes are one answer (401); an unknown one counts as a failed try of the address,
    and past the limit every try from the address answers 429, a right code included."""
    settings = settings_of(session)
    key = throttle.list_code_address_key(settings, client_address)
    await throttle.check(session, [key], "list-code tries from this address")
    # No campaign is known yet: the lookup crosses campaigns through the owner's function.
    row = await lookups.list_code_by_hash(session, code_hash(settings, code))
    if row is None:
        await throttle.failed(session, [key])
        raise throttle.WrongListCode(_UNKNOWN)  # the failure is committed all the same
    left = int((row.expires_at - datetime.now(UTC)).total_seconds())
    if row.revoked_at is not None or left <= 0:
        raise throttle.WrongListCode(_UNKNOWN)
    claims = {"sub": f"code:{row.id}", "cid": row.campaign_id, "wl": row.walk_list_id, "name": name}
    issued = issue_token(settings, claims, ttl=max(1, min(settings.token_ttl_seconds, left)))
    return ListCodeTokenOut(
        access_token=issued.access_token,
        walk_list_id=row.walk_list_id,
        expires_in=issued.expires_in,
    )
