"""Walk lists: built once from a turf, a survey and filters into a stable snapshot of doors
(stops, `seq`) and people (`line` 1..n, the numbers paper sheets use), then served to phones.

The build is one set-based INSERT ... SELECT: the turf's doors by PostGIS cover, the filters
as SQL predicates, the order (street, odd/even side, house number, suffix, unit; people by
name) by window functions.
"""

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound, Unprocessable
from app.models import Campaign, Membership, Role, Survey, Turf, WalkList, WalkListAssignment
from app.pagination import PageParams
from app.schemas.walk_lists import (
    AssignmentsOut,
    WalkListFilters,
    WalkListIn,
    WalkListOut,
    WalkListPayload,
)
from app.services.people import age_on
from app.services.surveys import get_survey
from app.services.tenancy import Tenant, get_owned, tenant_select

_AGE = """CASE WHEN p.birth_date IS NOT NULL THEN date_part('year', age(current_date, p.birth_date))
               ELSE date_part('year', current_date) - p.birth_year END"""

# Door order: street, odd side then even, house number, suffix, unit.
_DOOR_ORDER = (
    "upper(street), house_no % 2 DESC NULLS LAST, house_no, house_number,"
    " house_suffix NULLS FIRST, unit NULLS FIRST, household_id"
)
_BUILD = """
    WITH targets AS (
        SELECT p.id AS person_id, h.id AS household_id, p.last_name, p.first_name,
               h.street, h.house_number, h.house_suffix, h.unit,
               nullif(substring(h.house_number from '^[0-9]+'), '')::bigint AS house_no
        FROM turf t
        JOIN household h ON h.campaign_id = t.campaign_id AND ST_Covers(t.geom, h.geom)
        JOIN person p ON p.campaign_id = h.campaign_id AND p.household_id = h.id
        WHERE t.campaign_id = :cid AND t.id = :turf_id
          AND NOT h.wrong_address AND NOT p.deceased AND NOT p.moved AND NOT p.do_not_contact
          {predicates}
    ), ordered AS (
        SELECT *,
            dense_rank() OVER (ORDER BY {door}) AS seq,
            row_number() OVER (ORDER BY {door}, upper(last_name), upper(first_name), person_id)
                AS line
        FROM targets
    )
    INSERT INTO walk_list_target (campaign_id, walk_list_id, line, seq, household_id, person_id)
    SELECT :cid, :list_id, line, seq, household_id, person_id FROM ordered
"""


def _predicates(f: WalkListFilters) -> tuple[str, dict[str, Any]]:
    """SQL conditions and their parameters for the filters (always-excluded people aside)."""
    sql: list[str] = []
    params: dict[str, Any] = {}
    if not f.include_volunteers:
        sql.append("NOT p.is_volunteer")
    if f.not_contacted_days:
        recent = "now() - make_interval(days => :days)"
        sql.append(f"(p.last_contacted_at IS NULL OR p.last_contacted_at < {recent})")
        params["days"] = f.not_contacted_days
    if f.support_levels is not None:
        levels = [v for v in f.support_levels if v != "unknown"]
        unknown = "unknown" in f.support_levels
        sql.append(
            "(p.support_level = ANY(CAST(:levels AS int[]))"
            + (" OR p.support_level IS NULL)" if unknown else ")")
        )
        params["levels"] = levels
    if f.parties is not None:
        sql.append("upper(p.party) = ANY(CAST(:parties AS text[]))")
        params["parties"] = [x.strip().upper() for x in f.parties]
    if f.sexes is not None:
        sql.append("upper(p.sex) = ANY(CAST(:sexes AS text[]))")
        params["sexes"] = [x.strip().upper() for x in f.sexes]
    if f.age_min is not None:
        sql.append(f"({_AGE}) >= :age_min")
        params["age_min"] = f.age_min
    if f.age_max is not None:
        sql.append(f"({_AGE}) <= :age_max")
        params["age_max"] = f.age_max
    if f.tags_any is not None:
        sql.append("p.tags && CAST(:tags_any AS text[])")
        params["tags_any"] = f.tags_any
    if f.tags_none is not None:
        sql.append("NOT (p.tags && CAST(:tags_none AS text[]))")
        params["tags_none"] = f.tags_none
    return "".join(f"\n          AND {s}" for s in sql), params


