"""A walk list's progress: set-based counts over the contacts recorded for it."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.schemas.walk_lists import WalkListProgress
from app.services.access.tenancy import Tenant
from app.services.walk_lists import queries
from app.services.walk_lists.serving import get_visible

# Results that mean someone answered the door (as opposed to not_home, moved, inaccessible...).
REACHED = ("canvassed", "refused", "hostile", "language_barrier", "come_back", "do_not_contact")


async def progress(session: AsyncSession, tenant: Tenant, list_id: int) -> WalkListProgress:
    """Doors attempted, people reached, results and answers so far, over live contacts."""
    walk_list = await get_visible(session, tenant, list_id)
    params = {"cid": tenant.campaign_id, "id": list_id}
    counts = (
        await session.execute(text(queries.COUNTS), params | {"reached": list(REACHED)})
    ).one()
    answers: dict[int, dict[int, int]] = {}
    rows = await session.execute(text(queries.ANSWERS), params | {"survey_id": walk_list.survey_id})
    for question_id, option_id, n in rows:
        answers.setdefault(question_id, {})[option_id] = n
    return WalkListProgress(
        walk_list_id=list_id,
        doors_total=walk_list.door_count,
        doors_attempted=counts.doors_attempted,
        people_total=walk_list.person_count,
        people_contacted=counts.people_contacted,
        results=counts.results,
        answers=answers,
    )
