from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.deps import Admin, SessionDep
from app.pagination import Page, PageParams, make_page, page_params
from app.schemas.common import IsoDateTime
from app.schemas.privacy import MAX_ID, AuditEntryOut
from app.services.privacy import audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEntryOut])
async def list_audit_entries(
    request: Request,
    session: SessionDep,
    tenant: Admin,
    page: Annotated[PageParams, Depends(page_params)],
    action: Annotated[str | None, Query(max_length=50, examples=["person.read"])] = None,
    actor_user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    object_type: Annotated[str | None, Query(max_length=50, examples=["person"])] = None,
    object_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    since: Annotated[IsoDateTime | None, Query(description="From this time on (inclusive)")] = None,
    until: Annotated[IsoDateTime | None, Query(description="Before this time (exclusive)")] = None,
) -> Page[AuditEntryOut]:
    """The campaign's audit log, newest first: who read, searched, pulled, exported or changed
    whose data. Admins only. Entries hold counts, field names and filters, never values."""
    rows = await audit.entries(
        session,
        tenant,
        page,
        action=action,
        actor_user_id=actor_user_id,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
    )
    return make_page(request, rows, page, key=lambda e: e.id)
