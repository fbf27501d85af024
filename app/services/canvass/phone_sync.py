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
from sqlmodel import col

from app.errors import PayloadTooLarge, validation_errors
from app.models import User, WalkList
from app.schemas.common import MAX_NAME, clean_text
from app.schemas.sync import MAX_SYNC_ITEMS, ItemError, SyncItem, SyncItemOut, SyncOut
from app.services.access.tenancy import Tenant, tenant_select
from app.services.canvass import queries, record
from app.services.canvass.answers import Answer, Question, answer_problem, load_questions
from app.services.canvass.record import ERASED, ContactDraft, Recorder
from app.services.privacy import audit
from app.services.walk_lists.serving import visible_lists

CLOCK_SKEW = timedelta(minutes=5)
# A knock before its list was built can only be a phone's clock: a day of slack for clocks set
# to the wrong day or zone, and nothing older.
BEFORE_LIST_SLACK = timedelta(days=1)


@dataclass
class ListContext:
    """What an item is checked against: the list's doors and targets, its survey."""

    built_at: datetime | None = None
    doors: dict[int, set[int]] = field(default_factory=dict)  # household -> target people
    erased: set[int] = field(default_factory=set)  # targets erased since: nothing more on them
    questions: dict[int, Question] = field(default_factory=dict)


async def _contexts(
    session: AsyncSession, tenant: Tenant, list_ids: set[int]
) -> dict[int, ListContext]:
    """The lists among `list_ids` that the caller may sync for, with doors and survey."""
    lists = (
        await session.execute(
            visible_lists(
                tenant,
                tenant_select(
                    tenant,
                    WalkList,
                    col(WalkList.id),
                    col(WalkList.survey_id),
                    col(WalkList.created_at),
                ),
            )
            .where(col(WalkList.id).in_(list_ids))
            # A list deleted meanwhile: its deletion waits for this sync to commit (the contacts
            # then keep their history with a null list) instead of failing it halfway.
            .with_for_update(read=True, key_share=True)  # FOR KEY SHARE: syncs do not queue
        )
    ).all()
    contexts = {row.id: ListContext(built_at=row.created_at) for row in lists}
    if not contexts:
        return contexts
    targets = await session.execute(
        text(queries.SYNC_TARGETS), {"cid": tenant.campaign_id, "ids": list(contexts)}
    )
    for list_id, household_id, person_id, erased in targets:
        people = contexts[list_id].doors.setdefault(household_id, set())
        if erased:
            contexts[list_id].erased.add(person_id)
        else:
            people.add(person_id)
    surveys = await load_questions(session, tenant, {row.survey_id for row in lists})
    for row in lists:
        contexts[row.id].questions = surveys.get(row.survey_id, {})
    return contexts


def _answers(item: SyncItem) -> list[Answer]:
    return [Answer(r.question_id, r.option_ids, r.text, r.number) for r in item.responses]


def _check(item: SyncItem, context: ListContext | None, now: datetime) -> list[ItemError]:
    errors: list[ItemError] = []
    if item.knocked_at > now + CLOCK_SKEW:
        errors.append(ItemError(loc="knocked_at", message="knocked_at is in the future"))
    if context is None:
        errors.append(ItemError(loc="walk_list_id", message="walk list not found, or not yours"))
        return errors
    if context.built_at is not None and item.knocked_at < context.built_at - BEFORE_LIST_SLACK:
        message = f"knocked_at is before the walk list was built ({context.built_at:%Y-%m-%d})"
        errors.append(ItemError(loc="knocked_at", message=message))
    targets = context.doors.get(item.household_id)
    if targets is None:
        errors.append(ItemError(loc="household_id", message="this door is not on the walk list"))
    elif item.person_id is not None and item.person_id in context.erased:
        errors.append(ItemError(loc="person_id", message=ERASED))
    elif item.person_id is not None and item.person_id not in targets:
        errors.append(
            ItemError(loc="person_id", message="this person is not a target at this door")
        )
    seen: set[int] = set()
    for j, answer in enumerate(_answers(item)):
        loc = f"responses[{j}]"
        question = context.questions.get(answer.question_id)
        if question is None:
            message = "not a question of the list's survey"
            errors.append(ItemError(loc=f"{loc}.question_id", message=message))
            continue
        if answer.question_id in seen:
            errors.append(ItemError(loc=f"{loc}.question_id", message="question answered twice"))
        seen.add(answer.question_id)
        problem = answer_problem(question, answer)
        if problem:
            errors.append(ItemError(loc=f"{loc}.{problem[0]}", message=problem[1]))
    return errors


