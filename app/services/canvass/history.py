"""A person's contact history: every knock that spoke for them, oldest first."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models import Person
from app.pagination import PageParams
from app.schemas.contacts import CanvasserRef, ContactOut, ResponseOut
from app.services.access.tenancy import Tenant, get_owned

_HISTORY = """
    SELECT c.id, c.client_id, c.result, c.knocked_at, c.received_at, c.source, c.walk_list_id,
           c.canvasser_id, coalesce(u.name, c.canvasser_name) AS canvasser, c.note,
           c.entered_by, c.superseded_by,
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                        'question_id', r.question_id, 'option_ids', r.option_ids,
                        'text', r.text, 'number', r.number) ORDER BY r.question_id)
                     FROM contact_response r
                     WHERE r.campaign_id = c.campaign_id AND r.contact_id = c.id),
                    '[]') AS responses
    FROM contact_target t
    JOIN contact c ON c.campaign_id = t.campaign_id AND c.id = t.contact_id
    LEFT JOIN app_user u ON u.id = c.canvasser_id
    WHERE t.campaign_id = :cid AND t.person_id = :pid AND c.id > :after
    ORDER BY c.id
    LIMIT :limit
"""


async def history(
    session: AsyncSession, tenant: Tenant, person_id: int, page: PageParams
) -> list[ContactOut]:
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
    rows = (await session.execute(text(_HISTORY), params)).all()
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
