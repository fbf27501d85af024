"""A walk list's progress: set-based counts over the contacts recorded for it."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.schemas.walk_lists import WalkListProgress
from app.services.access.tenancy import Tenant
from app.services.walk_lists.serving import get_visible

# Results that mean someone answered the door (as opposed to not_home, moved, inaccessible...).
REACHED = ("canvassed", "refused", "hostile", "language_barrier", "come_back", "do_not_contact")

_COUNTS = """
    SELECT count(DISTINCT c.household_id) AS doors_attempted,
           (SELECT count(DISTINCT t.person_id)
            FROM contact c2
            JOIN contact_target t ON t.campaign_id = c2.campaign_id AND t.contact_id = c2.id
            WHERE c2.campaign_id = :cid AND c2.walk_list_id = :id AND c2.superseded_by IS NULL
              AND c2.result = ANY(CAST(:reached AS text[]))) AS people_contacted,
           coalesce((SELECT jsonb_object_agg(result, n) FROM (
                SELECT result, count(*) AS n FROM contact
                WHERE campaign_id = :cid AND walk_list_id = :id AND superseded_by IS NULL
                GROUP BY result) r),
               '{}') AS results
    FROM contact c
    WHERE c.campaign_id = :cid AND c.walk_list_id = :id AND c.superseded_by IS NULL
"""

_ANSWERS = """
    WITH chosen AS (
        SELECT r.question_id, o.option_id, count(*) AS n
        FROM contact c
        JOIN contact_response r ON r.campaign_id = c.campaign_id AND r.contact_id = c.id
        CROSS JOIN unnest(r.option_ids) AS o(option_id)
        WHERE c.campaign_id = :cid AND c.walk_list_id = :id AND c.superseded_by IS NULL
        GROUP BY 1, 2
    )
    SELECT q.id AS question_id, so.id AS option_id, coalesce(chosen.n, 0) AS n
    FROM survey_question q
    JOIN survey_option so ON so.campaign_id = q.campaign_id AND so.question_id = q.id
    LEFT JOIN chosen ON chosen.question_id = q.id AND chosen.option_id = so.id
    WHERE q.campaign_id = :cid AND q.survey_id = :survey_id
    ORDER BY q.number, so.id
"""


async def progress(session: AsyncSession, tenant: Tenant, list_id: int) -> WalkListProgress:
    walk_list = await get_visible(session, tenant, list_id)
    params = {"cid": tenant.campaign_id, "id": list_id}
    counts = (await session.execute(text(_COUNTS), params | {"reached": list(REACHED)})).one()
    answers: dict[int, dict[int, int]] = {}
    rows = await session.execute(text(_ANSWERS), params | {"survey_id": walk_list.survey_id})
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