def _draft(item: SyncItem, context: ListContext) -> ContactDraft:
    """The contact a checked item records. It speaks for its person, or for every target at
    the door when it names none."""
    people = [item.person_id] if item.person_id else sorted(context.doors[item.household_id])
    return ContactDraft(
        client_id=item.client_id,
        walk_list_id=item.walk_list_id,
        household_id=item.household_id,
        person_id=item.person_id,
        result=item.result,
        answers=_answers(item),
        note=item.note,
        knocked_at=item.knocked_at,
        people=people,
        questions=context.questions,
        lon=item.location.lon if item.location else None,
        lat=item.location.lat if item.location else None,
    )


async def _canvasser_name(session: AsyncSession, tenant: Tenant) -> str | None:
    if tenant.guest_name is not None:
        # a name that came with a list code: tokens issued before names were checked may hold
        # characters the database refuses, which must never fail a guest's every sync
        return clean_text(tenant.guest_name)[:MAX_NAME] or "Guest"
    user = await session.get(User, tenant.user_id) if tenant.user_id is not None else None
    return user.name if user else None


async def sync(session: AsyncSession, tenant: Tenant, raw_items: list[Any]) -> SyncOut:
    """Check every item on its own and record the good ones exactly once; one answer per
    item, in order: created, duplicate (with the first contact's id) or rejected (why)."""
    if len(raw_items) > MAX_SYNC_ITEMS:
        raise PayloadTooLarge(f"at most {MAX_SYNC_ITEMS} results per request; split the batch")
    now = datetime.now(UTC)
    outs: list[SyncItemOut | None] = [None] * len(raw_items)
    parsed: list[tuple[int, SyncItem]] = []
    for index, raw in enumerate(raw_items):
        try:
            parsed.append((index, SyncItem.model_validate(raw)))
        except ValidationError as exc:
            client_id = raw.get("client_id") if isinstance(raw, dict) else None
            outs[index] = SyncItemOut(
                client_id=clean_text(client_id)[:64] if isinstance(client_id, str) else None,
                status="rejected",
                errors=[ItemError(**e) for e in validation_errors(exc.errors())],
            )
    contexts = await _contexts(session, tenant, {item.walk_list_id for _, item in parsed})

    good: list[tuple[int, SyncItem]] = []
    first_in_batch: dict[UUID, int] = {}
    repeats: list[tuple[int, SyncItem]] = []
    for index, item in parsed:
        errors = _check(item, contexts.get(item.walk_list_id), now)
        if errors:
            outs[index] = SyncItemOut(
                client_id=str(item.client_id), status="rejected", errors=errors
            )
        elif item.client_id in first_in_batch:
            repeats.append((index, item))
        else:
            first_in_batch[item.client_id] = index
            good.append((index, item))

    by = Recorder("app", tenant.user_id, await _canvasser_name(session, tenant))
    drafts = [_draft(item, contexts[item.walk_list_id]) for _, item in good]
    created_ids = await record.record(session, tenant, drafts, by)
    earlier = await record.existing(
        session, tenant, [i.client_id for (_, i), c in zip(good, created_ids, strict=True) if not c]
    )
    for (index, item), created_id in zip(good, created_ids, strict=True):
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
    results = [o for o in outs if o is not None]
    counts = {s: sum(o.status == s for o in results) for s in ("created", "duplicate", "rejected")}
    lists = sorted({item.walk_list_id for _, item in parsed if item.walk_list_id in contexts})
    await audit.record(session, tenant, "sync.batch", "walk_list", lists, counts)  # one a batch
    return SyncOut(results=results)
