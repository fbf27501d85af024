"""The one writer of contacts, whatever brought them (phone sync, paper entry, results upload).

A contact is inserted exactly once by its `client_id` (a phone's retry is recognised), with the
people it speaks for and its answers; then it feeds the profiles by event time
(`profile_updates`). Callers check their input and hand over `ContactDraft`s.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import analyze_if_stale
from app.services.access.tenancy import Tenant
from app.services.canvass import profile_updates, queries
from app.services.canvass.answers import Answer, Question
from app.services.canvass.profile_updates import RESULT_FIELDS, Fact, Touch, option_facts

# Why a knock about a person erased on request is refused (privacy/erasure).
ERASED = "this person's data was erased at their request: nothing more is recorded on them"


@dataclass(frozen=True)
class ContactDraft:
    """A checked result, ready to be recorded.

    client_id: the phone's id of the result; None for paper, where the database makes one.
    people: those it speaks for (its person, or every target at the door).
    questions: its list's survey, by question id (the answers were checked against it).
    """

    client_id: UUID | None
    walk_list_id: int
    household_id: int
    person_id: int | None
    result: str
    answers: list[Answer]
    note: str | None
    knocked_at: datetime
    people: list[int]
    questions: dict[int, Question]
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class Recorder:
    """Who recorded the contacts: the canvasser at the door, or the typist of a paper sheet."""

    source: str  # app, paper, import, api
    canvasser_id: int | None = None
    canvasser_name: str | None = None
    entered_by: int | None = None


async def record(
    session: AsyncSession, tenant: Tenant, drafts: list[ContactDraft], by: Recorder
) -> list[int | None]:
    """Insert the drafts whose client_id is new and apply them to the profiles.

    Returns, for each draft in order, the id of the contact it created, or None when its
    client_id was recorded before (a duplicate)."""
    if not drafts:
        return []
    created_ids = await _insert_contacts(session, tenant, drafts, by)
    created = [(cid, d) for cid, d in zip(created_ids, drafts, strict=True) if cid is not None]
    await _record_details(session, tenant, created)
    await analyze_if_stale(
        session,
        {
            "contact": len(created),
            "contact_target": sum(len(d.people) for _, d in created),
            "contact_response": sum(len(d.answers) for _, d in created),
        },
    )
    # Doors before people, each in id order: the voter import writes in the same order, so
    # a sync and an import wait for each other instead of deadlocking (issue 12).
    wrong = {d.household_id for _, d in created if d.result == "wrong_address"}
    await profile_updates.flag_wrong_addresses(session, tenant, wrong)
    facts = [f for contact_id, d in created for f in _facts(contact_id, d)]
    touches = [Touch(p, d.knocked_at) for _, d in created for p in d.people]
    await profile_updates.apply(session, tenant, facts, touches)
    return created_ids


async def _insert_contacts(
    session: AsyncSession, tenant: Tenant, drafts: list[ContactDraft], by: Recorder
) -> list[int | None]:
    """Insert the contacts that are new; the id created for each draft, None if not new."""
    rows = await session.execute(
        text(queries.INSERT_CONTACTS),
        {
            "cid": tenant.campaign_id,
            "canvasser_id": by.canvasser_id,
            "canvasser_name": by.canvasser_name,
            "source": by.source,
            "entered_by": by.entered_by,
            "client_ids": [d.client_id for d in drafts],
            "lists": [d.walk_list_id for d in drafts],
            "households": [d.household_id for d in drafts],
            "persons": [d.person_id for d in drafts],
            "results": [d.result for d in drafts],
            "notes": [d.note for d in drafts],
            "times": [d.knocked_at for d in drafts],
            "lons": [d.lon for d in drafts],
            "lats": [d.lat for d in drafts],
        },
    )
    ids: list[int | None] = [None] * len(drafts)
    for contact_id, n in rows:
        ids[n - 1] = contact_id
    return ids


async def existing(
    session: AsyncSession, tenant: Tenant, client_ids: list[UUID]
) -> dict[UUID, int]:
    """The contacts already recorded under these client_ids."""
    if not client_ids:
        return {}
    rows = await session.execute(
        text(
            "SELECT client_id, id FROM contact"
            " WHERE campaign_id = :cid AND client_id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"cid": tenant.campaign_id, "ids": client_ids},
    )
    return {client_id: contact_id for client_id, contact_id in rows}


async def _record_details(
    session: AsyncSession,
    tenant: Tenant,
    created: list[tuple[int, ContactDraft]],
) -> None:
    """Targets (who each contact speaks for) and answers of the new contacts."""
    targets = [(contact_id, p) for contact_id, d in created for p in d.people]
    responses = [(contact_id, a) for contact_id, d in created for a in d.answers]
    params: dict[str, Any] = {"cid": tenant.campaign_id}
    if targets:
        await session.execute(
            text(queries.INSERT_TARGETS),
            params | {"contacts": [c for c, _ in targets], "people": [p for _, p in targets]},
        )
    if responses:
        await session.execute(
            text(queries.INSERT_RESPONSES),
            params
            | {
                "contacts": [c for c, _ in responses],
                "questions": [r.question_id for _, r in responses],
                "options": [json_list(r.option_ids) for _, r in responses],
                "texts": [r.text for _, r in responses],
                "numbers": [r.number for _, r in responses],
            },
        )


def json_list(values: list[int] | None) -> str:
    """Option ids as a JSON array, for a jsonb[] parameter (asyncpg has no int[][])."""
    return "[" + ",".join(str(int(v)) for v in values or []) + "]"


def _facts(contact_id: int, draft: ContactDraft) -> list[Fact]:
    """What the contact says about each person it speaks for, for `profile_updates`."""
    at = draft.knocked_at
    facts: list[Fact] = []
    for person in draft.people:
        if draft.result in RESULT_FIELDS:
            facts.append(Fact(person, RESULT_FIELDS[draft.result], True, contact_id, at))
        for answer in draft.answers:
            question = draft.questions[answer.question_id]
            for option_id in answer.option_ids or []:
                facts += option_facts(question.effects[option_id], person, contact_id, at)
            if question.profile_field:
                value = answer.profile_value(question)
                facts.append(Fact(person, question.profile_field, value, contact_id, at))
    return facts
