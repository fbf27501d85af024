"""Off-boarding and member management, by the campaign's admins: a member's name, role and
activity, removing a member, setting a member's password, ending a member's sessions.

A new role, a deactivation, a removal and a password reset end the member's sessions at once
(their tokens are refused on the next request). The campaign always keeps an active admin: the
last one cannot be demoted, deactivated or removed. Admin changes of one campaign are
serialised by locking its admin rows, so two admins cannot demote each other at once.
Every change is written to the audit log, in the same transaction.
"""

import asyncio

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Conflict
from app.models import Membership, Role, User
from app.schemas.users import PasswordReset, UserOut, UserPatch
from app.services.access.auth import hash_password
from app.services.access.sessions import end_user_sessions
from app.services.access.tenancy import Tenant
from app.services.access.users import get_member
from app.services.privacy import audit


async def _keep_an_admin(session: AsyncSession, tenant: Tenant, user_id: int, change: str) -> None:
    """Refuse (409) when the member is the campaign's last active admin. Locks the admin rows
    until the transaction ends."""
    admins = (
        (
            await session.execute(
                select(col(Membership.user_id))
                .join(
                    User,
                    and_(
                        col(User.campaign_id) == Membership.campaign_id,
                        col(User.id) == Membership.user_id,
                    ),
                )
                .where(
                    col(Membership.campaign_id) == tenant.campaign_id,
                    col(Membership.role) == Role.admin.value,
                    col(User.deactivated_at).is_(None),
                )
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    if list(admins) == [user_id]:
        raise Conflict(f"The campaign's last admin cannot be {change}: make another admin first")


async def _end_sessions(session: AsyncSession, tenant: Tenant, user_id: int) -> None:
    ended = await end_user_sessions(session, tenant.campaign_id, user_id)
    if ended:
        await audit.record(
            session, tenant, "session.revoke", "user", [user_id], {"sessions": ended}
        )


async def update_member(
    session: AsyncSession, tenant: Tenant, user_id: int, data: UserPatch
) -> UserOut:
    """Rename, change the role, deactivate or reactivate. A new role or a deactivation ends
    the member's sessions."""
    member = await get_member(session, tenant, user_id)
    demoted = data.role is not None and data.role != member.role and member.role == Role.admin
    deactivated = data.active is False and member.active
    if (demoted or deactivated) and member.role == Role.admin and member.active:
        await _keep_an_admin(session, tenant, user_id, "demoted" if demoted else "deactivated")
    where = (col(User.campaign_id) == tenant.campaign_id, col(User.id) == user_id)
    if data.name is not None and data.name != member.name:
        await session.execute(update(User).where(*where).values(name=data.name))
    if data.role is not None and data.role != member.role:
        await session.execute(
            update(Membership)
            .where(
                col(Membership.campaign_id) == tenant.campaign_id,
                col(Membership.user_id) == user_id,
            )
            .values(role=data.role.value)
        )
        await audit.record(
            session,
            tenant,
            "member.role_change",
            "user",
            [user_id],
            {"from": member.role.value, "to": data.role.value},
        )
        await _end_sessions(session, tenant, user_id)
    if data.active is not None and data.active != member.active:
        await session.execute(
            update(User).where(*where).values(deactivated_at=None if data.active else func.now())
        )
        # The log has one action for both directions; `active` says which.
        await audit.record(
            session, tenant, "account.deactivate", "user", [user_id], {"active": data.active}
        )
        if not data.active:
            await _end_sessions(session, tenant, user_id)
    return await get_member(session, tenant, user_id)


async def remove_member(session: AsyncSession, tenant: Tenant, user_id: int) -> None:
    """Delete the account: its role, sessions and list assignments go with it; the contacts
    it recorded stay as history (with the canvasser's name as synced, without the account)."""
    member = await get_member(session, tenant, user_id)
    if member.role == Role.admin and member.active:
        await _keep_an_admin(session, tenant, user_id, "removed")
    await session.execute(
        delete(User).where(col(User.campaign_id) == tenant.campaign_id, col(User.id) == user_id)
    )
    await audit.record(session, tenant, "member.remove", "user", [user_id])


async def reset_password(
    session: AsyncSession, tenant: Tenant, user_id: int, data: PasswordReset
) -> None:
    """Set the member's password (temporary unless told otherwise); their sessions end."""
    await get_member(session, tenant, user_id)
    password_hash = await asyncio.to_thread(hash_password, data.password)
    await session.execute(
        update(User)
        .where(col(User.campaign_id) == tenant.campaign_id, col(User.id) == user_id)
        .values(password_hash=password_hash, must_change_password=data.must_change_password)
    )
    await audit.record(
        session,
        tenant,
        "account.password_reset",
        "user",
        [user_id],
        {"must_change_password": data.must_change_password},
    )
    await _end_sessions(session, tenant, user_id)


async def end_member_sessions(session: AsyncSession, tenant: Tenant, user_id: int) -> int:
    """End every session of the member (they sign in again): how many ended."""
    await get_member(session, tenant, user_id)
    ended = await end_user_sessions(session, tenant.campaign_id, user_id)
    await audit.record(session, tenant, "session.revoke", "user", [user_id], {"sessions": ended})
    return ended
