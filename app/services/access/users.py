"""Accounts of the caller's campaign: creating and listing them, the caller's own account.

An account belongs to one campaign (README, Security): creating one never reads or touches an
account of another campaign, and an e-mail conflicts only with an account of this campaign.
"""

import asyncio
from typing import Any

from sqlalchemy import Select, and_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import BadRequest, Conflict, NotFound
from app.models import Campaign, Membership, Role, User
from app.models.base import flushed_id
from app.pagination import PageParams
from app.schemas.auth import CampaignRef, MeOut, UserRef
from app.schemas.users import PasswordChange, UserCreate, UserOut
from app.services.access import sessions, throttle
from app.services.access.auth import hash_password, verify_password
from app.services.access.keys import settings_of
from app.services.access.tenancy import Tenant, tenant_select
from app.services.privacy import audit


def member_rows(tenant: Tenant) -> Select[Any]:
    """The campaign's accounts with their roles, as UserOut's fields."""
    return tenant_select(
        tenant,
        User,
        col(User.id),
        col(User.email),
        col(User.name),
        col(Membership.role),
        col(User.deactivated_at).is_(None).label("active"),
        col(User.must_change_password),
    ).join(
        Membership,
        and_(col(Membership.campaign_id) == User.campaign_id, col(Membership.user_id) == User.id),
    )


def user_out(row: Any) -> UserOut:
    return UserOut(
        id=row.id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        active=row.active,
        must_change_password=row.must_change_password,
    )


async def get_member(session: AsyncSession, tenant: Tenant, user_id: int) -> UserOut:
    """One account of the campaign; 404 for another campaign's, like a missing one."""
    row = (await session.execute(member_rows(tenant).where(col(User.id) == user_id))).first()
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return user_out(row)


async def me(session: AsyncSession, tenant: Tenant) -> MeOut:
    """The caller: who they are, in which campaign, with which role."""
    campaign = await session.get(Campaign, tenant.campaign_id)
    user = (
        await session.execute(tenant_select(tenant, User).where(col(User.id) == tenant.user_id))
    ).scalar_one_or_none()
    if campaign is None or user is None:
        raise NotFound("account not found")
    return MeOut(
        user=UserRef(id=flushed_id(user), email=user.email, name=user.name),
        campaign=CampaignRef(id=flushed_id(campaign), slug=campaign.slug, name=campaign.name),
        role=tenant.role,
        must_change_password=user.must_change_password,
    )


def _taken(email: str) -> Conflict:
    return Conflict.on_field(
        "body.email", "already has an account in this campaign", f"{email} is already a member"
    )


async def create_user(session: AsyncSession, tenant: Tenant, data: UserCreate) -> UserOut:
    """A new account in the campaign, with its role. An e-mail with an account here is a
    conflict; accounts of the same e-mail in other campaigns are neither read nor touched."""
    exists = await session.execute(
        tenant_select(tenant, User, col(User.id)).where(col(User.email) == data.email)
    )
    if exists.first() is not None:
        raise _taken(data.email)
    password_hash = await asyncio.to_thread(hash_password, data.password)
    user_id = (
        await session.execute(
            insert(User)
            .values(
                campaign_id=tenant.campaign_id,
                email=data.email,
                name=data.name,
                password_hash=password_hash,
                must_change_password=data.must_change_password,
            )
            .on_conflict_do_nothing(index_elements=["campaign_id", "email"])
            .returning(col(User.id))
        )
    ).scalar_one_or_none()
    if user_id is None:  # made by a concurrent request since the check
        raise _taken(data.email)
    session.add(Membership(campaign_id=tenant.campaign_id, user_id=user_id, role=data.role.value))
    await session.flush()
    await audit.record(session, tenant, "member.add", "user", [user_id], {"role": data.role.value})
    return UserOut(
        id=user_id,
        email=data.email,
        name=data.name,
        role=data.role,
        active=True,
        must_change_password=data.must_change_password,
    )


async def list_users(session: AsyncSession, tenant: Tenant, page: PageParams) -> list[UserOut]:
    """A page of the campaign's accounts, deactivated ones included, by id."""
    stmt = member_rows(tenant).order_by(col(User.id)).limit(page.limit + 1)
    if page.after_id is not None:
        stmt = stmt.where(col(User.id) > page.after_id)
    return [user_out(r) for r in (await session.execute(stmt)).all()]


async def change_own_password(session: AsyncSession, tenant: Tenant, data: PasswordChange) -> None:
    """The caller's new password, given the current one. Their other sessions end; this one
    goes on. A wrong current password counts as a failed login of the account."""
    settings = settings_of(session)
    user = (
        await session.execute(tenant_select(tenant, User).where(col(User.id) == tenant.user_id))
    ).scalar_one_or_none()
    if user is None or tenant.user_id is None:
        raise NotFound("account not found")
    key = throttle.login_account_key(settings, tenant.campaign_id, user.email)
    await throttle.check(session, [key], "password checks")
    if not await asyncio.to_thread(verify_password, user.password_hash, data.current_password):
        await throttle.failed(session, [key])
        raise throttle.WrongCurrentPassword.on_field(
            "body.current_password", "is not the current password", "Wrong current password"
        )
    if data.new_password == data.current_password:
        raise BadRequest.on_field("body.new_password", "must differ from the current password")
    password_hash = await asyncio.to_thread(hash_password, data.new_password)
    await session.execute(
        update(User)
        .where(col(User.campaign_id) == tenant.campaign_id, col(User.id) == tenant.user_id)
        .values(password_hash=password_hash, must_change_password=False)
    )
    await sessions.end_user_sessions(
        session, tenant.campaign_id, tenant.user_id, keep=tenant.session_id
    )


async def create_campaign(
    session: AsyncSession, name: str, slug: str, admin_email: str, admin_password: str
) -> Campaign:
    """A new campaign with its first admin (the CLI's create-campaign)."""
    taken = await session.execute(select(Campaign).where(col(Campaign.slug) == slug))
    if taken.scalar_one_or_none():
        raise Conflict(f"campaign {slug!r} already exists")
    campaign = Campaign(name=name, slug=slug)
    session.add(campaign)
    await session.flush()
    tenant = Tenant(campaign_id=flushed_id(campaign), user_id=None, role=Role.admin)
    admin = UserCreate(email=admin_email, name="Admin", role=Role.admin, password=admin_password)
    await create_user(session, tenant, admin)
    return campaign
