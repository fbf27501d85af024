"""Annotated dependencies: the request's session, the tenant behind the token, role gates."""

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.errors import Forbidden, Unauthorized
from app.models import Role
from app.services.access.auth import tenant_from_token
from app.services.access.keys import attach_settings
from app.services.access.tenancy import Tenant
from app.services.access.throttle import KeepsWrites, client_address


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    """For the few flows that run their own short transactions (password login)."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return factory


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the endpoint returns, rolled back when it
    raises, except for errors that keep their writes (a failed try just counted)."""
    factory = get_session_factory(request)
    async with factory() as session:
        attach_settings(session, request.app.state.settings)
        try:
            yield session
        except KeepsWrites:
            await session.commit()
            raise
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


def get_client_address(request: Request) -> str:
    """The client's address, behind the trusted proxies (`TRUSTED_PROXIES`)."""
    settings = get_settings_dep(request)
    peer = request.client.host if request.client else None
    return client_address(
        peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxies
    )


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": the commit happens when the endpoint returns, before the response is sent,
# so a client never sees a success whose commit then failed.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SessionFactoryDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_session_factory)]
ClientAddress = Annotated[str, Depends(get_client_address)]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def _any_tenant(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(_bearer)],
) -> Tenant:
    if not token:
        raise Unauthorized()
    tenant = await tenant_from_token(session, settings, token)
    request.state.campaign_id = tenant.campaign_id  # for the request's log line
    return tenant


_GUEST_REFUSED = "A list-code token can only read its walk list and sync results for it"
_CHANGE_PASSWORD = "Choose a new password first (POST /api/v1/me/password)"


def _refuse_pending_password(tenant: Tenant) -> None:
    if tenant.password_change_required:
        raise Forbidden(_CHANGE_PASSWORD)


def get_account(tenant: Annotated[Tenant, Depends(_any_tenant)]) -> Tenant:
    """A signed-in member, for their own account only (/me, their password, logging out):
    allowed while an admin's temporary password waits to be replaced. Guests are refused."""
    if tenant.is_guest:
        raise Forbidden(_GUEST_REFUSED)
    return tenant


def get_tenant(tenant: Annotated[Tenant, Depends(get_account)]) -> Tenant:
    """Any member of the campaign. List-code (guest) tokens are refused here, and so everywhere
    that does not opt in with `require_roles(..., guests=True)`."""
    _refuse_pending_password(tenant)
    return tenant


def require_roles(*roles: Role, guests: bool = False) -> Callable[[Tenant], Tenant]:
    """A gate on the role. `guests=True` also lets list-code tokens through; the service then
    keeps them to their one list (`walk_lists.visible_lists`)."""

    def gate(tenant: Annotated[Tenant, Depends(_any_tenant)]) -> Tenant:
        if tenant.is_guest and not guests:
            raise Forbidden(_GUEST_REFUSED)
        _refuse_pending_password(tenant)
        if tenant.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"This needs one of the roles: {allowed}")
        return tenant

    return gate


# The caller's own account (also while a password change is pending).
OwnAccount = Annotated[Tenant, Depends(get_account)]
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
