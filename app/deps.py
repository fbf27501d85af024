"""Annotated dependencies: the request's session, the tenant behind the token, role gates."""

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import session_scope
from app.errors import Forbidden, Unauthorized
from app.models import Role
from app.services.access.auth import tenant_from_token
from app.services.access.tenancy import Tenant


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with session_scope(request.app.state.sessionmaker) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": the commit happens when the endpoint returns, before the response is sent,
# so a client never sees a success whose commit then failed.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def _any_tenant(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(_bearer)]
) -> Tenant:
    if not token:
        raise Unauthorized()
    return await tenant_from_token(session, settings, token)


_GUEST_REFUSED = "A list-code token can only read its walk list and sync results for it"


def get_tenant(tenant: Annotated[Tenant, Depends(_any_tenant)]) -> Tenant:
    """Any member of the campaign. List-code (guest) tokens are refused here, and so everywhere
    that does not opt in with `require_roles(..., guests=True)`."""
    if tenant.is_guest:
        raise Forbidden(_GUEST_REFUSED)
    return tenant


def require_roles(*roles: Role, guests: bool = False) -> Callable[[Tenant], Tenant]:
    """A gate on the role. `guests=True` also lets list-code tokens through; the service then
    keeps them to their one list (`walk_lists.visible_lists`)."""

    def gate(tenant: Annotated[Tenant, Depends(_any_tenant)]) -> Tenant:
        if tenant.is_guest and not guests:
            raise Forbidden(_GUEST_REFUSED)
        if tenant.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"This needs one of the roles: {allowed}")
        return tenant

    return gate


AnyMember = Annotated[Tenant, Depends(get_tenant)]
Admin = Annotated[Tenant, Depends(require_roles(Role.admin))]
# Organizers and admins: voter data, turf, lists, imports.
Staff = Annotated[Tenant, Depends(require_roles(Role.admin, Role.organizer))]
# Typing in paper results: data entry, organizers, admins.
DataEntry = Annotated[Tenant, Depends(require_roles(Role.admin, Role.organizer, Role.data_entry))]
# Everyone who works lists: canvassers (their assigned lists) and data entry (every list).
ListWorker = Annotated[
    Tenant, Depends(require_roles(Role.admin, Role.organizer, Role.data_entry, Role.canvasser))
]
# The same, plus list-code tokens (their one list): reading a list and syncing results for it.
ListWorkerOrGuest = Annotated[
    Tenant,
    Depends(
        require_roles(Role.admin, Role.organizer, Role.data_entry, Role.canvasser, guests=True)
    ),
]
