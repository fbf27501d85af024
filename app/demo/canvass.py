"""The demo campaign's canvass: a door script, turfs for three precincts, a walk list on each
(two assigned to the demo canvassers, one handed out by list code).

Built through the same services the API uses, so the demo is the real loop end to end.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.models import Campaign, Membership, Precinct, Role, Survey, User, WalkList
from app.schemas.surveys import SurveyIn
from app.schemas.turfs import TurfIn
from app.schemas.walk_lists import WalkListIn
from app.services.access.tenancy import Tenant
from app.services.geography.turfs import create_turf
from app.services.surveys import create_survey
from app.services.walk_lists import build, codes, serving

TURF_PRECINCTS = ("1-2", "5-2", "11-2")  # Cambridge ward-precincts of 90 to 200 doors
CODE_HOURS = 30 * 24


def door_script() -> SurveyIn:
    support = [
        {"label": label, "code": str(n), "effects": {"set": {"support_level": n}}}
        for n, label in enumerate(
            ["Strong yes", "Lean yes", "Undecided", "Lean no", "Strong no"], start=1
        )
    ]
    issues = [
        {"label": label, "code": code, "effects": {"set": {"custom:top_issue": label}}}
        for code, label in [("H", "Housing"), ("T", "Transit"), ("S", "Schools"),
                            ("C", "Climate"), ("O", "Other")]
    ]  # fmt: skip
    return SurveyIn.model_validate({
        "name": "Cambridge door script",
        "questions": [
            {"prompt": "Can we count on your vote for the Cambridge for Everyone slate?",
             "kind": "single_choice", "options": support},
            {"prompt": "Would you volunteer with us?", "kind": "single_choice", "options": [
                {"label": "Yes", "code": "Y",
                 "effects": {"set": {"is_volunteer": True}, "tags_add": ["volunteer-lead"]}},
                {"label": "No", "code": "N", "effects": {"set": {"is_volunteer": False}}},
            ]},
            {"prompt": "What is the most important issue for you?", "kind": "single_choice",
             "options": issues},
        ],
    })  # fmt: skip


async def _organizer(session: AsyncSession, campaign_id: int) -> Tenant:
    user_id = (
        await session.execute(
            select(Membership.user_id).where(
                Membership.campaign_id == campaign_id, Membership.role == Role.organizer.value
            )
        )
    ).scalar_one()
    return Tenant(campaign_id=campaign_id, user_id=user_id, role=Role.organizer)


async def _canvasser_ids(session: AsyncSession, campaign_id: int) -> list[int]:
    rows = await session.execute(
        select(Membership.user_id)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(Membership.campaign_id == campaign_id, Membership.role == Role.canvasser.value)
        .order_by(User.email)
    )
    return list(rows.scalars())


async def load_canvass(session: AsyncSession, campaign_id: int) -> dict[str, Any] | None:
    """Add the canvass to the demo campaign, unless it has a survey already."""
    has_survey = await session.execute(select(Survey.id).where(Survey.campaign_id == campaign_id))
    if has_survey.first() is not None:
        return None
    tenant = await _organizer(session, campaign_id)
    survey = await create_survey(session, tenant, door_script())
    precincts = dict(
        (
            await session.execute(
                select(Precinct.code, Precinct.id).where(
                    Precinct.campaign_id == campaign_id,
                    Precinct.code.in_(TURF_PRECINCTS),  # type: ignore[attr-defined]
                )
            )
        ).all()
    )
    canvassers = await _canvasser_ids(session, campaign_id)
    lists = []
    for n, code in enumerate(TURF_PRECINCTS):
        turf = await create_turf(
            session, tenant, TurfIn(name=f"Precinct {code}", precinct_ids=[precincts[code]])
        )
        walk_list = await build.create_walk_list(
            session, tenant, WalkListIn(turf_id=turf["id"], survey_id=survey.id), get_settings()
        )
        if n < len(canvassers):
            await serving.assign(session, tenant, walk_list.id, [canvassers[n]])
        lists.append(walk_list)
    return {"survey": survey.name, "lists": [(w.number, w.door_count) for w in lists]}


async def live_list_code(session: AsyncSession, slug: str) -> tuple[str, str] | None:
    """A working code for the demo's last list (the one no canvasser is assigned to), made
    afresh when the last one has expired: (list number, code)."""
    campaign_id = (
        await session.execute(select(Campaign.id).where(Campaign.slug == slug))
    ).scalar_one_or_none()
    if campaign_id is None:
        return None
    walk_list = (
        await session.execute(
            select(WalkList)
            .where(WalkList.campaign_id == campaign_id)
            .order_by(WalkList.id.desc())  # type: ignore[union-attr]
            .limit(1)
        )
    ).scalar_one_or_none()
    if walk_list is None:
        return None
    tenant = await _organizer(session, campaign_id)
    live = await codes.live_codes(session, tenant, walk_list.id)  # type: ignore[arg-type]
    code = live[0] if live else await codes.create(session, tenant, walk_list.id, CODE_HOURS)  # type: ignore[arg-type]
    return walk_list.number, code.code