def _out(w: WalkList) -> WalkListOut:
    return WalkListOut.model_validate(w, from_attributes=True)


async def _next_number(session: AsyncSession, tenant: Tenant) -> str:
    """'CCCC-NNNN': the campaign, then the list's serial in it (printed on sheets, read aloud).
    The campaign's counter is never wound back, so a deleted list's number is never reused; its
    row lock serialises concurrent builds."""
    serial = (
        await session.execute(
            update(Campaign)
            .where(Campaign.id == tenant.campaign_id)  # type: ignore[arg-type]
            .values(last_list_number=Campaign.last_list_number + 1)
            .returning(Campaign.last_list_number)
        )
    ).scalar_one()
    return f"{tenant.campaign_id:04d}-{serial:04d}"


async def create_walk_list(session: AsyncSession, tenant: Tenant, data: WalkListIn) -> WalkListOut:
    errors = []
    turf = (
        await session.execute(tenant_select(tenant, Turf).where(Turf.id == data.turf_id))
    ).scalar_one_or_none()
    if turf is None:
        errors.append({"loc": "body.turf_id", "message": f"turf {data.turf_id} not found"})
    survey_found = (
        await session.execute(
            tenant_select(tenant, Survey, Survey.id).where(Survey.id == data.survey_id)
        )
    ).scalar_one_or_none()
    if survey_found is None:
        errors.append({"loc": "body.survey_id", "message": f"survey {data.survey_id} not found"})
    if errors:
        raise Unprocessable("Unknown turf or survey", errors)
    assert turf is not None
    walk_list = WalkList(
        campaign_id=tenant.campaign_id,
        number=await _next_number(session, tenant),
        name=data.name or turf.name,
        turf_id=data.turf_id,
        survey_id=data.survey_id,
        filters=data.filters.model_dump(),
        created_by=tenant.user_id,
    )
    session.add(walk_list)
    await session.flush()
    predicates, params = _predicates(data.filters)
    await session.execute(
        text(_BUILD.format(predicates=predicates, door=_DOOR_ORDER)),
        {"cid": tenant.campaign_id, "turf_id": data.turf_id, "list_id": walk_list.id, **params},
    )
    doors, people = (
        await session.execute(
            text(
                "SELECT count(DISTINCT seq), count(*) FROM walk_list_target"
                " WHERE campaign_id = :cid AND walk_list_id = :id"
            ),
            {"cid": tenant.campaign_id, "id": walk_list.id},
        )
    ).one()
    walk_list.door_count, walk_list.person_count = doors, people
    await session.flush()
    return _out(walk_list)


def visible_lists(tenant: Tenant, stmt: Any) -> Any:
    """Canvassers see only the lists assigned to them; list-code tokens only their one list."""
    if tenant.walk_list_id is not None:
        stmt = stmt.where(WalkList.id == tenant.walk_list_id)
    elif tenant.role == Role.canvasser:
        assigned = select(WalkListAssignment.walk_list_id).where(
            WalkListAssignment.campaign_id == tenant.campaign_id,
            WalkListAssignment.user_id == tenant.user_id,
        )
        stmt = stmt.where(WalkList.id.in_(assigned))  # type: ignore[union-attr]
    return stmt


async def get_visible(session: AsyncSession, tenant: Tenant, list_id: int) -> WalkList:
    stmt = visible_lists(tenant, tenant_select(tenant, WalkList).where(WalkList.id == list_id))
    walk_list = (await session.execute(stmt)).scalar_one_or_none()
    if walk_list is None:
        raise NotFound(f"walk list {list_id} not found")
    return walk_list


async def list_walk_lists(
    session: AsyncSession, tenant: Tenant, page: PageParams
) -> list[WalkListOut]:
    stmt = (
        visible_lists(tenant, tenant_select(tenant, WalkList))
        .order_by(WalkList.id)
        .limit(page.limit + 1)
    )
    if page.after_id is not None:
        stmt = stmt.where(WalkList.id > page.after_id)
    return [_out(w) for w in (await session.execute(stmt)).scalars()]


_PAYLOAD_PEOPLE = """
    SELECT t.seq, t.line, t.household_id, h.house_number, h.house_suffix, h.street, h.unit,
           ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat,
           p.id, p.first_name, p.last_name, p.birth_date, p.birth_year, p.sex, p.party,
           p.support_level
    FROM walk_list_target t
    JOIN household h ON h.campaign_id = t.campaign_id AND h.id = t.household_id
    JOIN person p ON p.campaign_id = t.campaign_id AND p.id = t.person_id
    WHERE t.campaign_id = :cid AND t.walk_list_id = :id
    ORDER BY t.line
"""


