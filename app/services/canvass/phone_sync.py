"""Sync: phones upload what they recorded offline, in batches of up to 500 results.

Every item is checked on its own (shape, list access, door, person, answers, time), so one bad
item never sinks the others. Good items become contacts exactly once: the unique
(campaign_id, client_id) makes a retried or concurrent upload of the same item a `duplicate`
that answers with the first contact's id. `record` writes them and the answers flow into the
profiles (`profile_updates`).
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
from app.services.access.tenancy import Tenant, tenant_select
from app.services.canvass import record
from app.services.canvass.record import NewContact, Question
from app.services.walk_lists.serving import visible_lists

CLOCK_SKEW = timedelta(minutes=5)


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

    created_ids = await record.record(
        session,
        tenant,
        [
            NewContact(item, _people(item, contexts[item.walk_list_id]),
                       contexts[item.walk_list_id].questions)
            for _, item in good
        ],
        source="app",
        canvasser_id=tenant.user_id,
        canvasser_name=canvasser_name,
    )  # fmt: skip
    earlier = await record.existing(
        session, tenant, [i.client_id for _, i in good if i.client_id not in created_ids]
    )
    for index, item in good:
        created_id = created_ids.get(item.client_id)
        outs[index] = SyncItemOut(
            client_id=str(item.client_id),
            status="created" if created_id else "duplicate",
            contact_id=created_id or earlier.get(item.client_id),
        )
    for index, item in repeats:
        first = outs[first_in_batch[item.client_id]]
        outs[index] = SyncItemOut(
            client_id=str(item.client_id),
            status="duplicate",
            contact_id=first.contact_id if first else None,
        )
    return SyncOut(results=[o for o in outs if o is not None])


def _people(item: SyncItem, context: ListContext) -> list[int]:
    """Who a result speaks for: its person, or every target at the door."""
    return [item.person_id] if item.person_id else sorted(context.doors[item.household_id])
