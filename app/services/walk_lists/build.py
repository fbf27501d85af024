"""Building a walk list: a turf, a survey and filters into a stable snapshot of doors (stops,
`seq`) and people (`line` 1..n, the numbers paper sheets use).

The targets are selected set-based (the turf's doors by PostGIS cover, the filters and the
never-canvassed exclusions as SQL predicates from `targeting`) in street order (street,
odd/even side, house number, suffix, unit; people by name); the doors are routed
(`route_planner.plan_route`, in a worker thread, street order breaking ties); the snapshot is
inserted in walking order with one unnest INSERT.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.config import Settings
from app.db import analyze_if_stale
from app.errors import Unprocessable
from app.models import Campaign, Survey, Turf, WalkList
from app.schemas.walk_lists import WalkListIn, WalkListOut
from app.services.access.tenancy import Tenant, tenant_select
from app.services.walk_lists import queries
from app.services.walk_lists.route_planner import RouteSettings, plan_route, street_side_keys
from app.services.walk_lists.serving import summary
from app.services.walk_lists.targeting import NEVER_CANVASSED, filter_predicates

# Door order: street, odd side then even, house number, suffix, unit.
_DOOR_ORDER = (
    "upper(street), house_no % 2 DESC NULLS LAST, house_no, house_number,"
    " house_suffix NULLS FIRST, unit NULLS FIRST, household_id"
)


async def _next_number(session: AsyncSession, tenant: Tenant) -> str:
    """'CCCC-NNNN': the campaign, then the list's serial in it (printed on sheets, read aloud).
    The campaign's counter is never wound back, so a deleted list's number is never reused; its
    row lock serialises concurrent builds."""
    serial = (
        await session.execute(
            update(Campaign)
            .where(col(Campaign.id) == tenant.campaign_id)
            .values(last_list_number=col(Campaign.last_list_number) + 1)
            .returning(col(Campaign.last_list_number))
        )
    ).scalar_one()
    return f"{tenant.campaign_id:04d}-{serial:04d}"


FULL_EFFORT_DOORS = 600


@dataclass(frozen=True)
class _Plan:
    """The targets in walking order: parallel columns for the insert, and the route."""

    lines: list[int]
    seqs: list[int]
    households: list[int]
    people: list[int]
    doors: int
    distance_m: float


def _walking_order(rows: Sequence[Any], settings: Settings) -> _Plan:
    """Route the doors (given in street order, which breaks ties and orders one building's
    doors), then number them `seq` along the route and their people `line` 1..n."""
    first_row: dict[int, int] = {}
    for i, r in enumerate(rows):
        first_row.setdefault(r.household_id, i)
    doors = [rows[i] for i in first_row.values()]
    lon = np.array([np.nan if d.lon is None else d.lon for d in doors], dtype=float)
    lat = np.array([np.nan if d.lat is None else d.lat for d in doors], dtype=float)
    side = street_side_keys([d.street for d in doors], [d.house_number for d in doors])
    # Past a walkable size (whole-turf lists of thousands of doors) the improvement phase is cut
    # short: it would gain about 1% for seconds of build time.
    effort = min(1.0, FULL_EFFORT_DOORS / max(len(doors), 1))
    route = plan_route(
        lon,
        lat,
        side,
        settings=RouteSettings(crossing_penalty_m=settings.crossing_penalty_m, effort=effort),
    )
    seq_of = {doors[d].household_id: seq for seq, d in enumerate(route.order.tolist(), start=1)}
    ordered = sorted(range(len(rows)), key=lambda i: (seq_of[rows[i].household_id], i))
    return _Plan(
        lines=list(range(1, len(rows) + 1)),
        seqs=[seq_of[rows[i].household_id] for i in ordered],
        households=[rows[i].household_id for i in ordered],
        people=[rows[i].person_id for i in ordered],
        doors=len(doors),
        distance_m=route.distance_m,
    )


async def create_walk_list(
    session: AsyncSession, tenant: Tenant, data: WalkListIn, settings: Settings
) -> WalkListOut:
    """Build and store the list's snapshot: its targets in walking order, numbered."""
    problems: list[tuple[str, str]] = []
    turf = (
        await session.execute(tenant_select(tenant, Turf).where(col(Turf.id) == data.turf_id))
    ).scalar_one_or_none()
    if turf is None:
        problems.append(("body.turf_id", f"turf {data.turf_id} not found"))
    survey_found = (
        await session.execute(
            tenant_select(tenant, Survey, col(Survey.id)).where(col(Survey.id) == data.survey_id)
        )
    ).scalar_one_or_none()
    if survey_found is None:
        problems.append(("body.survey_id", f"survey {data.survey_id} not found"))
    if problems:
        raise Unprocessable.on_fields("Unknown turf or survey", problems)
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
    predicates, params = filter_predicates(data.filters)
    rows = (
        await session.execute(
            text(
                queries.TARGETS.format(
                    never_canvassed=NEVER_CANVASSED, predicates=predicates, door=_DOOR_ORDER
                )
            ),
            {"cid": tenant.campaign_id, "turf_id": data.turf_id, **params},
        )
    ).all()
    plan = await asyncio.to_thread(_walking_order, rows, settings)
    await session.execute(
        text(queries.INSERT_TARGETS),
        {"cid": tenant.campaign_id, "list_id": walk_list.id, "lines": plan.lines,
         "seqs": plan.seqs, "households": plan.households, "people": plan.people},
    )  # fmt: skip
    await analyze_if_stale(session, {"walk_list_target": len(plan.people)})
    walk_list.door_count, walk_list.person_count = plan.doors, len(plan.people)
    walk_list.route_distance_m = round(plan.distance_m, 1)
    walk_list.route_minutes = round(
        plan.distance_m / (settings.walking_speed_kmh * 1000 / 60)
        + plan.doors * settings.minutes_per_door,
        1,
    )
    await session.flush()
    return summary(walk_list)
