"""Passwords (argon2), access tokens (JWT, HS256) and the check of a token on every request.

An access token names a login session (`sid`); each request reads that session, the account
and its role in one indexed query (`tenant_from_token`), so that logging out, an admin ending
a user's sessions, a deactivation, a removal, a role change or a password change takes effect
on the very next request. The token's campaign (`cid`, signed) is also the campaign that
row-level security holds the request's transaction to (`app.db.use_campaign`).
"""

import time
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.config import Settings, secret_key_problem
from app.db import use_campaign
from app.errors import Unauthorized
from app.models import AuthSession, Membership, Role, User, WalkListCode
from app.schemas.common import clean_text
from app.services.access.tenancy import Tenant

_hasher = PasswordHasher()
# A real hash to verify against when the e-mail is unknown, so both cases take the same time.
DUMMY_HASH = _hasher.hash("doorstep-timing-equaliser")
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


def _signing_key(settings: Settings) -> str:
    """The key, when it is fit to sign with: never an empty, short or published one, whatever
    path the settings came by."""
    problem = secret_key_problem(settings.secret_key)
    if problem:
        raise RuntimeError(f"cannot sign or check tokens: {problem}")
    return settings.secret_key


def issue_token(settings: Settings, claims: dict[str, Any], ttl: int | None = None) -> IssuedToken:
    """A signed access token with the claims, valid for `ttl` seconds (default: the setting)."""
    ttl = ttl if ttl is not None else settings.token_ttl_seconds
    now = int(time.time())
    payload = {**claims, "iat": now, "exp": now + ttl}
    return IssuedToken(jwt.encode(payload, _signing_key(settings), algorithm=ALGORITHM), ttl)


def decode_token(settings: Settings, token: str) -> dict[str, Any]:
    """The token's claims when its signature and expiry hold; Unauthorized otherwise."""
    key = _signing_key(settings)
    try:
        return jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Token has expired") from None
    except jwt.PyJWTError:
        raise Unauthorized("Invalid token") from None


async def tenant_from_token(session: AsyncSession, settings: Settings, token: str) -> Tenant:
    """Check the token, then the session (or list code) it names, in one indexed read."""
    claims = decode_token(settings, token)
    if "wl" in claims:
        return await _guest_tenant(session, claims)
    try:
        user_id, campaign_id, session_id = (
            int(claims["sub"]),
            int(claims["cid"]),
            int(claims["sid"]),
        )
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("Invalid token") from None
    # The signed token names the campaign: the request's transaction works for it from its
    # first statement (row-level security), this read included.
    await use_campaign(session, campaign_id)
    row = (
        await session.execute(
            select(col(Membership.role), col(User.must_change_password))
            .select_from(AuthSession)
            .join(
                User,
                and_(
                    col(User.campaign_id) == AuthSession.campaign_id,
                    col(User.id) == AuthSession.user_id,
                ),
            )
            .join(
                Membership,
                and_(
                    col(Membership.campaign_id) == AuthSession.campaign_id,
                    col(Membership.user_id) == AuthSession.user_id,
                ),
            )
            .where(
                col(AuthSession.campaign_id) == campaign_id,
                col(AuthSession.id) == session_id,
                col(AuthSession.user_id) == user_id,
                col(AuthSession.expires_at) > func.now(),
                col(User.deactivated_at).is_(None),
            )
        )
    ).one_or_none()
    if row is None:
        raise Unauthorized("This session has ended: sign in again")
    return Tenant(
        campaign_id=campaign_id,
        user_id=user_id,
        role=Role(row.role),
        session_id=session_id,
        password_change_required=row.must_change_password,
    )


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
    await use_campaign(session, campaign_id)
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
        guest_name=clean_text(name),
    )
