"""Walk lists once built (`build`): who sees which, the phone payload and its ETag,
assignments, deletion."""

import hashlib
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db import rowcount
from app.errors import NotFound, Unprocessable
from app.models import Membership, Role, WalkList, WalkListAssignment
from app.pagination import PageParams
from app.schemas.walk_lists import (
    AssignmentsOut,
    RouteOut,
    WalkListOut,
    WalkListPayload,
)
from app.services.access.tenancy import Tenant, get_owned, tenant_select
from app.services.surveys import get_survey
from app.services.voter_file.people import age_on
from app.services.walk_lists import queries
from app.services.walk_lists.targeting import NEVER_CANVASSED

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


def route_of(w: WalkList) -> RouteOut | None:
    """The list's route figures, once it has been routed."""
    if w.route_distance_m is None or w.route_minutes is None:
        return None
    return RouteOut(distance_m=w.route_distance_m, minutes=w.route_minutes)


def summary(w: WalkList) -> WalkListOut:
    """A list as the API lists it (without its doors)."""
    fields = {k: getattr(w, k) for k in WalkListOut.model_fields if k != "route"}
    return WalkListOut.model_validate(fields | {"route": route_of(w)})


def visible_lists(tenant: Tenant, stmt: SelectT) -> SelectT:
    """Canvassers see only the lists assigned to them; list-code tokens only their one list."""
    if tenant.walk_list_id is not None:
        stmt = stmt.where(col(WalkList.id) == tenant.walk_list_id)
    elif tenant.role == Role.canvasser:
        assigned = select(col(WalkListAssignment.walk_list_id)).where(
            col(WalkListAssignment.campaign_id) == tenant.campaign_id,
            col(WalkListAssignment.user_id) == tenant.user_id,
        )
        stmt = stmt.where(col(WalkList.id).in_(assigned))
    return stmt


async def get_visible(session: AsyncSession, tenant: Tenant, list_id: int) -> WalkList:
    """The list if the caller may see it; otherwise NotFound, as for a missing id."""
    stmt = visible_lists(tenant, tenant_select(tenant, WalkList).where(col(WalkList.id) == list_id))
    walk_list = (await session.execute(stmt)).scalar_one_or_none()
    if walk_list is None:
        raise NotFound(f"walk list {list_id} not found")
    return walk_list


async def list_walk_lists(
    session: AsyncSession, tenant: Tenant, page: PageParams, number: str | None = None
) -> list[WalkListOut]:
    """A page of the lists the caller may see, by id; with `number`, the one printed so."""
    stmt = (
        visible_lists(tenant, tenant_select(tenant, WalkList))
        .order_by(col(WalkList.id))
        .limit(page.limit + 1)
    )
    if number is not None:
        stmt = stmt.where(col(WalkList.number) == number)
    if page.after_id is not None:
        stmt = stmt.where(col(WalkList.id) > page.after_id)
    return [summary(w) for w in (await session.execute(stmt)).scalars()]


async def payload_of(session: AsyncSession, tenant: Tenant, walk_list: WalkList) -> WalkListPayload:
    """The phone payload of a list the caller may see."""
    survey = await get_survey(session, tenant, walk_list.survey_id)
    rows = (
        await session.execute(
            text(queries.PAYLOAD_PEOPLE.format(never_canvassed=NEVER_CANVASSED)),
            {"cid": tenant.campaign_id, "id": walk_list.id},
        )
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
        "version": walk_list.version, "route": route_of(walk_list), "stops": stops,
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


# Bumped whenever the payload's shape or content rules change, so that phones holding a
# payload of the old shape download the new one.
PAYLOAD_FORMAT = "2"


async def payload_etag(
    session: AsyncSession, tenant: Tenant, walk_list: WalkList
) -> tuple[str, int]:
    """The ETag of the list's phone payload and the number of people on it, without building
    it: a digest, in SQL, of exactly the rows and columns the payload is made of, with the
    list's own fields and today's date (ages change with it). Surveys cannot be edited, so
    their id stands for them. A phone's If-None-Match is answered from this alone."""
    row = (
        await session.execute(
            text(queries.PAYLOAD_DIGEST.format(never_canvassed=NEVER_CANVASSED)),
            {"cid": tenant.campaign_id, "id": walk_list.id},
        )
    ).one()
    route = route_of(walk_list)
    parts = [
        PAYLOAD_FORMAT,
        str(walk_list.id),
        str(walk_list.version),
        walk_list.number,
        walk_list.name,
        str(walk_list.survey_id),
        route.model_dump_json() if route else "",
        date.today().isoformat(),
        row.digest,
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f'"{digest}"', int(row.people)


async def assign(
    session: AsyncSession, tenant: Tenant, list_id: int, user_ids: list[int]
) -> AssignmentsOut:
    """Assign canvassers of this campaign; anyone else is refused by position in the body."""
    await get_owned(session, tenant, WalkList, list_id)
    canvassers = set(
        (
            await session.execute(
                tenant_select(tenant, Membership, col(Membership.user_id)).where(
                    col(Membership.user_id).in_(user_ids),
                    col(Membership.role) == Role.canvasser.value,
                )
            )
        ).scalars()
    )
    wrong = [
        (f"body.user_ids[{i}]", f"user {uid} is not a canvasser of this campaign")
        for i, uid in enumerate(user_ids)
        if uid not in canvassers
    ]
    if wrong:
        raise Unprocessable.on_fields("Only canvassers of this campaign can be assigned", wrong)
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
    """Who the list is assigned to."""
    ids = (
        await session.execute(
            tenant_select(tenant, WalkListAssignment, col(WalkListAssignment.user_id))
            .where(col(WalkListAssignment.walk_list_id) == list_id)
            .order_by(col(WalkListAssignment.user_id))
        )
    ).scalars()
    return AssignmentsOut(walk_list_id=list_id, user_ids=list(ids))


async def unassign(session: AsyncSession, tenant: Tenant, list_id: int, user_id: int) -> None:
    """Take the list away from a canvasser (404 if it was not theirs)."""
    await get_owned(session, tenant, WalkList, list_id)
    result = await session.execute(
        delete(WalkListAssignment).where(
            col(WalkListAssignment.campaign_id) == tenant.campaign_id,
            col(WalkListAssignment.walk_list_id) == list_id,
            col(WalkListAssignment.user_id) == user_id,
        )
    )
    if rowcount(result) == 0:
        raise NotFound(f"user {user_id} is not assigned to walk list {list_id}")
