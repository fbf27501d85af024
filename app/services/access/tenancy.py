"""The tenant context of a request and the one scoping helper every tenant-owned query uses.

A campaign is a tenant. A row of another campaign is answered exactly like a missing row (404),
so ids leak nothing across campaigns.
"""

from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar, overload

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import NotFound
from app.models import Role


class TenantScoped(Protocol):
    """A table model of tenant-owned rows: it has a campaign_id column."""

    campaign_id: int


class TenantOwned(TenantScoped, Protocol):
    """A tenant-owned table model whose rows are numbered by `id`."""

    __tablename__: ClassVar[str]
    id: int | None


S = TypeVar("S", bound=TenantScoped)
T = TypeVar("T", bound=TenantOwned)


@dataclass(frozen=True)
class Tenant:
    """Who is asking, in which campaign, with which role."""

    campaign_id: int
    user_id: int | None
    role: Role
    # List-code tokens (volunteers without an account): the one list they may read and sync
    # for, and the name they gave. Their role is canvasser, their user_id None.
    walk_list_id: int | None = None
    guest_name: str | None = None
    # Members: the login session behind the token, and whether an admin's password reset
    # requires a new password before anything else.
    session_id: int | None = None
    password_change_required: bool = False

    @property
    def is_guest(self) -> bool:
        return self.walk_list_id is not None


@overload
def tenant_select(tenant: Tenant, model: type[S]) -> Select[S]: ...


@overload
def tenant_select(
    tenant: Tenant, model: type[TenantScoped], *columns: Any
) -> Select[*tuple[Any, ...]]: ...


def tenant_select(
    tenant: Tenant, model: type[TenantScoped], *columns: Any
) -> Select[*tuple[Any, ...]]:
    """SELECT columns (default: the model) FROM model WHERE model.campaign_id = tenant's."""
    stmt = select(*columns) if columns else select(model)
    return stmt.where(col(model.campaign_id) == tenant.campaign_id)


async def get_owned(session: AsyncSession, tenant: Tenant, model: type[T], obj_id: int) -> T:
    """The tenant's row with this id, or NotFound (also for other campaigns' ids)."""
    stmt = tenant_select(tenant, model).where(col(model.id) == obj_id)
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{model.__tablename__} {obj_id} not found")
    return row
