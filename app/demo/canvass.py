"""The demo campaign's canvass: a door script, turfs for three precincts, a walk list on each
(two assigned to the demo canvassers, one handed out by list code).

Built through the same services the API uses, so the demo is the real loop end to end.
"""

from typing import TypedDict

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Campaign, Membership, Precinct, Role, Survey, User, WalkList
from app.models.base import flushed_id
from app.schemas.surveys import SurveyIn
from app.schemas.turfs import TurfIn
from app.schemas.walk_lists import WalkListIn
from app.services.access.keys import settings_of
from app.services.access.tenancy import Tenant
from app.services.geography.turfs import create_turf
from app.services.surveys import create_survey
from app.services.walk_lists import build, codes, serving

TURF_PRECINCTS = ("1-2", "5-2", "11-2")  # Cambridge ward-precincts of 90 to 200 doors
CODE_HOURS = 30 * 24


def door_script() -> SurveyIn:
    """The demo's survey: support 1-5, volunteer?, top issue."""
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
            select(col(Membership.user_id)).where(
                col(Membership.campaign_id) == campaign_id,
                col(Membership.role) == Role.organizer.value,
            )
        )
    ).scalar_one()
    return Tenant(campaign_id=campaign_id, user_id=user_id, role=Role.organizer)


async def _canvasser_ids(session: AsyncSession, campaign_id: int) -> list[int]:
    rows = await session.execute(
        select(col(Membership.user_id))
        .join(
            User,
            and_(
                col(User.campaign_id) == Membership.campaign_id, col(User.id) == Membership.user_id
            ),
        )
        .where(
            col(Membership.campaign_id) == campaign_id,
            col(Membership.role) == Role.canvasser.value,
        )
        .order_by(col(User.email))
    )
    return list(rows.scalars())


class DemoCanvass(TypedDict):
    """The demo canvass's survey name, and its walk lists as (number, door count)."""

    survey: str
    lists: list[tuple[str, int]]


async def load_canvass(session: AsyncSession, campaign_id: int) -> DemoCanvass | None:
    """Add the canvass to the demo campaign, unless it has a survey already."""
    has_survey = await session.execute(
        select(col(Survey.id)).where(col(Survey.campaign_id) == campaign_id)
    )
    if has_survey.first() is not None:
        return None
    tenant = await _organizer(session, campaign_id)
    survey = await create_survey(session, tenant, door_script())
    rows = await session.execute(
        select(col(Precinct.code), col(Precinct.id)).where(
            col(Precinct.campaign_id) == campaign_id, col(Precinct.code).in_(TURF_PRECINCTS)
        )
    )
    precincts = {code: pid for code, pid in rows.all() if pid is not None}  # a stored row has an id
    canvassers = await _canvasser_ids(session, campaign_id)
    lists = []
    for n, code in enumerate(TURF_PRECINCTS):
        turf = await create_turf(
            session, tenant, TurfIn(name=f"Precinct {code}", precinct_ids=[precincts[code]])
        )
        walk_list = await build.create_walk_list(
            session, tenant, WalkListIn(turf_id=turf.id, survey_id=survey.id), settings_of(session)
        )
        if n < len(canvassers):
            await serving.assign(session, tenant, walk_list.id, [canvassers[n]])
        lists.append(walk_list)
    return {"survey": survey.name, "lists": [(w.number, w.door_count) for w in lists]}


async def fresh_list_code(session: AsyncSession, slug: str) -> tuple[str, str] | None:
    """A new code for the demo's last list (the one no canvasser is assigned to), the list's
    earlier codes revoked: codes are stored hashed, so a code is shown only when it is made.
    The session must carry the settings whose SECRET_KEY the server uses (`keys.attach_settings`).
    (list number, code)."""
    campaign_id = (
        await session.execute(select(col(Campaign.id)).where(col(Campaign.slug) == slug))
    ).scalar_one_or_none()
    if campaign_id is None:
        return None
    walk_list = (
        await session.execute(
            select(WalkList)
            .where(col(WalkList.campaign_id) == campaign_id)
            .order_by(col(WalkList.id).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if walk_list is None:
        return None
    tenant = await _organizer(session, campaign_id)
    list_id = flushed_id(walk_list)
    for old in await codes.live_codes(session, tenant, list_id):
        await codes.revoke(session, tenant, list_id, str(old.id))
    made = await codes.create(session, tenant, list_id, CODE_HOURS)
    if made.code is None:
        raise RuntimeError("a new list code comes with its code")
    return walk_list.number, made.code
