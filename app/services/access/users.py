"""Users and their memberships in the caller's campaign."""

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Conflict, NotFound
from app.models import Campaign, Membership, Role, User
from app.models.base import flushed_id
from app.pagination import PageParams
from app.schemas.auth import CampaignRef, MeOut, UserRef
from app.schemas.users import UserCreate, UserOut
from app.services.access.auth import hash_password
from app.services.access.tenancy import Tenant, tenant_select


async def me(session: AsyncSession, tenant: Tenant) -> MeOut:
    """The caller: who they are, in which campaign, with which role."""
    campaign = await session.get(Campaign, tenant.campaign_id)
    user = await session.get(User, tenant.user_id) if tenant.user_id else None
    if campaign is None or user is None:
        raise NotFound("account not found")
    return MeOut(
        user=UserRef(id=flushed_id(user), email=user.email, name=user.name),
        campaign=CampaignRef(id=flushed_id(campaign), slug=campaign.slug, name=campaign.name),
        role=tenant.role,
    )


async def create_user(session: AsyncSession, tenant: Tenant, data: UserCreate) -> UserOut:
    """Add a user to the campaign. An e-mail that already has an account (in another campaign)
    gets a membership here; that account's password and name are left as they are."""
    user = (
        await session.execute(select(User).where(col(User.email) == data.email))
    ).scalar_one_or_none()
    if user is None:
        password_hash = await asyncio.to_thread(hash_password, data.password)
        user = User(email=data.email, name=data.name, password_hash=password_hash)
        session.add(user)
        await session.flush()
    else:
        existing = await session.get(Membership, (tenant.campaign_id, flushed_id(user)))
        if existing is not None:
            raise Conflict(f"{data.email} is already a member of this campaign")
    user_id = flushed_id(user)
    session.add(Membership(campaign_id=tenant.campaign_id, user_id=user_id, role=data.role.value))
    await session.flush()
    return UserOut(id=user_id, email=user.email, name=user.name, role=data.role)


async def list_users(session: AsyncSession, tenant: Tenant, page: PageParams) -> list[UserOut]:
    """A page of the campaign's members, by user id."""
    stmt = (
        tenant_select(tenant, Membership, User.id, User.email, User.name, Membership.role)
        .join(User, col(User.id) == Membership.user_id)
        .order_by(col(User.id))
        .limit(page.limit + 1)
    )
    if page.after_id is not None:
        stmt = stmt.where(col(User.id) > page.after_id)
    rows = (await session.execute(stmt)).all()
    return [UserOut(id=r.id, email=r.email, name=r.name, role=Role(r.role)) for r in rows]


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