async def payload(session: AsyncSession, tenant: Tenant, list_id: int) -> WalkListPayload:
    walk_list = await get_visible(session, tenant, list_id)
    survey = await get_survey(session, tenant, walk_list.survey_id)
    rows = (
        await session.execute(text(_PAYLOAD_PEOPLE), {"cid": tenant.campaign_id, "id": list_id})
    ).all()
    today = date.today()
    stops: list[dict[str, Any]] = []
    for r in rows:
        if not stops or stops[-1]["seq"] != r.seq:
            number = f"{r.house_number}{r.house_suffix or ''}"
            stops.append({
                "seq": r.seq, "household_id": r.household_id, "address": f"{number} {r.street}",
                "unit": r.unit, "lon": r.lon, "lat": r.lat, "people": [],
            })  # fmt: skip
        stops[-1]["people"].append({
            "id": r.id, "line": r.line, "first_name": r.first_name, "last_name": r.last_name,
            "age": age_on(today, r.birth_date, r.birth_year), "sex": r.sex, "party": r.party,
            "support_level": r.support_level,
        })  # fmt: skip
    return WalkListPayload.model_validate({
        "id": walk_list.id, "number": walk_list.number, "name": walk_list.name,
        "version": walk_list.version, "stops": stops,
        "survey": {
            "id": survey.id, "name": survey.name,
            "questions": [q.model_dump(exclude={"profile_field"}) for q in survey.questions],
        },
    })  # fmt: skip


async def delete_walk_list(session: AsyncSession, tenant: Tenant, list_id: int) -> None:
    """Targets, assignments and codes go with the list; contacts stay as history (their list
    becomes null). The row lock waits for syncs in flight to this list (they hold KEY SHARE)."""
    walk_list = await get_owned(session, tenant, WalkList, list_id)
    await session.delete(walk_list)
    await session.flush()


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def assign(
    session: AsyncSession, tenant: Tenant, list_id: int, user_ids: list[int]
) -> AssignmentsOut:
    """Assign canvassers of this campaign; anyone else is refused by position in the body."""
    await get_owned(session, tenant, WalkList, list_id)
    canvassers = set(
        (
            await session.execute(
                tenant_select(tenant, Membership, Membership.user_id).where(
                    Membership.user_id.in_(user_ids),  # type: ignore[attr-defined]
                    Membership.role == Role.canvasser.value,
                )
            )
        ).scalars()
    )
    wrong = [
        {"loc": f"body.user_ids[{i}]", "message": f"user {uid} is not a canvasser of this campaign"}
        for i, uid in enumerate(user_ids)
        if uid not in canvassers
    ]
    if wrong:
        raise Unprocessable("Only canvassers of this campaign can be assigned", wrong)
    await session.execute(
        insert(WalkListAssignment)
        .values([
            {"campaign_id": tenant.campaign_id, "walk_list_id": list_id, "user_id": uid}
            for uid in dict.fromkeys(user_ids)
        ])
        .on_conflict_do_nothing()
    )  # fmt: skip
    return await assignments(session, tenant, list_id)


async def assignments(session: AsyncSession, tenant: Tenant, list_id: int) -> AssignmentsOut:
    ids = (
        await session.execute(
            tenant_select(tenant, WalkListAssignment, WalkListAssignment.user_id)
            .where(WalkListAssignment.walk_list_id == list_id)
            .order_by(WalkListAssignment.user_id)
        )
    ).scalars()
    return AssignmentsOut(walk_list_id=list_id, user_ids=list(ids))


async def unassign(session: AsyncSession, tenant: Tenant, list_id: int, user_id: int) -> None:
    await get_owned(session, tenant, WalkList, list_id)
    result = await session.execute(
        delete(WalkListAssignment).where(
            WalkListAssignment.campaign_id == tenant.campaign_id,  # type: ignore[arg-type]
            WalkListAssignment.walk_list_id == list_id,  # type: ignore[arg-type]
            WalkListAssignment.user_id == user_id,  # type: ignore[arg-type]
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"user {user_id} is not assigned to walk list {list_id}")
