"""Sync: phones upload what they recorded offline, in batches of up to 500 results.

Every item is checked on its own (shape, list access, door, person, answers, time), so one bad
item never sinks the others. Good items become contacts exactly once: the unique
(campaign_id, client_id) makes a retried or concurrent upload of the same item a `duplicate`
that answers with the first contact's id. Then the answers flow into the profiles (feedback).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import PayloadTooLarge, validation_errors
from app.models import User, WalkList
from app.schemas.sync import MAX_SYNC_ITEMS, SyncItem, SyncItemOut, SyncOut
from app.services import feedback
from app.services.feedback import RESULT_FIELDS, Fact, Touch, option_facts
from app.services.tenancy import Tenant, tenant_select
from app.services.walk_lists import visible_lists

CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class Question:
    kind: str
    profile_field: str | None
    options: dict[int, dict[str, Any]] = field(default_factory=dict)  # option id -> effects


@dataclass
class ListContext:
    """What an item is checked against: the list's doors and targets, its survey."""

    doors: dict[int, set[int]] = field(default_factory=dict)  # household -> target people
    questions: dict[int, Question] = field(default_factory=dict)


async def _contexts(
    session: AsyncSession, tenant: Tenant, list_ids: set[int]
) -> dict[int, ListContext]:
    """The lists among `list_ids` that the caller may sync for, with doors and survey."""
    lists = (
        await session.execute(
            visible_lists(tenant, tenant_select(tenant, WalkList, WalkList.id, WalkList.survey_id))
            .where(WalkList.id.in_(list_ids))  # type: ignore[union-attr]
            # A list deleted meanwhile: its deletion waits for this sync to commit (the contacts
            # then keep their history with a null list) instead of failing it halfway.
            .with_for_update(key_share=True)
        )
    ).all()
    contexts = {row.id: ListContext() for row in lists}
    if not contexts:
        return contexts
    params = {"cid": tenant.campaign_id, "ids": list(contexts)}
    targets = await session.execute(
        text(
            "SELECT walk_list_id, household_id, person_id FROM walk_list_target"
            " WHERE campaign_id = :cid AND walk_list_id = ANY(CAST(:ids AS bigint[]))"
        ),
        params,
    )
    for list_id, household_id, person_id in targets:
        contexts[list_id].doors.setdefault(household_id, set()).add(person_id)
    survey_of = {row.id: row.survey_id for row in lists}
    options = await session.execute(
        text(
            """SELECT q.survey_id, q.id, q.kind, q.profile_field, o.id AS option_id, o.effects
               FROM survey_question q
               LEFT JOIN survey_option o ON o.campaign_id = q.campaign_id AND o.question_id = q.id
               WHERE q.campaign_id = :cid AND q.survey_id = ANY(CAST(:surveys AS bigint[]))"""
        ),
        {"cid": tenant.campaign_id, "surveys": sorted(set(survey_of.values()))},
    )
    by_survey: dict[int, dict[int, Question]] = {}
    for survey_id, qid, kind, profile_field, option_id, effects in options:
        question = by_survey.setdefault(survey_id, {}).setdefault(
            qid, Question(kind, profile_field)
        )
        if option_id is not None:
            question.options[option_id] = effects
    for list_id, context in contexts.items():
        context.questions = by_survey.get(survey_of[list_id], {})
    return contexts


def _check(item: SyncItem, context: ListContext | None, now: datetime) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    if item.knocked_at > now + CLOCK_SKEW:
        errors.append({"loc": "knocked_at", "message": "knocked_at is in the future"})
    if context is None:
        errors.append({"loc": "walk_list_id", "message": "walk list not found, or not yours"})
        return errors
    targets = context.doors.get(item.household_id)
    if targets is None:
        errors.append({"loc": "household_id", "message": "this door is not on the walk list"})
    elif item.person_id is not None and item.person_id not in targets:
        errors.append({"loc": "person_id", "message": "this person is not a target at this door"})
    seen: set[int] = set()
    for j, response in enumerate(item.responses):
        loc = f"responses[{j}]"
        question = context.questions.get(response.question_id)
        if question is None:
            errors.append(
                {"loc": f"{loc}.question_id", "message": "not a question of the list's survey"}
            )
            continue
        if response.question_id in seen:
            errors.append({"loc": f"{loc}.question_id", "message": "question answered twice"})
        seen.add(response.question_id)
        errors += _check_answer(loc, question, response.option_ids, response.text, response.number)
    return errors


def _check_answer(
    loc: str,
    question: Question,
    option_ids: list[int] | None,
    text_: str | None,
    number: float | None,
) -> list[dict[str, str]]:
    if question.kind in ("single_choice", "multiple_choice"):
        if not option_ids or text_ is not None or number is not None:
            return [
                {"loc": f"{loc}.option_ids", "message": f"a {question.kind} answer is option_ids"}
            ]
        if question.kind == "single_choice" and len(option_ids) > 1:
            return [
                {"loc": f"{loc}.option_ids", "message": "a single_choice answer has one option"}
            ]
        wrong = [o for o in option_ids if o not in question.options]
        if wrong:
            return [
                {"loc": f"{loc}.option_ids", "message": f"options {wrong} are not of this question"}
            ]
        return []
    if option_ids:
        return [
            {"loc": f"{loc}.option_ids", "message": f"a {question.kind} question has no options"}
        ]
    if question.kind == "text" and (text_ is None or number is not None):
        return [{"loc": f"{loc}.text", "message": "a text answer is text"}]
    if question.kind == "number" and (number is None or text_ is not None):
        return [{"loc": f"{loc}.number", "message": "a number answer is number"}]
    return []


