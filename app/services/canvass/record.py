"""Recording contacts, whatever brought them (phone sync, paper entry, results upload):
inserted exactly once by `client_id`, with who they speak for and their answers, then fed into
the profiles by event time (`profile_updates`).
"""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import analyze_if_stale
from app.schemas.sync import SyncItem
from app.services.access.tenancy import Tenant
from app.services.canvass import profile_updates
from app.services.canvass.profile_updates import RESULT_FIELDS, Fact, Touch, option_facts


@dataclass
class Question:
    kind: str
    profile_field: str | None
    options: dict[int, dict[str, Any]] = field(default_factory=dict)  # option id -> effects


@dataclass(frozen=True)
class NewContact:
    """A checked result: `people` are those it speaks for, `questions` its list's survey."""

    item: SyncItem
    people: list[int]
    questions: dict[int, Question]


async def record(
    session: AsyncSession,
    tenant: Tenant,
    contacts: list[NewContact],
    *,
    source: str,
    canvasser_id: int | None = None,
    canvasser_name: str | None = None,
    entered_by: int | None = None,
) -> dict[UUID, int]:
    """Insert the contacts whose client_id is new and apply them; the ids of those created."""
    if not contacts:
        return {}
    created_ids = await _insert_contacts(
        session,
        tenant,
        [c.item for c in contacts],
        source,
        canvasser_id,
        canvasser_name,
        entered_by,
    )
    created = [
        (created_ids[c.item.client_id], c) for c in contacts if c.item.client_id in created_ids
    ]
    await _record_details(session, tenant, created)
    await analyze_if_stale(
        session,
        {
            "contact": len(created),
            "contact_target": sum(len(c.people) for _, c in created),
            "contact_response": sum(len(c.item.responses) for _, c in created),
        },
    )
    facts = [f for contact_id, c in created for f in _facts(contact_id, c)]
    touches = [Touch(p, c.item.knocked_at) for _, c in created for p in c.people]
    await profile_updates.apply(session, tenant.campaign_id, facts, touches)
    wrong = {c.item.household_id for _, c in created if c.item.result == "wrong_address"}
    await profile_updates.flag_wrong_addresses(session, tenant.campaign_id, wrong)
    return created_ids


async def _insert_contacts(
    session: AsyncSession,
    tenant: Tenant,
    items: list[SyncItem],
    source: str,
    canvasser_id: int | None,
    canvasser_name: str | None,
    entered_by: int | None,
) -> dict[UUID, int]:
    """Insert the contacts that are new; the ids of those created, by client_id."""
    params = {
        "cid": tenant.campaign_id,
        "canvasser_id": canvasser_id,
        "canvasser_name": canvasser_name,
        "source": source,
        "entered_by": entered_by,
        "client_ids": [i.client_id for i in items],
        "lists": [i.walk_list_id for i in items],
        "households": [i.household_id for i in items],
        "persons": [i.person_id for i in items],
        "results": [i.result for i in items],
        "notes": [i.note for i in items],
        "times": [i.knocked_at for i in items],
        "lons": [i.location.lon if i.location else None for i in items],
        "lats": [i.location.lat if i.location else None for i in items],
    }
    rows = await session.execute(
        text(
            """
            INSERT INTO contact (campaign_id, client_id, walk_list_id, household_id, person_id,
                                 canvasser_id, canvasser_name, entered_by, result, note, source,
                                 knocked_at, lon, lat)
            SELECT :cid, client_id, list_id, household_id, person_id, :canvasser_id,
                   :canvasser_name, :entered_by, result, note, :source, knocked_at, lon, lat
            FROM unnest(CAST(:client_ids AS uuid[]), CAST(:lists AS bigint[]),
                        CAST(:households AS bigint[]), CAST(:persons AS bigint[]),
                        CAST(:results AS text[]), CAST(:notes AS text[]),
                        CAST(:times AS timestamptz[]), CAST(:lons AS float8[]),
                        CAST(:lats AS float8[]))
                 AS x(client_id, list_id, household_id, person_id, result, note, knocked_at,
                      lon, lat)
            ORDER BY client_id
            ON CONFLICT (campaign_id, client_id) DO NOTHING
            RETURNING id, client_id
            """
        ),
        params,
    )
    return {client_id: contact_id for contact_id, client_id in rows}


async def existing(
    session: AsyncSession, tenant: Tenant, client_ids: list[UUID]
) -> dict[UUID, int]:
    if not client_ids:
        return {}
    rows = await session.execute(
        text(
            "SELECT client_id, id FROM contact"
            " WHERE campaign_id = :cid AND client_id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"cid": tenant.campaign_id, "ids": client_ids},
    )
    return dict(rows.all())


async def _record_details(
    session: AsyncSession,
    tenant: Tenant,
    created: list[tuple[int, NewContact]],
) -> None:
    """Targets (who each contact speaks for) and answers of the new contacts."""
    targets = [(contact_id, p) for contact_id, c in created for p in c.people]
    responses = [(contact_id, r) for contact_id, c in created for r in c.item.responses]
    params: dict[str, Any] = {"cid": tenant.campaign_id}
    if targets:
        await session.execute(
            text(
                "INSERT INTO contact_target (campaign_id, contact_id, person_id)"
                " SELECT :cid, * FROM unnest(CAST(:contacts AS bigint[]),"
                " CAST(:people AS bigint[]))"
            ),
            params | {"contacts": [c for c, _ in targets], "people": [p for _, p in targets]},
        )
    if responses:
        await session.execute(
            text(
                """INSERT INTO contact_response
                       (campaign_id, contact_id, question_id, option_ids, text, number)
                   SELECT :cid, c, q, ARRAY(SELECT jsonb_array_elements_text(o))::bigint[], t, n
                   FROM unnest(CAST(:contacts AS bigint[]), CAST(:questions AS bigint[]),
                               CAST(:options AS jsonb[]), CAST(:texts AS text[]),
                               CAST(:numbers AS float8[])) AS x(c, q, o, t, n)"""
            ),
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
    return "[" + ",".join(str(int(v)) for v in values or []) + "]"


def _facts(contact_id: int, contact: NewContact) -> list[Fact]:
    item, at = contact.item, contact.item.knocked_at
    facts: list[Fact] = []
    for person in contact.people:
        if item.result in RESULT_FIELDS:
            facts.append(Fact(person, RESULT_FIELDS[item.result], True, contact_id, at))
        for response in item.responses:
            question = contact.questions[response.question_id]
            for option_id in response.option_ids or []:
                facts += option_facts(question.options[option_id] or {}, person, contact_id, at)
            if question.profile_field:
                value = response.text if question.kind == "text" else response.number
                facts.append(Fact(person, question.profile_field, value, contact_id, at))
    return facts
