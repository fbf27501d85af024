"""Passwords (argon2) and access tokens (JWT, HS256)."""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.config import Settings
from app.errors import Unauthorized
from app.models import Campaign, Membership, Role, User, WalkListCode
from app.services.access.tenancy import Tenant

_hasher = PasswordHasher()
# A real hash to verify against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("doorstep-timing-equaliser")
ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    """The argon2id hash of a password, to store."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash (False for a malformed hash, never raises)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


def issue_token(settings: Settings, claims: dict[str, Any], ttl: int | None = None) -> IssuedToken:
    """A signed access token with the claims, valid for `ttl` seconds (default: the setting)."""
    ttl = ttl if ttl is not None else settings.token_ttl_seconds
    now = int(time.time())
    payload = {**claims, "iat": now, "exp": now + ttl}
    return IssuedToken(jwt.encode(payload, settings.secret_key, algorithm=ALGORITHM), ttl)


def decode_token(settings: Settings, token: str) -> dict[str, Any]:
    """The token's claims when its signature and expiry hold; Unauthorized otherwise."""
    try:
        return jwt.decode(
            token, settings.secret_key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token has expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid token") from None


async def login(
    session: AsyncSession, settings: Settings, email: str, password: str, campaign_slug: str | None
) -> IssuedToken:
    """Password login. The campaign slug is needed only by users of several campaigns."""
    user = (
        await session.execute(select(User).where(col(User.email) == email.strip().lower()))
    ).scalar_one_or_none()
    # argon2 costs tens of milliseconds of CPU by design: keep it off the event loop.
    ok = await asyncio.to_thread(
        verify_password, user.password_hash if user else _DUMMY_HASH, password
    )
    if not ok or user is None:
        raise Unauthorized("Incorrect email or password")
    stmt = (
        select(col(Membership.campaign_id), col(Membership.role), col(Campaign.slug))
        .join(Campaign, col(Campaign.id) == Membership.campaign_id)
        .where(col(Membership.user_id) == user.id)
        .order_by(col(Campaign.slug))
    )
    memberships = (await session.execute(stmt)).all()
    if campaign_slug:
        memberships = [m for m in memberships if m.slug == campaign_slug]
        if not memberships:
            raise Unauthorized(f"You are not a member of campaign {campaign_slug!r}")
    if not memberships:
        raise Unauthorized("You are not a member of any campaign")
    if len(memberships) > 1:
        slugs = ", ".join(m.slug for m in memberships)
        raise Unauthorized(f"You belong to several campaigns ({slugs}); name one in 'campaign'")
    campaign_id, role, _ = memberships[0]
    return issue_token(settings, {"sub": str(user.id), "cid": campaign_id, "role": role})


async def tenant_from_token(session: AsyncSession, settings: Settings, token: str) -> Tenant:
    """Check the token, then the membership (or list code) it names: a removed member, or a
    revoked or expired code, loses access at once."""
    claims = decode_token(settings, token)
    if "wl" in claims:
        return await _guest_tenant(session, claims)
    try:
        user_id, campaign_id = int(claims["sub"]), int(claims["cid"])
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("Invalid token") from None
    role = (
        await session.execute(
            select(col(Membership.role)).where(
                col(Membership.user_id) == user_id, col(Membership.campaign_id) == campaign_id
            )
        )
    ).scalar_one_or_none()
    if role is None:
        raise Unauthorized("This account no longer has access to the campaign")
    return Tenant(campaign_id=campaign_id, user_id=user_id, role=Role(role))


async def _guest_tenant(session: AsyncSession, claims: dict[str, Any]) -> Tenant:
    """A list-code token: a canvasser without an account, for the one list while its code lives."""
    try:
        kind, code_id = str(claims["sub"]).split(":")
        campaign_id, list_id, name = int(claims["cid"]), int(claims["wl"]), str(claims["name"])
        if kind != "code":
            raise ValueError(kind)
        code_pk = int(code_id)
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("Invalid token") from None
    live = (
        await session.execute(
            select(col(WalkListCode.id)).where(
                col(WalkListCode.campaign_id) == campaign_id,
                col(WalkListCode.id) == code_pk,
                col(WalkListCode.walk_list_id) == list_id,
                WalkListCode.live(),
            )
        )
    ).scalar_one_or_none()
    if live is None:
        raise Unauthorized("This list code has expired or was revoked")
    return Tenant(
        campaign_id=campaign_id,
        user_id=None,
        role=Role.canvasser,
        walk_list_id=list_id,
        guest_name=name,
    )