async def _insert_contacts(
    session: AsyncSession, tenant: Tenant, items: list[SyncItem], canvasser_name: str | None
) -> dict[UUID, int]:
    """Insert the contacts that are new; the ids of those created, by client_id."""
    params = {
        "cid": tenant.campaign_id,
        "canvasser_id": tenant.user_id,
        "canvasser_name": canvasser_name,
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
                                 canvasser_id, canvasser_name, result, note, source, knocked_at,
                                 lon, lat)
            SELECT :cid, client_id, list_id, household_id, person_id, :canvasser_id,
                   :canvasser_name, result, note, 'app', knocked_at, lon, lat
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


async def _existing(
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
    created: list[tuple[int, SyncItem, list[int]]],
) -> None:
    """Targets (who each contact speaks for) and answers of the new contacts."""
    targets = [(cid_, p) for cid_, _, people in created for p in people]
    responses = [(cid_, r) for cid_, item, _ in created for r in item.responses]
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


def _facts(contact_id: int, item: SyncItem, people: list[int], context: ListContext) -> list[Fact]:
    at = item.knocked_at
    facts: list[Fact] = []
    for person in people:
        if item.result in RESULT_FIELDS:
            facts.append(Fact(person, RESULT_FIELDS[item.result], True, contact_id, at))
        for response in item.responses:
            question = context.questions[response.question_id]
            for option_id in response.option_ids or []:
                facts += option_facts(question.options[option_id] or {}, person, contact_id, at)
            if question.profile_field:
                value = response.text if question.kind == "text" else response.number
                facts.append(Fact(person, question.profile_field, value, contact_id, at))
    return facts


async def sync(
    session: AsyncSession,
    tenant: Tenant,
    raw_items: list[Any],
) -> SyncOut:
    if len(raw_items) > MAX_SYNC_ITEMS:
        raise PayloadTooLarge(f"at most {MAX_SYNC_ITEMS} results per request; split the batch")
    now = datetime.now(UTC)
    outs: list[SyncItemOut | None] = [None] * len(raw_items)
    canvasser_name: str | None = None
    parsed: list[tuple[int, SyncItem]] = []
    for index, raw in enumerate(raw_items):
        try:
            parsed.append((index, SyncItem.model_validate(raw)))
        except ValidationError as exc:
            client_id = raw.get("client_id") if isinstance(raw, dict) else None
            outs[index] = SyncItemOut(
                client_id=client_id if isinstance(client_id, str) else None,
                status="rejected",
                errors=validation_errors(exc.errors()),  # type: ignore[arg-type]
            )
    if tenant.guest_name is not None:
        canvasser_name = tenant.guest_name
    elif tenant.user_id is not None:
        user = await session.get(User, tenant.user_id)
        canvasser_name = user.name if user else None
    contexts = await _contexts(session, tenant, {item.walk_list_id for _, item in parsed})

    good: list[tuple[int, SyncItem]] = []
    first_in_batch: dict[UUID, int] = {}
    repeats: list[tuple[int, SyncItem]] = []
    for index, item in parsed:
        errors = _check(item, contexts.get(item.walk_list_id), now)
        if errors:
            outs[index] = SyncItemOut(
                client_id=str(item.client_id), status="rejected", errors=errors
            )  # type: ignore[arg-type]
        elif item.client_id in first_in_batch:
            repeats.append((index, item))
        else:
            first_in_batch[item.client_id] = index
            good.append((index, item))

    created_ids = (
        await _insert_contacts(session, tenant, [i for _, i in good], canvasser_name)
        if good
        else {}
    )
    earlier = await _existing(
        session, tenant, [i.client_id for _, i in good if i.client_id not in created_ids]
    )
    created: list[tuple[int, SyncItem, list[int]]] = []
    for index, item in good:
        if item.client_id in created_ids:
            contact_id = created_ids[item.client_id]
            context = contexts[item.walk_list_id]
            people = (
                [item.person_id] if item.person_id else sorted(context.doors[item.household_id])
            )
            created.append((contact_id, item, people))
            outs[index] = SyncItemOut(
                client_id=str(item.client_id), status="created", contact_id=contact_id
            )
        else:
            outs[index] = SyncItemOut(
                client_id=str(item.client_id),
                status="duplicate",
                contact_id=earlier.get(item.client_id),
            )
    for index, item in repeats:
        first = outs[first_in_batch[item.client_id]]
        outs[index] = SyncItemOut(
            client_id=str(item.client_id),
            status="duplicate",
            contact_id=first.contact_id if first else None,
        )

    await _record_details(session, tenant, created)
    facts = [
        f
        for cid_, item, people in created
        for f in _facts(cid_, item, people, contexts[item.walk_list_id])
    ]
    touches = [Touch(p, item.knocked_at) for _, item, people in created for p in people]
    await feedback.apply(session, tenant.campaign_id, facts, touches)
    wrong = {item.household_id for _, item, _ in created if item.result == "wrong_address"}
    await feedback.flag_wrong_addresses(session, tenant.campaign_id, wrong)
    return SyncOut(results=[o for o in outs if o is not None])
