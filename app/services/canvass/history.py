"""A person's contact history: every knock that spoke for them, oldest first."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models import Person
from app.pagination import PageParams
from app.schemas.contacts import CanvasserRef, ContactOut, ResponseOut
from app.services.access.tenancy import Tenant, get_owned
from app.services.canvass import queries


async def history(
    session: AsyncSession, tenant: Tenant, person_id: int, page: PageParams
) -> list[ContactOut]:
    """Every contact that spoke for this person, oldest first, with its answers (a page)."""
    try:
        await get_owned(session, tenant, Person, person_id)
    except NotFound:
        raise NotFound(f"person {person_id} not found") from None
    params = {
        "cid": tenant.campaign_id,
        "pid": person_id,
        "after": page.after_id or 0,
        "limit": page.limit + 1,
    }
    rows = (await session.execute(text(queries.HISTORY), params)).all()
    return [
        ContactOut(
            id=r.id,
            client_id=r.client_id,
            result=r.result,
            knocked_at=r.knocked_at,
            received_at=r.received_at,
            source=r.source,
            walk_list_id=r.walk_list_id,
            canvasser=CanvasserRef(id=r.canvasser_id, name=r.canvasser) if r.canvasser else None,
            responses=[ResponseOut(**x) for x in r.responses],
            note=r.note,
            entered_by=r.entered_by,
            superseded_by=r.superseded_by,
        )
        for r in rows
    ]
